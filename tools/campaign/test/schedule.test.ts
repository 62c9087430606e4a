import { describe, expect, test } from '@jest/globals';
import { countSchedule, planCampaign, type ScheduleOptions } from '../src/schedule.ts';

const base: ScheduleOptions = { seed: 7, durationMs: 3 * 60_000, members: 4, byzantine: 3, diskMember: 0, healMs: 14_000, segmentMs: 22_500 };

describe('campaign schedule', () => {
  test('the same seed gives the same schedule, another seed another', () => {
    expect(planCampaign(base)).toEqual(planCampaign(base));
    expect(planCampaign({ ...base, seed: 8 })).not.toEqual(planCampaign(base));
  });

  test('crash faults come one at a time, each followed by a healed period, all within the run', () => {
    const { crash } = planCampaign(base);
    for (const [i, f] of crash.entries()) {
      expect(f.at + f.durationMs + base.healMs).toBeLessThanOrEqual(base.durationMs);
      if (i > 0) expect(f.at).toBeGreaterThanOrEqual(crash[i - 1]!.at + crash[i - 1]!.durationMs + base.healMs);
    }
  });

  test('faults aimed at one member never hit the byzantine member; disk-full hits the tmpfs member', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { crash } = planCampaign({ ...base, seed, durationMs: 20 * 60_000 });
      for (const f of crash) {
        if (f.target !== undefined) expect(f.target).not.toBe(base.byzantine);
        if (f.kind === 'disk-full') expect(f.target).toBe(base.diskMember);
      }
    }
  });

  test('a 3-minute run of 250 ms rounds sees every byzantine behaviour and at least six crash faults', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { faults } = countSchedule(planCampaign({ ...base, seed }), 4);
      for (const k of ['censor', 'equivocate', 'flood', 'forge-header'] as const) expect(faults[k]).toBeGreaterThanOrEqual(1);
      const crashes = faults.kill + faults['power-cut'] + faults.broker + faults['cut-off'] + faults['clock-skew'] + faults['disk-full'];
      expect(crashes).toBeGreaterThanOrEqual(6);
    }
  });

  test('the long run (130 minutes) guarantees 100 restarts, 20 broker outages and 10 power cuts whatever the seed', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { faults, restarts } = countSchedule(planCampaign({ ...base, seed, durationMs: 130 * 60_000, segmentMs: 120_000 }), 4);
      expect(restarts).toBeGreaterThanOrEqual(100);
      expect(faults.broker).toBeGreaterThanOrEqual(20);
      expect(faults['power-cut']).toBeGreaterThanOrEqual(10);
    }
  });
});

// The classes the household data cannot carry (three-phase sums, frequency, ROCOF), on seeded synthetic recordings
// of a three-phase meter and a PMU: clean data stays quiet, injected faults are found.
import { describe, expect, test } from '@jest/globals';
import { createPipeline, pmuProfile, replay, threePhaseProfile, type Profile, type Recording } from '@meterchain/edge';
import { runInjection } from '@meterchain/edge/inject';
import { pmuRecording, threePhaseRecording } from './synthetic.ts';

function flaggedRows(profile: Profile, rec: Recording): number {
  const rows = new Set<number>();
  replay(createPipeline(profile, rec.channels), rec, (n) => rows.add(n));
  return rows.size;
}

const cases: [string, Profile, () => Recording, string[]][] = [
  ['three-phase meter', threePhaseProfile, () => threePhaseRecording(5, 12_000), ['phase-sum', 'energy-rollover', 'physics', 'stuck', 'spike']],
  ['PMU', pmuProfile, () => pmuRecording(5, 20_000), ['frequency', 'rocof', 'spike', 'stuck', 'gap', 'time-backwards']],
];

describe.each(cases)('%s', (_name, profile, make, mustApply) => {
  const rec = make();
  test('clean synthetic data raises findings on at most 0.1 % of rows', () => {
    expect(flaggedRows(profile, rec)).toBeLessThanOrEqual(0.001 * rec.length);
  });
  test.each([1, 2])('seed %i: every applicable class is found at least 95 %% of the time, false findings within 0.1 %%', (seed) => {
    const report = runInjection(profile, rec, seed, { eventsPerClass: 20 });
    const names = report.classes.map((c) => c.fault);
    for (const m of mustApply) expect(names).toContain(m);
    for (const c of report.classes) expect({ fault: c.fault, ok: c.rate >= 0.95 }).toEqual({ fault: c.fault, ok: true });
    expect(report.falseRate).toBeLessThanOrEqual(0.001);
  });
});

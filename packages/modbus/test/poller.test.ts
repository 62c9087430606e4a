import { describe, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { poll, zeroCounters, type MeterDriver, type Sample } from '../src/index.ts';

/** A driver on a fake clock: each sample takes `costMs`; the slots listed in `failing` fail. */
function fakeDriver(clock: { t: number }, failing: number[], costMs: number): MeterDriver {
  let call = 0;
  return {
    device: 'fake',
    async configure() {},
    async close() {},
    async sample(): Promise<Sample> {
      const slot = call++;
      clock.t += costMs;
      if (failing.includes(slot)) throw new Error(`fake: slot ${slot} failed`);
      return { device: 'fake', channels: [], quality: 0, missing: [], comm: zeroCounters() };
    },
  };
}

describe('poll', () => {
  test('failed slots become one gap and the next sample carries GAP', async () => {
    const clock = { t: 0 };
    const events = await poll(fakeDriver(clock, [3, 4, 5], 10), { periodMs: 100, slots: 10, now: () => clock.t, sleep: async (ms) => void (clock.t += ms) });
    const gaps = events.filter((e) => e.kind === 'gap');
    expect(gaps).toEqual([{ kind: 'gap', fromSlot: 3, toSlot: 5, reason: 'fake: slot 3 failed' }]);
    const samples = events.filter((e) => e.kind === 'sample');
    expect(samples.map((s) => s.slot)).toEqual([0, 1, 2, 6, 7, 8, 9]);
    expect(samples.map((s) => (s.kind === 'sample' ? s.sample.quality & QualityFlag.GAP : -1))).toEqual([0, 0, 0, QualityFlag.GAP, 0, 0, 0]);
  });

  test('slots that pass while a slow sample runs are lost, not sampled late', async () => {
    const clock = { t: 0 };
    const events = await poll(fakeDriver(clock, [], 250), { periodMs: 100, slots: 6, now: () => clock.t, sleep: async (ms) => void (clock.t += ms) });
    expect(events.filter((e) => e.kind === 'sample').map((e) => (e.kind === 'sample' ? e.slot : -1))).toEqual([0, 3]);
    expect(events.find((e) => e.kind === 'gap')).toMatchObject({ fromSlot: 1, toSlot: 2, reason: 'sampling overran its period' });
  });

  test('a run ending in an outage still reports the gap', async () => {
    const clock = { t: 0 };
    const events = await poll(fakeDriver(clock, [4], 10), { periodMs: 100, slots: 5, now: () => clock.t, sleep: async (ms) => void (clock.t += ms) });
    expect(events[events.length - 1]).toEqual({ kind: 'gap', fromSlot: 4, toSlot: 4, reason: 'fake: slot 4 failed' });
  });
});

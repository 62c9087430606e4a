import { describe, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { found, onlyProfile, runRows, type Row } from './helpers.ts';

const channels = ['voltage'];
const profile = onlyProfile(channels, {});
const T0 = 1_700_000_000_000;

function at(seconds: number[], extra: Partial<Row>[] = []): Row[] {
  return seconds.map((s, i) => ({ t: T0 + s * 1000, values: [230 + (i % 3) * 0.1], ...(extra[i] ?? {}) }));
}

describe('timestamps', () => {
  test('a missing sample is a gap once the interval is learned', () => {
    const kept = runRows(profile, channels, at([0, 1, 2, 3, 5, 6]));
    expect(found(kept)).toEqual(['gap@4']);
    expect(kept[4]!.quality).toBe(QualityFlag.GAP);
    expect(kept[4]!.findings[0]!.detail).toMatch(/^1 sample missing before this one/);
  });
  test('a configured interval catches a gap from the second sample on', () => {
    const p = onlyProfile(channels, { time: { interval_ms: 1000, gap_factor: 1.5 } });
    expect(found(runRows(p, channels, at([0, 3, 4])))).toEqual(['gap@1']);
  });
  test('jitter under the gap factor is not a gap', () => {
    expect(found(runRows(profile, channels, at([0, 1, 2, 3, 4.4, 5.4])))).toEqual([]);
  });
  test('the same timestamp again is a duplicate', () => {
    expect(found(runRows(profile, channels, at([0, 1, 2, 3, 3, 4])))).toEqual(['duplicate@4']);
  });
  test('a timestamp before the previous one is time going backwards, and the next sample is not a gap', () => {
    const kept = runRows(profile, channels, at([0, 1, 2, 3, 1.5, 5, 6]));
    expect(found(kept)).toEqual(['time-backwards@4']);
    expect(kept[4]!.quality).toBe(QualityFlag.TIME_BACKWARDS);
  });
  test('an unsynced clock is reported and its timestamps are not judged', () => {
    const kept = runRows(profile, channels, at([0, 1, 2, 3, -50, -49, 6], [{}, {}, {}, {}, { clock: 1 }, { clock: 1 }, {}]));
    expect(found(kept)).toEqual(['clock-unsynced@4', 'clock-unsynced@5']);
    expect(kept[4]!.quality).toBe(QualityFlag.CLOCK_UNSYNCED);
  });
  test('the step when the clock is re-synchronised is not a gap', () => {
    const kept = runRows(profile, channels, at([0, 1, 2, 3, 4, 100, 101], [{}, {}, {}, {}, { clock: 2 }, {}, {}]));
    expect(found(kept)).toEqual(['clock-unsynced@4']);
  });
});

describe('sequence numbers', () => {
  const seqs = (list: number[]) => list.map((seq, i) => ({ t: T0 + i * 1000, values: [230], seq }));
  test('a skipped number is a gap even when timestamps look fine', () => {
    const kept = runRows(profile, channels, seqs([10, 11, 13, 14]));
    expect(found(kept)).toEqual(['gap@2']);
    expect(kept[2]!.findings[0]!.code).toBe('seq');
  });
  test('a repeated number is a duplicate', () => {
    expect(found(runRows(profile, channels, seqs([10, 11, 11, 12])))).toEqual(['duplicate@2']);
  });
  test('a smaller number is time going backwards', () => {
    expect(found(runRows(profile, channels, seqs([10, 11, 5, 12])))).toEqual(['time-backwards@2']);
  });
  test('a wrap at the sequence modulo is recognised, not a gap', () => {
    const p = onlyProfile(channels, { time: { sequence_modulo: 65536 } });
    expect(found(runRows(p, channels, seqs([65534, 65535, 0, 1])))).toEqual([]);
  });
  test('sequence numbers are judged while the clock is unsynced', () => {
    const rows = seqs([1, 2, 4]).map((r) => ({ ...r, clock: 1 }));
    expect(found(runRows(profile, channels, rows))).toEqual(['clock-unsynced@0', 'clock-unsynced@1', 'clock-unsynced@2', 'gap@2']);
  });
});

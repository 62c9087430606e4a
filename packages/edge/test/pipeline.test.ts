import { describe, expect, test } from '@jest/globals';
import { QualityFlag, qualityNames } from '@meterchain/core';
import { createPipeline, residentialProfile } from '@meterchain/edge';
import { minutes, onlyProfile, runRows } from './helpers.ts';

const VI = ['voltage', 'current'];

describe('pipeline', () => {
  test('quality is the OR of the findings\' flags', () => {
    const p = onlyProfile(VI, { limits: { voltage: { min: 207, max: 253 }, current: { min: 0, max: 100 } } });
    const kept = runRows(p, VI, minutes([[230, 1], [260, -1]]));
    expect(qualityNames(kept[1]!.quality)).toEqual(['OUT_OF_LIMITS']);
    expect(kept[1]!.findings).toHaveLength(2);
    expect(kept[0]!.quality).toBe(0);
  });
  test('a filtered value travels beside the raw one and sets FILTERED', () => {
    const p = onlyProfile(VI, { filters: { voltage: [{ median: 3 }] } });
    const kept = runRows(p, VI, minutes([[230, 1], [231, 1], [300, 1]]));
    expect(kept[2]!.raw).toEqual([300, 1]);
    expect(kept[2]!.filtered).toEqual([231, 1]);
    expect(kept[2]!.isFiltered).toEqual([1, 0]);
    expect(kept[2]!.quality & QualityFlag.FILTERED).toBe(QualityFlag.FILTERED);
  });
  test('without filters the output carries no filtered values and no FILTERED flag', () => {
    const kept = runRows(residentialProfile, VI, minutes([[230, 1]]));
    expect(kept[0]!.filtered).toBeNull();
    expect(kept[0]!.quality).toBe(0);
  });
  test('filters chain in the order the profile lists them', () => {
    const p = onlyProfile(VI, { filters: { voltage: [{ median: 3 }, { deadband: 2 }] } });
    // Medians 230, 230.5, 231, 232, 240; the deadband holds 230 until the median moves more than 2 V from it.
    const kept = runRows(p, VI, minutes([[230, 1], [231, 1], [232, 1], [240, 1], [240, 1]]));
    expect(kept.map((k) => k.filtered![0])).toEqual([230, 230, 230, 230, 240]);
  });
  test('a sample with no values at all is a gap; one missing some is partial', () => {
    const kept = runRows(onlyProfile(VI, {}), VI, minutes([[230, 1], [NaN, NaN], [230, NaN]]));
    expect(kept[1]!.findings.map((f) => `${f.check}/${f.code}`)).toEqual(['gap/no-values']);
    expect(kept[1]!.quality).toBe(QualityFlag.GAP);
    expect(kept[2]!.findings.map((f) => `${f.check}/${f.detail}`)).toEqual(['partial/missing current']);
    expect(kept[2]!.quality).toBe(QualityFlag.PARTIAL);
  });
  test('with a lag-1 check the first step returns nothing and flush returns the last sample', () => {
    const p = createPipeline(residentialProfile, VI);
    expect(p.lag).toBe(1);
    expect(p.step({ t: 0, seq: -1, clock: 0, values: Float64Array.of(230, 1) })).toBeNull();
    expect(p.step({ t: 60000, seq: -1, clock: 0, values: Float64Array.of(230.1, 1) })!.n).toBe(0);
    expect(p.flush()!.n).toBe(1);
    expect(p.flush()).toBeNull();
  });
  test('the same samples give the same outputs (no clock, no randomness inside)', () => {
    const rows = minutes([[230, 1], [200, 1], [230.2, 1], [NaN, NaN], [231, 2]]);
    expect(runRows(residentialProfile, VI, rows)).toEqual(runRows(residentialProfile, VI, rows));
  });
  test('a sample with the wrong number of values is a programmer error', () => {
    const p = createPipeline(residentialProfile, VI);
    expect(() => p.step({ t: 0, seq: -1, clock: 0, values: Float64Array.of(230) })).toThrow('pipeline: expected 2 values (voltage, current), got 1');
  });
  test('a channel listed twice is a programmer error', () => {
    expect(() => createPipeline(residentialProfile, ['voltage', 'voltage'])).toThrow('pipeline: channel voltage listed twice');
  });
});

describe('profile errors', () => {
  test('a rule naming a channel the profile does not declare is rejected with its path', () => {
    const bad = { ...residentialProfile, limits: { voltag: { min: 0 } } };
    expect(() => createPipeline(bad, VI)).toThrow(/profile residential: limits.voltag: expected one of the profile's channels/);
  });
  test('a negative tolerance is rejected with its path', () => {
    const bad = { ...residentialProfile, spike: { voltage: { abs: -1 } } };
    expect(() => createPipeline(bad, VI)).toThrow('profile residential: spike.voltage.abs: expected a number >= 0, got -1');
  });
  test('an unknown filter is rejected', () => {
    const bad = { ...residentialProfile, filters: { voltage: [{ kalman: 1 } as never] } };
    expect(() => createPipeline(bad, VI)).toThrow(/filters.voltage\[0\]: expected one of median, hampel, ema, moving_average, deadband/);
  });
  test('errors carry the EDGE_PROFILE code', () => {
    let code = '';
    try {
      createPipeline({ ...residentialProfile, stuck: { voltage: { samples: 1 } } }, VI);
    } catch (e) {
      code = (e as { code: string }).code;
    }
    expect(code).toBe('EDGE_PROFILE');
  });
});

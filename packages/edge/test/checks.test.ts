import { describe, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { residentialProfile } from '@meterchain/edge';
import { found, minutes, onlyProfile, runRows } from './helpers.ts';

const VIPQ = ['voltage', 'current', 'activePower', 'reactivePower'];

/** A quiet household minute: 240 V, I amps, P watts at power factor ~0.98. */
function quiet(count: number, current = 5): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const v = 240 + (i % 5) * 0.13;
    rows.push([v, current, v * current * 0.98 - (i % 3), 150 + (i % 2)]);
  }
  return rows;
}

describe('limits', () => {
  test('voltage above the EN 50160 band is out of limits', () => {
    const rows = quiet(6);
    rows[3]![0] = 260;
    rows[3]![2] = 260 * 5 * 0.98;
    const kept = runRows(residentialProfile, VIPQ, minutes(rows));
    expect(kept[3]!.findings.map((f) => `${f.check}/${f.code}/${f.channel}`)).toContain('limits/above/voltage');
    expect(kept[3]!.quality & QualityFlag.OUT_OF_LIMITS).toBe(QualityFlag.OUT_OF_LIMITS);
  });
  test('negative current is out of limits', () => {
    const p = onlyProfile(['current'], { limits: { current: { min: 0, max: 100 } } });
    expect(found(runRows(p, ['current'], minutes([[1], [-0.5], [1]])))).toEqual(['limits@1']);
  });
});

describe('rate of change', () => {
  test('a voltage step larger than 10 % of nominal between samples is flagged once', () => {
    const rows = quiet(8);
    for (let i = 4; i < 8; i++) rows[i]![0] = rows[i]![0]! - 30;
    const p = onlyProfile(residentialProfile.channels, { rate_of_change: residentialProfile.rate_of_change! });
    expect(found(runRows(p, VIPQ, minutes(rows)))).toEqual(['rate-of-change@4']);
  });
  test('max_rate judges the change per second', () => {
    const p = onlyProfile(['frequency'], { rate_of_change: { frequency: { max_rate: 0.1 } } });
    const rows = [0, 1, 2, 3].map((i) => ({ t: 1e12 + i * 1000, values: [i === 2 ? 50.3 : 50] }));
    expect(found(runRows(p, ['frequency'], rows))).toEqual(['rate-of-change@2']);
  });
  test('the step back from a one-sample excursion is not flagged a second time', () => {
    const rows = quiet(6);
    rows[3]![0] = 200;
    const p = onlyProfile(residentialProfile.channels, { rate_of_change: residentialProfile.rate_of_change! });
    expect(found(runRows(p, VIPQ, minutes(rows)))).toEqual(['rate-of-change@3']);
  });
  test('the step back after a level shift held for several samples is flagged', () => {
    const rows = quiet(8);
    for (let i = 3; i < 6; i++) rows[i]![0] = rows[i]![0]! + 30;
    const p = onlyProfile(residentialProfile.channels, { rate_of_change: residentialProfile.rate_of_change! });
    expect(found(runRows(p, VIPQ, minutes(rows)))).toEqual(['rate-of-change@3', 'rate-of-change@6']);
  });
});

describe('isolated spikes', () => {
  const spikeOnly = onlyProfile(residentialProfile.channels, { spike: residentialProfile.spike! });
  test('one voltage sample far from both neighbours is a spike, reported on that sample', () => {
    const rows = quiet(6);
    rows[2]![0] = 200;
    const kept = runRows(spikeOnly, VIPQ, minutes(rows));
    expect(found(kept)).toEqual(['spike@2']);
    expect(kept[2]!.quality).toBe(QualityFlag.SPIKE);
  });
  test('a step that stays is not a spike', () => {
    const rows = quiet(6);
    for (let i = 2; i < 6; i++) rows[i]![0] = 215;
    expect(found(runRows(spikeOnly, VIPQ, minutes(rows)))).toEqual([]);
  });
  test('current and power rising together for one sample is a load switching, not a spike', () => {
    const rows = quiet(6);
    rows[2] = [239, 14, 239 * 14 * 0.97, 300];
    expect(found(runRows(spikeOnly, VIPQ, minutes(rows)))).toEqual([]);
  });
  test('current rising for one sample while power stays is a spike of the current', () => {
    const rows = quiet(6);
    rows[2]![1] = 14;
    const kept = runRows(spikeOnly, VIPQ, minutes(rows));
    expect(kept[2]!.findings.map((f) => `${f.check}/${f.channel}`)).toEqual(['spike/current']);
  });
  test('the pipeline holds each output back one sample so the spike lands on the right one', () => {
    const rows = quiet(3);
    rows[1]![0] = 200;
    const kept = runRows(spikeOnly, VIPQ, minutes(rows));
    expect(kept.map((k) => k.n)).toEqual([0, 1, 2]);
    expect(kept[1]!.findings[0]!.lag).toBe(1);
  });
});

describe('stuck sensor', () => {
  test('voltage repeating the same value ten times is stuck from the tenth sample on', () => {
    const rows = quiet(14);
    for (let i = 2; i < 13; i++) rows[i]![0] = 241.37;
    const p = onlyProfile(residentialProfile.channels, { stuck: residentialProfile.stuck! });
    expect(found(runRows(p, VIPQ, minutes(rows)))).toEqual(['stuck@11', 'stuck@12']);
  });
  test('current sitting still is not judged by the residential profile', () => {
    const rows = quiet(40, 1);
    for (const r of rows) r[1] = 1;
    const p = onlyProfile(residentialProfile.channels, { stuck: residentialProfile.stuck! });
    expect(found(runRows(p, VIPQ, minutes(rows)))).toEqual([]);
  });
});

describe('energy registers', () => {
  const ch = ['energyImport'];
  const p = onlyProfile(ch, { energy: { energyImport: { modulus: 100_000_000, max_power: 25_300, resolution: 1 } } });
  const run = (values: number[]) => found(runRows(p, ch, minutes(values.map((v) => [v]))));
  test('a register counting up raises nothing', () => {
    expect(run([1000, 1010, 1010, 1100])).toEqual([]);
  });
  test('a register going back is a rollback', () => {
    expect(run([1000, 1010, 900, 910])).toEqual(['energy-rollback@2']);
  });
  test('a drop from near the modulus to near zero is a rollover, not a rollback', () => {
    const kept = runRows(p, ch, minutes([[99_999_900], [99_999_990], [40], [60]]));
    expect(found(kept)).toEqual(['energy-rollover@2']);
    expect(kept[2]!.quality).toBe(QualityFlag.ENERGY_ROLLOVER);
    expect(kept[2]!.findings[0]!.severity).toBe('info');
  });
  test('a drop from the middle of the range to near zero is a rollback (a reset), not a rollover', () => {
    expect(run([50_000_000, 50_000_010, 5])).toEqual(['energy-rollback@2']);
  });
  test('an advance beyond full power over the elapsed time is a jump', () => {
    // 25.3 kW for one minute is 421.7 Wh.
    expect(run([1000, 1400, 2000])).toEqual(['energy-jump@2']);
  });
});

describe('physics across channels', () => {
  const physicsOnly = onlyProfile(residentialProfile.channels, { physics: residentialProfile.physics! });
  test('a genuine load change, power and current moving together, raises nothing', () => {
    const rows = [...quiet(3, 2), ...quiet(3, 25)];
    expect(found(runRows(physicsOnly, VIPQ, minutes(rows)))).toEqual([]);
  });
  test('power that its own voltage and current cannot deliver contradicts them', () => {
    const rows = quiet(3, 5);
    rows[1]![2] = 2400;
    const kept = runRows(physicsOnly, VIPQ, minutes(rows));
    expect(kept[1]!.findings.map((f) => `${f.check}/${f.code}/${f.channel}`)).toEqual(['physics/s-exceeds-vi/activePower']);
    expect(kept[1]!.quality).toBe(QualityFlag.PHYSICS);
  });
  test('power near zero while ten amps flow contradicts the current', () => {
    const rows = quiet(3, 10);
    rows[1]![2] = 20;
    rows[1]![3] = 0;
    expect(runRows(physicsOnly, VIPQ, minutes(rows))[1]!.findings.map((f) => f.code)).toEqual(['s-below-vi']);
  });
  test('the real data\'s worst minute (√(P²+Q²) 0.8 of V·I, current rounded) is within tolerance', () => {
    // 27/12/2006 07:08: 2.832 kW, 0 kvar, 242.47 V, 14.6 A.
    expect(found(runRows(physicsOnly, VIPQ, minutes([[242.47, 14.6, 2832, 0]])))).toEqual([]);
  });
  test('a reported power factor above 1 is out of range, and one that P/S contradicts is a mismatch', () => {
    const ch = ['voltage', 'current', 'activePower', 'powerFactor'];
    const p = onlyProfile(ch, { physics: [{ voltage: 'voltage', current: 'current', active: 'activePower', power_factor: 'powerFactor', rel_high: 0.05, abs_current: 0.3, ratio_min: 0.45, pf_tolerance: 0.05 }] });
    const kept = runRows(p, ch, minutes([[230, 10, 2200, 1.2], [230, 10, 2200, 0.5], [230, 10, 2200, 0.95]]));
    expect(kept.map((k) => k.findings.map((f) => f.code).join())).toEqual(['pf-out-of-range', 'pf-mismatch', '']);
  });
  test('|P| larger than a reported apparent power is flagged', () => {
    const ch = ['voltage', 'current', 'activePower', 'apparentPower'];
    const p = onlyProfile(ch, { physics: [{ voltage: 'voltage', current: 'current', active: 'activePower', apparent: 'apparentPower', rel_high: 0.05, abs_current: 0.3, ratio_min: 0.45 }] });
    const kept = runRows(p, ch, minutes([[230, 10, 2200, 1000]]));
    expect(kept[0]!.findings.map((f) => f.code)).toEqual(['p-exceeds-s', 's-mismatch']);
  });
});

describe('three-phase sums', () => {
  const ch = ['activePowerL1', 'activePowerL2', 'activePowerL3', 'activePower'];
  const p = onlyProfile(ch, { phase_sum: [{ total: 'activePower', parts: ['activePowerL1', 'activePowerL2', 'activePowerL3'], abs: 10, rel: 0.01 }] });
  test('a total equal to the sum of its phases raises nothing', () => {
    expect(found(runRows(p, ch, minutes([[1000, 2000, 500, 3502]])))).toEqual([]);
  });
  test('a total that misses a phase is a phase-sum finding', () => {
    const kept = runRows(p, ch, minutes([[1000, 2000, 500, 3000]]));
    expect(found(kept)).toEqual(['phase-sum@0']);
    expect(kept[0]!.quality).toBe(QualityFlag.PHASE_SUM);
  });
});

describe('frequency and ROCOF', () => {
  const ch = ['frequency', 'rocof'];
  const p = onlyProfile(ch, { frequency: { channel: 'frequency', rocof: 'rocof', normal: [49.5, 50.5], limit: [47, 52], rocof_max: 2, window: 5, rocof_tolerance: 0.25 } });
  const frames = (f: number[], r: number[]) => f.map((x, i) => ({ t: 1e12 + i * 20, values: [x, r[i]!] }));
  test('outside the normal band is a warning, outside the limit band an error', () => {
    const kept = runRows(p, ch, frames([50, 49.4, 46], [0, 0, 0]));
    expect(kept.map((k) => k.findings.map((f) => `${f.code}/${f.severity}`).join())).toEqual(['', 'outside-normal/warning', 'outside-limit/error']);
    expect(kept[1]!.quality).toBe(QualityFlag.FREQUENCY);
  });
  test('a reported ROCOF that agrees with the frequency ramp raises nothing', () => {
    const f = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 50 + 0.5 * i * 0.02);
    expect(found(runRows(p, ch, frames(f, f.map(() => 0.5))))).toEqual([]);
  });
  test('a reported ROCOF the frequency does not follow is a mismatch', () => {
    const f = [0, 1, 2, 3, 4, 5, 6, 7].map(() => 50);
    const kept = runRows(p, ch, frames(f, f.map((_, i) => (i >= 3 ? 1.5 : 0))));
    expect(kept.slice(5).every((k) => k.findings.some((x) => x.check === 'rocof' && x.code === 'mismatch'))).toBe(true);
    expect(found(kept.slice(0, 5))).toEqual([]);
  });
  test('a reported ROCOF beyond rocof_max is flagged', () => {
    expect(found(runRows(p, ch, frames([50, 50], [0, 2.5])))).toEqual(['rocof@1']);
  });
});

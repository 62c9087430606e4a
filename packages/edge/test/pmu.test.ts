// PMU checks: each per-frame finding from its own fault, angle continuity against the reported frequency, frequency
// agreement in an island, and a drifting clock found among power swings.
import { describe, expect, test } from '@jest/globals';
import { mulberry32 } from '@meterchain/core';
import { angleDrift, checkPmuFrame, islandFrequencyAgreement, PMU_LIMITS, type PmuFrame } from '../src/pmu.ts';

const DEG = Math.PI / 180;

function frame(over: Partial<PmuFrame> = {}): PmuFrame {
  return { time: 100, dataError: 0, notSynchronized: false, unlockedTime: 0, timeQuality: 0, nominalHz: 50, frequency: 50, phasors: [{ unit: 'V', magnitude: 230_940, angle: 0.3 }, { unit: 'A', magnitude: 500, angle: 0.1 }], ...over };
}

describe('per-frame checks', () => {
  test('a locked, valid frame in range has no finding', () => {
    expect(checkPmuFrame(frame(), frame({ time: 99.98 }))).toEqual([]);
  });

  const cases: [string, Partial<PmuFrame>, string][] = [
    ['STAT data error (bits 15-14)', { dataError: 3 }, 'pmu-data-invalid'],
    ['STAT not synchronized (bit 13)', { notSynchronized: true }, 'pmu-unsynced'],
    ['STAT unlocked time (bits 5-4)', { unlockedTime: 1 }, 'pmu-unsynced'],
    ['FRACSEC time quality 10 µs (code 5)', { timeQuality: 5 }, 'pmu-time-quality'],
    ['FRACSEC clock failure (code 15)', { timeQuality: 15 }, 'pmu-time-quality'],
    ['voltage at 70 %', { phasors: [{ unit: 'V', magnitude: 0.7 * 230_940, angle: 0.3 }] }, 'pmu-magnitude'],
    ['current at 250 %', { phasors: [{ unit: 'A', magnitude: 2500, angle: 0.1 }] }, 'pmu-magnitude'],
    ['missing magnitude (NaN)', { phasors: [{ unit: 'V', magnitude: NaN, angle: 0.3 }] }, 'pmu-magnitude'],
  ];
  for (const [what, over, kind] of cases) {
    test(`${what} → ${kind}`, () => {
      expect(checkPmuFrame(frame(over), undefined).map((f) => f.kind)).toEqual([kind]);
    });
  }

  test('time quality up to 1 µs (code 4) passes', () => {
    expect(checkPmuFrame(frame({ timeQuality: 4 }), undefined)).toEqual([]);
  });

  test('angle continuity: an angle advancing as the frequency says passes; a 5° step or a misreported frequency does not', () => {
    // 50.1 Hz: the angle advances 2π × 0.1 × 0.02 = 0.72° per 20-ms frame.
    const a = frame({ time: 10, frequency: 50.1, phasors: [{ unit: 'V', magnitude: 230_940, angle: 0 }] });
    const b = frame({ time: 10.02, frequency: 50.1, phasors: [{ unit: 'V', magnitude: 230_940, angle: 0.72 * DEG }] });
    expect(checkPmuFrame(b, a)).toEqual([]);
    const stepped = frame({ time: 10.02, frequency: 50.1, phasors: [{ unit: 'V', magnitude: 230_940, angle: 5.72 * DEG }] });
    expect(checkPmuFrame(stepped, a).map((f) => [f.kind, f.phasor])).toEqual([['pmu-angle-jump', 0]]);
    // Frequency reported as 49.6 Hz while the angle advanced as at 50.1 Hz: 3.6° unexplained.
    const liar = frame({ time: 10.02, frequency: 49.1, phasors: [{ unit: 'V', magnitude: 230_940, angle: 0.72 * DEG }] });
    expect(checkPmuFrame(liar, a).map((f) => f.kind)).toEqual(['pmu-angle-jump']);
    // Across ±180°: no jump.
    const c = frame({ time: 10, frequency: 50, phasors: [{ unit: 'V', magnitude: 230_940, angle: Math.PI - 0.001 }] });
    const d = frame({ time: 10.02, frequency: 50, phasors: [{ unit: 'V', magnitude: 230_940, angle: -Math.PI + 0.001 }] });
    expect(checkPmuFrame(d, c)).toEqual([]);
  });

  test('the default angle tolerance is 2°', () => {
    expect(PMU_LIMITS.angleJump / DEG).toBeCloseTo(2, 12);
  });
});

describe('island frequency agreement', () => {
  test('a PMU 50 mHz off the island is the outlier; three within 10 mHz agree', () => {
    expect(islandFrequencyAgreement([50, 50.002, 49.998, 50.05])).toMatchObject({ ok: false, outliers: [3] });
    expect(islandFrequencyAgreement([50, 50.002, 49.998])).toMatchObject({ ok: true, outliers: [] });
    expect(islandFrequencyAgreement([50, NaN, 49.998, 50.001])).toMatchObject({ ok: false, outliers: [1] });
  });

  test('fewer than three PMUs give no majority: not ok, nobody blamed', () => {
    expect(islandFrequencyAgreement([50, 50.5])).toMatchObject({ ok: false, outliers: [] });
  });
});

describe('angle drift of one PMU against the others (spoofed clock)', () => {
  /** 4 PMUs, 60 s at 10 frames/s, a 0.2-Hz power swing of ±5° seen differently by each, noise 0.05°. */
  function series(driftUsPerS: number, seed: number) {
    const rand = mulberry32(seed);
    const times: number[] = [];
    const angles: number[][] = [[], [], [], []];
    for (let t = 0; t < 600; t++) {
      const time = 1000 + t / 10;
      times.push(time);
      const swing = 5 * DEG * Math.sin(2 * Math.PI * 0.2 * (time - 1000));
      for (let p = 0; p < 4; p++) {
        let a = -p * 4 * DEG + swing * (1 + p / 4) + (rand() - 0.5) * 0.1 * DEG + 0.7 * (time - 1000) * 2 * Math.PI * 0.01;
        if (p === 2) a += 2 * Math.PI * 50 * driftUsPerS * 1e-6 * (time - 1000);
        angles[p]!.push(Math.atan2(Math.sin(a), Math.cos(a)));
      }
    }
    return { times, angles };
  }

  test('a clock drifting 2 µs/s (120 µs, 2.2° in a minute) is flagged, and only that PMU', () => {
    const { times, angles } = series(2, 1);
    const v = angleDrift(times, angles);
    expect(v.reason).toBe('drifting');
    expect(v.pmus.map((p) => p.drifting)).toEqual([false, false, true, false]);
    // Estimated within 10 % despite the swings riding on it.
    expect(Math.abs(v.pmus[2]!.clockDrift * 1e6 - 2)).toBeLessThan(0.2);
    // The good clocks: what a minute of unequal swings tilts their fit by, under a third of the real drift.
    for (const good of [0, 1, 3]) expect(Math.abs(v.pmus[good]!.clockDrift * 1e6)).toBeLessThan(2 / 3);
  });

  test('power swings without drift are not flagged (seeds 1-20)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { times, angles } = series(0, seed);
      expect(angleDrift(times, angles).reason).toBe('ok');
    }
  });

  test('drift below the 26-µs budget over the window passes', () => {
    const { times, angles } = series(0.2, 3);
    expect(angleDrift(times, angles).reason).toBe('ok');
  });

  test('with three PMUs the drifting one is still the one flagged (4 µs/s: its pair residuals carry whole swings)', () => {
    const { times, angles } = series(4, 5);
    expect(angleDrift(times, [angles[0]!, angles[1]!, angles[2]!]).pmus.map((p) => p.drifting)).toEqual([false, false, true]);
  });

  test('two PMUs cannot tell whose clock drifts', () => {
    const { times, angles } = series(2, 1);
    expect(angleDrift(times, angles.slice(0, 2)).reason).toBe('too-few-pmus');
  });
});

import { describe, expect, test } from '@jest/globals';
import { ThreePhaseLoad, dailyShape } from '../src/loadcurve.ts';

const day = Date.UTC(2026, 10, 24);

describe('three-phase load curve', () => {
  test('the same seed and timestamps give the same values; another seed does not', () => {
    const a = new ThreePhaseLoad({ seed: 3 });
    const b = new ThreePhaseLoad({ seed: 3 });
    const c = new ThreePhaseLoad({ seed: 4 });
    for (let s = 0; s < 100; s++) {
      const t = day + s * 1000;
      expect(a.at(t)).toEqual(b.at(t));
      if (s === 99) expect(c.at(t)).not.toEqual(a.at(t + 1000));
    }
  });

  test('evening load is well above the night trough', () => {
    expect(dailyShape(day + 19.5 * 3_600_000)).toBeGreaterThan(3 * dailyShape(day + 3 * 3_600_000));
  });

  test('values stay physical: voltage within EN 50160 band, P from V and I, energy only grows', () => {
    const load = new ThreePhaseLoad({ seed: 11 });
    let lastWh = -Infinity;
    for (let s = 0; s < 3600; s += 5) {
      const v = load.at(day + 18 * 3_600_000 + s * 1000);
      for (const p of v.phases) {
        expect(p.voltage).toBeGreaterThan(207);
        expect(p.voltage).toBeLessThan(253);
        expect(p.activePower).toBeLessThanOrEqual(p.voltage * p.current + 1e-9);
      }
      expect(v.energyImport).toBeGreaterThanOrEqual(lastWh);
      lastWh = v.energyImport;
    }
  });
});

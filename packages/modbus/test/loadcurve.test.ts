import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTER_RESERVE_WH, ThreePhaseLoad, dailyShape } from '../src/sim/index.ts';

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

  test('with a register file, a restarted simulation goes on from at least the last energy it served (a process restart)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-loadcurve-'));
    try {
      const registerFile = join(dir, 'registers.json');
      const before = new ThreePhaseLoad({ seed: 5, registerFile });
      let last = 0;
      for (let s = 0; s <= 600; s += 5) last = before.at(day + 18 * 3_600_000 + s * 1000).energyImport;
      // The process dies here (nothing is closed or flushed) and starts again ten seconds later with the same seed.
      const after = new ThreePhaseLoad({ seed: 5, registerFile });
      const first = after.at(day + 18 * 3_600_000 + 610_000).energyImport;
      expect(first).toBeGreaterThanOrEqual(last);
      expect(first - last).toBeLessThanOrEqual(REGISTER_RESERVE_WH);
      let previous = first;
      for (let s = 615; s <= 900; s += 5) {
        const wh = after.at(day + 18 * 3_600_000 + s * 1000).energyImport;
        expect(wh).toBeGreaterThanOrEqual(previous);
        previous = wh;
      }
      // The file is always ahead of what was served.
      expect(JSON.parse(readFileSync(registerFile, 'utf8')).importWh).toBeGreaterThanOrEqual(previous);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a register that cannot be written holds at the value the file promises, never above it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-loadcurve-'));
    try {
      const registerFile = join(dir, 'registers.json');
      const load = new ThreePhaseLoad({ seed: 5, registerFile });
      let wh = 0;
      for (let s = 0; s <= 60; s += 5) wh = load.at(day + 18 * 3_600_000 + s * 1000).energyImport;
      const promised = JSON.parse(readFileSync(registerFile, 'utf8')).importWh as number;
      // The folder goes away (as a full disk refuses the write): the register stops at the promise.
      rmSync(dir, { recursive: true, force: true });
      for (let s = 65; s <= 1800; s += 5) wh = load.at(day + 18 * 3_600_000 + s * 1000).energyImport;
      expect(wh).toBe(promised);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a damaged register file is refused with one line naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-loadcurve-'));
    try {
      const registerFile = join(dir, 'registers.json');
      writeFileSync(registerFile, '{"importWh": "lots"}');
      expect(() => new ThreePhaseLoad({ seed: 5, registerFile })).toThrow(`simulated meter: register file ${registerFile} does not hold {importWh, exportWh}`);
      writeFileSync(registerFile, '{"imp');
      expect(() => new ThreePhaseLoad({ seed: 5, registerFile })).toThrow(/is not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The simulated three-phase meter of `sensor.type: simulated`: its energy registers survive a restart of the node
// process (kept beside the node's state), so its readings after a restart are not refused as energy going backwards.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedThreePhase } from '../src/sensor.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-sim-sensor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const t0 = Date.UTC(2026, 10, 24, 18);

async function energies(sensor: SimulatedThreePhase, from: number, seconds: number): Promise<number[]> {
  await sensor.configure(); // makes the data folder and reads the registers (as the node does at start)
  const out: number[] = [];
  for (let s = 0; s <= seconds; s++) {
    const sample = await sensor.sample(from + s * 1000);
    out.push(sample.channels.find((c) => c.id === '1-0:1.8.0')!.value);
  }
  return out;
}

describe('simulated three-phase sensor', () => {
  test('a restarted process (same seed, same data folder) goes on counting energy from where it was', async () => {
    const registers = join(dir, 'data', 'simulated-meter.json');
    const before = await energies(new SimulatedThreePhase(7, registers), t0, 120);
    const restarted = new SimulatedThreePhase(7, registers);
    const after = await energies(restarted, t0 + 125_000, 60);
    const all = [...before, ...after];
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThanOrEqual(all[i - 1]!);
    expect(after[0]! - before.at(-1)!).toBeLessThan(100);
  });

  test('without a register file (as before) the restart starts again from the seed, lower: what the file prevents', async () => {
    const before = await energies(new SimulatedThreePhase(7), t0, 120);
    const after = await energies(new SimulatedThreePhase(7), t0 + 125_000, 0);
    expect(after[0]!).toBeLessThan(before.at(-1)!);
  });
});

// Replies with a corrupted CRC are refused, retried, counted, and flagged in the sample's quality (COMM_ERROR);
// the values finally read are the device's, not the corrupted bytes.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { decodeRegisters } from '@meterchain/meters';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('crc');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  // Seeded: the same replies are corrupted on every run.
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: 9600 }, unit: 1, seed: 21, tickMs: 0, faults: { crc: 0.3 } });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('CRC errors are counted per sample and raise COMM_ERROR; retried samples carry the true values', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 9600, parity: 'none' }, timeoutMs: 800, retries: 4, backoffMs: 20 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  const voltage = Math.round(decodeRegisters(sim!.image!.input!, 0, 'float32', 'big', 'big') * 100);
  let seen = 0;
  try {
    for (let i = 0; i < 6; i++) {
      const sample = await meter.sample();
      seen += sample.comm.crcErrors;
      expect(sample.quality & QualityFlag.COMM_ERROR).toBe(sample.comm.crcErrors > 0 ? QualityFlag.COMM_ERROR : 0);
      expect(sample.channels.find((c) => c.id === '1-0:32.7.0')!.value).toBe(voltage);
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBe(sim!.slave!.counters.corrupted);
    expect(bus.counters.crcErrors).toBe(seen);
  } finally {
    await bus.close();
  }
}, 60_000);

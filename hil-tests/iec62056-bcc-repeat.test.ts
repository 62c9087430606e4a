// A data message with a wrong block check character is refused; the reader asks for a repeat with NAK
// (IEC 62056-21 §6.3.5), accepts the good copy, and flags the readout COMM_ERROR.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { Iec62056Reader } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('iec62056-bcc');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'iec62056', link: { kind: 'rtu', path: pty.b, baudRate: 300 }, seed: 8, tickMs: 0, faults: { crc: 1 } });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('a bad BCC gets one NAK repeat; the repeated message is read and the readout flagged', async () => {
  const reader = new Iec62056Reader({ path: pty!.a, timeoutMs: 5000 });
  try {
    const sample = await reader.sample();
    expect(sample.bccErrors).toBe(1);
    expect(sample.quality & QualityFlag.COMM_ERROR).toBe(QualityFlag.COMM_ERROR);
    expect(sample.channels.find((c) => c.id === '1.8.0')!.value).toBe(Math.round(sim!.simulation.state.importWh));
  } finally {
    await reader.close();
  }
}, 60_000);

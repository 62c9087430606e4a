// `meterchain iec62056 read` against the simulated mode C meter on a pty pair: prints the data sets with exact
// values and units, and exits 0.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { meterchainBin } from './support/paths.ts';
import { runProgram } from './support/process.ts';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('cli-iec');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'iec62056', link: { kind: 'rtu', path: pty.b, baudRate: 300 }, seed: 12, tickMs: 0 });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('iec62056 read prints OBIS data sets with exact values', async () => {
  const result = await runProgram(process.execPath, [meterchainBin, 'iec62056', 'read', '--port', pty!.a], 60_000);
  expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const lines = result.output.trim().split('\n');
  expect(lines[0]).toBe(`# MCS meterchain-sim on ${pty!.a}, read at 9600 baud`);
  const wh = Math.round(sim!.simulation.state.importWh);
  expect(lines).toContain(`${'1.8.0'.padEnd(16)} ${wh} Wh`);
  expect(lines).toContain(`${'0.0.0'.padEnd(16)} 12345678`);
}, 60_000);

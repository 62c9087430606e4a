// `meterchain modbus scan` on an RTU line (pty pair) with a simulated SunSpec 203 meter at unit 3: it finds that
// unit, and only it, with its models, manufacturer and model name.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { meterchainBin, sunspecDir } from './support/paths.ts';
import { runProgram } from './support/process.ts';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('cli-scan');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'sunspec-203', link: { kind: 'rtu', path: pty.b, baudRate: 19200, parity: 'even' }, unit: 3, tickMs: 0, sunspecDir });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('modbus scan lists the unit that answers and its SunSpec models', async () => {
  const result = await runProgram(process.execPath, [meterchainBin, 'modbus', 'scan', '--rtu', pty!.a, '--baud', '19200', '--parity', 'even', '--units', '1-5', '--timeout', '300', '--json'], 60_000);
  expect(result.code).toBe(0);
  const report = JSON.parse(result.output) as { units: { unit: number; sunspec?: { base: number; models: number[]; manufacturer: string; model: string } }[] };
  expect(report.units).toEqual([{ unit: 3, answers: 'holding registers', sunspec: { base: 40000, models: [1, 203], manufacturer: 'meterchain', model: 'sim-203' } }]);
}, 60_000);

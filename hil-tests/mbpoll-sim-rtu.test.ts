// mbpoll reads meterchain's SDM630 simulator over Modbus RTU on a socat pty pair (9600 8E1).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { mbpollOnce } from './support/mbpoll.ts';
import { sunspecDir } from './support/paths.ts';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('mbpoll', 'socat');
const dir = tempDir('mbpoll-rtu');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: 9600, parity: 'even' }, unit: 7, seed: 11, tickMs: 0, sunspecDir });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('mbpoll reads over RTU the input registers the simulator serves', async () => {
  const result = await mbpollOnce(['-m', 'rtu', '-b', '9600', '-P', 'even', '-d', '8', '-s', '1', '-a', '7', '-r', '1', '-c', '20', '-t', '3:hex', '-o', '2', pty!.a]);
  expect(result.code).toBe(0);
  expect(result.values.size).toBe(20);
  for (let i = 0; i < 20; i++) expect(Number(result.values.get(i + 1))).toBe(sim!.image!.input![i]);
  expect(sim!.slave!.counters.replies).toBeGreaterThanOrEqual(1);
}, 30_000);

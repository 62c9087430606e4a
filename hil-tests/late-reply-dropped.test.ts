// DESIGN §4: on a serial line a reply that comes after its request timed out would be read as the answer to the
// next request, shifting every later read by one. meterchain waits for it, drops it, and counts it.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ModbusBus, ModbusTimeoutError } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('late-reply');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: 9600 }, unit: 1, seed: 4, tickMs: 0 });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('a reply arriving after its timeout is dropped, not taken as the answer to the next request', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 9600, parity: 'none' }, timeoutMs: 400, retries: 0 });
  const input = sim!.image!.input!;
  try {
    // The device answers the first request 700 ms late: after the 400 ms timeout, while the next one would wait.
    sim!.slave!.faults = { delay: 1, delayMs: 700 };
    const first = await bus.read({ device: 'SDM630', unit: 1, fn: 4, address: 0, count: 2 }).then(() => null, (e: unknown) => e);
    expect(first).toBeInstanceOf(ModbusTimeoutError);
    sim!.slave!.faults = {};
    // Same length as the late reply (2 registers), so only the wait-and-drop keeps it from being taken.
    const second = await bus.read({ device: 'SDM630', unit: 1, fn: 4, address: 6, count: 2 });
    expect([second[0], second[1]]).toEqual([input[6], input[7]]);
    expect([input[6], input[7]]).not.toEqual([input[0], input[1]]);
    expect(bus.counters.lateReplies).toBe(1);
  } finally {
    await bus.close();
  }
}, 30_000);

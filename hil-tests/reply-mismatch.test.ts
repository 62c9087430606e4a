// A reply from the right unit with a valid CRC that does not answer the request (another function code, fewer
// registers than asked) is a ModbusReplyMismatchError saying what came, not a timeout blaming the unit id or baud rate.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ModbusBus, ModbusReplyMismatchError } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('mismatch');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: 19200, parity: 'even' }, unit: 3, tickMs: 0 });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

const read = async (faults: { wrongFunction?: number; short?: number }) => {
  sim!.slave!.faults = faults;
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 19200, parity: 'even' }, timeoutMs: 500, retries: 0 });
  try {
    return await bus.read({ device: 'Pump SDM630', unit: 3, fn: 4, address: 0, count: 4 }).then(() => null, (e: unknown) => e);
  } finally {
    sim!.slave!.faults = {};
    await bus.close();
  }
};

(ready ? test : test.skip)('a reply with another function code is a mismatch naming both functions', async () => {
  const error = await read({ wrongFunction: 1 });
  expect(error).toBeInstanceOf(ModbusReplyMismatchError);
  expect((error as Error).message).toBe(`Pump SDM630 (unit 3 on rtu ${pty!.a} 19200 8E1): reply does not match the request (function 3 answered function 4) reading input registers 0 (0x0000, 30001), 4 registers`);
}, 30_000);

(ready ? test : test.skip)('a reply with fewer registers than asked is a mismatch counting them', async () => {
  const error = await read({ short: 1 });
  expect(error).toBeInstanceOf(ModbusReplyMismatchError);
  expect((error as Error).message).toMatch(/reply does not match the request \(3 registers instead of 4\) reading input registers 0/);
}, 30_000);

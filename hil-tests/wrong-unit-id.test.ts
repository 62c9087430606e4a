// A wrong unit id gives a clear error naming the device, the unit asked and the register: silence on an RTU line
// (pymodbus ignores other units, as RS-485 slaves do), and a reply from another unit when two ids are confused.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ModbusBus, ModbusReplyMismatchError, ModbusTimeoutError } from '@meterchain/modbus';
import { SDM630_POINTS } from './support/fixtures.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePrograms('socat') && requirePymodbus(true);
const dir = tempDir('wrong-unit');
let pty: PtyPair | undefined;
let peer: Peer | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  peer = await startPymodbus(dir.path, SDM630_POINTS, { rtu: pty.b }, 1);
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('asking unit 7 when the meter is unit 1 fails with a timeout naming device, unit and register', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 9600, parity: 'none' }, timeoutMs: 800, retries: 1, backoffMs: 50 });
  try {
    const error = await bus.read({ device: 'Feeder 3 SDM630', unit: 7, fn: 4, address: 0, count: 2 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModbusTimeoutError);
    expect((error as Error).message).toBe(
      `Feeder 3 SDM630 (unit 7 on rtu ${pty!.a} 9600 8N1): no reply within 800 ms (wrong unit id, wrong baud rate or parity, or device off line) reading input registers 0 (0x0000, 30001), 2 registers`,
    );
    // The right unit still answers on the same bus afterwards.
    expect((await bus.read({ device: 'Feeder 3 SDM630', unit: 1, fn: 4, address: 0, count: 2 }))[0]).toBe(0x4366);
  } finally {
    await bus.close();
  }
}, 30_000);

(ready ? test : test.skip)('a reply carrying another unit id is refused as a mismatch that says which unit answered', async () => {
  // A line where every request reaches unit 1: a "unit 1" that also answers for 5 would corrupt data silently.
  // Here the frame for unit 5 is rewritten on its way (as a misconfigured gateway would) so unit 1 answers it.
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 9600, parity: 'none' }, timeoutMs: 800, retries: 0 });
  const { SerialPort } = await import('serialport');
  try {
    // Send a unit-1 request by hand right before meterchain's unit-5 request, so the unit-1 reply arrives while
    // meterchain waits for unit 5.
    await bus.open();
    const port = (bus as unknown as { client: { _port: { _client: InstanceType<typeof SerialPort> } } }).client._port._client;
    const request = bus.read({ device: 'Feeder 3 SDM630', unit: 5, fn: 4, address: 0, count: 2 });
    port.write(Buffer.from([0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xcb]));
    const error = await request.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModbusReplyMismatchError);
    expect((error as Error).message).toMatch(/^Feeder 3 SDM630 \(unit 5 on rtu .*\): reply does not match the request \(the reply came from unit 1: check the unit id\) reading input registers 0 \(0x0000, 30001\), 2 registers$/);
  } finally {
    await bus.close();
  }
}, 30_000);

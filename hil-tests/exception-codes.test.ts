// Every Modbus exception code a device can answer gives an error that names the device, the unit, the exception
// and the register, on RTU (pty pair, meterchain's simulator with exceptions injected per register) and from a
// real pymodbus peer (illegal data address for a register it does not have).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { EXCEPTION_NAMES, ModbusBus, ModbusExceptionError } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePrograms('socat') && requirePymodbus();
const dir = tempDir('exceptions');
const CODES = [1, 2, 3, 4, 5, 6, 8, 10, 11];
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;
let peer: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  // Register 100 + code answers with that exception code.
  const exceptionAt = CODES.map((code) => ({ address: 100 + code, code }));
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: 19200, parity: 'even' }, unit: 9, tickMs: 0, faults: { exceptionAt } });
  port = await freePort();
  peer = await startPymodbus(dir.path, [{ table: 'ir', address: 0, type: 'uint16', value: 1 }], { tcp: port });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('each exception code 1-11 names the device, unit, exception and register', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 19200, parity: 'even' }, timeoutMs: 1500, retries: 0 });
  try {
    for (const code of CODES) {
      const error = await bus.read({ device: 'Boiler room SDM630', unit: 9, fn: 4, address: 100 + code, count: 2 }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ModbusExceptionError);
      expect((error as ModbusExceptionError).exceptionCode).toBe(code);
      const address = 100 + code;
      expect((error as Error).message).toBe(
        `Boiler room SDM630 (unit 9 on rtu ${pty!.a} 19200 8E1): exception ${code} (${EXCEPTION_NAMES[code]}) reading input registers ${address} (0x${address.toString(16).toUpperCase().padStart(4, '0')}, ${30001 + address}), 2 registers`,
      );
    }
    expect(bus.counters.exceptions).toBe(CODES.length);
  } finally {
    await bus.close();
  }
}, 60_000);

(ready ? test : test.skip)('pymodbus answers a read past its registers with exception 2, named with device and register', async () => {
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 2000, retries: 0 });
  try {
    const error = await bus.read({ device: 'PM-1', unit: 1, fn: 4, address: 65530, count: 10 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModbusExceptionError);
    expect((error as Error).message).toBe(`PM-1 (unit 1 on tcp 127.0.0.1:${port}): exception 2 (illegal data address) reading input registers 65530 (0xFFFA), 10 registers`);
  } finally {
    await bus.close();
  }
}, 30_000);

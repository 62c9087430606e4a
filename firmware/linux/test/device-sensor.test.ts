// The node's device sensor: a failing meter is a gap, retried after a growing pause, and each Modbus failure is
// logged once per change, with device, unit, function, registers, exception code and name.
import { describe, expect, test } from '@jest/globals';
import { ModbusExceptionError, ModbusTimeoutError, type RequestContext } from '@meterchain/modbus';
import { createLogger } from '../src/log.ts';
import { DeviceSensor, retryDelayMs, type DeviceDriver } from '../src/sensor.ts';

const context = (address: number): RequestContext => ({ device: 'Boiler SDM630', unit: 7, fn: 4, address, count: 80, link: 'rtu /dev/ttyUSB0 9600 8N1' });

function sensorWith(answers: (() => Error | null)[]) {
  const logs: Record<string, unknown>[] = [];
  let calls = 0;
  const driver: DeviceDriver = {
    device: 'Boiler SDM630',
    async configure() {},
    async sample() {
      const failure = answers[Math.min(calls, answers.length - 1)]!();
      calls++;
      if (failure) throw failure;
      return { channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 }], quality: 0 };
    },
    async close() {},
  };
  const log = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) });
  const sensor = new DeviceSensor(driver, { description: 'rtu /dev/ttyUSB0', open: async () => undefined, release: async () => undefined }, log);
  return { sensor, logs, calls: () => calls };
}

describe('device sensor', () => {
  test('a Modbus exception is logged once per change, with device, unit, function, registers, code and name', async () => {
    const e2 = () => new ModbusExceptionError(context(0), 2);
    const e4 = () => new ModbusExceptionError(context(0), 4);
    const { sensor, logs } = sensorWith([e2, e2, e2, e4, () => null]);
    let now = 0;
    for (let i = 0; i < 5; i++) {
      await sensor.sample(now).catch(() => undefined);
      now += 120_000; // past any retry pause
    }
    const failures = logs.filter((l) => l['msg'] === 'device not read');
    expect(failures.map((l) => l['exception'])).toEqual([2, 4]);
    expect(failures[0]).toMatchObject({ device: 'Boiler SDM630', unit: 7, function: 4, registers: '0-79', kind: 'EXCEPTION', exception: 2, exceptionName: 'illegal data address' });
    expect(logs.filter((l) => l['msg'] === 'device answering again')).toHaveLength(1);
  });

  test('a meter that does not answer is retried after 0, 1, 2, 4 … 60 s, and the skipped samples ask nothing', async () => {
    const { sensor, calls } = sensorWith([() => new ModbusTimeoutError(context(0), 1000)]);
    const attempts: number[] = [];
    for (let now = 0; now <= 40_000; now += 500) {
      const before = calls();
      await sensor.sample(now).catch((e: Error & { reported?: boolean }) => expect(e.reported).toBe(true));
      if (calls() > before) attempts.push(now);
    }
    expect(attempts).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect([1, 2, 3, 4, 5, 9, 10].map(retryDelayMs)).toEqual([0, 1000, 2000, 4000, 8000, 60_000, 60_000]);
  });
});

describe('the lines of a process', () => {
  test('sensor.confirmReads gives the line a bus that confirms its reads; a second meter on it must say the same', async () => {
    const { Lines } = await import('../src/sensor.ts');
    const lines = new Lines();
    const link = { kind: 'tcp' as const, host: '127.0.0.1', port: 1502 };
    const bus = lines.acquire(link, 500, true);
    expect((bus as unknown as { confirmReads: boolean }).confirmReads).toBe(true);
    expect(lines.acquire(link, 500, true)).toBe(bus);
    expect(() => lines.acquire(link, 500)).toThrow('tcp 127.0.0.1:1502 is already used as tcp 127.0.0.1:1502, timeout 500 ms, confirmed reads, not tcp 127.0.0.1:1502, timeout 500 ms');
    await lines.release(bus);
    await lines.release(bus);
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ModbusBus, ModbusBusClosedError, ModbusTimeoutError, startSimulator, type RunningSimulator } from '../src/index.ts';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'tcp', host: '127.0.0.1', port: 0 }, unit: 1, seed: 2, tickMs: 0 });
});

afterAll(async () => {
  await sim.close();
});

const tcp = () => ({ kind: 'tcp' as const, host: '127.0.0.1', port: sim.port });

describe('ModbusBus', () => {
  test('requests issued together are queued and each gets its own registers', async () => {
    const bus = new ModbusBus({ link: tcp(), timeoutMs: 1000 });
    try {
      const addresses = [0, 6, 12, 0x46, 0x48];
      const words = await Promise.all(addresses.map((address) => bus.read({ device: 'd', unit: 1, fn: 4, address, count: 2 })));
      addresses.forEach((address, i) => expect([words[i]![0], words[i]![1]]).toEqual([sim.image!.input![address], sim.image!.input![address + 1]]));
    } finally {
      await bus.close();
    }
  });

  test('a target buffer is filled in place (drivers allocate once)', async () => {
    const bus = new ModbusBus({ link: tcp(), timeoutMs: 1000 });
    const target = new Uint16Array(4);
    try {
      const words = await bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 4 }, target);
      expect(words).toBe(target);
      expect(target[0]).toBe(sim.image!.input![0]);
    } finally {
      await bus.close();
    }
  });

  test('timeouts are retried with doubling backoff, then reported', async () => {
    const waits: number[] = [];
    const bus = new ModbusBus({ link: tcp(), timeoutMs: 150, retries: 2, backoffMs: 40, sleep: async (ms) => void waits.push(ms) });
    sim.slave!.faults = { timeout: 1 };
    try {
      const error = await bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 2 }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ModbusTimeoutError);
      expect(waits.filter((ms) => ms === 40 || ms === 80)).toEqual([40, 80]);
      expect(bus.counters).toMatchObject({ requests: 3, timeouts: 3, retries: 2 });
    } finally {
      sim.slave!.faults = {};
      await bus.close();
    }
  });

  test('a link that cannot be opened gives BUS_CLOSED naming the device and register', async () => {
    const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port: 1 }, timeoutMs: 500, retries: 0 });
    const error = await bus.read({ device: 'PV meter', unit: 3, fn: 3, address: 40000, count: 2 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModbusBusClosedError);
    expect((error as Error).message).toMatch(/^PV meter \(unit 3 on tcp 127\.0\.0\.1:1\): bus not available \(.*ECONNREFUSED.*\) while reading holding registers 40000 \(0x9C40\), 2 registers$/);
    await bus.close();
  });

  test('programmer mistakes throw at once', () => {
    const bus = new ModbusBus({ link: tcp() });
    expect(() => bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 126 })).toThrow('expected 1-125 registers per read (Modbus limit), got 126');
    expect(() => bus.read({ device: 'd', unit: 1, fn: 6 as 4, address: 0, count: 1 })).toThrow('expected function 3 or 4, got 6');
    expect(() => new ModbusBus({ link: tcp(), timeoutMs: 0 })).toThrow('expected timeoutMs > 0, got 0');
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { ModbusBus, ModbusBusClosedError, ModbusReplyMismatchError, ModbusTimeoutError } from '../src/index.ts';
import { startSimulator, type RunningSimulator } from '../src/sim/index.ts';

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

  // A Modbus TCP server that answers every read with register values 1, 2, ... under the given MBAP protocol id
  // (Modbus Messaging on TCP/IP v1.0b §3.1.3: 0 = Modbus; anything else is another protocol's frame).
  async function mbapServer(protocolId: number): Promise<{ server: Server; port: number }> {
    const server = createServer((socket) => {
      socket.on('data', (request) => {
        const count = request.readUInt16BE(10);
        const reply = Buffer.alloc(9 + 2 * count);
        request.copy(reply, 0, 0, 2); // transaction id
        reply.writeUInt16BE(protocolId, 2);
        reply.writeUInt16BE(3 + 2 * count, 4);
        reply[6] = request[6]!; // unit
        reply[7] = request[7]!; // function
        reply[8] = 2 * count;
        for (let i = 0; i < count; i++) reply.writeUInt16BE(i + 1, 9 + 2 * i);
        socket.write(reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as { port: number }).port };
  }

  test('a Modbus TCP reply whose MBAP protocol id is not 0 is refused as a mismatch, not read as registers', async () => {
    for (const protocolId of [0, 1, 0xffff]) {
      const { server, port } = await mbapServer(protocolId);
      const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 500, retries: 0 });
      try {
        const outcome = await bus.read({ device: 'd', unit: 1, fn: 3, address: 0, count: 2 }).then((words) => Array.from(words), (e: unknown) => e);
        if (protocolId === 0) expect(outcome).toEqual([1, 2]);
        else {
          expect(outcome).toBeInstanceOf(ModbusReplyMismatchError);
          expect((outcome as Error).message).toContain(`protocol id ${protocolId} in the reply's MBAP header (Modbus is 0)`);
          expect(bus.counters).toMatchObject({ mismatches: 1, replies: 0 });
        }
      } finally {
        await bus.close();
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  test('programmer mistakes throw at once', () => {
    const bus = new ModbusBus({ link: tcp() });
    expect(() => bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 126 })).toThrow('expected 1-125 registers per read (Modbus limit), got 126');
    expect(() => bus.read({ device: 'd', unit: 1, fn: 6 as 4, address: 0, count: 1 })).toThrow('expected function 3 or 4, got 6');
    expect(() => new ModbusBus({ link: tcp(), timeoutMs: 0 })).toThrow('expected timeoutMs > 0, got 0');
  });
});

describe('ModbusBus with confirmReads (Modbus TCP has no checksum)', () => {
  /** A TCP path that garbles the last byte of every other reply, differently each time (noise is not systematic):
   * well-formed frames carrying wrong values. */
  async function garblingPath(): Promise<{ port: number; close: () => Promise<void> }> {
    const { connect } = await import('node:net');
    let replies = 0;
    const server: Server = createServer((client) => {
      const device = connect({ host: '127.0.0.1', port: sim.port });
      client.on('data', (b: Buffer) => device.write(b));
      device.on('data', (b: Buffer) => {
        const out = Buffer.from(b);
        if (replies % 2 === 1) out[out.length - 1] = out[out.length - 1]! ^ (1 + (replies % 255));
        replies++;
        client.write(out);
      });
      const drop = () => (client.destroy(), device.destroy());
      client.on('error', drop).on('close', drop);
      device.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  test('without it a garbled reply is taken as the device\'s values', async () => {
    const path = await garblingPath();
    const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port: path.port }, timeoutMs: 1000 });
    try {
      await bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 2 });
      const second = await bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 2 });
      expect(second[1]).not.toBe(sim.image!.input![1]);
      expect(second[0]).toBe(sim.image!.input![0]);
    } finally {
      await bus.close();
      await path.close();
    }
  });

  test('with it each read returns only words two replies agree on, and counts the disagreements', async () => {
    const path = await garblingPath();
    const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port: path.port }, timeoutMs: 1000, confirmReads: true });
    try {
      for (let i = 0; i < 4; i++) {
        const words = await bus.read({ device: 'd', unit: 1, fn: 4, address: 0, count: 2 });
        expect([words[0], words[1]]).toEqual([sim.image!.input![0], sim.image!.input![1]]);
      }
      expect(bus.counters.disagreements).toBeGreaterThanOrEqual(2);
      expect(bus.counters.replies).toBeGreaterThan(8);
    } finally {
      await bus.close();
      await path.close();
    }
  });
});

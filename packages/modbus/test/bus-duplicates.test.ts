// A line that sends every reply twice (a repeater, a gateway retrying), the hazard of DESIGN §4: RTU frames carry no
// transaction id, so a copy that arrives after the next request went out is a well-formed answer to it when the
// lengths match. A confirmed read must never take two such copies for the device's answer.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, createServer, type Server } from 'node:net';
import { ModbusBus } from '../src/index.ts';
import { startSimulator, type RunningSimulator } from '../src/sim/index.ts';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: 0 }, unit: 1, seed: 2, tickMs: 0 });
});

afterAll(async () => {
  await sim.close();
});

/** An RTU-over-TCP path whose device answers after `latencyMs` and whose every reply comes again `copyAfterMs` later. */
async function duplicatingPath(latencyMs: number, copyAfterMs: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((client) => {
    const device = connect({ host: '127.0.0.1', port: sim.port });
    // Every write its own segment at once, as on a serial line (no coalescing of a reply with its copy).
    client.setNoDelay(true);
    device.setNoDelay(true);
    client.on('data', (b: Buffer) => device.write(b));
    device.on('data', (b: Buffer) => {
      const reply = Buffer.from(b);
      setTimeout(() => client.writable && client.write(reply), latencyMs);
      setTimeout(() => client.writable && client.write(reply), latencyMs + copyAfterMs);
    });
    const drop = () => (client.destroy(), device.destroy());
    client.on('error', drop).on('close', drop);
    device.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); setTimeout(resolve, 200); }),
  };
}

/** Reads two blocks of the same length by turns; returns how many reads returned the other block's words. */
async function alternate(bus: ModbusBus, reads: number): Promise<{ wrong: number; ok: number; failed: number }> {
  const blocks = [0, 6];
  const tally = { wrong: 0, ok: 0, failed: 0 };
  for (let i = 0; i < reads; i++) {
    const address = blocks[i % 2]!;
    try {
      const words = await bus.read({ device: 'sdm630', unit: 1, fn: 4, address, count: 2 });
      const expected = [sim.image!.input![address], sim.image!.input![address + 1]];
      if (words[0] === expected[0] && words[1] === expected[1]) tally.ok++;
      else tally.wrong++;
    } catch {
      tally.failed++;
    }
  }
  return tally;
}

describe('ModbusBus with confirmReads on a line that duplicates every reply', () => {
  test('the two blocks have different words (else the test could not tell them apart)', () => {
    expect([sim.image!.input![0], sim.image!.input![1]]).not.toEqual([sim.image!.input![6], sim.image!.input![7]]);
  });

  test('without it a copy of the last reply is read as the next block', async () => {
    const path = await duplicatingPath(40, 20);
    const bus = new ModbusBus({ link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: path.port }, timeoutMs: 300, retries: 2 });
    try {
      const tally = await alternate(bus, 12);
      expect(tally.wrong).toBeGreaterThan(0);
    } finally {
      await bus.close();
      await path.close();
    }
  });

  test.each([
    ['after the next request went out', 40, 20],
    ['just before the next request', 40, 6],
    ['well after the answer', 20, 70],
  ])('with it no read returns another block\'s words: copy %s (device %i ms, copy %i ms later)', async (_what, latencyMs, copyAfterMs) => {
    const path = await duplicatingPath(latencyMs, copyAfterMs);
    const bus = new ModbusBus({ link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: path.port }, timeoutMs: 300, retries: 2, confirmReads: true });
    try {
      const tally = await alternate(bus, 12);
      expect(tally.wrong).toBe(0);
      // Plain copies of the device's own answer do not stop it reading.
      expect(tally.ok).toBeGreaterThanOrEqual(6);
    } finally {
      await bus.close();
      await path.close();
    }
  });
});

// A transparent TCP proxy between the node and a Modbus TCP (or RTU-over-TCP) device that injects a scenario's
// faults: it stalls, resets, delays, fragments and corrupts what passes, and refuses connections while the cable is
// pulled. It needs nothing from the device: it only sees bytes.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { activeAt, mangle, zeroProxyCounters, type Direction, type Fault, type Framing, type ProxyCounters } from './faults.ts';

export interface FaultProxy {
  /** Where the node connects (host:port or a serial path). */
  readonly where: string;
  readonly counters: ProxyCounters;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  target: { host: string; port: number };
  faults: Fault[];
  framing: Framing;
  random: () => number;
  /** Milliseconds since the start of the run. */
  clock: () => number;
  endMs: number;
}

export async function startTcpFaultProxy(options: TcpProxyOptions): Promise<FaultProxy> {
  const counters = zeroProxyCounters();
  const pairs = new Set<{ client: Socket; device: Socket }>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const pulled = () => activeAt(options.faults, options.clock(), options.endMs).some((f) => f.kind === 'pull');
  const stalledUntil = (): number => {
    const t = options.clock();
    const stall = activeAt(options.faults, t, options.endMs).find((f) => f.kind === 'stall');
    return stall ? Math.min(stall.to ?? options.endMs, options.endMs) - t : 0;
  };
  const dropAll = () => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.device.destroy();
    }
    pairs.clear();
  };
  const forward = (from: Socket, to: Socket, direction: Direction) => {
    from.on('data', (chunk: Buffer) => {
      const send = () => {
        const t = options.clock();
        const delivery = mangle(new Uint8Array(chunk), direction, activeAt(options.faults, t, options.endMs), options.framing, options.random, counters, t);
        for (const piece of delivery.pieces) {
          const write = () => {
            if (!to.destroyed) to.write(piece.bytes);
          };
          if (piece.afterMs > 0) later(piece.afterMs, write);
          else write();
        }
      };
      const hold = stalledUntil();
      if (hold > 0) later(hold, send);
      else send();
    });
  };
  const server: Server = createServer((client) => {
    if (pulled()) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const device = connect(options.target, () => device.setNoDelay(true));
    const pair = { client, device };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      device.destroy();
    };
    client.on('error', drop).on('close', drop);
    device.on('error', drop).on('close', drop);
    forward(client, device, 'request');
    forward(device, client, 'reply');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Connections open when a pull or a reset begins are dropped at that moment, as a real unplug or RST does.
  for (const f of options.faults) {
    if (f.kind !== 'pull' && f.kind !== 'reset') continue;
    later(Math.max(0, (f.from ?? 0) - options.clock()), () => {
      counters.resets += pairs.size;
      dropAll();
    });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    where: `127.0.0.1:${port}`,
    counters,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

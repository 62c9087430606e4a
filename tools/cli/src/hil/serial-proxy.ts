// A transparent serial proxy: a socat pty pair in the middle of the line. The node opens one end of the pair; the
// proxy holds the other end and the device's port (a USB-RS485 adapter, an optical probe, or a simulator's pty), and
// passes frames between them, dropping, corrupting, delaying, duplicating or cutting them as the scenario says.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { activeAt, mangle, zeroProxyCounters, type Direction, type Fault, type Framing } from './faults.ts';
import type { FaultProxy } from './tcp-proxy.ts';

export interface PtyPair {
  /** The two ends (symlinks in the given directory). */
  readonly a: string;
  readonly b: string;
  stop(): Promise<void>;
}

/** Starts `socat` linking two ptys at `dir/NAME-a` and `dir/NAME-b`; resolves when both exist. */
export async function ptyPair(dir: string, name: string): Promise<PtyPair> {
  const a = join(dir, `${name}-a`);
  const b = join(dir, `${name}-b`);
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let failed: string | null = null;
  child.once('error', (e) => {
    failed = e.message;
  });
  for (let i = 0; i < 250 && failed === null && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(a) || !existsSync(b)) {
    child.kill('SIGKILL');
    throw new Error(`socat could not make a pty pair${failed ? `: ${failed}` : ''} (is socat installed?)`);
  }
  return {
    a,
    b,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface SerialLineSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

export interface SerialProxyOptions {
  /** The device's port. */
  devicePath: string;
  settings: SerialLineSettings;
  /** Where the pty pair's links go. */
  dir: string;
  faults: Fault[];
  framing: Framing;
  random: () => number;
  clock: () => number;
  endMs: number;
}

async function openPort(path: string, settings: SerialLineSettings): Promise<SerialPort> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, ...settings, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(new Error(`cannot open ${path}: ${error.message}`)) : resolve())));
  port.on('error', () => undefined);
  return port;
}

export async function startSerialFaultProxy(options: SerialProxyOptions): Promise<FaultProxy> {
  const counters = zeroProxyCounters();
  const pair = await ptyPair(options.dir, 'node-line');
  let nodeSide: SerialPort | null = null;
  let device: SerialPort | null = null;
  try {
    nodeSide = await openPort(pair.b, options.settings);
    device = await openPort(options.devicePath, options.settings);
  } catch (e) {
    nodeSide?.close();
    await pair.stop();
    throw e;
  }
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  // RTU frames end with 3.5 character times of silence (Modbus over serial line §2.5.1.1); bytes are gathered until
  // the line has been quiet that long, at least 4 ms (a pty delivers a frame in one piece anyway). Other protocols
  // (IEC 62056-21 switches its rate mid-session) pass in pieces as they come: their faults act on bytes.
  const quietMs = options.framing === 'rtu' ? Math.max(4, Math.ceil((3.5 * 11 * 1000) / options.settings.baudRate)) : 4;
  const relay = (from: SerialPort, to: SerialPort, direction: Direction) => {
    let pending: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      const frame = Buffer.concat(pending);
      pending = [];
      const t = options.clock();
      const active = activeAt(options.faults, t, options.endMs);
      const stall = active.find((f) => f.kind === 'stall');
      const send = (at: number, faults: Fault[]) => {
        const delivery = mangle(new Uint8Array(frame), direction, faults, options.framing, options.random, counters, at);
        for (const piece of delivery.pieces) {
          const write = () => to.isOpen && to.write(Buffer.from(piece.bytes));
          if (piece.afterMs > 0) later(piece.afterMs, write);
          else write();
        }
      };
      if (stall) later(Math.min(stall.to ?? options.endMs, options.endMs) - t, () => send(options.clock(), activeAt(options.faults, options.clock(), options.endMs)));
      else send(t, active);
    };
    from.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, quietMs);
    });
  };
  relay(nodeSide, device, 'request');
  relay(device, nodeSide, 'reply');
  const close = (port: SerialPort | null) => new Promise<void>((resolve) => (port && port.isOpen ? port.close(() => resolve()) : resolve()));
  return {
    where: pair.a,
    counters,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await close(nodeSide);
      await close(device);
      await pair.stop();
    },
  };
}

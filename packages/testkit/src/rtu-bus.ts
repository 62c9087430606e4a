// The test side of rtu-bus-process.ts: starts the concentrator process (a simulated RS-485 line and its bus master)
// and drives it: plug members in, inject frames, pull cables, read the line's figures.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LineStats } from '@meterchain/modbus/sim';
import type { LineBridgeStats, RtuMasterStats } from '@meterchain/transport';

export interface RtuBusOptions {
  dir: string;
  cluster: string;
  baudRate: number;
  bitsPerByte?: 10 | 11;
  byteErrorRate?: number;
  seed?: number;
  capture?: string;
  responseTimeoutMs?: number;
  /** Bridge the line to this broker once bridge() is called (a mixed cluster). */
  bridge?: { url: string; username: string; password: string };
}

export class RtuBus {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`rtu bus: ${m.error}`));
    });
    child.on('exit', (code) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`rtu bus: the concentrator process exited (${code})`));
      this.#waiting.clear();
    });
  }

  static async start(options: RtuBusOptions): Promise<RtuBus> {
    const script = fileURLToPath(new URL('./rtu-bus-process.ts', import.meta.url));
    const config = { bitsPerByte: 11, byteErrorRate: 0, seed: 1, ...options };
    const child = fork(script, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const bus = new RtuBus(child);
    bus.#waiting.set(0, { resolve: () => undefined, reject: () => undefined });
    await new Promise<void>((resolve, reject) => {
      bus.#waiting.set(0, { resolve: () => resolve(), reject });
      child.once('error', reject);
    });
    return bus;
  }

  #call<T>(request: Record<string, unknown>): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, ...request });
    });
  }

  /** Plugs a member in at `unit` and adds it to the master's poll list; resolves with the path its port opens. */
  async add(unit: number, address: string): Promise<string> {
    return (await this.#call<{ path: string }>({ op: 'add', unit, address })).path;
  }

  inject(kind: string, from: string, payload: Uint8Array): Promise<void> {
    return this.#call({ op: 'inject', kind, from, payload: Buffer.from(payload).toString('base64') });
  }

  unplug(unit: number): Promise<void> {
    return this.#call({ op: 'unplug', name: `u${unit}` });
  }

  replug(unit: number): Promise<void> {
    return this.#call({ op: 'replug', name: `u${unit}` });
  }

  /** Starts bridging the line to the broker given as `bridge` (once members are added). */
  bridge(): Promise<void> {
    return this.#call({ op: 'bridge' });
  }

  stats(): Promise<{ line: LineStats; master: RtuMasterStats; bridge?: LineBridgeStats }> {
    return this.#call({ op: 'stats' });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await this.#call({ op: 'close' }).catch(() => undefined);
    await exited;
  }
}

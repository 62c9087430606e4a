// A simulated RS-485 multi-drop line: several ptys joined so that every byte one drop sends reaches all the others,
// paced at the line's baud rate (10 or 11 bit times a byte), with two senders at once corrupting each other, noise
// at a byte error rate, drops that can be unplugged and plugged back, and a pcap capture of what was on the wire.
//
// Each drop is a socat pty pair: the device under test opens `<dir>/<name>`, the line holds `<dir>/<name>.line`.
// A byte written by a drop occupies the wire from max(now, the drop's previous byte's end) for one character time;
// it is handed to every other drop when it ends. RS-485 has no carrier sense: a drop that writes while another's
// bytes are on the wire overlaps them, and every overlapping byte reaches the receivers as garbage.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SerialPort } from 'serialport';

export interface MultidropLineOptions {
  /** Directory for the drops' pty links. */
  dir: string;
  baudRate: number;
  /** Bit times per byte on the wire: 10 (8N1) or 11 (8E1, 8N2; the Modbus default). Default 11. */
  bitsPerByte?: 10 | 11;
  /** Probability that a byte is damaged on its way (one bit flipped, seen alike by every receiver). Default 0. */
  byteErrorRate?: number;
  /** Uniform numbers in [0, 1) for noise and collision garbage (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /** Writes every transmission (one record per burst of one drop) to this pcap file, link type USER0 (147). */
  capture?: string;
}

export interface LineStats {
  /** Bytes put on the wire, collisions and all. */
  bytes: number;
  /** Bursts: runs of bytes one drop sent back to back (a Modbus RTU frame each, when nobody misbehaves). */
  frames: number;
  /** Bytes that overlapped another drop's and reached the receivers as garbage. */
  collidedBytes: number;
  /** Bytes damaged by noise. */
  noisyBytes: number;
  /** Time the wire carried at least one byte, ms. */
  busyMs: number;
  /** Time since the line opened, ms. */
  elapsedMs: number;
}

interface WireByte {
  from: Drop;
  start: number;
  end: number;
  value: number;
  collided: boolean;
}

interface Burst {
  startMs: number;
  endMs: number;
  bytes: number[];
}

interface Drop {
  name: string;
  path: string;
  linePath: string;
  socat: ChildProcess | undefined;
  port: SerialPort | undefined;
  busyUntil: number;
  burst: Burst | undefined;
  plugged: boolean;
}

/** USER0: tshark maps it to a dissector with `-o uat:user_dlts:...` (see userDltOption()). */
export const PCAP_LINKTYPE_USER0 = 147;

/** The tshark option that reads link type USER0 as Modbus RTU. */
export function userDltOption(): string[] {
  return ['-o', 'uat:user_dlts:"User 0 (DLT=147)","mbrtu","0","","0",""'];
}

export class MultidropLine {
  readonly dir: string;
  readonly baudRate: number;
  readonly bitsPerByte: 10 | 11;
  /** One character on the wire, ms. */
  readonly charMs: number;
  readonly #errorRate: number;
  readonly #random: () => number;
  readonly #drops = new Map<string, Drop>();
  readonly #pending: WireByte[] = [];
  readonly #openedAt = performance.now();
  readonly #wallAt = Date.now();
  #capture: FileHandle | undefined;
  #captureQueue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #scheduled = false;
  #wireBusyUntil = 0;
  #stats = { bytes: 0, frames: 0, collidedBytes: 0, noisyBytes: 0, busyMs: 0 };
  #closed = false;

  private constructor(options: MultidropLineOptions) {
    this.dir = options.dir;
    this.baudRate = options.baudRate;
    this.bitsPerByte = options.bitsPerByte ?? 11;
    this.charMs = (1000 * this.bitsPerByte) / this.baudRate;
    this.#errorRate = options.byteErrorRate ?? 0;
    this.#random = options.random ?? Math.random;
  }

  static async open(options: MultidropLineOptions): Promise<MultidropLine> {
    if (!Number.isFinite(options.baudRate) || options.baudRate < 300) throw new RangeError(`multidrop line: expected a baud rate of at least 300, got ${options.baudRate}`);
    if (options.bitsPerByte !== undefined && options.bitsPerByte !== 10 && options.bitsPerByte !== 11) throw new RangeError(`multidrop line: expected 10 or 11 bits per byte, got ${options.bitsPerByte}`);
    const rate = options.byteErrorRate ?? 0;
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`multidrop line: expected a byte error rate in [0, 1), got ${rate}`);
    const line = new MultidropLine(options);
    if (options.capture !== undefined) {
      line.#capture = await open(options.capture, 'w');
      const header = Buffer.alloc(24);
      header.writeUInt32LE(0xa1b2c3d4, 0);
      header.writeUInt16LE(2, 4);
      header.writeUInt16LE(4, 6);
      header.writeUInt32LE(65535, 16);
      header.writeUInt32LE(PCAP_LINKTYPE_USER0, 20);
      await line.#capture.write(header);
    }
    return line;
  }

  /** Adds a drop and resolves with the path its device opens. */
  async addDrop(name: string): Promise<string> {
    if (this.#closed) throw new Error('multidrop line: addDrop() after close()');
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw new TypeError(`multidrop line: expected a drop name of 1-40 characters [A-Za-z0-9_-], got ${JSON.stringify(name)}`);
    if (this.#drops.has(name)) throw new Error(`multidrop line: a drop named ${name} exists`);
    const drop: Drop = { name, path: join(this.dir, name), linePath: join(this.dir, `${name}.line`), socat: undefined, port: undefined, busyUntil: 0, burst: undefined, plugged: false };
    this.#drops.set(name, drop);
    await this.#plug(drop);
    return drop.path;
  }

  /** The path a drop's device opens. */
  pathOf(name: string): string {
    return this.#drop(name).path;
  }

  /** Pulls a drop's cable: its pty pair goes away (the device's port fails), nothing more reaches it or comes from it. */
  async unplug(name: string): Promise<void> {
    const drop = this.#drop(name);
    if (!drop.plugged) return;
    drop.plugged = false;
    await this.#release(drop);
  }

  /** Plugs a drop back in at the same path. */
  async replug(name: string): Promise<void> {
    const drop = this.#drop(name);
    if (drop.plugged) return;
    await this.#plug(drop);
  }

  stats(): LineStats {
    return { ...this.#stats, elapsedMs: performance.now() - this.#openedAt };
  }

  /** Waits until nothing is left on the wire (every byte written so far has been delivered). */
  async idle(): Promise<void> {
    while (this.#pending.length > 0) await new Promise((r) => setTimeout(r, 1));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    for (const drop of this.#drops.values()) {
      drop.plugged = false;
      await this.#release(drop);
    }
    this.#pending.length = 0;
    for (const drop of this.#drops.values()) this.#endBurst(drop);
    await this.#captureQueue;
    await this.#capture?.close();
    this.#capture = undefined;
  }

  // ---- drops ----

  #drop(name: string): Drop {
    const drop = this.#drops.get(name);
    if (!drop) throw new Error(`multidrop line: no drop named ${JSON.stringify(name)}`);
    return drop;
  }

  async #plug(drop: Drop): Promise<void> {
    const child = spawn('socat', [`pty,raw,echo=0,link=${drop.path}`, `pty,raw,echo=0,link=${drop.linePath}`], { stdio: 'ignore' });
    let failed: string | undefined;
    child.once('error', (e) => {
      failed = e.message;
    });
    drop.socat = child;
    for (let i = 0; i < 500 && failed === undefined && !(existsSync(drop.path) && existsSync(drop.linePath)); i++) await new Promise((r) => setTimeout(r, 10));
    if (!existsSync(drop.path) || !existsSync(drop.linePath)) {
      child.kill('SIGKILL');
      throw new Error(`multidrop line: socat could not make the pty pair of drop ${drop.name}${failed ? `: ${failed}` : ''} (is socat installed?)`);
    }
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: drop.linePath, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    port.on('data', (chunk: Buffer) => {
      if (drop.plugged && drop.port === port) this.#transmit(drop, chunk);
    });
    port.on('error', () => undefined);
    drop.port = port;
    drop.plugged = true;
  }

  async #release(drop: Drop): Promise<void> {
    const port = drop.port;
    drop.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    const child = drop.socat;
    drop.socat = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    // Bytes this drop still had on the wire are cut off with its cable.
    for (let i = this.#pending.length - 1; i >= 0; i--) if (this.#pending[i]!.from === drop) this.#pending.splice(i, 1);
    drop.busyUntil = 0;
    this.#endBurst(drop);
  }

  // ---- the wire ----

  #transmit(drop: Drop, chunk: Buffer): void {
    const now = performance.now() - this.#openedAt;
    let at = Math.max(now, drop.busyUntil);
    if (drop.burst && at > drop.burst.endMs + this.charMs / 2) this.#endBurst(drop);
    if (!drop.burst) drop.burst = { startMs: at, endMs: at, bytes: [] };
    for (const value of chunk) {
      const byte: WireByte = { from: drop, start: at, end: at + this.charMs, value, collided: false };
      // Another drop's byte on the wire at the same time: both are lost to the receivers.
      for (const other of this.#pending) {
        if (other.from !== drop && other.start < byte.end && byte.start < other.end) {
          if (!other.collided) this.#stats.collidedBytes++;
          if (!byte.collided) this.#stats.collidedBytes++;
          other.collided = true;
          byte.collided = true;
        }
      }
      this.#pending.push(byte);
      drop.burst.bytes.push(value);
      drop.burst.endMs = byte.end;
      this.#stats.bytes++;
      this.#stats.busyMs += Math.max(0, byte.end - Math.max(byte.start, this.#wireBusyUntil));
      this.#wireBusyUntil = Math.max(this.#wireBusyUntil, byte.end);
      at = byte.end;
    }
    drop.busyUntil = at;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.length === 0 || this.#closed) return;
    this.#scheduled = true;
    let first = Infinity;
    for (const b of this.#pending) first = Math.min(first, b.end);
    const delay = first - (performance.now() - this.#openedAt);
    const run = (): void => {
      this.#timer = undefined;
      this.#immediate = undefined;
      this.#scheduled = false;
      this.#deliver();
    };
    // Timers fire a millisecond late at best: below that, wait on the event loop's turns instead.
    if (delay < 1) this.#immediate = setImmediate(run);
    else this.#timer = setTimeout(run, delay);
  }

  #deliver(): void {
    const now = performance.now() - this.#openedAt;
    const due: WireByte[] = [];
    for (let i = 0; i < this.#pending.length; ) {
      if (this.#pending[i]!.end <= now) due.push(...this.#pending.splice(i, 1));
      else i++;
    }
    due.sort((a, b) => a.end - b.end);
    const out = new Map<Drop, number[]>();
    for (const byte of due) {
      let value = byte.value;
      if (byte.collided) value = Math.floor(this.#random() * 256);
      else if (this.#errorRate > 0 && this.#random() < this.#errorRate) {
        value ^= 1 << Math.floor(this.#random() * 8);
        this.#stats.noisyBytes++;
      }
      for (const drop of this.#drops.values()) {
        if (drop === byte.from || !drop.plugged) continue;
        let list = out.get(drop);
        if (!list) out.set(drop, (list = []));
        list.push(value);
      }
    }
    for (const [drop, bytes] of out) drop.port?.write(Buffer.from(bytes));
    for (const drop of this.#drops.values()) if (drop.burst && drop.busyUntil <= now) this.#endBurst(drop);
    this.#schedule();
  }

  #endBurst(drop: Drop): void {
    const burst = drop.burst;
    drop.burst = undefined;
    if (!burst || burst.bytes.length === 0) return;
    this.#stats.frames++;
    const capture = this.#capture;
    if (!capture) return;
    const ms = this.#wallAt + burst.startMs;
    const record = Buffer.alloc(16 + burst.bytes.length);
    record.writeUInt32LE(Math.floor(ms / 1000), 0);
    record.writeUInt32LE(Math.floor((ms % 1000) * 1000), 4);
    record.writeUInt32LE(burst.bytes.length, 8);
    record.writeUInt32LE(burst.bytes.length, 12);
    record.set(burst.bytes, 16);
    this.#captureQueue = this.#captureQueue.then(() => capture.write(record)).catch(() => undefined);
  }
}

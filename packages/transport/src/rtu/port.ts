// One drop's serial port on the line: opened with serialport, reopened after the cable is pulled, and read through
// the RTU frame decoder. Bytes of a partial frame are dropped after a silence (the sender is gone or the frame was
// damaged), so a stray byte cannot hold back the frames that follow it.
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { SerialPort } from 'serialport';
import { RtuFrameDecoder, type RtuFrame } from './frames.ts';

export interface RtuPortOptions {
  path: string;
  baudRate: number;
  /** How often a port that failed or went away is tried again, ms (default 200). */
  reopenMs?: number;
  /** Silence after which a partial frame is dropped, ms (default 30: well above a pty's batching). */
  silenceMs?: number;
}

export interface RtuPortCounters {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  /** Bytes that were not part of a frame with a valid CRC. */
  garbageBytes: number;
}

export class RtuPort {
  readonly path: string;
  readonly counters: RtuPortCounters = { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, garbageBytes: 0 };
  /**
   * Called for every frame with a valid CRC. `heardAfter`: the line carried more bytes after this frame in what the
   * port has read so far (a request followed by anything has been given up by its master, docs/transport.md §12.3).
   */
  onFrame: (frame: RtuFrame, heardAfter: boolean) => void = () => undefined;
  /** Called with the size of every chunk received, before the frames it completes. */
  onBytes: (count: number) => void = () => undefined;
  onOpen: () => void = () => undefined;
  onLost: (reason: string) => void = () => undefined;
  readonly #options: RtuPortOptions;
  #decoder = new RtuFrameDecoder();
  #port: SerialPort | undefined;
  #reopenTimer: NodeJS.Timeout | undefined;
  #lastDataAt = 0;
  #closed = false;
  #lastError = '';
  /** Writes handed to serialport's stream and not yet done: later frames queue behind them to keep the order. */
  #queuedWrites = 0;

  constructor(options: RtuPortOptions) {
    if (typeof options.path !== 'string' || options.path === '') throw new TypeError(`modbus rtu: expected a serial port path, got ${JSON.stringify(options.path)}`);
    if (!Number.isInteger(options.baudRate) || options.baudRate < 300) throw new RangeError(`modbus rtu: expected a baud rate of at least 300, got ${options.baudRate}`);
    this.path = options.path;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  get lastError(): string {
    return this.#lastError;
  }

  /** Starts opening (and reopening) the port; resolves after the first attempt, open or not. */
  async start(): Promise<void> {
    await this.#open();
  }

  /** Writes one frame; false when the port is not open (the frame is lost, as on a cable that is out). */
  write(frame: Uint8Array): boolean {
    const port = this.#port;
    if (!port?.isOpen || this.#closed) return false;
    const bytes = Buffer.from(frame);
    const written = this.#writeNow(port, bytes);
    if (written < bytes.length) {
      this.#queuedWrites++;
      port.write(bytes.subarray(written), () => {
        if (this.#port === port) this.#queuedWrites--;
      });
    }
    this.counters.bytesOut += frame.length;
    this.counters.framesOut++;
    return true;
  }

  /**
   * Hands the bytes to the driver in this turn of the event loop, as many as it takes at once (the port is
   * non-blocking). serialport's own writes wait for a thread of libuv's pool, which a node's spool and ledger fsyncs
   * can hold for tens of milliseconds: an answer decided in time then reaches the line after its master has moved on.
   */
  #writeNow(port: SerialPort, bytes: Buffer): number {
    if (this.#queuedWrites > 0) return 0;
    const fd = (port.port as { fd?: unknown } | undefined)?.fd;
    if (typeof fd !== 'number') return 0;
    try {
      return writeSync(fd, bytes);
    } catch {
      // EAGAIN (the driver's buffer is full) and the like: the stream writes it when the port can take it.
      return 0;
    }
  }

  /**
   * Closes the port and opens the path again: after a silence, the adapter may have been pulled and plugged back
   * (a pty or a USB serial device then has a new node behind the same path, and the old descriptor hears nothing).
   */
  reopen(): void {
    const port = this.#port;
    if (!port || this.#closed) return;
    this.#port = undefined;
    port.close(() => undefined);
    this.#retry();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async #open(): Promise<void> {
    if (this.#closed) return;
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: this.path, baudRate: this.#options.baudRate, autoOpen: false });
    const error = await new Promise<Error | null>((resolve) => port.open((e) => resolve(e ?? null)));
    if (this.#closed) {
      if (!error) port.close(() => undefined);
      return;
    }
    if (error) {
      this.#lastError = error.message;
      this.#retry();
      return;
    }
    // What the line said before this drop listened is stale: answering requests queued in the driver would talk over
    // whatever the master is doing now.
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    if (this.#closed) {
      port.close(() => undefined);
      return;
    }
    this.#decoder = new RtuFrameDecoder();
    this.#queuedWrites = 0;
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.#onData(port, chunk));
    port.on('error', (e: Error) => {
      this.#lastError = e.message;
    });
    port.on('close', () => {
      if (this.#port !== port) return;
      this.#port = undefined;
      if (this.#closed) return;
      this.onLost(this.#lastError || 'serial port closed');
      this.#retry();
    });
    this.onOpen();
  }

  #retry(): void {
    if (this.#closed || this.#reopenTimer) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      void this.#open();
    }, this.#options.reopenMs ?? 200);
  }

  #onData(port: SerialPort, chunk: Buffer): void {
    if (this.#port !== port || this.#closed) return;
    this.counters.bytesIn += chunk.length;
    this.onBytes(chunk.length);
    const now = performance.now();
    const before = this.#decoder.skipped;
    // A partial frame followed by a silence will never complete, unless the silence was this process's, not the
    // line's (held up between two reads of one frame): the decoder keeps it only if the new bytes complete it (no
    // timer needed: nothing waits on a partial frame while the line is quiet).
    const afterSilence = this.#decoder.buffered > 0 && now - this.#lastDataAt > (this.#options.silenceMs ?? 30);
    this.#lastDataAt = now;
    const frames = afterSilence ? this.#decoder.pushAfterSilence(chunk) : this.#decoder.push(chunk);
    this.counters.garbageBytes += this.#decoder.skipped - before;
    const trailing = this.#decoder.buffered > 0;
    frames.forEach((frame, i) => {
      this.counters.framesIn++;
      this.onFrame(frame, i < frames.length - 1 || trailing);
    });
  }
}

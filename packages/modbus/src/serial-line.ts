// A serial line for request/response protocols: open with explicit settings, write, and wait for bytes that
// satisfy a predicate within a timeout. Used by the IEC 62056-21 readout and its simulator.
import type { SerialPort } from 'serialport';

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

export class SerialLine {
  readonly path: string;
  private port: SerialPort | null = null;
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closedReason: string | null = null;

  constructor(path: string) {
    this.path = path;
  }

  get isOpen(): boolean {
    return this.port !== null && this.port.isOpen;
  }

  async open(settings: SerialSettings): Promise<void> {
    // Loaded on first use: serialport is native, and a node without a serial line runs without it.
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ ...settings, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    this.closedReason = null;
    port.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      if (this.buffer.length > 65536) this.buffer = this.buffer.subarray(this.buffer.length - 65536);
      this.waiter?.();
    });
    port.on('error', () => undefined);
    port.on('close', () => {
      this.closedReason = 'serial port closed';
      if (this.port === port) this.port = null;
      this.waiter?.();
    });
    this.port = port;
  }

  /** Changes the baud rate of the open port. serialport flushes both queues on update: let pending output go first. */
  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.requirePort();
    await new Promise<void>((resolve, reject) => port.update({ baudRate }, (error) => (error ? reject(error) : resolve())));
  }

  /** Drops everything received so far. */
  discardInput(): void {
    this.buffer = Buffer.alloc(0);
  }

  /** Writes and waits until the bytes have left the driver. */
  async write(bytes: Uint8Array | string): Promise<void> {
    const port = this.requirePort();
    await new Promise<void>((resolve, reject) => port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes), (error) => (error ? reject(error) : resolve())));
    await new Promise<void>((resolve, reject) => port.drain((error) => (error ? reject(error) : resolve())));
  }

  /**
   * Waits until `complete(buffer)` returns the length of a complete message at the start of the received bytes,
   * then returns (and consumes) it. Rejects after `timeoutMs` with what was received.
   */
  receive(complete: (bytes: Buffer) => number, timeoutMs: number, what: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const check = () => {
        const end = complete(this.buffer);
        if (end > 0) {
          finish();
          const message = this.buffer.subarray(0, end);
          this.buffer = this.buffer.subarray(end);
          resolve(message);
        } else if (this.closedReason !== null) {
          finish();
          reject(new Error(`${this.path}: ${this.closedReason} while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        const got = this.buffer.length === 0 ? 'nothing' : JSON.stringify(this.buffer.toString('latin1').slice(0, 80));
        reject(new Error(`${this.path}: no ${what} within ${timeoutMs} ms (received ${got})`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiter = null;
      };
      this.waiter = check;
      check();
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port && port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private requirePort(): SerialPort {
    if (this.port === null || !this.port.isOpen) throw new Error(`${this.path}: serial port is not open${this.closedReason ? ` (${this.closedReason})` : ''}`);
    return this.port;
  }
}

/** Length of a CR LF terminated line at the start of `bytes` (after skipping leading noise up to `start`), or 0. */
export function lineEnd(bytes: Buffer, start: string): number {
  const at = bytes.indexOf(start, 0, 'latin1');
  if (at < 0) return 0;
  const end = bytes.indexOf('\r\n', at, 'latin1');
  return end < 0 ? 0 : end + 2;
}

// Acquisition on the board: an Eastron SDM120/SDM630 read over the board's UART as a Modbus RTU master, one request
// at a time (DESIGN §4: two in flight corrupt data), each bounded by a timeout, late replies dropped. The frames are
// meters' (rtuReadRequest, rtuReadReply), the decoding too; this file only moves bytes and keeps time.
import { QualityFlag, type Channel } from '@meterchain/core';
import {
  decodePoints,
  eastronPoints,
  planPointReads,
  rtuReadReply,
  rtuReadRequest,
  EASTRON_MAX_GAP,
  EASTRON_MAX_READ,
  type EastronModel,
} from '@meterchain/meters';

/** The UART the meter hangs on (RS-485 on a board), as bytes. */
export interface MeterPort {
  write: (bytes: Uint8Array) => void;
  /** Registers the one handler of received bytes. */
  onData: (handler: (chunk: Uint8Array) => void) => void;
}

export interface AcquireServices {
  port: MeterPort;
  setTimeout: (run: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export interface MeterOptions {
  model: EastronModel;
  unit: number;
  /** Bound on each request's reply (Eastron answers in under 100 ms at 9600 baud). */
  timeoutMs: number;
}

/** One sample: the channels read (values that were there), and quality flags for what went wrong. */
export interface MeterSample {
  channels: Channel[];
  quality: number;
  /** One line per failed request, for the log. */
  errors: string[];
}

export interface MeterReader {
  /** Reads every planned block once and calls `done` with the sample; a sample already running is not restarted. */
  sample: (done: (sample: MeterSample) => void) => void;
}

/** Longest reply: 80 registers, 5 bytes of framing. */
const REPLY_MAX = 5 + 2 * EASTRON_MAX_READ;

export function createMeterReader(services: AcquireServices, options: MeterOptions): MeterReader {
  const points = eastronPoints(options.model, 'big');
  const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
  const received = new Uint8Array(REPLY_MAX + 8);
  let length = 0;
  /** The block whose reply is awaited, or -1: bytes that come when none is awaited are dropped. */
  let awaiting = -1;
  let timer: unknown;
  let running = false;
  let results: (Uint16Array | null)[] = [];
  let errors: string[] = [];
  let finish: (sample: MeterSample) => void = () => undefined;

  function complete(): void {
    awaiting = -1;
    running = false;
    const decoded = decodePoints(points, blocks, results);
    const channels: Channel[] = [];
    let quality = errors.length > 0 ? QualityFlag.COMM_ERROR : 0;
    for (let i = 0; i < decoded.channels.length; i++) {
      const c = decoded.channels[i]!;
      // A float register holding NaN: the meter says it has no value. The reading leaves the channel out.
      if (c.value === null) quality |= QualityFlag.PARTIAL;
      else channels.push({ id: c.id, unit: c.unit, scale: c.scale, value: c.value });
    }
    if (decoded.missing.length > 0) quality |= QualityFlag.PARTIAL;
    finish({ channels, quality, errors });
  }

  function settle(words: Uint16Array | null, error: string | null): void {
    services.clearTimeout(timer);
    results.push(words);
    if (error !== null) errors.push(error);
    request(awaiting + 1);
  }

  function request(block: number): void {
    if (block >= blocks.length) {
      complete();
      return;
    }
    const b = blocks[block]!;
    awaiting = block;
    length = 0;
    timer = services.setTimeout(() => {
      if (awaiting === block) settle(null, `no reply to the read of ${b.count} registers at ${b.address} within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    services.port.write(rtuReadRequest(options.unit, b.fn, b.address, b.count));
  }

  services.port.onData((chunk) => {
    if (awaiting < 0) return;
    for (let i = 0; i < chunk.length && length < received.length; i++) received[length++] = chunk[i]!;
    const b = blocks[awaiting]!;
    const reply = rtuReadReply(received, length, options.unit, b.fn, b.count);
    if (reply.state === 'ok') settle(reply.words, null);
    else if (reply.state === 'error') settle(null, reply.reason);
  });

  function sample(done: (sample: MeterSample) => void): void {
    if (running) return;
    running = true;
    results = [];
    errors = [];
    finish = done;
    request(0);
  }

  return { sample };
}

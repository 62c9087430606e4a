// Acquisition on the board: an Eastron SDM120/SDM630 read over the board's UART as a Modbus RTU master, one request
// at a time (DESIGN §4: two in flight corrupt data), each bounded by a timeout, late replies dropped. The frames are
// meters' (rtuReadRequest, rtuReadReply), the decoding too; this file only moves bytes and keeps time.
import { QualityFlag, toFixed, type Channel } from '@meterchain/core';
import {
  decodeRegisters,
  eastronPoints,
  planPointReads,
  registerCount,
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
  /** Most registers one request reads (default EASTRON_MAX_READ, 80: a 165-byte reply). */
  maxRead?: number;
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


/**
 * What the reader keeps of the meter's points, in parallel arrays instead of one object per point: on a Puck.js-sized
 * heap (2,630 variables) the 32 point objects of an SDM630 held about 460 of them, these arrays under 100.
 */
interface PointTable {
  ids: string[];
  units: string[];
  scales: Int8Array;
  factors: Float64Array;
  /** Block index and the point's offset in it, per point; 0xffff when no block covers it. */
  block: Uint16Array;
  offset: Uint16Array;
}

function pointTable(model: EastronModel, maxRead: number): { table: PointTable; blocks: ReturnType<typeof planPointReads> } {
  const points = eastronPoints(model, 'big');
  const blocks = planPointReads(points, EASTRON_MAX_GAP < maxRead ? EASTRON_MAX_GAP : maxRead, maxRead);
  const n = points.length;
  const table: PointTable = { ids: [], units: [], scales: new Int8Array(n), factors: new Float64Array(n), block: new Uint16Array(n), offset: new Uint16Array(n) };
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    table.ids.push(p.name);
    table.units.push(p.unit);
    table.scales[i] = p.scale;
    table.factors[i] = p.factor ?? 1;
    table.block[i] = 0xffff;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      if (block.fn === p.fn && p.address >= block.address && p.address + registerCount(p.type) <= block.address + block.count) {
        table.block[i] = b;
        table.offset[i] = p.address - block.address;
        break;
      }
    }
  }
  return { table, blocks };
}

export function createMeterReader(services: AcquireServices, options: MeterOptions): MeterReader {
  const planned = pointTable(options.model, options.maxRead ?? EASTRON_MAX_READ);
  const table = planned.table;
  const blocks = planned.blocks;
  // Room for the longest reply (5 bytes of framing and the words) and a few stray bytes.
  const received = new Uint8Array(5 + 2 * (options.maxRead ?? EASTRON_MAX_READ) + 8);
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
    const channels: Channel[] = [];
    let quality = errors.length > 0 ? QualityFlag.COMM_ERROR : 0;
    for (let i = 0; i < table.ids.length; i++) {
      const words = table.block[i] === 0xffff ? null : results[table.block[i]!];
      // A failed read leaves its points out (PARTIAL, COMM_ERROR above); so does a float register holding NaN: the
      // meter says it has no value.
      const value = words ? toFixed(decodeRegisters(words, table.offset[i]!, 'float32', 'big', 'big') * table.factors[i]!, table.scales[i]!) : null;
      if (value === null) quality |= QualityFlag.PARTIAL;
      else channels.push({ id: table.ids[i]!, unit: table.units[i]!, scale: table.scales[i]!, value });
    }
    // Released before the sample is handed on: what the caller builds from it needs the room.
    results = [];
    const done = finish;
    finish = () => undefined;
    done({ channels, quality, errors });
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
      if (awaiting === block) settle(null, `no reply to the read of ${b.count} registers at ${b.address} within ${options.timeoutMs} ms${length > 0 ? ` (${length} bytes came)` : ''}`);
    }, options.timeoutMs);
    services.port.write(rtuReadRequest(options.unit, b.fn, b.address, b.count));
  }

  services.port.onData((chunk) => {
    if (awaiting < 0) return;
    for (let i = 0; i < chunk.length && length < received.length; i++) received[length++] = chunk[i]!;
    const b = blocks[awaiting]!;
    // The reply's length is known (an exception: 5 bytes; the words: 5 + 2 per register): checked only once it can be
    // complete. Bytes come a few at a time, and a CRC over the whole buffer on each would cost O(n²): on Espruino for
    // Linux an 80-register reply then took longer than the 500 ms timeout.
    if (length < 5 || (length < 5 + 2 * b.count && (received[1]! & 0x80) === 0 && received[2] === 2 * b.count)) return;
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

// A reading encoder for a node that sends the same channels every time (a sensor node, a meter): the bytes that do
// not change from one reading to the next (map keys, channel ids, units, scales) are encoded once and copied, and
// each reading writes only its numbers. Its output is encodeReading's, byte for byte (a test holds it to that over
// a corpus). Why: on Espruino the generic encoder walks and sorts every map of every reading, 42 ms for 17 channels.
import { ADDRESS_LENGTH } from './address.ts';
import { MT_MAP, writeHead } from './cbor/head.ts';
import { encodeInt, isSafeInt } from './cbor/int.ts';
import { describeValue, unsupported } from './cbor/value.ts';
import { encodeText } from './cbor/text.ts';
import { ByteWriter } from './cbor/writer.ts';
import { codedError } from './errors.ts';
import { QualityFlag } from './quality.ts';
import { checkReading, READING_VERSION, type Channel, type Reading } from './reading.ts';

export interface ReadingEncoder {
  /** Deterministic CBOR of `r`: the same bytes as encodeReading(r), and the same errors on a malformed reading. */
  encode(r: Reading): Uint8Array;
  /** The same bytes as a view into the encoder's own buffer, valid until its next call: no copy (on a Puck.js-sized
   * heap a reading's copy is ~85 variables, at the moment the HMAC and the frame need their own). */
  encodeView(r: Reading): Uint8Array;
}

/** The encoded text `s` (head and UTF-8), for the parts that are built once. */
function textBytes(s: string): Uint8Array {
  const w = new ByteWriter(s.length + 9);
  encodeText(w, s);
  return w.result();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// The reading's keys in the order RFC 8949 §4.2.1 puts them (shorter first, then bytewise): v, ts, seq, clock,
// meter, cluster, quality, channels. A channel's: id, raw, unit, scale, value.
const KEY_V = textBytes('v');
const KEY_TS = textBytes('ts');
const KEY_SEQ = textBytes('seq');
const KEY_CLOCK = textBytes('clock');
const KEY_METER = textBytes('meter');
const KEY_CLUSTER = textBytes('cluster');
const KEY_QUALITY = textBytes('quality');
const KEY_CHANNELS = textBytes('channels');
const KEY_ID = textBytes('id');
const KEY_RAW = textBytes('raw');
const KEY_UNIT = textBytes('unit');
const KEY_SCALE = textBytes('scale');
const KEY_VALUE = textBytes('value');

/** The meter key and the head of its 20-byte string. */
const KEY_METER_BYTES = concat(KEY_METER, new Uint8Array([0x40 | ADDRESS_LENGTH]));

/** Copies `bytes` into `buf` at `p`; returns the offset after them. */
function put(buf: Uint8Array, p: number, bytes: Uint8Array): number {
  buf.set(bytes, p);
  return p + bytes.length;
}

const TWO_32 = 4294967296;

/** Writes a safe integer as encodeInt does (shortest head, major type 0 or 1); returns the offset after it. */
function putInt(buf: Uint8Array, p: number, value: number): number {
  if (!isSafeInt(value)) throw unsupported(`expected an integer within ±(2^53 − 1), got ${describeValue(value)}`);
  let n = value;
  let mt = 0;
  if (n < 0) {
    n = -1 - n;
    mt = 0x20;
  }
  if (n < 24) {
    buf[p] = mt | n;
    return p + 1;
  }
  if (n < 0x100) {
    buf[p] = mt | 24;
    buf[p + 1] = n;
    return p + 2;
  }
  if (n < 0x10000) {
    buf[p] = mt | 25;
    buf[p + 1] = n >>> 8;
    buf[p + 2] = n & 0xff;
    return p + 3;
  }
  if (n < TWO_32) {
    buf[p] = mt | 26;
    buf[p + 1] = n >>> 24;
    buf[p + 2] = (n >>> 16) & 0xff;
    buf[p + 3] = (n >>> 8) & 0xff;
    buf[p + 4] = n & 0xff;
    return p + 5;
  }
  const hi = Math.floor(n / TWO_32);
  const lo = n - hi * TWO_32;
  buf[p] = mt | 27;
  buf[p + 1] = hi >>> 24;
  buf[p + 2] = (hi >>> 16) & 0xff;
  buf[p + 3] = (hi >>> 8) & 0xff;
  buf[p + 4] = hi & 0xff;
  buf[p + 5] = lo >>> 24;
  buf[p + 6] = (lo >>> 16) & 0xff;
  buf[p + 7] = (lo >>> 8) & 0xff;
  buf[p + 8] = lo & 0xff;
  return p + 9;
}

/**
 * The constant bytes of the channels, for each: before its raw value (map head, id, and the raw key when it has one),
 * and between raw and value (unit, scale, the value key). Held in one buffer with offsets and parallel arrays, not an
 * object and two byte arrays per channel: on Espruino those took about 15 variables a channel (480 for an SDM630's
 * 32), these about 2.
 */
interface Layouts {
  ids: string[];
  units: string[];
  scales: Int32Array;
  raw: Uint8Array;
  bytes: Uint8Array;
  /** Per channel: where its before-bytes start, where its after-bytes start, where they end. */
  at: Uint16Array;
}

const NO_LAYOUTS: Layouts = { ids: [], units: [], scales: new Int32Array(0), raw: new Uint8Array(0), bytes: new Uint8Array(0), at: new Uint16Array(0) };

function layoutsOf(channels: Channel[]): Layouts {
  const n = channels.length;
  const out: Layouts = { ids: [], units: [], scales: new Int32Array(n), raw: new Uint8Array(n), bytes: NO_LAYOUTS.bytes, at: new Uint16Array(3 * n) };
  const w = new ByteWriter(64 * n + 1);
  for (let i = 0; i < n; i++) {
    const c = channels[i]!;
    const raw = c.raw !== undefined;
    out.ids.push(c.id);
    out.units.push(c.unit);
    out.scales[i] = c.scale;
    out.raw[i] = raw ? 1 : 0;
    out.at[3 * i] = w.pos;
    writeHead(w, MT_MAP, raw ? 5 : 4);
    w.bytes(KEY_ID);
    encodeText(w, c.id);
    if (raw) w.bytes(KEY_RAW);
    out.at[3 * i + 1] = w.pos;
    w.bytes(KEY_UNIT);
    encodeText(w, c.unit);
    w.bytes(KEY_SCALE);
    encodeInt(w, c.scale);
    w.bytes(KEY_VALUE);
    out.at[3 * i + 2] = w.pos;
  }
  out.bytes = w.result();
  return out;
}

function sameLayout(layouts: Layouts, i: number, c: Channel): boolean {
  return layouts.ids[i] === c.id && layouts.units[i] === c.unit && layouts.scales[i] === c.scale && layouts.raw[i] === (c.raw !== undefined ? 1 : 0);
}

/** A new encoder; it keeps the layout of the last reading's channels and rebuilds it when they change. */
export function createReadingEncoder(): ReadingEncoder {
  const w = new ByteWriter(512);
  let layouts = NO_LAYOUTS;
  let cluster = '';
  let clusterBytes = concat(KEY_CLUSTER, textBytes(''));
  /** Bytes the channels can take at most with the current layouts. */
  let capacity = 0;

  function write(r: Reading): void {
    const channels = r.channels;
    let changed = channels.length !== layouts.ids.length;
    for (let i = 0; !changed && i < channels.length; i++) if (!sameLayout(layouts, i, channels[i]!)) changed = true;
    if (changed) {
      // New channels: the whole check, as encodeReading makes it, before anything is built from them.
      const problem = checkReading(r);
      if (problem) throw codedError('READING_INVALID', `reading: ${problem}`);
      layouts = layoutsOf(channels);
      capacity = layouts.bytes.length + 18 * channels.length;
    } else {
      // The same channels: their scales and ids passed checkReading before; what else it checks, checked here.
      let filtered = false;
      for (let i = 0; i < layouts.raw.length; i++) if (layouts.raw[i] === 1) filtered = true;
      let problem: string | undefined;
      if (r.v !== READING_VERSION) problem = `unsupported reading version ${r.v}`;
      else if (r.quality > 0xffffffff) problem = 'quality flags wider than 32 bits';
      else if (filtered && (r.quality & QualityFlag.FILTERED) === 0) problem = 'a channel carries a raw value but the FILTERED flag is not set';
      if (problem) throw codedError('READING_INVALID', `reading: ${problem}`);
    }
    if (r.meter.length !== ADDRESS_LENGTH) throw codedError('READING_INVALID', `reading: meter must be a ${ADDRESS_LENGTH}-byte address`);
    if (r.cluster !== cluster) {
      clusterBytes = concat(KEY_CLUSTER, textBytes(r.cluster));
      cluster = r.cluster;
    }
    // Head, keys, five integers of at most 9 bytes, the meter, the cluster, the channels' array head.
    const needed = capacity + 128 + clusterBytes.length;
    w.pos = 0;
    // Exactly what this reading can take, not the next power of two: the buffer is kept between readings.
    if (w.buf.length < needed) w.buf = new Uint8Array(needed);
    const buf = w.buf;
    // Written in place with local offsets: on Espruino every call and property access is interpreted.
    buf[0] = 0xa8; // map of 8 entries
    let p = put(buf, 1, KEY_V);
    p = putInt(buf, p, r.v);
    p = put(buf, p, KEY_TS);
    p = putInt(buf, p, r.ts);
    p = put(buf, p, KEY_SEQ);
    p = putInt(buf, p, r.seq);
    p = put(buf, p, KEY_CLOCK);
    p = putInt(buf, p, r.clock);
    p = put(buf, p, KEY_METER_BYTES);
    p = put(buf, p, r.meter);
    p = put(buf, p, clusterBytes);
    p = put(buf, p, KEY_QUALITY);
    p = putInt(buf, p, r.quality);
    p = put(buf, p, KEY_CHANNELS);
    const n = channels.length;
    if (n < 24) buf[p++] = 0x80 | n;
    else if (n < 0x100) {
      buf[p++] = 0x98; // array, 1-byte count
      buf[p++] = n;
    } else {
      buf[p++] = 0x99; // array, 2-byte count
      buf[p++] = n >>> 8;
      buf[p++] = n & 0xff;
    }
    const bytes = layouts.bytes;
    const at = layouts.at;
    for (let i = 0; i < n; i++) {
      const c = channels[i]!;
      p = put(buf, p, bytes.subarray(at[3 * i]!, at[3 * i + 1]!));
      if (layouts.raw[i] === 1) p = putInt(buf, p, c.raw!);
      p = put(buf, p, bytes.subarray(at[3 * i + 1]!, at[3 * i + 2]!));
      p = putInt(buf, p, c.value);
    }
    w.pos = p;
  }

  return {
    encode: (r) => {
      write(r);
      return w.result();
    },
    encodeView: (r) => {
      write(r);
      return w.buf.subarray(0, w.pos);
    },
  };
}

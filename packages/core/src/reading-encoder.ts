// A reading encoder for a node that sends the same channels every time (a sensor node, a meter): the bytes that do
// not change from one reading to the next (map keys, channel ids, units, scales) are encoded once and copied, and
// each reading writes only its numbers. Its output is encodeReading's, byte for byte (a test holds it to that over
// a corpus). Why: on Espruino the generic encoder walks and sorts every map of every reading, 42 ms for 17 channels.
import { ADDRESS_LENGTH } from './address.ts';
import { utf8Length } from './bytes.ts';
import { MT_ARRAY, MT_MAP, writeHead } from './cbor/head.ts';
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

// The reading's keys in the order RFC 8949 §4.2.1 puts them (shorter first, then bytewise): v, ts, seq, clock,
// meter, cluster, quality, channels. A channel's: id, raw, unit, scale, value. Encoded into the template only, not
// kept as constants: on Espruino each constant defined at load takes heap for good (13 byte arrays, ~40 variables).

/** Copies `bytes` into `buf` at `p`; returns the offset after them. */
function put(buf: Uint8Array, p: number, bytes: Uint8Array): number {
  buf.set(bytes, p);
  return p + bytes.length;
}

const TWO_32 = 4294967296;

/** The 9-byte form (an argument of 2^32 or more), and the refusal of what is not a safe integer: rare, so kept out of
 * putInt, whose whole text Espruino reads on every call, returns included. */
function putLong(buf: Uint8Array, p: number, value: number): number {
  if (!isSafeInt(value)) throw unsupported(`expected an integer within ±(2^53 − 1), got ${describeValue(value)}`);
  const n = value < 0 ? -1 - value : value;
  const hi = Math.floor(n / TWO_32);
  const lo = n - hi * TWO_32;
  buf[p] = value < 0 ? 0x3b : 0x1b;
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
 * Writes a safe integer as encodeInt does (shortest head, major type 0 or 1); returns the offset after it. An
 * integer below 2^32 in magnitude is written here; anything else (a larger one, a fraction, NaN, not a number: the
 * comparisons and the floor test fail for each) goes to putLong, which writes it or refuses it.
 */
function putInt(buf: Uint8Array, p: number, value: number): number {
  const neg = value < 0;
  const n = neg ? -1 - value : value;
  if (!(n < TWO_32 && Math.floor(n) === n && n >= 0)) return putLong(buf, p, value);
  const mt = neg ? 0x20 : 0;
  if (n < 24) buf[p++] = mt | n;
  else if (n < 0x100) {
    buf[p++] = mt | 24;
    buf[p++] = n;
  } else if (n < 0x10000) {
    buf[p++] = mt | 25;
    buf[p++] = n >>> 8;
    buf[p++] = n & 0xff;
  } else {
    buf[p++] = mt | 26;
    buf[p++] = n >>> 24;
    buf[p++] = (n >>> 16) & 0xff;
    buf[p++] = (n >>> 8) & 0xff;
    buf[p++] = n & 0xff;
  }
  return p;
}

/**
 * What identifies a layout of channels: their ids, units, scales and whether each has a raw value. Parallel arrays,
 * not an object per channel: on Espruino an object and two byte arrays a channel took about 15 variables (480 for an
 * SDM630's 32), these about 2.
 */
interface Layouts {
  ids: string[];
  units: string[];
  scales: Int32Array;
  raw: Uint8Array;
}

const NO_LAYOUTS: Layouts = { ids: [], units: [], scales: new Int32Array(0), raw: new Uint8Array(0) };

function layoutsOf(channels: Channel[]): Layouts {
  const n = channels.length;
  const out: Layouts = { ids: [], units: [], scales: new Int32Array(n), raw: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const c = channels[i]!;
    out.ids.push(c.id);
    out.units.push(c.unit);
    out.scales[i] = c.scale;
    out.raw[i] = c.raw !== undefined ? 1 : 0;
  }
  return out;
}

/**
 * The whole reading as runs of constant bytes with holes between them, in the order the bytes go out: the version
 * and the keys, the cluster, each channel's map head, id, unit, scale and keys; the holes take ts, seq, clock, the
 * meter, quality, and each channel's raw (when it has one) and value. Run k is `bytes[ends[k - 1]:ends[k]]`
 * (`ends[-1]` = 0); a reading is run 0, hole, run 1, hole, …, the last run. One copy per channel and a number is all
 * a reading costs, where one copy per key and per part took twice the calls: on Espruino each call is interpreted.
 */
interface Template {
  bytes: Uint8Array;
  ends: Uint32Array;
}

/** Runs before the channels: up to ts, seq, clock, the meter, quality (each followed by its hole). */
const HEADER_RUNS = 5;

/** Bytes of a CBOR head for argument `n` (RFC 8949 §3). */
function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/** Bytes of the encoded text `s` (checked by checkReading before: no lone surrogate). */
function textLength(s: string): number {
  const n = utf8Length(s);
  return headLength(n) + n;
}

/**
 * Built in one buffer of exactly its size (counted first), with its run ends in one typed array: on a Puck.js-sized
 * heap a growing writer, its copy and a list of ends at once did not fit beside the firmware (out of memory at the
 * first reading).
 */
function templateOf(channels: Channel[], raw: Uint8Array, cluster: string): Template {
  const n = channels.length;
  let size = 1 + textLength('v') + headLength(READING_VERSION) + textLength('ts') + textLength('seq') + textLength('clock');
  size += textLength('meter') + 1 + textLength('cluster') + textLength(cluster) + textLength('quality') + textLength('channels') + headLength(n);
  let holes = HEADER_RUNS + n + 1;
  for (let i = 0; i < n; i++) {
    const c = channels[i]!;
    size += 1 + textLength('id') + textLength(c.id) + textLength('unit') + textLength(c.unit) + textLength('scale') + textLength('value');
    size += headLength(c.scale < 0 ? -1 - c.scale : c.scale);
    if (raw[i] === 1) {
      size += textLength('raw');
      holes++;
    }
  }
  const w = new ByteWriter(size);
  const ends = new Uint32Array(holes);
  let k = 0;
  w.byte(0xa8); // map of 8 entries
  encodeText(w, 'v');
  encodeInt(w, READING_VERSION);
  encodeText(w, 'ts');
  ends[k++] = w.pos;
  encodeText(w, 'seq');
  ends[k++] = w.pos;
  encodeText(w, 'clock');
  ends[k++] = w.pos;
  encodeText(w, 'meter');
  w.byte(0x40 | ADDRESS_LENGTH); // the head of its 20-byte string
  ends[k++] = w.pos;
  encodeText(w, 'cluster');
  encodeText(w, cluster);
  encodeText(w, 'quality');
  ends[k++] = w.pos;
  encodeText(w, 'channels');
  writeHead(w, MT_ARRAY, n);
  for (let i = 0; i < n; i++) {
    const c = channels[i]!;
    writeHead(w, MT_MAP, raw[i] === 1 ? 5 : 4);
    encodeText(w, 'id');
    encodeText(w, c.id);
    if (raw[i] === 1) {
      encodeText(w, 'raw');
      ends[k++] = w.pos;
    }
    encodeText(w, 'unit');
    encodeText(w, c.unit);
    encodeText(w, 'scale');
    encodeInt(w, c.scale);
    encodeText(w, 'value');
    ends[k++] = w.pos;
  }
  ends[k] = w.pos;
  // Counted right, the writer never grew and its buffer is the template, no copy.
  return { bytes: w.pos === w.buf.length ? w.buf : w.result(), ends };
}

const NO_TEMPLATE: Template = { bytes: new Uint8Array(0), ends: new Uint32Array(0) };

/** A new encoder; it keeps the template of the last reading's channels and cluster and rebuilds it when they change. */
export function createReadingEncoder(): ReadingEncoder {
  const w = new ByteWriter(512);
  let layouts = NO_LAYOUTS;
  let template = NO_TEMPLATE;
  let cluster: string | undefined;
  /** Whether a channel carries a raw value (the FILTERED flag is then required). */
  let filtered = false;

  /** When the channels or the cluster change (rare: its text stays out of write's, which Espruino reads per call). */
  function rebuild(r: Reading, changed: boolean): void {
    if (changed) {
      // New channels: the whole check, as encodeReading makes it, before anything is built from them.
      const problem = checkReading(r);
      if (problem) throw codedError('READING_INVALID', `reading: ${problem}`);
      layouts = layoutsOf(r.channels);
    }
    filtered = false;
    for (let i = 0; i < layouts.raw.length; i++) if (layouts.raw[i] === 1) filtered = true;
    template = NO_TEMPLATE; // let the old one go before the new one is built (a Puck.js heap has room for one)
    template = templateOf(r.channels, layouts.raw, r.cluster);
    cluster = r.cluster;
  }

  /** What checkReading finds in a reading whose channels it passed before (their ids and scales are unchanged). */
  function recheck(r: Reading): void {
    let problem: string | undefined;
    if (r.v !== READING_VERSION) problem = `unsupported reading version ${r.v}`;
    else if (r.quality > 0xffffffff) problem = 'quality flags wider than 32 bits';
    else if (filtered && (r.quality & QualityFlag.FILTERED) === 0) problem = 'a channel carries a raw value but the FILTERED flag is not set';
    if (problem) throw codedError('READING_INVALID', `reading: ${problem}`);
  }

  function write(r: Reading): void {
    const channels = r.channels;
    const n = channels.length;
    const raw = layouts.raw;
    let changed = n !== raw.length;
    for (let i = 0; !changed && i < n; i++) {
      const c = channels[i]!;
      changed = layouts.ids[i] !== c.id || layouts.units[i] !== c.unit || layouts.scales[i] !== c.scale || raw[i] !== (c.raw === undefined ? 0 : 1);
    }
    if (changed || r.cluster !== cluster) rebuild(r, changed);
    if (!changed && (r.v !== READING_VERSION || r.quality > 0xffffffff || filtered)) recheck(r);
    if (r.meter.length !== ADDRESS_LENGTH) throw codedError('READING_INVALID', `reading: meter must be a ${ADDRESS_LENGTH}-byte address`);
    const bytes = template.bytes;
    const ends = template.ends;
    // The runs, the meter and at most 9 bytes per other hole.
    const needed = bytes.length + 9 * ends.length + ADDRESS_LENGTH;
    w.pos = 0;
    // Exactly what this reading can take, not the next power of two: the buffer is kept between readings.
    if (w.buf.length < needed) w.buf = new Uint8Array(needed);
    const buf = w.buf;
    // Written in place with local offsets: on Espruino every call and property access is interpreted.
    let p = put(buf, 0, bytes.subarray(0, ends[0]!));
    p = putInt(buf, p, r.ts);
    p = put(buf, p, bytes.subarray(ends[0]!, ends[1]!));
    p = putInt(buf, p, r.seq);
    p = put(buf, p, bytes.subarray(ends[1]!, ends[2]!));
    p = putInt(buf, p, r.clock);
    p = put(buf, p, bytes.subarray(ends[2]!, ends[3]!));
    p = put(buf, p, r.meter);
    p = put(buf, p, bytes.subarray(ends[3]!, ends[4]!));
    p = putInt(buf, p, r.quality);
    const raws = layouts.raw;
    let k = HEADER_RUNS;
    for (let i = 0; i < n; i++) {
      const c = channels[i]!;
      p = put(buf, p, bytes.subarray(ends[k - 1]!, ends[k]!));
      k++;
      if (raws[i] === 1) {
        p = putInt(buf, p, c.raw!);
        p = put(buf, p, bytes.subarray(ends[k - 1]!, ends[k]!));
        k++;
      }
      p = putInt(buf, p, c.value);
    }
    w.pos = put(buf, p, bytes.subarray(ends[k - 1]!, ends[k]!));
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

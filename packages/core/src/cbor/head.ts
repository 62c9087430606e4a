// RFC 8949 §3: the initial byte (major type, additional information) and its argument, in shortest form (§4.2.1).

import type { ByteWriter } from './writer.ts';

export const MT_UINT = 0;
export const MT_NINT = 1;
export const MT_BYTES = 2;
export const MT_TEXT = 3;
export const MT_ARRAY = 4;
export const MT_MAP = 5;
export const MT_TAG = 6;
export const MT_SIMPLE = 7;

const TWO_32 = 4294967296;
/** 2^53 / 2^32: an 8-byte argument whose high word reaches this is beyond the safe integers. */
const SAFE_HIGH_LIMIT = 2097152;

/** Writes a head with argument `n` (0 ≤ n ≤ 2^53 − 1) in the shortest form, as §4.2.1 requires. */
export function writeHead(w: ByteWriter, major: number, n: number): void {
  const mt = major << 5;
  if (n < 24) {
    w.byte(mt | n);
  } else if (n < 0x100) {
    w.ensure(2);
    w.buf[w.pos++] = mt | 24;
    w.buf[w.pos++] = n;
  } else if (n < 0x10000) {
    w.ensure(3);
    w.buf[w.pos++] = mt | 25;
    w.buf[w.pos++] = n >>> 8;
    w.buf[w.pos++] = n & 0xff;
  } else if (n < TWO_32) {
    w.ensure(5);
    w.buf[w.pos++] = mt | 26;
    w.buf[w.pos++] = n >>> 24;
    w.buf[w.pos++] = (n >>> 16) & 0xff;
    w.buf[w.pos++] = (n >>> 8) & 0xff;
    w.buf[w.pos++] = n & 0xff;
  } else {
    const hi = Math.floor(n / TWO_32);
    const lo = n - hi * TWO_32;
    w.ensure(9);
    w.buf[w.pos++] = mt | 27;
    w.buf[w.pos++] = hi >>> 24;
    w.buf[w.pos++] = (hi >>> 16) & 0xff;
    w.buf[w.pos++] = (hi >>> 8) & 0xff;
    w.buf[w.pos++] = hi & 0xff;
    w.buf[w.pos++] = lo >>> 24;
    w.buf[w.pos++] = (lo >>> 16) & 0xff;
    w.buf[w.pos++] = (lo >>> 8) & 0xff;
    w.buf[w.pos++] = lo & 0xff;
  }
}

/** A head as read: `arg` is the argument (an exact integer below 2^53, or `TOO_BIG`); `end` is the offset after it. */
export interface Head {
  major: number;
  info: number;
  arg: number;
  end: number;
}

/** Marks an 8-byte argument of 2^53 or more: no safe integer, no length the profile could ever hold. */
export const TOO_BIG = -1;

/**
 * Reads the head at `pos` into `out`. Returns '' on success, else the reason. Checks only what every major type
 * shares: the bytes are there, the additional information is not reserved (28–30), the argument is shortest.
 * Indefinite lengths (31) come back with arg 0 for the caller to refuse by major type.
 */
export function readHead(bytes: Uint8Array, pos: number, out: Head): string {
  if (pos >= bytes.length) return 'truncated';
  const ib = bytes[pos]!;
  const major = ib >> 5;
  const info = ib & 31;
  out.major = major;
  out.info = info;
  if (info < 24) {
    out.arg = info;
    out.end = pos + 1;
    return '';
  }
  if (info === 31) {
    out.arg = 0;
    out.end = pos + 1;
    return '';
  }
  if (info > 27) return 'reserved additional information';
  // Tags and major type 7 (floats, simple values) are refused whatever their argument; say so, not "non-shortest".
  if (major === MT_TAG) return 'tag not allowed';
  if (major === MT_SIMPLE) return info === 24 ? 'simple value not allowed' : 'float not allowed';
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 8;
  if (pos + 1 + size > bytes.length) return 'truncated';
  let arg: number;
  const p = pos + 1;
  if (size === 1) {
    arg = bytes[p]!;
  } else if (size === 2) {
    arg = (bytes[p]! << 8) | bytes[p + 1]!;
  } else if (size === 4) {
    arg = ((bytes[p]! << 24) >>> 0) + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!);
  } else {
    const hi = ((bytes[p]! << 24) >>> 0) + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!);
    const lo = ((bytes[p + 4]! << 24) >>> 0) + ((bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!);
    arg = hi >= SAFE_HIGH_LIMIT ? TOO_BIG : hi * TWO_32 + lo;
    if (hi === 0) arg = lo;
  }
  // §4.2.1: the argument must use the fewest bytes; each wider form is valid only above the narrower one's range.
  const min = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : TWO_32;
  if (arg !== TOO_BIG && arg < min) return major <= MT_NINT ? 'non-shortest integer' : 'non-shortest length';
  out.arg = arg;
  out.end = p + size;
  return '';
}

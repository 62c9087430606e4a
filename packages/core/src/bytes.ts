// Byte helpers that run everywhere (no Buffer, no TextEncoder): compare, concatenate, UTF-8, big-endian integers.
import { codedError } from './errors.ts';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Bytewise lexicographic order: negative, zero or positive like a sort comparator. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** UTF-8 length of `s`; −1 when it holds a lone surrogate, which has no UTF-8 form. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return -1;
      n += 4;
      i++;
    } else return -1;
  }
  return n;
}

/** Writes the UTF-8 of `s` (already checked by utf8Length) into `buf` at `p`; returns the offset after it. */
export function writeUtf8(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 63);
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 63);
      buf[p++] = 0x80 | (c & 63);
    } else {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
      buf[p++] = 0xf0 | (c >> 18);
      buf[p++] = 0x80 | ((c >> 12) & 63);
      buf[p++] = 0x80 | ((c >> 6) & 63);
      buf[p++] = 0x80 | (c & 63);
    }
  }
  return p;
}

/** UTF-8 encoding of a string; throws on lone surrogates (they have no UTF-8 form). */
export function utf8Encode(text: string): Uint8Array {
  const length = utf8Length(text);
  if (length < 0) throw codedError('UTF8_INVALID', 'utf8: lone surrogate');
  const out = new Uint8Array(length);
  writeUtf8(out, 0, text);
  return out;
}

/** Big-endian unsigned integer of `length` bytes (up to 6, so the result stays an exact number). */
export function readUintBE(bytes: Uint8Array, offset: number, length: number): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + bytes[offset + i]!;
  return v;
}

/** Writes `value` (a non-negative safe integer) big-endian into `length` bytes. */
export function writeUintBE(bytes: Uint8Array, offset: number, length: number, value: number): void {
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

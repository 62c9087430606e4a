// RFC 8949 §3.1 major type 3: text strings in UTF-8 (RFC 3629), written and checked here (no TextEncoder on Espruino).

import { utf8Length, writeUtf8 } from '../bytes.ts';
import { MT_TEXT, writeHead } from './head.ts';
import { unsupported } from './value.ts';
import type { ByteWriter } from './writer.ts';

/** Writes a text string whose UTF-8 length the caller has measured (map keys are measured to be sorted). */
export function writeText(w: ByteWriter, s: string, length: number): void {
  writeHead(w, MT_TEXT, length);
  w.ensure(length);
  w.pos = writeUtf8(w.buf, w.pos, s);
}

export function encodeText(w: ByteWriter, s: string): void {
  const length = utf8Length(s);
  if (length < 0) throw unsupported('text holds a lone surrogate, which has no UTF-8 form');
  writeText(w, s, length);
}

/** UTF-8 bytes of a string the caller has checked with utf8Length (used to order map keys). */
export function utf8Bytes(s: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  writeUtf8(out, 0, s);
  return out;
}

/** Text of up to this many bytes is looked up in the cache below: keys, units and channel ids are that short. */
const CACHED_TEXT_MAX = 32;
const CACHE_SLOTS = 64;
/** ASCII strings decoded lately, by a hash of their bytes (a string, never bytes: a hit is checked char by char). */
const textCache: string[] = [];
for (let i = 0; i < CACHE_SLOTS; i++) textCache.push('');

/**
 * readUtf8 for the decoder. Short ASCII text, most text in meterchain's messages, is looked up by its bytes among
 * the strings decoded lately and, when there, returned without building a string: one string per distinct key or
 * unit instead of one per occurrence, and a map key V8 has already seen as a property name. The slot comes from
 * the length and four of the bytes (first, last and the two middle ones, where OBIS codes differ); the comparison
 * that follows checks every byte, so a collision only costs a rebuild.
 */
export function readText(src: Uint8Array, start: number, end: number): string | null {
  const n = end - start;
  if (n === 0) return '';
  if (n > CACHED_TEXT_MAX) return readUtf8(src, start, end);
  let h = n * 31 + src[start]!;
  h = h * 31 + src[start + ((n - 1) >> 1)]!;
  h = h * 31 + src[start + (n >> 1)]!;
  h = h * 31 + src[end - 1]!;
  const slot = (h ^ (h >> 6) ^ (h >> 12)) & (CACHE_SLOTS - 1);
  const cached = textCache[slot]!;
  if (cached.length === n) {
    // A cached string is ASCII, so equal char codes mean equal bytes (and ASCII input).
    let i = 0;
    while (i < n && cached.charCodeAt(i) === src[start + i]) i++;
    if (i === n) return cached;
  }
  let out = '';
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    if (b >= 0x80) return readUtf8(src, start, end);
    out += String.fromCharCode(b);
  }
  textCache[slot] = out;
  return out;
}

/**
 * Decodes UTF-8 strictly (RFC 3629 §3): no overlong forms, no surrogates, nothing above U+10FFFF, no cut
 * sequences. Returns null on any of them.
 */
export function readUtf8(src: Uint8Array, start: number, end: number): string | null {
  let out = '';
  let i = start;
  while (i < end) {
    const a = src[i]!;
    if (a < 0x80) {
      out += String.fromCharCode(a);
      i += 1;
      continue;
    }
    let cp: number;
    if (a >= 0xc2 && a <= 0xdf) {
      if (i + 1 >= end) return null;
      const b = src[i + 1]!;
      if ((b & 0xc0) !== 0x80) return null;
      cp = ((a & 31) << 6) | (b & 63);
      i += 2;
    } else if (a >= 0xe0 && a <= 0xef) {
      if (i + 2 >= end) return null;
      const b = src[i + 1]!;
      const c = src[i + 2]!;
      if ((b & 0xc0) !== 0x80 || (c & 0xc0) !== 0x80) return null;
      cp = ((a & 15) << 12) | ((b & 63) << 6) | (c & 63);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return null;
      i += 3;
    } else if (a >= 0xf0 && a <= 0xf4) {
      if (i + 3 >= end) return null;
      const b = src[i + 1]!;
      const c = src[i + 2]!;
      const d = src[i + 3]!;
      if ((b & 0xc0) !== 0x80 || (c & 0xc0) !== 0x80 || (d & 0xc0) !== 0x80) return null;
      cp = ((a & 7) << 18) | ((b & 63) << 12) | ((c & 63) << 6) | (d & 63);
      if (cp < 0x10000 || cp > 0x10ffff) return null;
      i += 4;
    } else {
      return null;
    }
    if (cp < 0x10000) {
      out += String.fromCharCode(cp);
    } else {
      cp -= 0x10000;
      out += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
    }
  }
  return out;
}

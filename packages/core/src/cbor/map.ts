// RFC 8949 §3.1 major type 5: maps with text keys, in the key order of §4.2.1 (bytewise on the encoded keys).

import { MT_MAP, writeHead } from './head.ts';
import type { ByteWriter } from './writer.ts';

export function writeMapHead(w: ByteWriter, count: number): void {
  writeHead(w, MT_MAP, count);
}

/** Refused as a key: assigning it to a plain object would replace the object's prototype. */
export const FORBIDDEN_KEY = '__proto__';

/**
 * Orders UTF-16 code units as their code points order, hence as their UTF-8 bytes do: surrogates (which stand for
 * code points above U+FFFF) move above U+E000–U+FFFF.
 */
function unitRank(u: number): number {
  if (u < 0xd800) return u;
  return u <= 0xdfff ? u + 0x2000 : u - 0x800;
}

/**
 * §4.2.1 order for two text keys given their UTF-8 lengths: encoded keys compare bytewise, and since both carry
 * the same major type that is shorter UTF-8 first, then UTF-8 bytewise (= code point order).
 */
export function compareKeys(a: string, aLength: number, b: string, bLength: number): number {
  if (aLength !== bLength) return aLength - bLength;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

/** Bytewise comparison of two encoded keys held in `src` ([aStart, aEnd) before [bStart, bEnd)). */
export function compareEncoded(src: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  if (aLen !== bLen) return aLen - bLen;
  for (let i = 0; i < aLen; i++) {
    const d = src[aStart + i]! - src[bStart + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

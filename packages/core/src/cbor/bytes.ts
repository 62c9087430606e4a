// RFC 8949 §3.1 major type 2: byte strings (definite length only, §4.2.1).

import { MT_BYTES, writeHead } from './head.ts';
import type { ByteWriter } from './writer.ts';

export function encodeBytes(w: ByteWriter, b: Uint8Array): void {
  writeHead(w, MT_BYTES, b.length);
  w.bytes(b);
}

/** A copy, so the decoded value never aliases (and never pins) the caller's input buffer. */
export function readBytes(src: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(src.subarray(start, start + length), 0);
  return out;
}

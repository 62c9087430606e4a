// RFC 8949 §3.1 major type 2: byte strings (definite length only, §4.2.1).

import { MT_BYTES, writeHead } from './head.ts';
import type { ByteWriter } from './writer.ts';

export function encodeBytes(w: ByteWriter, b: Uint8Array): void {
  writeHead(w, MT_BYTES, b.length);
  w.bytes(b);
}

/** Below this length a byte loop copies faster than set() on a subarray, which allocates a view first. */
const LOOP_COPY_MAX = 64;

/** A copy, so the decoded value never aliases (and never pins) the caller's input buffer. */
export function readBytes(src: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (length <= LOOP_COPY_MAX) {
    for (let i = 0; i < length; i++) out[i] = src[start + i]!;
  } else {
    out.set(src.subarray(start, start + length), 0);
  }
  return out;
}

/**
 * A view of the bytes inside the input (no copy): it pins the input and changes with it. Always a plain
 * Uint8Array, even when the input is a subclass such as Node's Buffer.
 */
export function viewBytes(src: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(src.buffer, src.byteOffset + start, length);
}

// RFC 8949 §3.1 major types 0 and 1: unsigned and negative integers, limited to the safe JS integers.

import { MT_NINT, MT_UINT, TOO_BIG, writeHead } from './head.ts';
import { MAX_SAFE, describeValue, unsupported } from './value.ts';
import type { ByteWriter } from './writer.ts';

/** True for the numbers the profile carries: integers within ±(2^53 − 1). */
export function isSafeInt(n: number): boolean {
  return Math.floor(n) === n && n <= MAX_SAFE && n >= -MAX_SAFE;
}

/** Encodes a safe integer; −0 is the integer 0. Floats are refused: meterchain carries fixed-point integers. */
export function encodeInt(w: ByteWriter, n: number): void {
  if (!isSafeInt(n)) throw unsupported(`expected an integer within ±(2^53 − 1), got ${describeValue(n)}`);
  if (n >= 0) writeHead(w, MT_UINT, n);
  else writeHead(w, MT_NINT, -1 - n);
}

/** The integer a type 0/1 head stands for, or '' reason via `null` when it is outside the safe range. */
export function intFromHead(major: number, arg: number): number | null {
  if (arg === TOO_BIG) return null;
  if (major === MT_UINT) return arg;
  // −1 − arg must stay ≥ −(2^53 − 1), so arg ≤ 2^53 − 2.
  if (arg > MAX_SAFE - 1) return null;
  return -1 - arg;
}

// RFC 8949 §3.3 major type 7: of the simple values and floats, only false, true and null are in the profile.

import { MT_SIMPLE } from './head.ts';
import type { ByteWriter } from './writer.ts';

const FALSE = (MT_SIMPLE << 5) | 20;
const TRUE = (MT_SIMPLE << 5) | 21;
const NULL = (MT_SIMPLE << 5) | 22;

export function writeSimple(w: ByteWriter, value: boolean | null): void {
  w.byte(value === null ? NULL : value ? TRUE : FALSE);
}

/** Reason a major-7 head with additional information 0–23 or 31 is refused, or '' for false/true/null. */
export function simpleProblem(info: number): string {
  if (info >= 20 && info <= 22) return '';
  if (info === 23) return 'undefined not allowed';
  if (info === 31) return 'unexpected break';
  return 'simple value not allowed';
}

export function simpleValue(info: number): boolean | null {
  return info === 22 ? null : info === 21;
}

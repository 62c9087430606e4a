// RFC 8949 §3.1 major type 4: arrays (definite length only, §4.2.1), and the bound on declared counts.

import { MT_ARRAY, TOO_BIG, writeHead } from './head.ts';
import type { ByteWriter } from './writer.ts';

export function writeArrayHead(w: ByteWriter, count: number): void {
  writeHead(w, MT_ARRAY, count);
}

/**
 * Checks a declared length against the input before anything is allocated: `need` is the fewest bytes the
 * content can take (one per array item, two per map entry, one per string byte). A claim no input within
 * the limit could meet is a 'length limit'; one this input cannot meet is 'truncated'.
 */
export function checkDeclaredLength(declared: number, need: number, remaining: number, maxBytes: number): string {
  if (declared === TOO_BIG || need > maxBytes) return 'length limit';
  if (need > remaining) return 'truncated';
  return '';
}

// Hex text for bytes: lower-case out, either case in; odd lengths and stray characters are refused.
import { codedError } from './errors.ts';

const DIGITS = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += DIGITS[b >> 4]! + DIGITS[b & 15]!;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Parses hex text; throws an Error (code HEX_INVALID) naming the problem (this is for trusted text: keys, config). */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw codedError('HEX_INVALID', `hex: expected an even number of digits, got ${text.length}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw codedError('HEX_INVALID', `hex: not a hex digit at position ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function isHex(text: string, byteLength?: number): boolean {
  if (text.length % 2 !== 0) return false;
  if (byteLength !== undefined && text.length !== byteLength * 2) return false;
  for (let i = 0; i < text.length; i++) if (nibble(text.charCodeAt(i)) < 0) return false;
  return true;
}

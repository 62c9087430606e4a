// Deterministic encoding (RFC 8949 §4.2.1): shortest heads, definite lengths, map keys in bytewise order.

import { utf8Length } from '../bytes.ts';
import { encodeBytes } from './bytes.ts';
import { encodeInt } from './int.ts';
import { FORBIDDEN_KEY, compareKeys, writeMapHead } from './map.ts';
import { writeArrayHead } from './array.ts';
import { writeSimple } from './simple.ts';
import { encodeText, writeText } from './text.ts';
import type { CborMap, CborValue } from './value.ts';
import { describeValue, unsupported } from './value.ts';
import { ByteWriter } from './writer.ts';

/** Nesting the encoder follows before it gives up: far beyond any meterchain message, and it stops cycles. */
export const MAX_ENCODE_DEPTH = 64;

/** True for objects written as CBOR maps: plain objects only (a class instance, Map or Date is a mistake). */
export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encodeMap(w: ByteWriter, m: CborMap, depth: number, encodeItem: (w: ByteWriter, v: CborValue, depth: number) => void): void {
  const keys = Object.keys(m);
  const n = keys.length;
  const lengths: number[] = [];
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (k === FORBIDDEN_KEY) throw unsupported(`map key "${FORBIDDEN_KEY}" is refused (it would replace a decoded object's prototype)`);
    const length = utf8Length(k);
    if (length < 0) throw unsupported(`map key ${JSON.stringify(k)} holds a lone surrogate`);
    lengths.push(length);
    if (i > 0 && sorted && compareKeys(keys[i - 1]!, lengths[i - 1]!, k, length) > 0) sorted = false;
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    // Insertion sort of the key indices: maps hold a handful of keys, and it needs no comparator closure.
    let j = i;
    while (!sorted && j > 0 && compareKeys(keys[order[j - 1]!]!, lengths[order[j - 1]!]!, keys[i]!, lengths[i]!) > 0) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  writeMapHead(w, n);
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    writeText(w, keys[j]!, lengths[j]!);
    encodeItem(w, m[keys[j]!]!, depth + 1);
  }
}

function encodeItem(w: ByteWriter, v: CborValue, depth: number): void {
  const t = typeof v;
  if (t === 'number') {
    encodeInt(w, v as number);
  } else if (t === 'string') {
    encodeText(w, v as string);
  } else if (t === 'boolean' || v === null) {
    writeSimple(w, v as boolean | null);
  } else if (t === 'object') {
    if (v instanceof Uint8Array) {
      encodeBytes(w, v);
      return;
    }
    // Counted as the decoder counts: this array or map sits at nesting level depth + 1.
    if (depth >= MAX_ENCODE_DEPTH) throw unsupported(`nesting deeper than ${MAX_ENCODE_DEPTH} (a cycle?)`);
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) throw unsupported(`expected a plain array, got ${describeValue(v)}`);
      writeArrayHead(w, v.length);
      for (let i = 0; i < v.length; i++) encodeItem(w, v[i]!, depth + 1);
    } else {
      if (!isPlainObject(v as object)) throw unsupported(`expected a plain object for a map, got ${describeValue(v)}`);
      encodeMap(w, v as CborMap, depth, encodeItem);
    }
  } else {
    throw unsupported(`${describeValue(v)} is not in the profile`);
  }
}

/** Scratch space kept between calls (the result is always a fresh copy), unless an encode is already using it. */
const scratch = new ByteWriter(256);
let scratchBusy = false;

function releaseScratch(): void {
  scratchBusy = false;
  // Do not keep a buffer grown by one large value.
  if (scratch.buf.length > 65536) scratch.buf = new Uint8Array(256);
}

/** Deterministic CBOR of `value`; throws CBOR_UNSUPPORTED for anything outside the profile (see CborValue). */
export function encode(value: CborValue): Uint8Array {
  // A getter inside `value` could call encode again: that call gets its own writer.
  if (scratchBusy) {
    const own = new ByteWriter(256);
    encodeItem(own, value, 0);
    return own.result();
  }
  scratchBusy = true;
  scratch.pos = 0;
  try {
    encodeItem(scratch, value, 0);
  } catch (e) {
    releaseScratch();
    throw e;
  }
  const out = scratch.result();
  releaseScratch();
  return out;
}

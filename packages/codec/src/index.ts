// @meterchain/codec: the Node fast path for meterchain's deterministic CBOR. cbor-x does the work under a profile
// that makes its bytes identical to the portable codec in @meterchain/core, which stays the reference: whatever
// the fast path cannot vouch for is handed to it, so both give the same bytes, values, verdicts and errors.

import { DEFAULT_CBOR_LIMITS, decode, encode, checkSchema } from '@meterchain/core';
import type { CborLimits, CborValue, DecodeResult, Schema } from '@meterchain/core';
import { Decoder, Encoder } from 'cbor-x';
import { OUTSIDE, prepare } from './prepare.ts';

export type { CborLimits, CborValue, DecodeResult, Schema } from '@meterchain/core';

/** Same bound as the portable encoder (MAX_ENCODE_DEPTH): arrays and maps nested deeper are refused. */
const MAX_ENCODE_DEPTH = 64;

// cbor-x has no deterministic mode (DESIGN §4). With no records, variable map heads, no Uint8Array tag, no
// Map tag and no packing, and given integers (BigInt from 2^32 up) and keys in §4.2.1 order, it writes shortest
// heads and definite lengths: the deterministic encoding.
const PROFILE = {
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  tagUint8Array: false,
  useTag259ForMaps: false,
  useFloat32: 0,
  pack: false,
  structuredClone: false,
  bundleStrings: false,
  // Decoding: 8-byte integers as numbers (those of 2^53 and more are then refused as unsafe) and byte strings
  // copied out of the input, as the portable decoder does.
  int64AsNumber: true,
  copyBuffers: true,
};
const encoder = new Encoder(PROFILE as ConstructorParameters<typeof Encoder>[0]);
const decoder = new Decoder(PROFILE as ConstructorParameters<typeof Decoder>[0]);

/** A plain Uint8Array view (cbor-x hands out Buffers; the value model and its tests speak Uint8Array). */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

/**
 * Deterministic CBOR of `value`, byte for byte what `encode` from @meterchain/core writes; throws the same
 * CBOR_UNSUPPORTED error for values outside the profile. The result may share an ArrayBuffer with other results.
 */
export function encodeFast(value: CborValue): Uint8Array {
  const prepared = prepare(value, 0, MAX_ENCODE_DEPTH);
  // Outside the profile: the portable encoder throws the precise error.
  if (prepared === OUTSIDE) return encode(value);
  return plain(encoder.encode(prepared));
}

/**
 * Strict decode with the contract of `decode` from @meterchain/core: the same values and, on refusal, the same
 * reason and offset (any input the fast path does not accept is decoded again by the portable decoder, which
 * says why). Never throws on any input.
 */
export function decodeFast(bytes: Uint8Array, schema?: Schema, limits?: CborLimits): DecodeResult {
  const depth = limits?.depth ?? DEFAULT_CBOR_LIMITS.depth;
  const maxBytes = limits?.maxBytes ?? DEFAULT_CBOR_LIMITS.maxBytes;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > maxBytes || !isCount(depth)) {
    return decode(bytes, schema, limits);
  }
  let value: CborValue;
  try {
    value = decoder.decode(plain(bytes)) as CborValue;
  } catch {
    return decode(bytes, schema, limits);
  }
  // Canonical check: the input must be exactly the deterministic encoding of what was read. That refuses
  // non-shortest heads, indefinite lengths, unsorted or duplicate keys, floats, tags, undefined and invalid
  // UTF-8 (cbor-x reads them all into something that re-encodes differently or not at all).
  const prepared = prepare(value, 0, depth);
  if (prepared === OUTSIDE || !sameBytes(encoder.encode(prepared), bytes)) return decode(bytes, schema, limits);
  if (schema !== undefined && schema !== 'any' && checkSchema(value, schema) !== undefined) return decode(bytes, schema, limits);
  return { ok: true, value };
}

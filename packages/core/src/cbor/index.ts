// Deterministic CBOR (RFC 8949 §4.2.1) for meterchain: the profile's value model, encoder, strict decoder, schema.

export type { CborMap, CborValue } from './value.ts';
export { encode } from './encode.ts';
export type { CborLimits, DecodeOptions, DecodeResult, DecodedAs } from './decode.ts';
export { DEFAULT_CBOR_LIMITS, decode, decodeAs, decodeOrThrow } from './decode.ts';
export type { Decoded, Schema } from './schema.ts';
export { checkSchema } from './schema.ts';

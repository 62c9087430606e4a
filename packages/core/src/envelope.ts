// Signed envelopes: the exact bytes that were signed travel with the signature, so nobody re-encodes to verify.
// The signing input is utf8(domain) || 0x00 || body: a signature over a reading can never pass as one over a vote,
// a block header or a manifest (see docs/protocol.md, "Signing inputs").
import { concatBytes, utf8Encode } from './bytes.ts';
import { decode, encode, type Schema } from './cbor/index.ts';
import { SIGNATURE_LENGTH } from './address.ts';
import type { Signer, Verifier } from './signer.ts';

/** Signing domains. Every kind of signed message has its own; none is a prefix of another. */
export const Domain = {
  READING: 'meterchain:reading:v1',
  BATCH: 'meterchain:batch:v1',
  MANIFEST: 'meterchain:manifest:v1',
  VOTE: 'meterchain:vote:v1',
  BLOCK: 'meterchain:block:v1',
  SENSOR: 'meterchain:sensor-hmac:v1',
  TIMEOUT: 'meterchain:timeout:v1',
} as const;

const SEPARATOR = new Uint8Array([0]);

/** The bytes an Ed25519 signature covers for `body` under `domain`. */
export function signingInput(domain: string, body: Uint8Array): Uint8Array {
  return concatBytes([utf8Encode(domain), SEPARATOR, body]);
}

export interface Envelope {
  /** Deterministic CBOR of the signed object, exactly as signed. */
  body: Uint8Array;
  /** Ed25519 signature over signingInput(domain, body). */
  sig: Uint8Array;
}

export const ENVELOPE_SCHEMA: Schema = { map: { body: 'bytes', sig: { bytes: SIGNATURE_LENGTH } } };

export function sealEnvelope(domain: string, body: Uint8Array, signer: Signer): Uint8Array {
  const sig = signer.sign(signingInput(domain, body));
  return encode({ body, sig });
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; reason: string };

/** Decodes an envelope strictly (canonical CBOR, exactly the two fields); never throws. */
export function openEnvelope(bytes: Uint8Array, maxBytes?: number): EnvelopeResult {
  const limit = maxBytes ?? 65536;
  if (bytes.length > limit) return { ok: false, reason: `envelope too large: ${bytes.length} bytes (limit ${limit})` };
  const r = decode(bytes, ENVELOPE_SCHEMA);
  if (!r.ok) return { ok: false, reason: `envelope: ${r.reason} at byte ${r.offset}` };
  const v = r.value as { body: Uint8Array; sig: Uint8Array };
  return { ok: true, envelope: { body: v.body, sig: v.sig } };
}

export function verifyEnvelope(domain: string, envelope: Envelope, publicKey: Uint8Array, verifier: Verifier): boolean {
  return verifier.verify(publicKey, signingInput(domain, envelope.body), envelope.sig);
}

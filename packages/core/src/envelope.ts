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
  SYNC: 'meterchain:sync:v1',
} as const;

/** The bytes an Ed25519 signature covers for `body` under `domain`. */
export function signingInput(domain: string, body: Uint8Array): Uint8Array {
  // Written in place: the domains are ASCII, and only a non-ASCII one takes the general UTF-8 path.
  let ascii = true;
  for (let i = 0; i < domain.length; i++) if (domain.charCodeAt(i) >= 0x80) ascii = false;
  if (!ascii) return concatBytes([utf8Encode(domain), new Uint8Array(1), body]);
  const out = new Uint8Array(domain.length + 1 + body.length);
  for (let i = 0; i < domain.length; i++) out[i] = domain.charCodeAt(i);
  out[domain.length] = 0;
  out.set(body, domain.length + 1);
  return out;
}

/** An opened envelope. Both fields are views into the envelope bytes it was opened from (see openEnvelope). */
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

/** Byte strings as views: an envelope is opened to be read and checked, and travels and is kept as its bytes. */
const AS_VIEWS = { views: true };

/**
 * Decodes an envelope strictly (canonical CBOR, exactly the two fields); never throws. `body` and `sig` are views
 * into `bytes`, not copies: they stay valid while `bytes` is left unchanged, and are not to be written into.
 */
export function openEnvelope(bytes: Uint8Array, maxBytes?: number): EnvelopeResult {
  const limit = maxBytes ?? 65536;
  if (bytes.length > limit) return { ok: false, reason: `envelope too large: ${bytes.length} bytes (limit ${limit})` };
  const r = decode(bytes, ENVELOPE_SCHEMA, AS_VIEWS);
  if (!r.ok) return { ok: false, reason: `envelope: ${r.reason} at byte ${r.offset}` };
  const v = r.value as { body: Uint8Array; sig: Uint8Array };
  return { ok: true, envelope: { body: v.body, sig: v.sig } };
}

export function verifyEnvelope(domain: string, envelope: Envelope, publicKey: Uint8Array, verifier: Verifier): boolean {
  return verifier.verify(publicKey, signingInput(domain, envelope.body), envelope.sig);
}

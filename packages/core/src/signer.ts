// The signing interfaces every Ed25519 backend implements (RFC 8032, under the strict rule set of docs/crypto.md).
// Types only, so portable code can take a signer or verifier without knowing which library is behind it.

/** Holds one private key. `publicKey` is the 32-byte Ed25519 key; `sign` returns a 64-byte signature. */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks signatures. Every implementation gives the same verdict on every input (votes must not split) and
 * never throws: wrong lengths, non-bytes and malformed points all give `false`. */
export interface Verifier {
  /** Which backend this is, for logs and benchmarks (e.g. "node", "noble"). */
  readonly name: string;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}


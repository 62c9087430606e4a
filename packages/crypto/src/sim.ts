// @meterchain/crypto/sim: keys and verification for simulated clusters and tests, never for a device. Keys derive
// from a text (the same text, the same key, so a seed replays a cluster), and one verifier shared by every simulated
// member verifies each signature once.
import { createHash } from 'node:crypto';
import type { Signer, Verifier } from '@meterchain/core';
import { nodeSha256 } from './hash.ts';
import { createNodeSigner, nodeVerifier } from './node.ts';

/** A 32-byte Ed25519 seed derived from text, so a simulated cluster has the same keys for the same seed. */
export function seedFrom(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update('meterchain-testkit-seed\0' + text).digest());
}

const signers = new Map<string, Signer>();

/** The signer of a seed text (kept: simulations over many seeds reuse a cluster's keys). */
export function signerFrom(text: string): Signer {
  let s = signers.get(text);
  if (!s) {
    s = createNodeSigner(seedFrom(text));
    if (signers.size > 4096) signers.clear();
    signers.set(text, s);
  }
  return s;
}

/**
 * A verifier shared by simulated members: each (key, message, signature) is verified once and the verdict kept, which
 * is semantically the same as verifying again (Ed25519 verification is deterministic). `counting()` gives each member
 * its own view that counts every call as a verification, as a real member would spend one.
 */
export class MemoVerifier implements Verifier {
  readonly name = 'memo';
  private readonly inner: Verifier;
  private cache: Map<string, boolean>;
  private readonly limit: number;
  /** Verifications actually run. */
  real: number;

  constructor(inner?: Verifier, limit?: number) {
    this.inner = inner ?? nodeVerifier();
    this.cache = new Map();
    this.limit = limit ?? 200000;
    this.real = 0;
  }

  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const key = Buffer.from(signature).toString('latin1') + Buffer.from(publicKey).toString('latin1') + Buffer.from(message).toString('latin1');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    this.real++;
    const ok = this.inner.verify(publicKey, message, signature);
    if (this.cache.size >= this.limit) this.cache = new Map();
    this.cache.set(key, ok);
    return ok;
  }

  /** A per-member verifier over the shared memory, counting its calls. */
  counting(): Verifier & { count: number } {
    const self = this;
    const v = {
      name: 'memo',
      count: 0,
      verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
        v.count++;
        return self.verify(publicKey, message, signature);
      },
    };
    return v;
  }
}

/** What a simulated cluster runs on (the consensus simulator's SimCrypto): Ed25519 and SHA-256 of node:crypto. */
export const simCrypto = {
  signerFrom,
  sha256: nodeSha256,
  sharedVerifier: (): MemoVerifier => new MemoVerifier(),
};

// The @noble/ed25519 backend: portable JavaScript, the cross-check for node:crypto. It applies the same strict
// pre-checks, decodes points with noble's RFC 8032 (non-ZIP-215) decoder and checks the cofactorless equation.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { inspect } from 'node:util';
import type { Signer, Verifier } from '@meterchain/core';
import { strictPrecheck } from './strict.ts';
import { assertSeed, redactedSigner } from './node.ts';

// noble's synchronous sign and verify need a SHA-512; set it once unless the host set its own.
if (ed.hashes.sha512 === undefined) ed.hashes.sha512 = sha512;

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function numberLE(bytes: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(bytes).reverse().toString('hex'));
}

/**
 * [S]B = R + [k]A with k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.7 without the optional factor 8).
 * noble's own strict branch (`zip215: false`) checks the cofactored equation, which accepts speccheck cases 4 and 5
 * where OpenSSL and libsodium reject; checking cofactorless here is what makes the two backends agree.
 * Assumes strictPrecheck passed (canonical R and A, S < L).
 */
function cofactorlessEquation(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const A = ed.Point.fromBytes(publicKey, false);
  const r = signature.subarray(0, 32);
  const R = ed.Point.fromBytes(r, false);
  const s = numberLE(signature.subarray(32, 64));
  const k = numberLE(sha512(ed.etc.concatBytes(r, publicKey, message))) % L;
  const SB = ed.Point.BASE.multiply(s, false);
  return SB.equals(R.add(A.multiply(k, false)));
}

class NobleSigner implements Signer {
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;

  constructor(seed: Uint8Array) {
    this.#seed = seed.slice(); // our own copy: the caller may wipe theirs
    this.publicKey = ed.getPublicKey(this.#seed);
  }

  sign(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError(`ed25519: expected the message as Uint8Array, got ${typeof message}`);
    return ed.sign(message, this.#seed);
  }

  toJSON(): object {
    return redactedSigner('noble', this.publicKey);
  }

  [inspect.custom](): string {
    return `Signer ${inspect(this.toJSON())}`;
  }
}

/** A signer on @noble/ed25519. Signatures are deterministic: byte-identical to the node:crypto signer's. */
export function createNobleSigner(seed: Uint8Array): Signer {
  assertSeed(seed);
  return new NobleSigner(seed);
}

/** A verifier on @noble/ed25519 under the strict rule: the same verdict as nodeVerifier() on every input. */
export function nobleVerifier(): Verifier {
  return {
    name: 'noble',
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (strictPrecheck(publicKey, message, signature) !== undefined) return false;
      try {
        return cofactorlessEquation(publicKey, message, signature);
      } catch {
        return false; // noble refused to decode A or R (not on the curve)
      }
    },
  };
}

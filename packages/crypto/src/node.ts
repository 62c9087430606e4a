// The node:crypto (OpenSSL) Ed25519 backend, the default on Node: strict pre-checks, then OpenSSL's cofactorless
// verification with one KeyObject cached per peer (building a KeyObject per call costs 1.75x, DESIGN §4).
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import type { Signer, Verifier } from '@meterchain/core';
import { strictPrecheck } from './strict.ts';

// DER wrappers for raw Ed25519 keys (RFC 8410): SubjectPublicKeyInfo and PKCS #8 with the OID 1.3.101.112.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export const DEFAULT_KEY_CACHE_SIZE = 4096;

/** Throws at once when a caller hands in something that is not a 32-byte seed (a programmer mistake). */
export function assertSeed(seed: unknown): asserts seed is Uint8Array {
  if (!(seed instanceof Uint8Array)) throw new TypeError(`ed25519: expected a 32-byte seed as Uint8Array, got ${typeof seed}`);
  if (seed.length !== 32) throw new RangeError(`ed25519: expected a 32-byte seed, got ${seed.length} bytes`);
}

function assertMessage(message: unknown): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) throw new TypeError(`ed25519: expected the message as Uint8Array, got ${typeof message}`);
}

/** Views a Buffer's bytes as a plain Uint8Array (no copy), so results compare equal to other backends' output. */
function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** Builds the public KeyObject for 32 raw key bytes; OpenSSL decodes the point only when it verifies. */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** The 32-byte public key of a 32-byte seed (RFC 8032 §5.1.5). */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  assertSeed(seed);
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return plain(spki).slice(SPKI_PREFIX.length);
}

/** What a signer shows of itself in logs, JSON and the REPL: the algorithm and public key, never the seed. */
export function redactedSigner(backend: string, publicKey: Uint8Array): { type: string; backend: string; publicKey: string } {
  return { type: 'ed25519', backend, publicKey: Buffer.from(publicKey).toString('hex') };
}

class NodeSigner implements Signer {
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;

  constructor(seed: Uint8Array) {
    this.#key = privateKeyObject(seed);
    this.publicKey = plain(createPublicKey(this.#key).export({ format: 'der', type: 'spki' })).slice(SPKI_PREFIX.length);
  }

  sign(message: Uint8Array): Uint8Array {
    assertMessage(message);
    return plain(nodeSign(null, message, this.#key));
  }

  toJSON(): object {
    return redactedSigner('node', this.publicKey);
  }

  [inspect.custom](): string {
    return `Signer ${inspect(this.toJSON())}`;
  }
}

/** A signer on node:crypto. The seed is copied into an OpenSSL key object and not kept in JavaScript. */
export function createNodeSigner(seed: Uint8Array): Signer {
  assertSeed(seed);
  return new NodeSigner(seed);
}

/**
 * A bounded map from raw public key to KeyObject. First in, first out: a cluster's members stay in it, and a flood
 * of unknown keys can only cost the 1.75x of building key objects again, never memory.
 */
class KeyObjectCache {
  readonly #max: number;
  readonly #map = new Map<string, KeyObject>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(publicKey: Uint8Array): KeyObject {
    // latin1 maps each byte to one character: a unique, cheap key for 32 bytes.
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
    let key = this.#map.get(id);
    if (key === undefined) {
      key = publicKeyObject(publicKey);
      if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
      this.#map.set(id, key);
    }
    return key;
  }
}

export interface BatchItem {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface NodeVerifierOptions {
  /** How many peers' KeyObjects to keep (default 4096). */
  cacheSize?: number;
}

export interface NodeVerifier extends Verifier {
  /** Verifies many signatures on libuv's thread pool (both cores); the same strict rule, the same verdicts. */
  verifyBatchParallel(items: readonly BatchItem[]): Promise<boolean[]>;
  /** Number of KeyObjects cached now. */
  readonly cachedKeys: number;
}

// In-flight callbacks at once for a batch: enough to keep libuv's 4 threads busy, few enough not to starve other
// thread-pool users (file system, DNS) while a long chain is checked.
const BATCH_WINDOW = 32;

/** A verifier on node:crypto under the strict rule. */
export function nodeVerifier(opts?: NodeVerifierOptions): NodeVerifier {
  const cacheSize = opts?.cacheSize ?? DEFAULT_KEY_CACHE_SIZE;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new RangeError(`nodeVerifier: cacheSize must be a positive integer, got ${cacheSize}`);
  const cache = new KeyObjectCache(cacheSize);

  function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (strictPrecheck(publicKey, message, signature) !== undefined) return false;
    try {
      return nodeVerify(null, message, cache.get(publicKey), signature);
    } catch {
      return false; // a public key OpenSSL cannot decode
    }
  }

  function verifyBatchParallel(items: readonly BatchItem[]): Promise<boolean[]> {
    const verdicts = new Array<boolean>(items.length).fill(false);
    return new Promise((resolve) => {
      let next = 0;
      let pending = 0;
      const launch = (): void => {
        while (pending < BATCH_WINDOW && next < items.length) {
          const i = next++;
          const item = items[i]!;
          if (item === null || typeof item !== 'object' || strictPrecheck(item.publicKey, item.message, item.signature) !== undefined) continue;
          let key: KeyObject;
          try {
            key = cache.get(item.publicKey);
          } catch {
            continue;
          }
          pending++;
          try {
            nodeVerify(null, item.message, key, item.signature, (err, ok) => {
              verdicts[i] = !err && ok;
              pending--;
              launch();
            });
          } catch {
            pending--; // refused before reaching the pool: the verdict stays false
          }
        }
        if (pending === 0 && next >= items.length) resolve(verdicts);
      };
      launch();
    });
  }

  return {
    name: 'node',
    verify,
    verifyBatchParallel,
    get cachedKeys() {
      return cache.size;
    },
  };
}

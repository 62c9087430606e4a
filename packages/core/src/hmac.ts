// HMAC-SHA256 (RFC 2104, FIPS 198-1): how a sensor node authenticates its readings to its full node with a shared
// key when it cannot afford an Ed25519 signature (DESIGN §2). Portable.
import { Sha256, sha256 } from './sha256.ts';
import type { Hash } from './sha256.ts';

const BLOCK = 64; // SHA-256 block size in bytes (RFC 2104 "B")

/** Pads (or first hashes, when longer than a block) the key to one block and XORs it with `pad`. */
function keyBlock(key: Uint8Array, pad: number, hash: Hash): Uint8Array {
  const k = key.length > BLOCK ? hash(key) : key;
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = (i < k.length ? k[i]! : 0) ^ pad;
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * HMAC-SHA256 of `data` under `key`, 32 bytes. Without `hash` it runs the portable incremental SHA-256 (no copy of
 * `data`); with `hash` (a native one-shot SHA-256, e.g. Espruino's `crypto.SHA256`) it concatenates and calls it.
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array, hash?: Hash): Uint8Array {
  if (!(key instanceof Uint8Array) || !(data instanceof Uint8Array)) {
    throw new TypeError('hmacSha256: expected key and data as Uint8Array');
  }
  if (hash) {
    const inner = hash(concat(keyBlock(key, 0x36, hash), data));
    return hash(concat(keyBlock(key, 0x5c, hash), inner));
  }
  const inner = new Sha256().update(keyBlock(key, 0x36, sha256)).update(data).digest();
  return new Sha256().update(keyBlock(key, 0x5c, sha256)).update(inner).digest();
}

/**
 * HMAC-SHA256 under one key with a one-shot `hash`, the key's two pad blocks prepared once: each tag then costs two
 * allocations, four native copies and two hashes, no loop in JavaScript (on Espruino a loop over 64 bytes costs more
 * than the native SHA-256 of a kilobyte). `prefix` is authenticated before each message, as a domain's signing input
 * puts the domain before the body: `mac(body)` is hmacSha256(key, prefix ‖ body, hash).
 */
export function keyedHmacSha256(key: Uint8Array, hash: Hash, prefix: Uint8Array): (data: Uint8Array) => Uint8Array {
  const inner = concat(keyBlock(key, 0x36, hash), prefix);
  const outer = keyBlock(key, 0x5c, hash);
  return (data) => {
    const first = new Uint8Array(inner.length + data.length);
    first.set(inner, 0);
    first.set(data, inner.length);
    const second = new Uint8Array(BLOCK + 32);
    second.set(outer, 0);
    second.set(hash(first), BLOCK);
    return hash(second);
  };
}

/** Compares two byte strings in time that depends only on their lengths (a tag check must not leak where it differs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True when `tag` is the full 32-byte HMAC-SHA256 of `data` under `key`. Never throws on a hostile tag. */
export function verifyHmacSha256(key: Uint8Array, data: Uint8Array, tag: Uint8Array, hash?: Hash): boolean {
  if (!(tag instanceof Uint8Array) || tag.length !== 32) return false;
  return constantTimeEqual(hmacSha256(key, data, hash), tag);
}

// Merkle trees as RFC 6962 §2.1 / RFC 9162 §2.1 define them: leaf = H(0x00 || data), node = H(0x01 || left || right),
// the split at the largest power of two below n, and the empty tree's root = H(""). Used for the readings of a block
// and for the judgments of a vote (docs/protocol.md, "Merkle trees").
import { consensusError } from './codes.ts';
import type { Hash } from '@meterchain/core';

export const HASH_LENGTH = 32;

/**
 * Hash inputs are assembled in scratch space kept between calls rather than in a new array each time: an array
 * above 64 bytes costs V8 a separate allocation, more than hashing a submission-sized leaf. The scratch is only lent
 * to `hash` for the call (one-shot hashes read their input and keep nothing of it). Leaves above SCRATCH_MAX bytes
 * get their own array, so one large leaf does not stay allocated.
 */
const SCRATCH_MAX = 4096;
let leafScratch = new Uint8Array(512);
const nodeScratch = new Uint8Array(1 + 2 * HASH_LENGTH);

/** RFC 6962 §2.1: MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(hash: Hash, data: Uint8Array): Uint8Array {
  const n = data.length + 1;
  if (n > SCRATCH_MAX) {
    const input = new Uint8Array(n);
    input.set(data, 1);
    return hash(input);
  }
  if (n > leafScratch.length) leafScratch = new Uint8Array(SCRATCH_MAX);
  leafScratch[0] = 0;
  leafScratch.set(data, 1);
  return hash(leafScratch.subarray(0, n));
}

/** RFC 6962 §2.1: SHA-256(0x01 || left || right). */
export function nodeHash(hash: Hash, left: Uint8Array, right: Uint8Array): Uint8Array {
  let input = nodeScratch;
  const n = 1 + left.length + right.length;
  // Children are digests (32 bytes each); anything else is assembled in an array of its own.
  if (n !== nodeScratch.length) input = new Uint8Array(n);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash(input);
}

/** The largest power of two strictly below n (n ≥ 2): where RFC 6962 splits a list of n leaves. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The root over leaf hashes (already H(0x00 || d)). Computed bottom-up level by level, pairing left to right and
 * carrying an odd last node up unchanged: that is the same tree as the recursive definition of §2.1.
 */
export function rootOfLeafHashes(hash: Hash, leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return hash(new Uint8Array(0));
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(hash, level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** The root over leaf data (each item hashed as a leaf first). */
export function merkleRoot(hash: Hash, items: Uint8Array[]): Uint8Array {
  const leaves: Uint8Array[] = [];
  for (const item of items) leaves.push(leafHash(hash, item));
  return rootOfLeafHashes(hash, leaves);
}

function subtreeRoot(hash: Hash, leaves: Uint8Array[], from: number, to: number): Uint8Array {
  const n = to - from;
  if (n === 1) return leaves[from]!;
  const k = splitPoint(n);
  return nodeHash(hash, subtreeRoot(hash, leaves, from, from + k), subtreeRoot(hash, leaves, from + k, to));
}

function pathInto(hash: Hash, leaves: Uint8Array[], index: number, from: number, to: number, out: Uint8Array[]): void {
  const n = to - from;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (index < from + k) {
    pathInto(hash, leaves, index, from, from + k, out);
    out.push(subtreeRoot(hash, leaves, from + k, to));
  } else {
    pathInto(hash, leaves, index, from + k, to, out);
    out.push(subtreeRoot(hash, leaves, from, from + k));
  }
}

/** RFC 6962 §2.1.1 audit path of leaf `index` among `leaves` (leaf hashes), nearest sibling first. */
export function inclusionProof(hash: Hash, leaves: Uint8Array[], index: number): Uint8Array[] {
  if (Math.floor(index) !== index || index < 0 || index >= leaves.length) {
    throw consensusError('BAD_ARGUMENT', `merkle: leaf index must be an integer in 0..${leaves.length - 1}, got ${index}`);
  }
  const out: Uint8Array[] = [];
  pathInto(hash, leaves, index, 0, leaves.length, out);
  return out;
}

/**
 * RFC 9162 §2.1.3.2: the root an audit path leads to from `leaf` (a leaf hash) at `index` in a tree of `size`
 * leaves, or undefined when the path has the wrong length for that position (hostile input: never throws).
 */
export function rootFromInclusion(hash: Hash, leaf: Uint8Array, index: number, size: number, path: Uint8Array[]): Uint8Array | undefined {
  if (!(index >= 0 && index < size && Math.floor(index) === index && Math.floor(size) === size)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (p.length !== HASH_LENGTH) return undefined;
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(hash, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(hash, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** True when `path` proves `leaf` (a leaf hash) at `index` in the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(hash: Hash, leaf: Uint8Array, index: number, size: number, path: Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusion(hash, leaf, index, size, path);
  if (r === undefined || r.length !== root.length) return false;
  for (let i = 0; i < r.length; i++) if (r[i] !== root[i]) return false;
  return true;
}

// A chain verified from its manifest(s) alone, block by block in height order (chain.ts checks each block): the
// epochs it goes through, where each next block must fit, and the first fault named (docs/protocol.md, "Verifying").
import type { Hash, Manifest, Verifier } from '@meterchain/core';
import { decodeHeader, decodeStoredBlock } from './block.ts';
import type { SignatureCheck } from './certificate.ts';
import { bad, firstRoundOf, inspectBlock, type BlockExpectation, type BlockFault, type BlockVerdict, type CheckedBlock, type SignatureOracle } from './chain.ts';
import { consensusError } from './codes.ts';

/** Manifests by epoch, each with the digest of its signed bytes (verifyManifest gives both). */
export interface EpochManifest {
  manifest: Manifest;
  digest: Uint8Array;
}

export type ChainVerdict =
  | { ok: true; blocks: number; height: number; tip: Uint8Array; readings: number }
  | { ok: false; index: number; height: number; fault: BlockFault; reason: string };

/**
 * Walks a chain block by block. `signatures(bytes)` lists a block's signature checks in the order `check` asks for
 * them; `check(bytes, verdicts)` then judges the block with those verdicts and moves on. `verify(bytes, verifier)`
 * does both in one go. Blocks must come in order from height 0.
 */
export class ChainChecker {
  private readonly manifests: EpochManifest[];
  private readonly hash: Hash;
  private expect: BlockExpectation;
  private epoch: number;
  private epochStart: number;
  /** Blocks accepted so far, and readings in them. */
  count: number;
  readings: number;
  tip: Uint8Array;

  constructor(manifests: EpochManifest[], hash: Hash) {
    if (manifests.length === 0) throw consensusError('BAD_ARGUMENT', 'chain: expected at least the manifest of epoch 0');
    for (let i = 0; i < manifests.length; i++) {
      if (manifests[i]!.manifest.epoch !== manifests[0]!.manifest.epoch + i) throw consensusError('BAD_ARGUMENT', 'chain: manifests must be consecutive epochs in order');
    }
    this.manifests = manifests;
    this.hash = hash;
    this.epoch = 0;
    this.epochStart = 0;
    this.expect = { height: 0, prev: manifests[0]!.digest, first: 0 };
    this.count = 0;
    this.readings = 0;
    this.tip = manifests[0]!.digest;
  }

  /** The manifest the next block must follow: the current epoch's, or the next one when the block says so. */
  private manifestFor(headerEpoch: number): { manifest: Manifest; newEpoch: boolean } | undefined {
    const cur = this.manifests[this.epoch]!;
    if (headerEpoch === cur.manifest.epoch) return { manifest: cur.manifest, newEpoch: false };
    const next = this.manifests[this.epoch + 1];
    if (next && headerEpoch === next.manifest.epoch && this.count > 0) return { manifest: next.manifest, newEpoch: true };
    return undefined;
  }

  private run(bytes: Uint8Array, sig: SignatureOracle): BlockVerdict {
    const s = decodeStoredBlock(bytes);
    if (!s.ok) return bad('malformed', s.reason);
    const h = decodeHeader(s.block.header);
    if (!h.ok) return bad('malformed', h.reason);
    const m = this.manifestFor(h.header.epoch);
    if (!m) return bad('epoch', `block of epoch ${h.header.epoch} where epoch ${this.manifests[this.epoch]!.manifest.epoch} (or the next, with its manifest) is expected`);
    const expect = m.newEpoch ? { height: this.expect.height, prev: this.expect.prev, first: 0 } : this.expect;
    return inspectBlock(m.manifest, this.hash, s.block.header, s.block.body, s.block.commit, expect, sig);
  }

  /** The signature checks of a block, in order (empty when the block fails before any). */
  signatures(bytes: Uint8Array): SignatureCheck[] {
    const out: SignatureCheck[] = [];
    this.run(bytes, (c) => {
      out.push(c);
      return true;
    });
    return out;
  }

  /** Judges a block with the verdicts of its signature checks and, when good, moves to the next place. */
  check(bytes: Uint8Array, verdicts: boolean[]): BlockVerdict {
    let i = 0;
    const v = this.run(bytes, () => verdicts[i++] === true);
    if (v.ok) this.advance(v.block);
    return v;
  }

  verify(bytes: Uint8Array, verifier: Verifier): BlockVerdict {
    const v = this.run(bytes, (c) => verifier.verify(c.publicKey, c.message, c.signature));
    if (v.ok) this.advance(v.block);
    return v;
  }

  private advance(b: CheckedBlock): void {
    const header = b.header;
    if (header.epoch !== this.manifests[this.epoch]!.manifest.epoch) {
      this.epoch++;
      this.epochStart = header.height;
    }
    const manifest = this.manifests[this.epoch]!.manifest;
    this.count++;
    this.readings += b.submissions.length;
    this.tip = b.hash;
    this.expect = { height: header.height + 1, prev: b.hash, first: firstRoundOf(manifest, header.height + 1, this.epochStart) };
  }

  /** Where the next block must fit. */
  next(): BlockExpectation {
    return this.expect;
  }
}

/** Verifies a whole chain with one verifier; names the first bad block. */
export function verifyChain(manifests: EpochManifest[], blocks: Uint8Array[], verifier: Verifier, hash: Hash): ChainVerdict {
  const c = new ChainChecker(manifests, hash);
  for (let i = 0; i < blocks.length; i++) {
    const v = c.verify(blocks[i]!, verifier);
    if (!v.ok) return { ok: false, index: i, height: c.next().height, fault: v.fault, reason: v.reason };
  }
  return { ok: true, blocks: c.count, height: c.count - 1, tip: c.tip, readings: c.readings };
}

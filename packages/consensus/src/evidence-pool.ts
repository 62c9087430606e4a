// The evidence pool (docs/protocol.md §8): the equivocation evidence a node knows, which of it is pending for a block
// and which a committed block holds already, within the bounds a block may carry (evidenceBounds). It keeps bytes and
// keys only; the node checks evidence before it comes here and acts on it (flags the member, excludes its vote).
import type { Hash, Manifest } from '@meterchain/core';
import { evidenceBounds, evidenceFits } from './chain.ts';
import { openEvidence, type EvidenceClaim, type EvidenceKind } from './evidence.ts';

interface Known {
  bytes: Uint8Array;
  kind: EvidenceKind;
  slot: number;
  accused: number;
}

/** Most evidence a block carries. */
const BLOCK_EVIDENCE_MAX = 256;
/** Committed evidence is remembered this many heights (then forgotten with its known entry). */
const COMMITTED_HEIGHTS = 256;

export class EvidencePool {
  readonly limits: { rounds: number; heights: number; perMember: number };
  private known: { [key: string]: Known } = {};
  private pending: string[] = [];
  private committed: { [key: string]: number } = {};

  constructor(private readonly manifest: Manifest) {
    this.limits = evidenceBounds(manifest);
  }

  /** Whether evidence with this claim key is known. */
  has(key: string): boolean {
    return this.known[key] !== undefined;
  }

  /** How many pieces of evidence wait for a block. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Adds verified evidence; keeps its bytes for a block (returns true) unless a committed block holds it or the
   * per-member share of pending evidence against the accused is reached (one is enough to flag it).
   */
  add(claim: EvidenceClaim, bytes: Uint8Array): boolean {
    let pending = 0;
    for (const k of this.pending) if (this.known[k]!.accused === claim.accused) pending++;
    const keep = this.committed[claim.key] === undefined && pending < this.limits.perMember;
    this.known[claim.key] = { bytes: keep ? bytes : new Uint8Array(0), kind: claim.kind, slot: claim.slot, accused: claim.accused };
    if (keep) this.pending.push(claim.key);
    return keep;
  }

  /** The pending evidence that fits a block at `height` over rounds first..last, in key order, at most 256. */
  forBlock(hash: Hash, height: number, first: number, last: number): { evidence: Uint8Array[]; claims: EvidenceClaim[] } {
    const evidence: Uint8Array[] = [];
    const claims: EvidenceClaim[] = [];
    const keys = this.pending.slice(0).sort();
    for (const key of keys) {
      if (this.committed[key] !== undefined || evidence.length >= BLOCK_EVIDENCE_MAX) continue;
      const bytes = this.known[key]!.bytes;
      const o = openEvidence(this.manifest, bytes, hash);
      if (!o.ok || !evidenceFits(this.limits, o.claim, height, first, last)) continue;
      evidence.push(bytes);
      claims.push(o.claim);
    }
    return { evidence, claims };
  }

  /**
   * A block at `height` is committed holding evidence `keys`; the next block starts at round `firstNext`. Committed
   * evidence is remembered 256 heights; evidence that fell out of the window can go into no block any more and is
   * forgotten (the member stays flagged by the node).
   */
  committedAt(height: number, keys: string[], firstNext: number): void {
    for (const k of keys) this.committed[k] = height;
    // Bounded memory for a daemon that runs for years next to a persistent equivocator: old evidence is forgotten.
    for (const k of Object.keys(this.committed)) {
      if (this.committed[k]! < height - COMMITTED_HEIGHTS) {
        delete this.committed[k];
        delete this.known[k];
      }
    }
    const next = height + 1;
    for (const k of Object.keys(this.known)) {
      const e = this.known[k]!;
      const old = e.kind === 'block' ? e.slot < next - this.limits.heights : e.slot < firstNext - this.limits.rounds;
      if (old && this.committed[k] === undefined) delete this.known[k];
    }
    const pending: string[] = [];
    for (const k of this.pending) if (this.committed[k] === undefined && this.known[k]) pending.push(k);
    this.pending = pending;
  }
}

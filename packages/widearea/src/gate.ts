// A cluster gate: the role that carries a region's committed blocks up to the wide-area chain. It keeps the blocks
// not yet anchored, in height order, and each round offers the next batch of items: the region's manifests the
// wide-area chain has not registered yet, then anchors. An item leaves only when the wide-area chain shows it
// anchored (or registered), so a batch lost on the way (a broker down, a round not accepted) is offered again.
import { merkleRoot, BATCH_VERSION, MAX_BATCH_ITEMS, type Batch } from '@meterchain/consensus';
import type { Hash } from '@meterchain/core';
import { anchorOfStoredBlock, encodeAnchor } from './anchor.ts';
import type { WideAreaLedger } from './ledger.ts';

export interface GateOptions {
  /** The wide-area cluster's name and this substation's address there. */
  cluster: string;
  member: Uint8Array;
  hash: Hash;
  /** Items per batch (default and most: 32) and their total size (default 48 KiB: an envelope is at most 64 KiB). */
  maxItems?: number;
  maxBytes?: number;
  /** Regional blocks waiting, per region, beyond which the oldest is dropped and counted (default 4096). */
  maxPending?: number;
}

interface Pending {
  region: string;
  height: number;
  bytes: Uint8Array;
}

export class ClusterGate {
  private readonly o: Required<GateOptions>;
  /** Manifests (signed bytes) to register, by region and epoch key. */
  private readonly manifests: { key: string; region: string; epoch: number; bytes: Uint8Array }[] = [];
  private readonly pending: { [region: string]: Pending[] } = {};
  private seq = 0;
  dropped = 0;

  constructor(options: GateOptions) {
    this.o = { maxItems: MAX_BATCH_ITEMS, maxBytes: 49152, maxPending: 4096, ...options };
    if (this.o.maxItems > MAX_BATCH_ITEMS) throw new Error(`gate: at most ${MAX_BATCH_ITEMS} items a batch, got ${this.o.maxItems}`);
  }

  /** A region's signed manifest the wide-area chain must register (epoch 0 first). */
  offerManifest(region: string, epoch: number, bytes: Uint8Array): void {
    const key = `${region}/${epoch}`;
    if (!this.manifests.some((m) => m.key === key)) this.manifests.push({ key, region, epoch, bytes });
  }

  /** A committed regional block (stored-block bytes) to anchor. */
  offerBlock(region: string, height: number, stored: Uint8Array): void {
    const a = anchorOfStoredBlock(region, stored);
    if (!a.ok) throw new Error(`gate: block ${height} of ${region}: ${a.reason}`);
    this.offerAnchor(region, height, encodeAnchor(a.anchor));
  }

  /** An encoded anchor of `region`'s block at `height` (one a gate published), checked by the caller. */
  offerAnchor(region: string, height: number, bytes: Uint8Array): void {
    const list = this.pending[region] ?? (this.pending[region] = []);
    if (list.some((p) => p.height === height)) return;
    list.push({ region, height, bytes });
    list.sort((x, y) => x.height - y.height);
    while (list.length > this.o.maxPending) {
      list.shift();
      this.dropped++;
    }
  }

  /** Items waiting: manifests and anchors. */
  waiting(): number {
    let n = this.manifests.length;
    for (const r of Object.keys(this.pending)) n += this.pending[r]!.length;
    return n;
  }

  /** The batch to submit in `round`, or undefined when nothing waits. Sequence numbers count items submitted.
   * `skip`: items to leave out this time (they stay waiting). */
  nextBatch(round: number, skip?: (item: Uint8Array) => boolean): Batch | undefined {
    const items: Uint8Array[] = [];
    let size = 0;
    const add = (b: Uint8Array): boolean => {
      if (skip?.(b)) return true;
      if (items.length >= this.o.maxItems || size + b.length > this.o.maxBytes) return false;
      items.push(b);
      size += b.length;
      return true;
    };
    for (const m of this.manifests) if (!add(m.bytes)) break;
    // Regions in turn, oldest block first, so one busy region does not hold the others back.
    const regions = Object.keys(this.pending).sort();
    let more = true;
    for (let k = 0; more; k++) {
      more = false;
      for (const r of regions) {
        const p = this.pending[r]![k];
        if (!p) continue;
        if (!add(p.bytes)) break;
        more = true;
      }
      if (items.length >= this.o.maxItems) break;
    }
    if (items.length === 0) return undefined;
    const first = this.seq;
    this.seq += items.length;
    return { v: BATCH_VERSION, cluster: this.o.cluster, meter: this.o.member, round, count: items.length, first, last: first + items.length - 1, root: merkleRoot(this.o.hash, items), items };
  }

  /** The gate's sequence counter, to restore after a restart (the node refuses a batch whose first is not above). */
  restoreSeq(next: number): void {
    if (next > this.seq) this.seq = next;
  }

  /** Drops what the wide-area chain (as `ledger` has read it) has registered or anchored: a manifest registered,
   * a height anchored (by this gate's block or, in a split view, another). */
  settle(ledger: WideAreaLedger): void {
    for (let i = this.manifests.length - 1; i >= 0; i--) {
      const m = this.manifests[i]!;
      if (ledger.registry.manifest(m.region, m.epoch)) this.manifests.splice(i, 1);
    }
    for (const r of Object.keys(this.pending)) {
      this.pending[r] = this.pending[r]!.filter((p) => ledger.witness.anchoredAt(r, p.height) === undefined && p.height >= ledger.witness.lowest(r));
    }
  }

  /** Regions with blocks waiting, and the lowest waiting height of each. */
  backlog(): { region: string; from: number; blocks: number }[] {
    return Object.keys(this.pending)
      .sort()
      .filter((r) => this.pending[r]!.length > 0)
      .map((r) => ({ region: r, from: this.pending[r]![0]!.height, blocks: this.pending[r]!.length }));
  }
}

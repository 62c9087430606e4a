// One substation of the wide-area chain, what it keeps beside the consensus engine (docs/widearea.md): the anchor
// judge over its own registry, the ledger of what the committed chain anchored and registered, and the gate that
// offers the regions' anchors and manifests in its batches until the chain shows them anchored or registered. The
// node runtime (firmware/linux) and the in-process test chain (testing/) both run substations through it.
import { ChainChecker, MAX_BATCH_ITEMS, type Batch, type CheckedBlock, type EpochManifest, type Judges } from '@meterchain/consensus';
import { toHex, type Hash, type Verifier } from '@meterchain/core';
import { decodeAnchor } from './anchor.ts';
import { ClusterGate } from './gate.ts';
import { anchorJudge } from './judge.ts';
import { WideAreaLedger, type WideAreaStep } from './ledger.ts';
import { RegionRegistry, type TrustedRegion } from './registry.ts';

export interface SubstationOptions {
  /** The wide-area chain's manifests (the substations' own), epoch 0 first. */
  manifests: EpochManifest[];
  /** This substation's address (its batches' `meter`). */
  member: Uint8Array;
  /** The regions admitted (their operator keys are the trust roots), with the epoch-0 manifest to register when the
   * substation should offer it itself. */
  regions: { trusted: TrustedRegion; manifest?: Uint8Array }[];
  verifier: Verifier;
  hash: Hash;
}

export type Offered = { ok: true; kind: 'anchor' | 'manifest'; region: string; height?: number; anchored?: boolean } | { ok: false; reason: string };

export class Substation {
  /** The judges of the wide-area chain's consensus: the anchor judge, which registers the manifests it judges. */
  readonly judges: Judges;
  /** What the committed wide-area chain holds: anchored blocks, registered manifests, split views. */
  readonly ledger: WideAreaLedger;
  readonly gate: ClusterGate;
  readonly regions: string[];
  private readonly o: SubstationOptions;
  private readonly checker: ChainChecker;
  private readonly judged: RegionRegistry;
  /** Manifests seen that check: incoming anchors are checked against them before they are offered. */
  private readonly known: RegionRegistry;
  /** Items this substation submitted, by their hash, with the round they went in; and the last round its committed
   * chain covers. An item is not submitted again while its round is not covered: the block covering that round
   * either anchors it (it leaves the gate) or commits without it (it goes again). */
  private readonly sentIn = new Map<string, number>();
  private covered = -1;

  constructor(o: SubstationOptions) {
    this.o = o;
    const trusted = o.regions.map((r) => r.trusted);
    this.regions = trusted.map((t) => t.region);
    this.judged = new RegionRegistry(trusted, o.hash, o.verifier);
    this.known = new RegionRegistry(trusted, o.hash, o.verifier);
    this.ledger = new WideAreaLedger(new RegionRegistry(trusted, o.hash, o.verifier));
    this.judges = { submission: [anchorJudge(this.judged, o.hash)], round: [] };
    this.gate = new ClusterGate({ cluster: o.manifests[0]!.manifest.cluster, member: o.member, hash: o.hash });
    this.checker = new ChainChecker(o.manifests, o.hash);
    for (const r of o.regions) {
      if (!r.manifest) continue;
      const v = this.offer(r.trusted.region, r.manifest);
      if (!v.ok) throw new Error(`region ${r.trusted.region}: ${v.reason}`);
    }
  }

  /**
   * A frame a cluster gate of `region` published: an anchor to offer, or a manifest of the region to register.
   * Anything that does not check is refused here, so that one bad item never spoils a batch (a batch with one bad
   * item is refused whole). Never throws on what the bytes hold.
   */
  offer(region: string, bytes: Uint8Array): Offered {
    const a = decodeAnchor(bytes);
    if (a.ok) {
      if (a.anchor.region !== region) return { ok: false, reason: `an anchor of region '${a.anchor.region}' published as ${region}'s` };
      const v = this.known.verify(bytes);
      if (!v.ok) return { ok: false, reason: `anchor: ${v.fault}: ${v.reason}` };
      const height = v.checked.height;
      // Anchored already (a gate publishing again after a restart, a second gate): nothing to offer.
      const w = this.ledger.witness;
      if (w.anchoredAt(region, height) !== undefined || (w.highest(region) >= 0 && height < w.lowest(region))) return { ok: true, kind: 'anchor', region, height, anchored: true };
      this.gate.offerAnchor(region, height, bytes);
      return { ok: true, kind: 'anchor', region, height };
    }
    const r = this.known.register(bytes);
    if (!r.ok) return { ok: false, reason: `neither an anchor (${a.reason}) nor a manifest of an admitted region (${r.reason})` };
    if (r.region !== region) return { ok: false, reason: `a manifest of region '${r.region}' published as ${region}'s` };
    if (!this.ledger.registry.manifest(r.region, r.epoch)) this.gate.offerManifest(r.region, r.epoch, bytes);
    return { ok: true, kind: 'manifest', region };
  }

  /** The batch to submit in `round`. Its items are numbered from round × 32 (a batch holds at most 32), so the numbers
   * keep growing across a restart without a record of the last one: a batch whose first item is not above what the
   * members saw from this substation would be refused as a replay. */
  next(round: number): Batch | undefined {
    this.gate.restoreSeq(round * MAX_BATCH_ITEMS);
    const key = (item: Uint8Array) => toHex(this.o.hash(item));
    // Submitting an item again every round until a block anchors it would leave no round free for a new one: a
    // substation holding only items already on their way submits nothing, and an anchor that comes mid-round goes in
    // that round (the node asks for a batch when one comes).
    const batch = this.gate.nextBatch(round, (item) => (this.sentIn.get(key(item)) ?? -1) > this.covered);
    for (const item of batch?.items ?? []) this.sentIn.set(key(item), round);
    return batch;
  }

  /** Items waiting for the wide-area chain. */
  waiting(): number {
    return this.gate.waiting();
  }

  /** A committed wide-area block (stored bytes), in height order: verified, read into the ledger, and what it
   * anchored or registered leaves the gate. A restarted substation passes its stored chain through here first. */
  committed(block: Uint8Array): { ok: true; step: WideAreaStep; block: CheckedBlock } | { ok: false; reason: string } {
    const c = this.checker.verify(block, this.o.verifier);
    if (!c.ok) return { ok: false, reason: `${c.fault}: ${c.reason}` };
    const step = this.ledger.addBlock(c.block);
    for (const r of step.registered) {
      // What the chain registered, the judge and the check of incoming anchors know too (after a restart as well).
      const e = this.ledger.registry.epochsOf(r.region)[r.epoch];
      if (!e) continue;
      this.judged.register(e.bytes);
      this.known.register(e.bytes);
    }
    this.gate.settle(this.ledger);
    this.covered = Math.max(this.covered, c.block.header.last);
    for (const [k, r] of this.sentIn) if (r <= this.covered) this.sentIn.delete(k);
    return { ok: true, step, block: c.block };
  }
}

// A meter node as a substation of the wide-area chain (node.yaml `substation`, docs/widearea.md): its submissions are
// the regions' anchors. Cluster gates publish each committed regional block's anchor, and their region's manifest,
// under meterchain/<region>/anchor/<gate>; the regional brokers' bridges carry them to the wide-area broker, where
// every substation reads them (main.ts subscribes). The substation's own parts (judge, ledger, gate) are widearea's
// Substation; this adds what a running node reports of them.
import type { Batch, EpochManifest } from '@meterchain/consensus';
import type { Hash, Verifier } from '@meterchain/core';
import { Substation, type Offered, type TrustedRegion } from '@meterchain/widearea';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { SubmissionSource } from './runtime.ts';

export interface SubstationSourceOptions {
  manifests: EpochManifest[];
  address: Uint8Array;
  /** The regions admitted, each with its epoch-0 manifest (signed bytes). */
  regions: { trusted: TrustedRegion; manifest: Uint8Array }[];
  verifier: Verifier;
  hash: Hash;
  log: Logger;
  metrics: Metrics;
}

export class SubstationSource implements SubmissionSource {
  readonly substation: Substation;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  /** Since the start, restored blocks included. */
  readonly counts = { anchored: 0, registered: 0, splitViews: 0, refused: 0 };

  constructor(o: SubstationSourceOptions) {
    this.substation = new Substation({ manifests: o.manifests, member: o.address, regions: o.regions, verifier: o.verifier, hash: o.hash });
    this.log = o.log;
    this.metrics = o.metrics;
  }

  get regions(): string[] {
    return this.substation.regions;
  }

  get judges() {
    return this.substation.judges;
  }

  /** A frame from a region's gate. */
  offer(region: string, bytes: Uint8Array): Offered {
    const v = this.substation.offer(region, bytes);
    if (!v.ok) {
      this.counts.refused++;
      this.metrics.counter('meterchain_gate_frames_refused_total', "Frames from cluster gates that did not check against the regions' manifests.");
    }
    return v;
  }

  next(round: number): Batch | undefined {
    return this.substation.next(round);
  }

  waiting(): number {
    return this.substation.waiting();
  }

  committed(height: number, block: Uint8Array): void {
    const r = this.substation.committed(block);
    if (!r.ok) {
      // The node's own consensus committed it: a block that does not verify here is a bug, not an attack. Say so.
      this.log.error('wide-area block does not verify on reading', { height, reason: r.reason });
      return;
    }
    const step = r.step;
    this.counts.anchored += step.anchored.length;
    this.counts.registered += step.registered.length;
    this.counts.splitViews += step.evidence.length;
    if (step.anchored.length > 0) this.metrics.counter('meterchain_anchored_total', 'Regional blocks the wide-area chain anchored.', step.anchored.length);
    for (const a of step.anchored) this.log.info('regional block anchored', { region: a.region, height: a.height, hash: a.hash.slice(0, 16), wideHeight: a.wideHeight });
    for (const x of step.registered) this.log.info('regional manifest registered', { region: x.region, epoch: x.epoch, wideHeight: height });
    for (const e of step.evidence) {
      this.metrics.counter('meterchain_split_views_total', 'Split views of a region caught at the wide-area tier.');
      this.log.warn('split view of a region: evidence kept', { region: e.evidence.region, kind: e.evidence.kind, height: e.evidence.height, wideHeight: e.wideHeight });
    }
    for (const x of step.refused) this.log.error('wide-area item does not verify on reading', x);
    this.metrics.gauge('meterchain_anchors_waiting', 'Regional anchors and manifests waiting for the wide-area chain.', this.waiting());
  }

  status(): Record<string, number> {
    return { anchored: this.counts.anchored, registered: this.counts.registered, splitViews: this.counts.splitViews, anchorsWaiting: this.waiting(), gateFramesRefused: this.counts.refused };
  }
}

// Reading the wide-area chain: from its committed blocks, in order, which regional block each anchor anchored (the
// first committed anchor of a region's height), the regional manifests registered, and the split views found. Every
// item is checked again against the registry: a reader trusts the manifests, not the substations' votes. The same
// chain read twice gives the same answer (substations, control centres and proofs agree on what is anchored).
import type { CheckedBlock } from '@meterchain/consensus';
import { toHex } from '@meterchain/core';
import { decodeAnchor, type Aggregates } from './anchor.ts';
import type { RegionRegistry } from './registry.ts';
import { AnchorWitness, type ViewEvidence, type WitnessOptions } from './witness.ts';

/** A regional block anchored by the wide-area chain. */
export interface AnchoredBlock {
  region: string;
  epoch: number;
  height: number;
  /** The regional block's hash, hex. */
  hash: string;
  aggregates: Aggregates;
  /** Where the wide-area chain holds its anchor: block height, the submission's index in the body, the item's index. */
  wideHeight: number;
  submission: number;
  item: number;
  /** The wide-area round the anchor was submitted in. */
  round: number;
}

export interface WideAreaStep {
  anchored: AnchoredBlock[];
  registered: { region: string; epoch: number }[];
  evidence: { evidence: ViewEvidence; bytes: Uint8Array; wideHeight: number }[];
  /** Items that did not verify when read again (none in a chain whose quorum judged honestly). */
  refused: { wideHeight: number; submission: number; item: number; reason: string }[];
}

export class WideAreaLedger {
  readonly registry: RegionRegistry;
  readonly witness: AnchorWitness;

  constructor(registry: RegionRegistry, witness?: WitnessOptions) {
    this.registry = registry;
    this.witness = new AnchorWitness(witness);
  }

  /** Takes the next committed (verified) wide-area block. */
  addBlock(block: CheckedBlock): WideAreaStep {
    const step: WideAreaStep = { anchored: [], registered: [], evidence: [], refused: [] };
    const wideHeight = block.header.height;
    for (let si = 0; si < block.submissions.length; si++) {
      const s = block.submissions[si]!;
      const items = s.batch && s.batch.items ? s.batch.items : [];
      for (let ii = 0; ii < items.length; ii++) {
        const item = items[ii]!;
        const d = decodeAnchor(item);
        if (!d.ok) {
          const r = this.registry.register(item);
          if (r.ok && r.status === 'registered') step.registered.push({ region: r.region, epoch: r.epoch });
          else if (!r.ok) step.refused.push({ wideHeight, submission: si, item: ii, reason: r.reason });
          continue;
        }
        const v = this.registry.verify(item);
        if (!v.ok) {
          step.refused.push({ wideHeight, submission: si, item: ii, reason: `${v.fault}: ${v.reason}` });
          continue;
        }
        const o = this.witness.observe(v.checked);
        if (o.status === 'new') {
          const c = v.checked;
          step.anchored.push({ region: c.region, epoch: c.epoch, height: c.height, hash: toHex(c.hash), aggregates: c.aggregates, wideHeight, submission: si, item: ii, round: s.round });
        } else if (o.status === 'evidence') step.evidence.push({ evidence: o.evidence, bytes: o.bytes, wideHeight });
      }
    }
    return step;
  }
}

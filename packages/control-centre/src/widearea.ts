// Follows the wide-area chain: verifies its blocks against the substations' manifest from height 0, reads them with
// the widearea ledger (every anchor checked again against the regions' manifests) and records which regional block
// each anchored and the split views found. The regional blocks themselves come from the region followers; a block
// counts as anchored when its loaded hash is the anchored one.
import { addressToText, toHex, type Verifier } from '@meterchain/core';
import { ChainChecker, type EpochManifest } from '@meterchain/consensus';
import { nodeSha256 } from '@meterchain/crypto';
import { openChain } from '@meterchain/ledger';
import { RegionRegistry, WideAreaLedger, type TrustedRegion } from '@meterchain/widearea';
import type { Database } from './db.ts';
import type { PollResult } from './follower.ts';

export interface WideAreaSource {
  dir: string;
  /** The substations' manifests, epoch 0 first. */
  manifests: EpochManifest[];
  /** The regions the control centre admits, with the operator key of each one's first manifest. */
  trusted: TrustedRegion[];
}

const BLOCKS_PER_POLL = 64;

export const WIDEAREA_SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS anchors (
     region text NOT NULL,
     height integer NOT NULL,
     hash text NOT NULL,
     wide_height integer NOT NULL,
     wide_round bigint NOT NULL,
     wide_end_ms bigint NOT NULL,
     gate text NOT NULL,
     found_ms bigint NOT NULL,
     PRIMARY KEY (region, height)
   )`,
];

export class WideAreaFollower {
  readonly source: WideAreaSource;
  private readonly db: Database;
  private readonly verifier: Verifier;
  private readonly now: () => number;
  private readonly checker: ChainChecker;
  private readonly ledger: WideAreaLedger;
  fault: string | undefined;

  constructor(db: Database, source: WideAreaSource, verifier: Verifier, now: () => number) {
    this.db = db;
    this.source = source;
    this.verifier = verifier;
    this.now = now;
    this.checker = new ChainChecker(source.manifests, nodeSha256);
    this.ledger = new WideAreaLedger(new RegionRegistry(source.trusted, nodeSha256, verifier));
  }

  get height(): number {
    return this.checker.count - 1;
  }

  async poll(): Promise<PollResult> {
    if (this.fault !== undefined) return { loaded: 0, height: this.height, fault: this.fault };
    const opened = await openChain(this.source.dir);
    let loaded = 0;
    try {
      const from = this.checker.count;
      const to = Math.min(opened.source.count, from + BLOCKS_PER_POLL);
      const blocks = to > from ? await opened.source.read(from, to) : [];
      for (let i = 0; i < blocks.length; i++) {
        const v = this.checker.verify(blocks[i]!, this.verifier);
        if (!v.ok) {
          this.fault = `wide-area block ${from + i} (${opened.source.place(from + i)}): ${v.fault}: ${v.reason}`;
          break;
        }
        const step = this.ledger.addBlock(v.block);
        const now = this.now();
        const manifest = (this.source.manifests.find((m) => m.manifest.epoch === v.block.header.epoch) ?? this.source.manifests[0]!).manifest;
        await this.db.transaction(async (tx) => {
          for (const a of step.anchored) {
            const gate = v.block.submissions[a.submission]!;
            await tx.query('INSERT INTO anchors (region, height, hash, wide_height, wide_round, wide_end_ms, gate, found_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING', [
              a.region,
              a.height,
              a.hash,
              a.wideHeight,
              a.round,
              manifest.genesisMs + (a.round + 1) * manifest.params.roundMs,
              gate.member.name ?? addressToText(gate.member.address),
              now,
            ]);
          }
          for (const e of step.evidence) {
            await tx.query('INSERT INTO evidence (region, kind, height, detail, bytes, found_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', [
              e.evidence.region,
              `view-${e.evidence.kind}`,
              e.evidence.height,
              `in wide-area block ${e.wideHeight} of ${manifest.cluster}, digest ${toHex(nodeSha256(e.bytes)).slice(0, 16)}`,
              e.bytes,
              now,
            ]);
          }
        });
        loaded++;
      }
    } finally {
      await opened.close();
    }
    return this.fault !== undefined ? { loaded, height: this.height, fault: this.fault } : { loaded, height: this.height };
  }
}

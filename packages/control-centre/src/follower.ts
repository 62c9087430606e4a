// Follows one regional chain: reads the blocks a member's store (or a directory of block files) holds beyond what is
// loaded, verifies each against the region's manifests from height 0 (consensus ChainChecker, every signature), and
// loads each verified block with its round summaries and readings in one transaction. A block that fails stops the
// region: nothing after it is loaded, and the fault is kept and served.
import { addressToText, rescale, toHex, type Reading, type Verifier } from '@meterchain/core';
import { ChainChecker, type CheckedBlock, type EpochManifest } from '@meterchain/consensus';
import { nodeSha256 } from '@meterchain/crypto';
import { openChain } from '@meterchain/ledger';
import type { Database, Row } from './db.ts';

export interface RegionSource {
  /** The chain's directory: a member's block store (blocks.log) or block files (blocks/<height>.cbor). */
  dir: string;
  /** The region's manifests, epoch 0 first, each verified (the first is the trust anchor). */
  manifests: EpochManifest[];
  /** Their signed bytes (served to the dashboard, whose browser checks proofs against them). */
  manifestBytes?: Uint8Array[];
}

export interface PollResult {
  loaded: number;
  height: number;
  fault?: string;
}

/** Blocks read and verified per poll, so that a long chain loads in steps and the API stays answered meanwhile. */
const BLOCKS_PER_POLL = 64;
/** Rows per INSERT: 11 parameters a reading, far below PostgreSQL's 65,535 parameters a statement. */
const ROWS_PER_INSERT = 500;

const ENERGY_IN = ['1-0:1.8.0', 'TotWhImp'];
const POWER = ['1-0:16.7.0', 'W'];

function channelValue(r: Reading, ids: string[], unit: string): number | null {
  for (const c of r.channels) if (c.unit === unit && ids.indexOf(c.id) >= 0) return rescale(c.value, c.scale, 0) ?? null;
  return null;
}

export class RegionFollower {
  readonly region: string;
  readonly source: RegionSource;
  private readonly db: Database;
  private readonly verifier: Verifier;
  private readonly now: () => number;
  private checker: ChainChecker;
  /** Height loaded in the database (−1: none); blocks up to it are verified again on start but not loaded twice. */
  private loadedHeight = -1;
  private started = false;
  fault: string | undefined;

  constructor(db: Database, source: RegionSource, verifier: Verifier, now: () => number) {
    this.db = db;
    this.source = source;
    this.verifier = verifier;
    this.now = now;
    this.region = source.manifests[0]!.manifest.cluster;
    this.checker = new ChainChecker(source.manifests, nodeSha256);
  }

  private async start(): Promise<void> {
    const m = this.source.manifests[0]!;
    const rows = await this.db.query('SELECT genesis, height, fault FROM regions WHERE region = $1', [this.region]);
    const genesis = toHex(m.digest);
    if (rows.length > 0 && rows[0]!['genesis'] !== genesis) throw new Error(`region '${this.region}' is in the database with another genesis manifest (${String(rows[0]!['genesis']).slice(0, 16)}…)`);
    if (rows.length === 0) {
      await this.db.query('INSERT INTO regions (region, genesis, round_ms, genesis_ms, block_rounds, members) VALUES ($1, $2, $3, $4, $5, $6)', [
        this.region,
        genesis,
        m.manifest.params.roundMs,
        m.manifest.genesisMs,
        m.manifest.params.blockRounds,
        m.manifest.members.length,
      ]);
    } else this.loadedHeight = rows[0]!['height'] as number;
    this.started = true;
  }

  /** Reads, verifies and loads what the chain holds beyond the last poll (at most BLOCKS_PER_POLL blocks). */
  async poll(): Promise<PollResult> {
    if (!this.started) await this.start();
    if (this.fault !== undefined) return { loaded: 0, height: this.checker.count - 1, fault: this.fault };
    const opened = await openChain(this.source.dir);
    let loaded = 0;
    try {
      const from = this.checker.count;
      const to = Math.min(opened.source.count, from + BLOCKS_PER_POLL);
      if (to <= from) return { loaded: 0, height: from - 1 };
      const blocks = await opened.source.read(from, to);
      for (let i = 0; i < blocks.length; i++) {
        const v = this.checker.verify(blocks[i]!, this.verifier);
        if (!v.ok) {
          await this.stop(`block ${from + i} (${opened.source.place(from + i)}): ${v.fault}: ${v.reason}`);
          break;
        }
        if (v.block.header.height > this.loadedHeight) {
          await this.load(v.block, blocks[i]!);
          loaded++;
        } else await this.checkLoaded(v.block);
        if (this.fault !== undefined) break;
      }
    } finally {
      await opened.close();
    }
    return this.fault !== undefined ? { loaded, height: this.checker.count - 1, fault: this.fault } : { loaded, height: this.checker.count - 1 };
  }

  private async stop(reason: string): Promise<void> {
    this.fault = reason;
    await this.db.query('UPDATE regions SET fault = $2 WHERE region = $1', [this.region, reason]);
  }

  /** A block loaded by an earlier run must be the one the chain holds now. */
  private async checkLoaded(b: CheckedBlock): Promise<void> {
    const rows = await this.db.query('SELECT hash FROM blocks WHERE region = $1 AND height = $2', [this.region, b.header.height]);
    if (rows.length === 0 || rows[0]!['hash'] !== toHex(b.hash)) await this.stop(`block ${b.header.height} differs from the one loaded before`);
  }

  private manifestOf(epoch: number): EpochManifest {
    for (const m of this.source.manifests) if (m.manifest.epoch === epoch) return m;
    return this.source.manifests[0]!;
  }

  private async load(b: CheckedBlock, stored: Uint8Array): Promise<void> {
    const h = b.header;
    const m = this.manifestOf(h.epoch).manifest;
    const now = this.now();
    let rejected = 0;
    let undecided = 0;
    let energyIn = 0;
    let energyOut = 0;
    let vmin: number | null = null;
    let vmax: number | null = null;
    for (const r of h.rounds) {
      rejected += r.rejected;
      undecided += r.undecided;
      energyIn += r.energyIn;
      energyOut += r.energyOut;
      if (r.vmin !== null && (vmin === null || r.vmin < vmin)) vmin = r.vmin;
      if (r.vmax !== null && (vmax === null || r.vmax > vmax)) vmax = r.vmax;
    }
    const readings: unknown[][] = [];
    for (const s of b.submissions) {
      if (!s.reading) continue;
      const r = s.reading;
      const channels = r.channels.map((c) => ({ id: c.id, unit: c.unit, value: c.value, scale: c.scale }));
      readings.push([this.region, addressToText(r.meter), r.seq, s.round, h.height, r.ts, r.quality, channelValue(r, ENERGY_IN, 'Wh'), channelValue(r, POWER, 'W'), JSON.stringify(channels), toHex(s.digest)]);
    }
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO blocks (region, height, hash, prev, epoch, first_round, last_round, readings, rejected, undecided, energy_in, energy_out, vmin, vmax, loaded_ms, stored)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [this.region, h.height, toHex(b.hash), toHex(h.prev), h.epoch, h.first, h.last, h.count, rejected, undecided, energyIn, energyOut, vmin, vmax, now, stored],
      );
      for (const r of h.rounds) {
        await tx.query(
          `INSERT INTO rounds (region, round, height, start_ms, accepted, rejected, energy_in, energy_out, power, vmin, vmax)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [this.region, r.round, h.height, m.genesisMs + r.round * m.params.roundMs, r.accepted, r.rejected, r.energyIn, r.energyOut, r.power, r.vmin, r.vmax],
        );
      }
      for (let i = 0; i < readings.length; i += ROWS_PER_INSERT) await insertRows(tx, readings.slice(i, i + ROWS_PER_INSERT));
      for (let i = 0; i < b.evidence.length; i++) {
        const e = b.evidence[i]!;
        const member = m.members[e.accused];
        await tx.query('INSERT INTO evidence (region, kind, height, detail, bytes, found_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', [
          this.region,
          `equivocation-${e.kind}`,
          h.height,
          `${member ? addressToText(member.address) : `member ${e.accused}`} ${e.kind === 'block' ? 'height' : 'round'} ${e.slot}`,
          b.body.evidence[i]!,
          now,
        ]);
      }
      await tx.query('UPDATE regions SET height = $2, tip = $3, updated_ms = $4 WHERE region = $1', [this.region, h.height, toHex(b.hash), now]);
    });
    this.loadedHeight = h.height;
  }
}

async function insertRows(tx: { query(sql: string, params?: unknown[]): Promise<Row[]> }, rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [];
  const values: string[] = [];
  for (const row of rows) {
    const at = params.length;
    values.push(`(${row.map((_, k) => `$${at + k + 1}`).join(', ')})`);
    for (const x of row) params.push(x);
  }
  await tx.query(`INSERT INTO readings (region, meter, seq, round, height, ts, quality, energy_in, power, channels, digest) VALUES ${values.join(', ')}`, params);
}

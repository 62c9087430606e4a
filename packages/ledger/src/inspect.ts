// Reading a chain for people and spreadsheets: a summary per block (heights, rounds, proposer, accepted / rejected /
// undecided counts, evidence) and the accepted readings as rows. Nothing here verifies: `chain verify` does that.
import { addressToText, decodeReading, fixedToDecimal, openEnvelope, qualityNames, type Manifest, type Reading } from '@meterchain/core';
import { decodeBody, decodeHeader, decodeStoredBlock, openEvidence, type BlockHeader } from './consensus.ts';
import { nodeSha256 } from '@meterchain/crypto';

export interface EvidenceSummary {
  height: number;
  kind: string;
  /** The accused member's address (text), or its index when no manifest was given. */
  accused: string;
  /** Round (submission, vote) or height (block). */
  slot: number;
}

export interface BlockSummary {
  height: number;
  epoch: number;
  first: number;
  last: number;
  proposer: string;
  submissions: number;
  accepted: number;
  rejected: number;
  undecided: number;
  evidence: number;
  commitSignatures: number;
  bytes: number;
}

/** What a block says about itself, or a reason when it does not decode. */
export function summarizeBlock(bytes: Uint8Array, manifest?: Manifest): { ok: true; block: BlockSummary; header: BlockHeader; evidence: EvidenceSummary[] } | { ok: false; reason: string } {
  const s = decodeStoredBlock(bytes);
  if (!s.ok) return { ok: false, reason: s.reason };
  const h = decodeHeader(s.block.header);
  if (!h.ok) return { ok: false, reason: h.reason };
  const b = decodeBody(s.block.body);
  if (!b.ok) return { ok: false, reason: b.reason };
  const header = h.header;
  let accepted = 0;
  let rejected = 0;
  let undecided = 0;
  for (const r of header.rounds) {
    accepted += r.accepted;
    rejected += r.rejected;
    undecided += r.undecided;
  }
  const evidence: EvidenceSummary[] = [];
  for (const e of b.body.evidence) {
    const c = manifest ? openEvidence(manifest, e, nodeSha256) : undefined;
    if (c && c.ok) evidence.push({ height: header.height, kind: c.claim.kind, accused: addressToText(manifest!.members[c.claim.accused]!.address), slot: c.claim.slot });
    else evidence.push({ height: header.height, kind: 'unreadable', accused: '?', slot: -1 });
  }
  return {
    ok: true,
    header,
    evidence,
    block: {
      height: header.height,
      epoch: header.epoch,
      first: header.first,
      last: header.last,
      proposer: addressToText(header.proposer),
      submissions: b.body.submissions.length,
      accepted,
      rejected,
      undecided,
      evidence: b.body.evidence.length,
      commitSignatures: s.block.commit.votes.length,
      bytes: bytes.length,
    },
  };
}

/** One accepted reading of a block, with where it was committed. */
export interface ReadingRow {
  height: number;
  round: number;
  reading: Reading;
}

/** The accepted readings of a block (PMU batch submissions carry no reading and are left out). */
export function readingsOf(bytes: Uint8Array, roundOf: (r: Reading) => number): ReadingRow[] | { reason: string } {
  const s = decodeStoredBlock(bytes);
  if (!s.ok) return { reason: s.reason };
  const h = decodeHeader(s.block.header);
  if (!h.ok) return { reason: h.reason };
  const b = decodeBody(s.block.body);
  if (!b.ok) return { reason: b.reason };
  const rows: ReadingRow[] = [];
  for (const sub of b.body.submissions) {
    const env = openEnvelope(sub);
    if (!env.ok) continue;
    const r = decodeReading(env.envelope.body);
    if (r.ok) rows.push({ height: h.header.height, round: roundOf(r.reading), reading: r.reading });
  }
  return rows;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CSV_FIXED_COLUMNS = ['height', 'round', 'meter', 'seq', 'ts', 'time', 'clock', 'quality', 'quality_flags'];
const CLOCK_NAMES = ['synced', 'unsynced', 'invalid'];

/** A channel column's name: the channel id with its unit, e.g. `1-0:32.7.0 [V]`. */
export function channelColumn(id: string, unit: string): string {
  return `${id} [${unit}]`;
}

/** The CSV row of one accepted reading, channels in the order of `columns` (empty where the reading has none). */
export function csvRow(row: ReadingRow, columns: string[]): string {
  const r = row.reading;
  const values: { [column: string]: string } = {};
  for (const c of r.channels) values[channelColumn(c.id, c.unit)] = fixedToDecimal(c.value, c.scale);
  const fixed = [
    String(row.height),
    String(row.round),
    addressToText(r.meter),
    String(r.seq),
    String(r.ts),
    new Date(r.ts).toISOString(),
    CLOCK_NAMES[r.clock] ?? String(r.clock),
    String(r.quality),
    qualityNames(r.quality).join('|'),
  ];
  return [...fixed, ...columns.map((c) => values[c] ?? '')].map(csvField).join(',');
}


// Regional anchors: what a cluster gate submits to the wide-area chain for each committed regional block. The header
// carries the block's aggregates (energy totals, voltage extremes, reading counts per round) and the commit
// certificate proves that the region's quorum signed it, so an anchor needs nothing else to be checked against the
// region's manifest (docs/widearea.md, "Anchors").
import { decodeAs, encode, type Schema } from '@meterchain/core';
import { decodeStoredBlock, encodeBlockCertificate, type BlockHeader } from '@meterchain/consensus';

export const ANCHOR_VERSION = 1;
/** A header of a 10-round block is about 1 KB; 1 MiB leaves room for 100,000-round blocks' summaries and a
 * 1,024-voter certificate, and refuses anything bigger before it is decoded. */
export const MAX_ANCHOR_BYTES = 1048576;

/** One committed regional block as the wide-area tier sees it: the header bytes as signed and the commit certificate. */
export interface Anchor {
  v: number;
  /** The region's cluster name (the manifest's `cluster`). */
  region: string;
  /** The block's header bytes, exactly as the region's members co-signed them. */
  header: Uint8Array;
  /** The encoded commit certificate (consensus `encodeBlockCertificate`). */
  commit: Uint8Array;
}

export const ANCHOR_SCHEMA = {
  map: {
    v: 'uint',
    region: { text: { max: 64 } },
    header: 'bytes',
    commit: 'bytes',
  },
} as const satisfies Schema;

export function encodeAnchor(a: Anchor): Uint8Array {
  return encode({ v: a.v, region: a.region, header: a.header, commit: a.commit });
}

export function decodeAnchor(bytes: Uint8Array): { ok: true; anchor: Anchor } | { ok: false; reason: string } {
  const d = decodeAs(bytes, ANCHOR_SCHEMA, { maxBytes: MAX_ANCHOR_BYTES });
  if (!d.ok) return { ok: false, reason: `anchor: ${d.reason} at byte ${d.offset}` };
  const a: Anchor = d.value;
  if (a.v !== ANCHOR_VERSION) return { ok: false, reason: `anchor: unsupported version ${a.v}` };
  return { ok: true, anchor: a };
}

/** The anchor of a stored (committed) regional block: its header and commit certificate; the body stays behind. */
export function anchorOfStoredBlock(region: string, stored: Uint8Array): { ok: true; anchor: Anchor } | { ok: false; reason: string } {
  const s = decodeStoredBlock(stored);
  if (!s.ok) return { ok: false, reason: s.reason };
  return { ok: true, anchor: { v: ANCHOR_VERSION, region, header: s.block.header, commit: encodeBlockCertificate(s.block.commit) } };
}

/** What a control centre reads of one regional block: totals over its rounds. */
export interface Aggregates {
  /** Readings (submissions) accepted in the block. */
  readings: number;
  /** Submissions rejected by the threshold of voters, and judged but undecided, over the block's rounds. */
  rejected: number;
  undecided: number;
  /** Σ energy import and export registers over the block's accepted readings, Wh (as the round summaries add them). */
  energyIn: number;
  energyOut: number;
  /** Lowest and highest phase voltage in the block, mV; null when no reading carried one. */
  vmin: number | null;
  vmax: number | null;
}

/** Totals of a header's round summaries. */
export function aggregatesOf(header: BlockHeader): Aggregates {
  const a: Aggregates = { readings: 0, rejected: 0, undecided: 0, energyIn: 0, energyOut: 0, vmin: null, vmax: null };
  for (const r of header.rounds) {
    a.readings += r.accepted;
    a.rejected += r.rejected;
    a.undecided += r.undecided;
    a.energyIn += r.energyIn;
    a.energyOut += r.energyOut;
    if (r.vmin !== null && (a.vmin === null || r.vmin < a.vmin)) a.vmin = r.vmin;
    if (r.vmax !== null && (a.vmax === null || r.vmax > a.vmax)) a.vmax = r.vmax;
  }
  return a;
}

// The witness of regional chains at the wide-area tier: it remembers which block each region committed at each
// height and catches a region showing two views of its chain, as a transparency log's witnesses do. Two checked
// anchors at one height with different headers (a split view), or a block whose prev is not the block anchored at
// the height below (a broken link), prove that more members than the region's rule tolerates signed against the
// protocol: the two anchors are kept as evidence anyone holding the region's manifests can check (checkViewEvidence).
import { decodeAs, encode, equalBytes, toHex, type Schema } from '@meterchain/core';
import { MAX_ANCHOR_BYTES, encodeAnchor } from './anchor.ts';
import type { RegionRegistry } from './registry.ts';
import type { CheckedAnchor } from './verify.ts';

export const VIEW_EVIDENCE_VERSION = 1;

/** `split`: two different blocks at one height. `link`: block `b` at height h + 1 does not name block `a` at h. */
export type ViewEvidenceKind = 'split' | 'link';

export interface ViewEvidence {
  v: number;
  kind: ViewEvidenceKind;
  region: string;
  /** Height of anchor `a` (for `split`, of both). */
  height: number;
  /** Encoded anchors: the one the witness kept first, and the one that contradicts it. */
  a: Uint8Array;
  b: Uint8Array;
}

export const VIEW_EVIDENCE_SCHEMA = {
  map: { v: 'uint', kind: { text: { max: 8 } }, region: { text: { max: 64 } }, height: 'uint', a: 'bytes', b: 'bytes' },
} as const satisfies Schema;

export function encodeViewEvidence(e: ViewEvidence): Uint8Array {
  return encode({ v: e.v, kind: e.kind, region: e.region, height: e.height, a: e.a, b: e.b });
}

export function decodeViewEvidence(bytes: Uint8Array): { ok: true; evidence: ViewEvidence } | { ok: false; reason: string } {
  const d = decodeAs(bytes, VIEW_EVIDENCE_SCHEMA, { maxBytes: 2 * MAX_ANCHOR_BYTES + 256 });
  if (!d.ok) return { ok: false, reason: `view evidence: ${d.reason} at byte ${d.offset}` };
  const o = d.value;
  if (o.v !== VIEW_EVIDENCE_VERSION) return { ok: false, reason: `view evidence: unsupported version ${o.v}` };
  if (o.kind !== 'split' && o.kind !== 'link') return { ok: false, reason: `view evidence: unknown kind '${o.kind}'` };
  return { ok: true, evidence: { v: o.v, kind: o.kind, region: o.region, height: o.height, a: o.a, b: o.b } };
}

/** Checks evidence with nothing but the registry: both anchors verify for the region, and they contradict. */
export function checkViewEvidence(registry: RegionRegistry, bytes: Uint8Array): { ok: true; evidence: ViewEvidence } | { ok: false; reason: string } {
  const d = decodeViewEvidence(bytes);
  if (!d.ok) return d;
  const e = d.evidence;
  const a = registry.verify(e.a);
  if (!a.ok) return { ok: false, reason: `view evidence: anchor a: ${a.reason}` };
  const b = registry.verify(e.b);
  if (!b.ok) return { ok: false, reason: `view evidence: anchor b: ${b.reason}` };
  const x = a.checked;
  const y = b.checked;
  if (x.region !== e.region || y.region !== e.region) return { ok: false, reason: 'view evidence: anchors of another region' };
  if (x.height !== e.height) return { ok: false, reason: `view evidence: anchor a is at height ${x.height}, evidence says ${e.height}` };
  if (e.kind === 'split') {
    if (y.height !== e.height) return { ok: false, reason: `view evidence: split anchors at heights ${x.height} and ${y.height}` };
    if (equalBytes(x.hash, y.hash)) return { ok: false, reason: 'view evidence: both anchors name the same block' };
  } else {
    if (y.height !== e.height + 1) return { ok: false, reason: `view evidence: link anchors at heights ${x.height} and ${y.height}` };
    if (equalBytes(y.prev, x.hash)) return { ok: false, reason: 'view evidence: the blocks link' };
  }
  return { ok: true, evidence: e };
}

export type Observation =
  | { status: 'new'; checked: CheckedAnchor }
  | { status: 'duplicate' }
  /** Below the window the witness keeps: not compared (the wide-area chain holds the record). */
  | { status: 'stale' }
  | { status: 'evidence'; evidence: ViewEvidence; bytes: Uint8Array };

export interface WitnessOptions {
  /** Heights per region kept below the region's highest anchored height (default 1024). */
  window?: number;
  /** Pieces of evidence kept per region (default 16); more are still reported, not kept. */
  evidencePerRegion?: number;
}

interface Kept {
  hash: Uint8Array;
  prev: Uint8Array;
  bytes: Uint8Array;
}

interface RegionView {
  byHeight: { [height: number]: Kept };
  low: number;
  high: number;
  evidence: Uint8Array[];
  seen: { [key: string]: boolean };
}

export class AnchorWitness {
  private readonly regions: { [region: string]: RegionView } = {};
  private readonly window: number;
  private readonly evidencePerRegion: number;

  constructor(options?: WitnessOptions) {
    const o = options ?? {};
    this.window = o.window ?? 1024;
    this.evidencePerRegion = o.evidencePerRegion ?? 16;
  }

  private view(region: string): RegionView {
    let v = this.regions[region];
    if (!v) {
      v = { byHeight: {}, low: 0, high: -1, evidence: [], seen: {} };
      this.regions[region] = v;
    }
    return v;
  }

  /** Takes a checked anchor (never an unchecked one: evidence must verify) and says what it is to the witness. */
  observe(c: CheckedAnchor): Observation {
    const v = this.view(c.region);
    if (v.high >= 0 && c.height < v.low) return { status: 'stale' };
    const bytes = encodeAnchor(c.anchor);
    const here = v.byHeight[c.height];
    if (here) {
      if (equalBytes(here.hash, c.hash)) return { status: 'duplicate' };
      return this.evidence(v, { v: VIEW_EVIDENCE_VERSION, kind: 'split', region: c.region, height: c.height, a: here.bytes, b: bytes }, here.hash, c.hash);
    }
    const below = v.byHeight[c.height - 1];
    if (below && !equalBytes(c.prev, below.hash)) {
      return this.evidence(v, { v: VIEW_EVIDENCE_VERSION, kind: 'link', region: c.region, height: c.height - 1, a: below.bytes, b: bytes }, below.hash, c.hash);
    }
    const above = v.byHeight[c.height + 1];
    if (above && !equalBytes(above.prev, c.hash)) {
      return this.evidence(v, { v: VIEW_EVIDENCE_VERSION, kind: 'link', region: c.region, height: c.height, a: bytes, b: above.bytes }, c.hash, above.hash);
    }
    v.byHeight[c.height] = { hash: c.hash, prev: c.prev, bytes };
    if (c.height > v.high) {
      v.high = c.height;
      const low = Math.max(0, v.high - this.window + 1);
      for (let h = v.low; h < low; h++) delete v.byHeight[h];
      v.low = Math.max(v.low, low);
    }
    return { status: 'new', checked: c };
  }

  private evidence(v: RegionView, e: ViewEvidence, hashA: Uint8Array, hashB: Uint8Array): Observation {
    const bytes = encodeViewEvidence(e);
    const key = `${e.kind}:${e.height}:${toHex(hashA)}:${toHex(hashB)}`;
    if (!v.seen[key] && v.evidence.length < this.evidencePerRegion) {
      v.seen[key] = true;
      v.evidence.push(bytes);
    }
    return { status: 'evidence', evidence: e, bytes };
  }

  /** Evidence kept for a region, encoded, in the order it was found. */
  evidenceOf(region: string): Uint8Array[] {
    const v = this.regions[region];
    return v ? v.evidence.slice(0) : [];
  }

  /** The hash of the block anchored at `height`, if the witness keeps it. */
  anchoredAt(region: string, height: number): Uint8Array | undefined {
    const v = this.regions[region];
    const k = v ? v.byHeight[height] : undefined;
    return k ? k.hash : undefined;
  }

  /** Lowest height the witness still compares (below it anchors are `stale`). */
  lowest(region: string): number {
    const v = this.regions[region];
    return v ? v.low : 0;
  }

  /** Highest anchored height of a region, −1 when none. */
  highest(region: string): number {
    const v = this.regions[region];
    return v ? v.high : -1;
  }
}


// Cross-tier proofs: one bundle from a reading to its regional block and on to the wide-area block that anchored it.
// The regional part is the inclusion proof `chain prove` writes (checked with the region's manifests alone); the
// wide-area part is the wide-area block's header and commit certificate, the substation's batch that carried the
// anchor with its RFC 6962 path to the header's root, and the anchor's place among the batch's items. Checked with
// the two manifests: the wide-area header is co-signed by the threshold of substations, it holds the batch, the
// batch holds the anchor, and the anchor names the very regional block the reading's proof ends at.
import { decodeAs, encode, equalBytes, signingInput, toHex, type Hash, type Manifest, type Schema, type Verifier } from '@meterchain/core';
import {
  Phase,
  checkBlockCertificate,
  decodeBlockCertificate,
  decodeBody,
  decodeHeader,
  decodeStoredBlock,
  encodeBlockCertificate,
  inclusionProof,
  leafHash,
  merkleRoot,
  openSubmission,
  submissionDomain,
  verifyInclusion,
} from '@meterchain/consensus';
import { verifyProof, type ProvenReading } from '@meterchain/ledger';
import { decodeAnchor } from './anchor.ts';

export const CROSS_TIER_TYPE = 'meterchain-cross-tier-proof';
export const CROSS_TIER_VERSION = 1;

const SCHEMA = {
  map: {
    type: { text: { max: 64 } },
    v: 'uint',
    regional: 'bytes',
    wideHeader: 'bytes',
    wideCommit: 'bytes',
    submission: 'bytes',
    leaf: 'uint',
    size: 'uint',
    path: { array: { bytes: 32 }, max: 64 },
    item: 'uint',
  },
} as const satisfies Schema;

export type CrossTierResult = { ok: true; proof: Uint8Array; wideHeight: number } | { ok: false; reason: string };

/**
 * Adds the wide-area anchor to a regional proof: finds, in the wide-area chain's stored blocks (any order), the first
 * committed anchor of the proof's regional block. `regionalManifests` verify the regional proof first.
 */
export function makeCrossTierProof(regionalManifests: Manifest[], regionalProof: Uint8Array, wideManifest: Manifest, wideBlocks: Uint8Array[], hash: Hash, verifier: Verifier): CrossTierResult {
  const r = verifyProof(regionalManifests, regionalProof, verifier);
  if (!r.ok) return { ok: false, reason: `the regional proof does not verify: ${r.fault}: ${r.reason}` };
  let best: { height: number; proof: Uint8Array } | undefined;
  for (const stored of wideBlocks) {
    const s = decodeStoredBlock(stored);
    if (!s.ok) continue;
    const h = decodeHeader(s.block.header);
    const b = decodeBody(s.block.body);
    if (!h.ok || !b.ok || (best && best.height <= h.header.height)) continue;
    const subs = b.body.submissions;
    for (let i = 0; i < subs.length; i++) {
      const o = openSubmission(wideManifest, subs[i]!, hash);
      const items = o.ok && o.submission.batch && o.submission.batch.items ? o.submission.batch.items : [];
      for (let k = 0; k < items.length; k++) {
        const a = decodeAnchor(items[k]!);
        if (!a.ok || !equalBytes(hash(a.anchor.header), r.proven.block)) continue;
        const proof = encode({
          type: CROSS_TIER_TYPE,
          v: CROSS_TIER_VERSION,
          regional: regionalProof,
          wideHeader: s.block.header,
          wideCommit: encodeBlockCertificate(s.block.commit),
          submission: subs[i]!,
          leaf: i,
          size: subs.length,
          path: inclusionProof(hash, subs.map((x) => leafHash(hash, x)), i),
          item: k,
        });
        best = { height: h.header.height, proof };
        break;
      }
      if (best && best.height === h.header.height) break;
    }
  }
  if (!best) return { ok: false, reason: `the wide-area chain given holds no anchor of regional block ${toHex(r.proven.block).slice(0, 16)}…` };
  return { ok: true, proof: best.proof, wideHeight: best.height };
}

export interface ProvenCrossTier {
  regional: ProvenReading;
  region: string;
  /** The wide-area block that anchored the reading's regional block, its hash, and its commit signatures. */
  wideHeight: number;
  wideBlock: Uint8Array;
  wideSignatures: number;
  /** The substation whose batch carried the anchor, and the wide-area round. */
  gate: Uint8Array;
  round: number;
}

export type CrossTierVerdict = { ok: true; proven: ProvenCrossTier } | { ok: false; tier: 'regional' | 'wide-area'; reason: string };

/** Whether `bytes` look like a cross-tier proof (as opposed to a regional one), without checking it. */
export function isCrossTierProof(bytes: Uint8Array): boolean {
  const d = decodeAs(bytes, SCHEMA, { maxBytes: 1 << 24 });
  return d.ok && d.value.type === CROSS_TIER_TYPE;
}

/** Checks a cross-tier proof with the regions' and the wide-area chain's manifests alone. Never throws. */
export function verifyCrossTierProof(regionalManifests: Manifest[], wideManifests: Manifest[], bytes: Uint8Array, hash: Hash, verifier: Verifier): CrossTierVerdict {
  const wide = (reason: string): CrossTierVerdict => ({ ok: false, tier: 'wide-area', reason });
  const d = decodeAs(bytes, SCHEMA, { maxBytes: 1 << 24 });
  if (!d.ok) return wide(`cross-tier proof: ${d.reason} at byte ${d.offset}`);
  const p = d.value;
  if (p.type !== CROSS_TIER_TYPE || p.v !== CROSS_TIER_VERSION) return wide(`not a cross-tier proof of version ${CROSS_TIER_VERSION}`);
  const r = verifyProof(regionalManifests, p.regional, verifier);
  if (!r.ok) return { ok: false, tier: 'regional', reason: `${r.fault}: ${r.reason}` };
  const h = decodeHeader(p.wideHeader);
  if (!h.ok) return wide(h.reason);
  const header = h.header;
  const manifest = wideManifests.find((m) => m.epoch === header.epoch && m.cluster === header.cluster);
  if (!manifest) return wide(`no wide-area manifest for cluster '${header.cluster}' epoch ${header.epoch}`);
  const c = decodeBlockCertificate(p.wideCommit);
  if (!c.ok) return wide(c.reason);
  const wideBlock = hash(p.wideHeader);
  const sig = (x: { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }) => verifier.verify(x.publicKey, x.message, x.signature);
  const problem = checkBlockCertificate(manifest, c.cert, Phase.COMMIT, header.height, wideBlock, sig);
  if (problem !== '') return wide(`wide-area commit certificate: ${problem}`);
  if (p.size !== header.count) return wide(`the path is for ${p.size} submissions, the header counts ${header.count}`);
  if (!verifyInclusion(hash, leafHash(hash, p.submission), p.leaf, p.size, p.path, header.root)) return wide("the batch is not in the wide-area header's submissions root");
  const o = openSubmission(manifest, p.submission, hash);
  if (!o.ok) return wide(`the batch does not open: ${o.detail}`);
  const s = o.submission;
  if (!verifier.verify(s.member.publicKey, signingInput(submissionDomain(s.kind), s.envelope.body), s.envelope.sig)) return wide("the batch's signature does not verify");
  const items = s.batch && s.batch.items ? s.batch.items : [];
  if (items.length === 0 || !equalBytes(merkleRoot(hash, items), s.batch!.root)) return wide('the batch carries no items that hash to its root');
  const item = items[p.item];
  if (!item) return wide(`the batch has no item ${p.item}`);
  const a = decodeAnchor(item);
  if (!a.ok) return wide(`item ${p.item} is not an anchor: ${a.reason}`);
  if (!equalBytes(hash(a.anchor.header), r.proven.block)) return wide("the anchor names another regional block than the reading's");
  if (a.anchor.region !== r.proven.header.cluster) return wide(`the anchor is for region '${a.anchor.region}', the reading's block for '${r.proven.header.cluster}'`);
  return { ok: true, proven: { regional: r.proven, region: a.anchor.region, wideHeight: header.height, wideBlock, wideSignatures: c.cert.votes.length, gate: s.member.address, round: s.round } };
}

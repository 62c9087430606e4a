// Checking an anchor against its region's manifest: the header decodes and names the region and epoch, its round
// summaries add up, and its commit certificate carries the threshold of the region's full members' signatures over
// the header's hash (the same check a regional member makes: consensus checkBlockCertificate). The body is not
// needed: t co-signatures commit the header, and the header commits the body, the readings root and the aggregates.
import { equalBytes, type Hash, type Manifest, type Verifier } from '@meterchain/core';
import { Phase, checkBlockCertificate, decodeBlockCertificate, decodeHeader, memberIndex, type BlockHeader, type SignatureOracle } from '@meterchain/consensus';
import { aggregatesOf, decodeAnchor, type Aggregates, type Anchor } from './anchor.ts';

export type AnchorFault = 'malformed' | 'region' | 'epoch' | 'header' | 'commit';

/** An anchor that passed: what the wide-area tier and the control centre keep of it. */
export interface CheckedAnchor {
  anchor: Anchor;
  region: string;
  epoch: number;
  height: number;
  /** SHA-256 of the header bytes: the regional block's name. */
  hash: Uint8Array;
  /** The previous regional block's hash (for height 0 of epoch 0, the manifest's digest). */
  prev: Uint8Array;
  header: BlockHeader;
  aggregates: Aggregates;
}

export type AnchorVerdict = { ok: true; checked: CheckedAnchor } | { ok: false; fault: AnchorFault; reason: string };

function bad(fault: AnchorFault, reason: string): AnchorVerdict {
  return { ok: false, fault, reason };
}

/** Checks a decoded anchor against the region's manifest of the header's epoch; `sig` answers each signature check. */
export function checkAnchor(manifest: Manifest, anchor: Anchor, hash: Hash, sig: SignatureOracle): AnchorVerdict {
  if (anchor.region !== manifest.cluster) return bad('region', `anchor names region '${anchor.region}', manifest is for '${manifest.cluster}'`);
  const h = decodeHeader(anchor.header);
  if (!h.ok) return bad('malformed', h.reason);
  const header = h.header;
  if (header.cluster !== anchor.region) return bad('region', `header is for cluster '${header.cluster}', anchor names '${anchor.region}'`);
  if (header.epoch !== manifest.epoch) return bad('epoch', `header says epoch ${header.epoch}, manifest is epoch ${manifest.epoch}`);
  const B = manifest.params.blockRounds;
  if (header.last - header.first + 1 !== B || header.rounds.length !== B) return bad('header', `rounds ${header.first}..${header.last} with ${header.rounds.length} summaries, the region's blocks have ${B}`);
  for (let i = 0; i < header.rounds.length; i++) {
    const r = header.rounds[i]!;
    if (r.round !== header.first + i) return bad('header', `summary ${i} is for round ${r.round}, expected ${header.first + i}`);
    if (r.vmin !== null && r.vmax !== null && r.vmin > r.vmax) return bad('header', `round ${r.round}: lowest voltage above the highest`);
  }
  const aggregates = aggregatesOf(header);
  if (aggregates.readings !== header.count) return bad('header', `summaries count ${aggregates.readings} readings, header says ${header.count}`);
  const proposer = memberIndex(manifest, header.proposer);
  if (proposer < 0 || manifest.members[proposer]!.role !== 'full') return bad('header', 'proposer is not a full member of the region');
  const c = decodeBlockCertificate(anchor.commit);
  if (!c.ok) return bad('malformed', c.reason);
  const blockHash = hash(anchor.header);
  const problem = checkBlockCertificate(manifest, c.cert, Phase.COMMIT, header.height, blockHash, sig);
  if (problem !== '') return bad('commit', problem);
  return { ok: true, checked: { anchor, region: anchor.region, epoch: header.epoch, height: header.height, hash: blockHash, prev: header.prev, header, aggregates } };
}

/** Decodes and checks anchor bytes with one verifier. Never throws on hostile bytes. */
export function verifyAnchor(manifest: Manifest, bytes: Uint8Array, hash: Hash, verifier: Verifier): AnchorVerdict {
  const d = decodeAnchor(bytes);
  if (!d.ok) return bad('malformed', d.reason);
  return checkAnchor(manifest, d.anchor, hash, (c) => verifier.verify(c.publicKey, c.message, c.signature));
}

/** True when two checked anchors name the same regional block. */
export function sameBlock(a: CheckedAnchor, b: CheckedAnchor): boolean {
  return a.region === b.region && equalBytes(a.hash, b.hash);
}

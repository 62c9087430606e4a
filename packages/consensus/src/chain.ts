// Block verification as pure functions: from the manifest alone, check every signature, certificate, Merkle root,
// summary, link, height and epoch of a block, and name the first fault (chain-verify.ts walks a chain with it).
// Signature checks are handed out as a list first, so a verifier can run them in parallel and then give the verdicts
// back (docs/protocol.md, "Verifying").
import { Domain, equalBytes, signingInput, toHex, voters, type Hash, type Manifest } from '@meterchain/core';
import {
  addReadingToSummary,
  decodeBody,
  decodeHeader,
  emptySummary,
  encodeRoundSummary,
  blockVoteBody,
  Phase,
  type BlockBody,
  type BlockCertificate,
  type BlockHeader,
  type RoundSummary,
} from './block.ts';
import { certificateSignatures, tallyCertificate, type RoundCertificate, type RoundTally, type SignatureCheck } from './certificate.ts';
import { openEvidence, type EvidenceClaim } from './evidence.ts';
import { leafHash, rootOfLeafHashes } from './merkle.ts';
import { memberIndex, openSubmission, submissionDomain, type Submission } from './submission.ts';
import { memberOutcome } from './quorum.ts';
import { threshold } from './threshold.ts';

/** Why a block is refused. */
export type BlockFault =
  | 'malformed'
  | 'cluster'
  | 'epoch'
  | 'height'
  | 'prev'
  | 'rounds'
  | 'proposer'
  | 'body-hash'
  | 'certificate'
  | 'submission'
  | 'signature'
  | 'merkle-root'
  | 'summary'
  | 'evidence'
  | 'commit';

/** What the block at this place in the chain must say. */
export interface BlockExpectation {
  height: number;
  prev: Uint8Array;
  /** First round of the block (rounds are counted from the epoch manifest's genesis). */
  first: number;
}

export interface CheckedBlock {
  header: BlockHeader;
  body: BlockBody;
  /** SHA-256 of the header bytes. */
  hash: Uint8Array;
  submissions: Submission[];
  evidence: EvidenceClaim[];
  /** Roots of each certificate's judgment lists, aligned with body.certs. */
  certRoots: Uint8Array[][];
}

export type BlockVerdict = { ok: true; block: CheckedBlock } | { ok: false; fault: BlockFault; reason: string };

/** Answers one signature check: the collecting pass says yes and records; the checking pass says what was found. */
export type SignatureOracle = (check: SignatureCheck, what: string) => boolean;

/** The verdict on a refused block. */
export function bad(fault: BlockFault, reason: string): BlockVerdict {
  return { ok: false, fault, reason };
}

/** The first round of block `height` when the epoch's first block has height `epochStart`. */
export function firstRoundOf(manifest: Manifest, height: number, epochStart: number): number {
  return (height - epochStart) * manifest.params.blockRounds;
}

/** The proposer of (height, view): rotation over the voters in address order. */
export function proposerOf(manifest: Manifest, height: number, view: number): Uint8Array {
  const v = voters(manifest);
  return v[(height + view) % v.length]!.address;
}

/** Checks a commit (or prepare) certificate's shape and hands its signatures to the oracle. '' when good. */
export function checkBlockCertificate(manifest: Manifest, cert: BlockCertificate, phase: number, height: number, blockHash: Uint8Array, sig: SignatureOracle): string {
  if (cert.phase !== phase) return `certificate is for phase ${cert.phase}, expected ${phase}`;
  if (cert.height !== height) return `certificate is for height ${cert.height}, expected ${height}`;
  if (!equalBytes(cert.block, blockHash)) return 'certificate is for another header';
  const n = manifest.members.length;
  const t = threshold(manifest.rule, voters(manifest).length);
  if (cert.votes.length < t) return `certificate has ${cert.votes.length} signatures, threshold is ${t}`;
  for (let i = 0; i < cert.votes.length; i++) {
    const v = cert.votes[i]!;
    if (i > 0 && cert.votes[i - 1]!.voter >= v.voter) return 'certificate signatures not in strictly increasing voter order';
    if (v.voter >= n || manifest.members[v.voter]!.role !== 'full') return `certificate names voter ${v.voter}, not a full member`;
  }
  for (const v of cert.votes) {
    const m = manifest.members[v.voter]!;
    const body = blockVoteBody(manifest, height, cert.view, phase, blockHash, m.address);
    if (!sig({ publicKey: m.publicKey, message: signingInput(Domain.BLOCK, body), signature: v.sig }, `block signature of voter ${v.voter}`)) {
      return `signature of voter ${v.voter} does not verify`;
    }
  }
  return '';
}

/**
 * What evidence a block may carry (docs/protocol.md §8): against a round at most `rounds` before the block's first
 * round (the rounds a node keeps open) and not after its last, against a height at most `heights` below the block's
 * and not above it, and at most `perMember` pieces against one member. Every member verifies each piece and every
 * block stores it: without a window a member's equivocations over any round numbers would all go into blocks.
 */
export function evidenceBounds(manifest: Manifest): { rounds: number; heights: number; perMember: number } {
  return { rounds: Math.max(8 * manifest.params.blockRounds, 64), heights: 8, perMember: 4 };
}

/** Whether an evidence claim fits a block at `height` over rounds first..last (evidenceBounds). */
export function evidenceFits(bounds: { rounds: number; heights: number }, claim: EvidenceClaim, height: number, first: number, last: number): boolean {
  if (claim.kind === 'block') return claim.slot <= height && claim.slot >= height - bounds.heights;
  return claim.slot <= last && claim.slot >= first - bounds.rounds;
}

/** Voters caught equivocating their round vote, by round, from the evidence of a block. */
export function excludedVoters(claims: EvidenceClaim[]): { [round: number]: { [voter: number]: boolean } } {
  const excluded: { [round: number]: { [voter: number]: boolean } } = {};
  for (const c of claims) {
    if (c.kind !== 'vote') continue;
    if (!excluded[c.slot]) excluded[c.slot] = {};
    excluded[c.slot]![c.accused] = true;
  }
  return excluded;
}

/**
 * Tallies a block's round certificates (without equivocators) and starts the round summaries: votes counted,
 * members rejected and undecided. Accepted counts and aggregates are added per submission (addReadingToSummary).
 * The proposer and every checker compute summaries with this one function.
 */
export function countCertificates(
  manifest: Manifest,
  first: number,
  last: number,
  certs: RoundCertificate[],
  excluded: { [round: number]: { [voter: number]: boolean } },
): { summaries: RoundSummary[]; tallies: { [round: number]: RoundTally } } {
  const n = manifest.members.length;
  const t = threshold(manifest.rule, voters(manifest).length);
  const summaries: RoundSummary[] = [];
  for (let r = first; r <= last; r++) summaries.push(emptySummary(r));
  const tallies: { [round: number]: RoundTally } = {};
  for (const c of certs) {
    if (c.round < first || c.round > last) continue;
    const ex = excluded[c.round];
    const tally = tallyCertificate(n, c, ex);
    tallies[c.round] = tally;
    const summary = summaries[c.round - first]!;
    let counted = 0;
    for (const v of c.votes) if (!ex || !ex[v.voter]) counted++;
    summary.votes = counted;
    for (let m = 0; m < n; m++) {
      const o = memberOutcome(tally[m]!, t);
      if (o.outcome === 'rejected') summary.rejected++;
      else if (o.outcome === 'not-enough-votes') summary.undecided++;
    }
  }
  return { summaries, tallies };
}

/**
 * Checks one block (header and body bytes as signed, and its commit certificate unless this is a proposal being
 * judged) against the manifest and what the chain expects at this place. Every signature goes through `sig`.
 */
export function inspectBlock(
  manifest: Manifest,
  hash: Hash,
  headerBytes: Uint8Array,
  bodyBytes: Uint8Array,
  commit: BlockCertificate | undefined,
  expect: BlockExpectation,
  sig: SignatureOracle,
  /** Submissions the caller has opened and whose signatures it has verified, by digest: one of these in the block
   * (same bytes) is neither decoded nor checked again. */
  known?: (digest: Uint8Array) => Submission | undefined,
  /** The root of a judgment list (a caller that remembers the roots of lists it has seen passes its memory). */
  rootOf?: (list: Uint8Array) => Uint8Array,
): BlockVerdict {
  const h = decodeHeader(headerBytes);
  if (!h.ok) return bad('malformed', h.reason);
  const header = h.header;
  if (header.cluster !== manifest.cluster) return bad('cluster', `block is for cluster '${header.cluster}', manifest for '${manifest.cluster}'`);
  if (header.epoch !== manifest.epoch) return bad('epoch', `block says epoch ${header.epoch}, expected ${manifest.epoch}`);
  if (header.height !== expect.height) return bad('height', `block says height ${header.height}, expected ${expect.height}`);
  if (!equalBytes(header.prev, expect.prev)) return bad('prev', `prev ${toHex(header.prev).slice(0, 16)}… does not name the previous block ${toHex(expect.prev).slice(0, 16)}…`);
  const B = manifest.params.blockRounds;
  if (header.first !== expect.first || header.last !== expect.first + B - 1) {
    return bad('rounds', `rounds ${header.first}..${header.last}, expected ${expect.first}..${expect.first + B - 1}`);
  }
  if (header.rounds.length !== B) return bad('summary', `${header.rounds.length} round summaries for ${B} rounds`);
  const proposerIndex = memberIndex(manifest, header.proposer);
  if (proposerIndex < 0 || manifest.members[proposerIndex]!.role !== 'full') return bad('proposer', 'proposer is not a full member');
  if (!equalBytes(hash(bodyBytes), header.body)) return bad('body-hash', 'body does not hash to the header body field');
  const b = decodeBody(bodyBytes);
  if (!b.ok) return bad('malformed', b.reason);
  const body = b.body;
  const t = threshold(manifest.rule, voters(manifest).length);

  // Evidence first: vote equivocators of a round do not count in that round's certificate.
  const claims: EvidenceClaim[] = [];
  const seenKeys: { [key: string]: boolean } = {};
  const bounds = evidenceBounds(manifest);
  const against: { [member: number]: number } = {};
  for (let i = 0; i < body.evidence.length; i++) {
    const e = openEvidence(manifest, body.evidence[i]!, hash);
    if (!e.ok) return bad('evidence', `evidence ${i}: ${e.reason}`);
    if (seenKeys[e.claim.key]) return bad('evidence', `evidence ${i} repeats ${e.claim.key}`);
    seenKeys[e.claim.key] = true;
    if (!evidenceFits(bounds, e.claim, header.height, header.first, header.last)) {
      return bad('evidence', `evidence ${i} (${e.claim.kind} ${e.claim.slot}) is outside the block's window`);
    }
    against[e.claim.accused] = (against[e.claim.accused] ?? 0) + 1;
    if (against[e.claim.accused]! > bounds.perMember) return bad('evidence', `more than ${bounds.perMember} pieces of evidence against member ${e.claim.accused}`);
    for (const c of e.claim.checks) if (!sig(c, `evidence ${i}`)) return bad('signature', `evidence ${i}: a signature does not verify`);
    claims.push(e.claim);
  }
  const excluded = excludedVoters(claims);

  // Round certificates: in round order, inside the block's range, every vote signed.
  const certRoots: Uint8Array[][] = [];
  for (let i = 0; i < body.certs.length; i++) {
    const c = body.certs[i]!;
    if (c.round < header.first || c.round > header.last) return bad('certificate', `certificate for round ${c.round} outside ${header.first}..${header.last}`);
    if (i > 0 && body.certs[i - 1]!.round >= c.round) return bad('certificate', 'certificates not in strictly increasing round order');
    const s = certificateSignatures(manifest, c, hash, rootOf);
    if (!s.ok) return bad('certificate', s.reason);
    certRoots.push(s.roots);
    for (let k = 0; k < s.checks.length; k++) {
      if (!sig(s.checks[k]!, `vote of voter ${c.votes[k]!.voter} in round ${c.round}`)) {
        return bad('signature', `round ${c.round}: vote of voter ${c.votes[k]!.voter} does not verify`);
      }
    }
  }
  const counted = countCertificates(manifest, header.first, header.last, body.certs, excluded);
  const summaries = counted.summaries;
  const tallies = counted.tallies;

  // Submissions: ordered by (round, member), each signed, each accepted by the round's certificate.
  const subs: Submission[] = [];
  for (let i = 0; i < body.submissions.length; i++) {
    const bytes = body.submissions[i]!;
    // A submission the caller already opened (same digest, same bytes) is not decoded again.
    const seen = known ? known(leafHash(hash, bytes)) : undefined;
    let s: Submission;
    if (seen && equalBytes(seen.bytes, bytes)) s = seen;
    else {
      const o = openSubmission(manifest, bytes, hash);
      if (!o.ok) return bad('submission', `submission ${i}: ${o.detail}`);
      s = o.submission;
    }
    if (s.round < header.first || s.round > header.last) return bad('submission', `submission ${i} is for round ${s.round}, outside the block`);
    if (i > 0) {
      const p = subs[i - 1]!;
      if (p.round > s.round || (p.round === s.round && p.index >= s.index)) return bad('submission', `submission ${i} out of (round, member) order`);
    }
    if (s !== seen) {
      const msg = signingInput(submissionDomain(s.kind), s.envelope.body);
      if (!sig({ publicKey: s.member.publicKey, message: msg, signature: s.envelope.sig }, `submission ${i}`)) {
        return bad('signature', `submission ${i} (member ${s.index}, round ${s.round}) does not verify`);
      }
    }
    const tally = tallies[s.round];
    if (!tally) return bad('submission', `submission ${i}: no certificate for round ${s.round}`);
    const o2 = memberOutcome(tally[s.index]!, t);
    if (o2.outcome !== 'accepted' || !equalBytes(o2.digest, s.digest)) {
      return bad('submission', `submission ${i} (member ${s.index}, round ${s.round}) is not accepted by ${t} voters in the certificate`);
    }
    const summary = summaries[s.round - header.first]!;
    summary.accepted++;
    if (s.reading) addReadingToSummary(summary, s.reading);
    subs.push(s);
  }
  if (header.count !== subs.length) return bad('summary', `header counts ${header.count} submissions, body has ${subs.length}`);
  // A submission's digest is its leaf hash (§4): the readings tree is built from the digests, not hashed again.
  if (!equalBytes(rootOfLeafHashes(hash, subs.map((s) => s.digest)), header.root)) return bad('merkle-root', 'readings root does not match the submissions');
  for (let i = 0; i < summaries.length; i++) {
    if (!equalBytes(encodeRoundSummary(summaries[i]!), encodeRoundSummary(header.rounds[i]!))) {
      return bad('summary', `summary of round ${summaries[i]!.round} does not match the body`);
    }
  }
  const blockHash = hash(headerBytes);
  if (commit !== undefined) {
    const problem = checkBlockCertificate(manifest, commit, Phase.COMMIT, header.height, blockHash, sig);
    if (problem !== '') return bad('commit', problem);
  }
  return { ok: true, block: { header, body, hash: blockHash, submissions: subs, evidence: claims, certRoots } };
}

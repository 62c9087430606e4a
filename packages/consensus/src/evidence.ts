// Equivocation evidence: two different messages one member signed for one slot (a round's submission or vote, a
// height-and-view's block vote). Anyone holding the manifest can check it; the member is flagged and its votes stop
// counting for that round (docs/protocol.md, "Equivocation evidence").
import { consensusError } from './codes.ts';
import {
  Domain,
  compareBytes,
  decode,
  encode,
  equalBytes,
  signingInput,
  toHex,
  type Hash,
  type Manifest,
  type Schema,
} from '@meterchain/core';
import { decodeBlockVote, decodeSigned } from './block.ts';
import type { SignatureCheck } from './certificate.ts';
import { memberIndex, openSubmission, submissionDomain } from './submission.ts';
import { decodeVoteBody, voteSigningInput } from './vote.ts';

export type EvidenceKind = 'submission' | 'vote' | 'block';

/** `a` and `b` are the two signed messages, `a` bytewise before `b` so that one pair has one encoding. */
export interface Evidence {
  kind: EvidenceKind;
  a: Uint8Array;
  b: Uint8Array;
}

export const EVIDENCE_SCHEMA: Schema = { map: { kind: { text: { max: 16 } }, a: 'bytes', b: 'bytes' } };

/** Evidence from two messages in either order. */
export function makeEvidence(kind: EvidenceKind, x: Uint8Array, y: Uint8Array): Uint8Array {
  const order = compareBytes(x, y);
  if (order === 0) throw consensusError('BAD_ARGUMENT', 'evidence: the two messages are the same bytes');
  return encode({ kind, a: order < 0 ? x : y, b: order < 0 ? y : x });
}

/** What a piece of evidence proves once its signatures verify. */
export interface EvidenceClaim {
  kind: EvidenceKind;
  /** Index of the accused member in the manifest. */
  accused: number;
  /** The round (submission, vote) or height (block). */
  slot: number;
  /** View and phase of a block equivocation. */
  view?: number;
  phase?: number;
  /** Identifies the offence: one per kind, member and slot (and view and phase for blocks). */
  key: string;
  checks: SignatureCheck[];
}

export type EvidenceResult = { ok: true; claim: EvidenceClaim } | { ok: false; reason: string };

function fail(reason: string): EvidenceResult {
  return { ok: false, reason: `evidence: ${reason}` };
}

function signedPair(a: Uint8Array, b: Uint8Array): { ok: true; a: { body: Uint8Array; sig: Uint8Array }; b: { body: Uint8Array; sig: Uint8Array } } | { ok: false; reason: string } {
  const x = decodeSigned(a);
  if (!x.ok) return { ok: false, reason: `a: ${x.reason}` };
  const y = decodeSigned(b);
  if (!y.ok) return { ok: false, reason: `b: ${y.reason}` };
  if (equalBytes(x.body, y.body)) return { ok: false, reason: 'the two messages sign the same body' };
  return { ok: true, a: x, b: y };
}

/**
 * Checks evidence against a manifest, except its two signatures, which it returns to be checked (so a verifier can
 * batch them). Never throws.
 */
export function openEvidence(manifest: Manifest, bytes: Uint8Array, hash: Hash): EvidenceResult {
  const d = decode(bytes, EVIDENCE_SCHEMA);
  if (!d.ok) return fail(`${d.reason} at byte ${d.offset}`);
  const e = d.value as unknown as Evidence;
  if (compareBytes(e.a, e.b) >= 0) return fail('messages not in canonical order (a before b, different)');
  if (e.kind === 'submission') {
    const x = openSubmission(manifest, e.a, hash);
    if (!x.ok) return fail(`a: ${x.detail}`);
    const y = openSubmission(manifest, e.b, hash);
    if (!y.ok) return fail(`b: ${y.detail}`);
    const s = x.submission;
    const t = y.submission;
    if (s.index !== t.index) return fail('submissions of two different members');
    if (s.round !== t.round) return fail(`submissions for rounds ${s.round} and ${t.round}`);
    const checks: SignatureCheck[] = [
      { publicKey: s.member.publicKey, message: signingInput(submissionDomain(s.kind), s.envelope.body), signature: s.envelope.sig },
      { publicKey: t.member.publicKey, message: signingInput(submissionDomain(t.kind), t.envelope.body), signature: t.envelope.sig },
    ];
    return { ok: true, claim: { kind: 'submission', accused: s.index, slot: s.round, key: `submission:${toHex(s.member.address)}:${s.round}`, checks } };
  }
  const pair = signedPair(e.a, e.b);
  if (!pair.ok) return fail(pair.reason);
  if (e.kind === 'vote') {
    const x = decodeVoteBody(pair.a.body);
    if (!x.ok) return fail(`a: ${x.reason}`);
    const y = decodeVoteBody(pair.b.body);
    if (!y.ok) return fail(`b: ${y.reason}`);
    const u = x.vote;
    const w = y.vote;
    if (u.cluster !== manifest.cluster || w.cluster !== manifest.cluster) return fail('a vote for another cluster');
    if (u.epoch !== manifest.epoch || w.epoch !== manifest.epoch) return fail('a vote of another epoch');
    if (!equalBytes(u.voter, w.voter)) return fail('votes of two different voters');
    if (u.round !== w.round) return fail(`votes for rounds ${u.round} and ${w.round}`);
    const index = memberIndex(manifest, u.voter);
    if (index < 0) return fail('the voter is not a member');
    const pk = manifest.members[index]!.publicKey;
    const checks: SignatureCheck[] = [
      { publicKey: pk, message: voteSigningInput(pair.a.body), signature: pair.a.sig },
      { publicKey: pk, message: voteSigningInput(pair.b.body), signature: pair.b.sig },
    ];
    return { ok: true, claim: { kind: 'vote', accused: index, slot: u.round, key: `vote:${toHex(u.voter)}:${u.round}`, checks } };
  }
  if (e.kind === 'block') {
    const x = decodeBlockVote(pair.a.body);
    if (!x.ok) return fail(`a: ${x.reason}`);
    const y = decodeBlockVote(pair.b.body);
    if (!y.ok) return fail(`b: ${y.reason}`);
    const u = x.vote;
    const w = y.vote;
    if (u.cluster !== manifest.cluster || w.cluster !== manifest.cluster) return fail('a block vote for another cluster');
    if (u.epoch !== manifest.epoch || w.epoch !== manifest.epoch) return fail('a block vote of another epoch');
    if (!equalBytes(u.voter, w.voter)) return fail('block votes of two different voters');
    if (u.height !== w.height || u.view !== w.view || u.phase !== w.phase) return fail('block votes for different heights, views or phases');
    const index = memberIndex(manifest, u.voter);
    if (index < 0) return fail('the voter is not a member');
    const pk = manifest.members[index]!.publicKey;
    const checks: SignatureCheck[] = [
      { publicKey: pk, message: signingInput(Domain.BLOCK, pair.a.body), signature: pair.a.sig },
      { publicKey: pk, message: signingInput(Domain.BLOCK, pair.b.body), signature: pair.b.sig },
    ];
    const key = `block:${toHex(u.voter)}:${u.height}:${u.view}:${u.phase}`;
    return { ok: true, claim: { kind: 'block', accused: index, slot: u.height, view: u.view, phase: u.phase, key, checks } };
  }
  return fail(`unknown kind '${e.kind}'`);
}

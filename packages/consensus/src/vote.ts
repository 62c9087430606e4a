// Votes: one signed vote per voter per round, covering every member's submission of the round. The vote signs the
// RFC 6962 root over one fixed-size judgment record per member, so a certificate for one reading needs one record and
// one audit path per distinct root, not every judgment of every voter (docs/protocol.md, "Votes").
import { consensusError } from './codes.ts';
import {
  ADDRESS_LENGTH,
  Domain,
  SIGNATURE_LENGTH,
  decodeAs,
  encode,
  signingInput,
  type Hash,
  type Manifest,
  type Schema,
  type Signer,
} from '@meterchain/core';
import { Verdict } from './codes.ts';
import { HASH_LENGTH, leafHash, rootOfLeafHashes } from './merkle.ts';

export const VOTE_VERSION = 1;
/** verdict (1 byte) || reason (1 byte) || digest (32 bytes). */
export const JUDGMENT_LENGTH = 2 + HASH_LENGTH;

export interface Judgment {
  verdict: number;
  reason: number;
  /** Digest of the submission judged; 32 zero bytes when absent. */
  digest: Uint8Array;
}

/** The signed part of a vote. `n` is the number of judgment records (the manifest's member count). */
export interface VoteBody {
  v: number;
  cluster: string;
  epoch: number;
  round: number;
  voter: Uint8Array;
  root: Uint8Array;
  n: number;
}

export const VOTE_BODY_SCHEMA = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    epoch: 'uint',
    round: 'uint',
    voter: { bytes: ADDRESS_LENGTH },
    root: { bytes: HASH_LENGTH },
    n: 'uint',
  },
} as const satisfies Schema;

/** A vote as it travels: the signed body, its signature, and the judgment records the root commits to. */
export const VOTE_MESSAGE_SCHEMA = { map: { body: 'bytes', sig: { bytes: SIGNATURE_LENGTH }, judgments: 'bytes' } } as const satisfies Schema;

const ZERO_DIGEST = new Uint8Array(HASH_LENGTH);

/** Judgment records of `n` members, all absent, to be filled in with setJudgment. */
export function emptyJudgments(n: number): Uint8Array {
  return new Uint8Array(n * JUDGMENT_LENGTH);
}

export function setJudgment(records: Uint8Array, index: number, verdict: number, reason: number, digest: Uint8Array | undefined): void {
  const at = index * JUDGMENT_LENGTH;
  if (at < 0 || at + JUDGMENT_LENGTH > records.length) throw consensusError('BAD_ARGUMENT', `judgment: index ${index} outside ${records.length / JUDGMENT_LENGTH} records`);
  records[at] = verdict;
  records[at + 1] = reason;
  records.set(digest && verdict !== Verdict.ABSENT ? digest : ZERO_DIGEST, at + 2);
}

export function judgmentAt(records: Uint8Array, index: number): Judgment {
  const at = index * JUDGMENT_LENGTH;
  return { verdict: records[at]!, reason: records[at + 1]!, digest: records.subarray(at + 2, at + JUDGMENT_LENGTH) };
}

/** The record of member `index` (a view, not a copy). */
export function judgmentRecord(records: Uint8Array, index: number): Uint8Array {
  return records.subarray(index * JUDGMENT_LENGTH, (index + 1) * JUDGMENT_LENGTH);
}

/** Problem with a judgment list for `n` members, or '' (verdicts known, absent records zero). */
export function judgmentsProblem(records: Uint8Array, n: number): string {
  if (records.length !== n * JUDGMENT_LENGTH) return `expected ${n} judgment records (${n * JUDGMENT_LENGTH} bytes), got ${records.length} bytes`;
  for (let i = 0; i < n; i++) {
    const at = i * JUDGMENT_LENGTH;
    const verdict = records[at]!;
    if (verdict > Verdict.REJECT) return `judgment ${i}: unknown verdict ${verdict}`;
    if (verdict === Verdict.ABSENT) {
      for (let j = at + 1; j < at + JUDGMENT_LENGTH; j++) if (records[j] !== 0) return `judgment ${i}: an absent judgment must be all zero`;
    }
  }
  return '';
}

/** Leaf hashes of the judgment records (RFC 6962 leaves over each 34-byte record). */
export function judgmentLeaves(hash: Hash, records: Uint8Array): Uint8Array[] {
  const n = records.length / JUDGMENT_LENGTH;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < n; i++) leaves.push(leafHash(hash, judgmentRecord(records, i)));
  return leaves;
}

/** The root a vote signs over its judgment records. */
export function judgmentsRoot(hash: Hash, records: Uint8Array): Uint8Array {
  return rootOfLeafHashes(hash, judgmentLeaves(hash, records));
}

export function encodeVoteBody(b: VoteBody): Uint8Array {
  return encode({ v: b.v, cluster: b.cluster, epoch: b.epoch, round: b.round, voter: b.voter, root: b.root, n: b.n });
}

/** The vote body a voter signs for `round` under `manifest`: rebuilt the same way by anyone checking a certificate. */
export function voteBodyFor(manifest: Manifest, round: number, voter: Uint8Array, root: Uint8Array): Uint8Array {
  return encodeVoteBody({ v: VOTE_VERSION, cluster: manifest.cluster, epoch: manifest.epoch, round, voter, root, n: manifest.members.length });
}

export function voteSigningInput(body: Uint8Array): Uint8Array {
  return signingInput(Domain.VOTE, body);
}

/** Signs a vote: returns the body, signature and message bytes. */
export function signVote(manifest: Manifest, round: number, signer: Signer, voter: Uint8Array, records: Uint8Array, hash: Hash): { body: Uint8Array; sig: Uint8Array; root: Uint8Array; bytes: Uint8Array } {
  const root = judgmentsRoot(hash, records);
  const body = voteBodyFor(manifest, round, voter, root);
  const sig = signer.sign(voteSigningInput(body));
  return { body, sig, root, bytes: encode({ body, sig, judgments: records }) };
}

/** A decoded vote message. `judgments` is a view into the message bytes (see decodeVoteMessage). */
export interface VoteMessage {
  body: Uint8Array;
  sig: Uint8Array;
  judgments: Uint8Array;
  vote: VoteBody;
}

/** A vote message may carry 1,024 judgment records; its byte strings are read as views and copied only when small. */
const MESSAGE_OPTIONS = { maxBytes: 4194304, views: true };
const AS_VIEWS = { views: true };

function copyOf(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b, 0);
  return out;
}

/**
 * Decodes a vote message (no signature or root check); never throws. `judgments` is a view into `bytes` (no copy
 * of the largest part: valid while `bytes` is left unchanged, and not to be written into); `body` and `sig` are
 * copies, as a node keeps them with each voter's vote while voters that sent the same judgments share one list.
 */
export function decodeVoteMessage(bytes: Uint8Array): { ok: true; message: VoteMessage } | { ok: false; reason: string } {
  const d = decodeAs(bytes, VOTE_MESSAGE_SCHEMA, MESSAGE_OPTIONS);
  if (!d.ok) return { ok: false, reason: `vote: ${d.reason} at byte ${d.offset}` };
  const m = d.value;
  const body = copyOf(m.body);
  const b = decodeVoteBody(body);
  if (!b.ok) return b;
  return { ok: true, message: { body, sig: copyOf(m.sig), judgments: m.judgments, vote: b.vote } };
}

/** Decodes a signed vote body; never throws. `voter` and `root` are views into `body`. */
export function decodeVoteBody(body: Uint8Array): { ok: true; vote: VoteBody } | { ok: false; reason: string } {
  const d = decodeAs(body, VOTE_BODY_SCHEMA, AS_VIEWS);
  if (!d.ok) return { ok: false, reason: `vote body: ${d.reason} at byte ${d.offset}` };
  const vote: VoteBody = d.value;
  if (vote.v !== VOTE_VERSION) return { ok: false, reason: `vote body: unsupported version ${vote.v}` };
  return { ok: true, vote };
}

/** The envelope bytes of a vote without its judgments ({body, sig}), as equivocation evidence carries it. */
export function voteEnvelope(body: Uint8Array, sig: Uint8Array): Uint8Array {
  return encode({ body, sig });
}

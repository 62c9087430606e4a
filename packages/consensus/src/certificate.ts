// Round certificates: the votes of one round, with each distinct judgment list carried once (honest voters that saw
// the same submissions sign the same root). The leader publishes one in leader mode; a block carries one per round.
// Vote bodies are not carried: anyone rebuilds them from the manifest, the round, the voter and the list's root.
import { consensusError } from './codes.ts';
import { SIGNATURE_LENGTH, decode, encode, equalBytes, type CborValue, type Hash, type Manifest, type Schema } from '@meterchain/core';
import { Verdict } from './codes.ts';
import { JUDGMENT_LENGTH, judgmentsProblem, judgmentsRoot, voteBodyFor, voteSigningInput } from './vote.ts';

/** One vote in a certificate: who (index in the manifest's members), which list, and the signature. */
export interface CertVote {
  voter: number;
  list: number;
  sig: Uint8Array;
}

export interface RoundCertificate {
  round: number;
  /** Distinct judgment lists, in the order the votes (by voter index) first use them. */
  lists: Uint8Array[];
  /** Sorted by voter index, one per voter. */
  votes: CertVote[];
}

export const ROUND_CERTIFICATE_SCHEMA: Schema = {
  map: {
    round: 'uint',
    lists: { array: 'bytes', max: 1024 },
    votes: { array: { tuple: ['uint', 'uint', { bytes: SIGNATURE_LENGTH }] }, max: 1024 },
  },
};

export function roundCertificateToCbor(c: RoundCertificate): { [k: string]: CborValue } {
  const votes: CborValue[] = [];
  for (const v of c.votes) votes.push([v.voter, v.list, v.sig]);
  return { round: c.round, lists: c.lists.slice(0), votes };
}

export function encodeRoundCertificate(c: RoundCertificate): Uint8Array {
  return encode(roundCertificateToCbor(c));
}

/** Reads a certificate from a decoded CBOR value that already matched ROUND_CERTIFICATE_SCHEMA. */
export function roundCertificateFromCbor(x: unknown): RoundCertificate {
  const o = x as { round: number; lists: Uint8Array[]; votes: [number, number, Uint8Array][] };
  const votes: CertVote[] = [];
  for (const t of o.votes) votes.push({ voter: t[0], list: t[1], sig: t[2] });
  return { round: o.round, lists: o.lists, votes };
}

export function decodeRoundCertificate(bytes: Uint8Array): { ok: true; cert: RoundCertificate } | { ok: false; reason: string } {
  const d = decode(bytes, ROUND_CERTIFICATE_SCHEMA, { maxBytes: 67108864 });
  if (!d.ok) return { ok: false, reason: `round certificate: ${d.reason} at byte ${d.offset}` };
  return { ok: true, cert: roundCertificateFromCbor(d.value) };
}

/** A vote held by a node, ready to go into a certificate. */
export interface HeldVote {
  voter: number;
  records: Uint8Array;
  root: Uint8Array;
  sig: Uint8Array;
}

/** Builds the canonical certificate of `votes` (any order; one per voter): lists deduplicated by root. */
export function buildRoundCertificate(round: number, votes: HeldVote[]): RoundCertificate {
  const sorted = votes.slice(0).sort((a, b) => a.voter - b.voter);
  const lists: Uint8Array[] = [];
  const roots: Uint8Array[] = [];
  const out: CertVote[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.voter === v.voter) throw consensusError('BAD_ARGUMENT', `round certificate: two votes of voter ${v.voter}`);
    let at = -1;
    for (let j = 0; j < roots.length; j++) if (equalBytes(roots[j]!, v.root)) at = j;
    if (at < 0) {
      at = lists.length;
      lists.push(v.records);
      roots.push(v.root);
    }
    out.push({ voter: v.voter, list: at, sig: v.sig });
  }
  return { round, lists, votes: out };
}

/** One signature a certificate asks to be checked. */
export interface SignatureCheck {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Checks a certificate's shape against the manifest (canonical order, full members, well-formed lists used at
 * least once) and returns the signatures to check with the roots of its lists, or the first problem.
 */
export function certificateSignatures(
  manifest: Manifest,
  cert: RoundCertificate,
  hash: Hash,
  rootOf?: (list: Uint8Array) => Uint8Array,
): { ok: true; checks: SignatureCheck[]; roots: Uint8Array[] } | { ok: false; reason: string } {
  const n = manifest.members.length;
  const roots: Uint8Array[] = [];
  for (let j = 0; j < cert.lists.length; j++) {
    const problem = judgmentsProblem(cert.lists[j]!, n);
    if (problem !== '') return { ok: false, reason: `round ${cert.round} list ${j}: ${problem}` };
    const root = rootOf ? rootOf(cert.lists[j]!) : judgmentsRoot(hash, cert.lists[j]!);
    for (let k = 0; k < j; k++) if (equalBytes(roots[k]!, root)) return { ok: false, reason: `round ${cert.round}: list ${j} repeats list ${k}` };
    roots.push(root);
  }
  const used: boolean[] = [];
  const checks: SignatureCheck[] = [];
  let nextList = 0;
  for (let i = 0; i < cert.votes.length; i++) {
    const v = cert.votes[i]!;
    if (i > 0 && cert.votes[i - 1]!.voter >= v.voter) return { ok: false, reason: `round ${cert.round}: votes not in strictly increasing voter order at ${i}` };
    if (v.voter >= n) return { ok: false, reason: `round ${cert.round}: voter index ${v.voter} outside the ${n} members` };
    const member = manifest.members[v.voter]!;
    if (member.role !== 'full') return { ok: false, reason: `round ${cert.round}: voter ${v.voter} is a sensor and has no vote` };
    if (v.list >= cert.lists.length) return { ok: false, reason: `round ${cert.round}: vote ${i} names list ${v.list} of ${cert.lists.length}` };
    // Canonical list order: first use in voter order.
    if (!used[v.list]) {
      if (v.list !== nextList) return { ok: false, reason: `round ${cert.round}: lists not in order of first use` };
      used[v.list] = true;
      nextList++;
    }
    const body = voteBodyFor(manifest, cert.round, member.address, roots[v.list]!);
    checks.push({ publicKey: member.publicKey, message: voteSigningInput(body), signature: v.sig });
  }
  if (nextList !== cert.lists.length) return { ok: false, reason: `round ${cert.round}: a list no vote uses` };
  return { ok: true, checks, roots };
}

/** Accept and reject counts of one digest judged for one member. */
export interface Candidate {
  digest: Uint8Array;
  accept: number;
  reject: number;
  /** The most common reject reason (for reports). */
  reason: number;
}

/** Per member index, the digests judged for it with their counts. */
export type RoundTally = Candidate[][];

function addRecords(tally: RoundTally, records: Uint8Array, weight: number, where?: Int32Array): void {
  const n = records.length / JUDGMENT_LENGTH;
  for (let i = 0; i < n; i++) {
    const at = i * JUDGMENT_LENGTH;
    const verdict = records[at]!;
    if (verdict === Verdict.ABSENT) continue;
    const cands = tally[i]!;
    let c: Candidate | undefined;
    for (let k = 0; k < cands.length && c === undefined; k++) {
      const d = cands[k]!.digest;
      let same = true;
      for (let b = 0; b < 32 && same; b++) if (d[b] !== records[at + 2 + b]) same = false;
      if (same) c = cands[k];
    }
    if (c === undefined) {
      // A copy (not slice(): on Espruino a typed array's slice() is a plain Array).
      c = { digest: new Uint8Array(records.subarray(at + 2, at + JUDGMENT_LENGTH)), accept: 0, reject: 0, reason: 0 };
      cands.push(c);
    }
    if (where) where[i] = (cands.indexOf(c) + 1) * (verdict === Verdict.ACCEPT ? 1 : -1);
    if (verdict === Verdict.ACCEPT) c.accept += weight;
    else {
      c.reject += weight;
      if (c.reason === 0) c.reason = records[at + 1]!;
    }
  }
}

export function emptyTally(n: number): RoundTally {
  const t: RoundTally = [];
  for (let i = 0; i < n; i++) t.push([]);
  return t;
}

/** Adds one voter's judgment records to a tally (each voter must be added once). */
export function tallyAdd(tally: RoundTally, records: Uint8Array): void {
  addRecords(tally, records, 1);
}

/**
 * Adds one voter's records, remembering where each record landed (candidate position and verdict, 0 for absent) in
 * `where`, so that the same list from another voter is added by `tallyAddAgain` without comparing digests again.
 */
export function tallyAddRemembering(tally: RoundTally, records: Uint8Array, where: Int32Array): void {
  addRecords(tally, records, 1, where);
}

/** Adds a list already added once with tallyAddRemembering to the same tally. */
export function tallyAddAgain(tally: RoundTally, where: Int32Array, records: Uint8Array): void {
  for (let i = 0; i < where.length; i++) {
    const w = where[i]!;
    if (w === 0) continue;
    const c = tally[i]![(w > 0 ? w : -w) - 1]!;
    if (w > 0) c.accept++;
    else {
      c.reject++;
      if (c.reason === 0) c.reason = records[i * JUDGMENT_LENGTH + 1]!;
    }
  }
}

/** Tally of a certificate's votes, leaving out the voters in `excluded` (those caught equivocating this round). */
export function tallyCertificate(n: number, cert: RoundCertificate, excluded?: { [voter: number]: boolean }): RoundTally {
  const weights: number[] = [];
  for (let j = 0; j < cert.lists.length; j++) weights.push(0);
  for (const v of cert.votes) if (!excluded || !excluded[v.voter]) weights[v.list]!++;
  const tally = emptyTally(n);
  for (let j = 0; j < cert.lists.length; j++) if (weights[j]! > 0) addRecords(tally, cert.lists[j]!, weights[j]!);
  return tally;
}

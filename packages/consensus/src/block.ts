// Block formats: header, body, per-round summaries (what a control centre reads), block votes (prepare and commit
// co-signatures of the header hash, BLOCK domain), block certificates, view-change timeouts and the stored block
// (header + body + commit certificate). docs/protocol.md, "Blocks", gives every field.
import {
  ADDRESS_LENGTH,
  Domain,
  SIGNATURE_LENGTH,
  decode,
  decodeAs,
  encode,
  rescale,
  signingInput,
  type CborValue,
  type Hash,
  type Manifest,
  type Reading,
  type Schema,
  type Signer,
} from '@meterchain/core';
import { ConsensusDomain } from './codes.ts';
import { ROUND_CERTIFICATE_SCHEMA, roundCertificateFromCbor, roundCertificateToCbor, type RoundCertificate } from './certificate.ts';
import { HASH_LENGTH } from './merkle.ts';

export const BLOCK_VERSION = 1;
/** Largest block body or stored block accepted by the decoders (64 MiB): a 256-member cluster at 10 rounds a
 * block with every vote list distinct stays well below it. */
export const MAX_BLOCK_BYTES = 67108864;

export const Phase = { PREPARE: 0, COMMIT: 1 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Aggregates of one round's accepted readings (docs/protocol.md, "Round summaries"). */
export interface RoundSummary {
  round: number;
  /** Submissions in the block for this round. */
  accepted: number;
  /** Members whose submission got reject judgments from at least the threshold of voters. */
  rejected: number;
  /** Members judged by someone but neither accepted nor rejected. */
  undecided: number;
  /** Votes counted for the round (certificate votes minus equivocators). */
  votes: number;
  /** Σ active energy import registers (OBIS 1-0:1.8.0 / SunSpec TotWhImp), Wh. */
  energyIn: number;
  /** Σ active energy export registers (OBIS 1-0:2.8.0 / SunSpec TotWhExp), Wh. */
  energyOut: number;
  /** Σ total active power (OBIS 1-0:16.7.0 / SunSpec W), W. */
  power: number;
  /** Lowest and highest phase voltage (OBIS 1-0:32.7.0, 52.7.0, 72.7.0, 12.7.0 / SunSpec PhVphA..C), mV; null when
   * no accepted reading carried one. */
  vmin: number | null;
  vmax: number | null;
}

export interface BlockHeader {
  v: number;
  cluster: string;
  epoch: number;
  height: number;
  /** SHA-256 of the previous block's header bytes; for the first block, the digest of the signed manifest. */
  prev: Uint8Array;
  first: number;
  last: number;
  /** RFC 6962 root over the body's submissions (leaf = the envelope bytes). */
  root: Uint8Array;
  count: number;
  rounds: RoundSummary[];
  /** SHA-256 of the body bytes. */
  body: Uint8Array;
  proposer: Uint8Array;
}

export interface BlockBody {
  v: number;
  /** Accepted submissions' envelope bytes, ordered by (round, member index). */
  submissions: Uint8Array[];
  /** One certificate per round that had votes, rounds increasing. */
  certs: RoundCertificate[];
  /** Evidence of equivocation not yet in an earlier block (encoded Evidence). */
  evidence: Uint8Array[];
}

const INT_OR_NULL = { oneOf: ['int', 'null'] } as const satisfies Schema;

const ROUND_SUMMARY_SCHEMA = {
  map: {
    round: 'uint',
    accepted: 'uint',
    rejected: 'uint',
    undecided: 'uint',
    votes: 'uint',
    energyIn: 'int',
    energyOut: 'int',
    power: 'int',
    vmin: INT_OR_NULL,
    vmax: INT_OR_NULL,
  },
} as const satisfies Schema;

export const BLOCK_HEADER_SCHEMA = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    epoch: 'uint',
    height: 'uint',
    prev: { bytes: HASH_LENGTH },
    first: 'uint',
    last: 'uint',
    root: { bytes: HASH_LENGTH },
    count: 'uint',
    rounds: { array: ROUND_SUMMARY_SCHEMA, max: 100000 },
    body: { bytes: HASH_LENGTH },
    proposer: { bytes: ADDRESS_LENGTH },
  },
} as const satisfies Schema;

export const BLOCK_BODY_SCHEMA = {
  map: {
    v: 'uint',
    submissions: { array: 'bytes' },
    certs: { array: ROUND_CERTIFICATE_SCHEMA },
    evidence: { array: 'bytes' },
  },
} as const satisfies Schema;

function summaryToCbor(s: RoundSummary): CborValue {
  return {
    round: s.round,
    accepted: s.accepted,
    rejected: s.rejected,
    undecided: s.undecided,
    votes: s.votes,
    energyIn: s.energyIn,
    energyOut: s.energyOut,
    power: s.power,
    vmin: s.vmin,
    vmax: s.vmax,
  };
}

export function encodeRoundSummary(s: RoundSummary): Uint8Array {
  return encode(summaryToCbor(s));
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  const rounds: CborValue[] = [];
  for (const s of h.rounds) rounds.push(summaryToCbor(s));
  return encode({
    v: h.v,
    cluster: h.cluster,
    epoch: h.epoch,
    height: h.height,
    prev: h.prev,
    first: h.first,
    last: h.last,
    root: h.root,
    count: h.count,
    rounds,
    body: h.body,
    proposer: h.proposer,
  });
}

export function decodeHeader(bytes: Uint8Array): { ok: true; header: BlockHeader } | { ok: false; reason: string } {
  const d = decodeAs(bytes, BLOCK_HEADER_SCHEMA, { maxBytes: MAX_BLOCK_BYTES });
  if (!d.ok) return { ok: false, reason: `header: ${d.reason} at byte ${d.offset}` };
  const h: BlockHeader = d.value;
  if (h.v !== BLOCK_VERSION) return { ok: false, reason: `header: unsupported version ${h.v}` };
  return { ok: true, header: h };
}

export function encodeBody(b: BlockBody): Uint8Array {
  const certs: CborValue[] = [];
  for (const c of b.certs) certs.push(roundCertificateToCbor(c));
  return encode({ v: b.v, submissions: b.submissions.slice(0), certs, evidence: b.evidence.slice(0) });
}

export function decodeBody(bytes: Uint8Array): { ok: true; body: BlockBody } | { ok: false; reason: string } {
  const d = decodeAs(bytes, BLOCK_BODY_SCHEMA, { maxBytes: MAX_BLOCK_BYTES });
  if (!d.ok) return { ok: false, reason: `body: ${d.reason} at byte ${d.offset}` };
  const o = d.value;
  if (o.v !== BLOCK_VERSION) return { ok: false, reason: `body: unsupported version ${o.v}` };
  const certs: RoundCertificate[] = [];
  for (const c of o.certs) certs.push(roundCertificateFromCbor(c));
  return { ok: true, body: { v: o.v, submissions: o.submissions, certs, evidence: o.evidence } };
}

/** The hash that names a block: SHA-256 of its header bytes. */
export function blockHash(hash: Hash, header: Uint8Array): Uint8Array {
  return hash(header);
}

// ---- Block votes (BLOCK domain): prepare and commit co-signatures of a header hash ----

export interface BlockVote {
  v: number;
  cluster: string;
  epoch: number;
  height: number;
  view: number;
  phase: number;
  block: Uint8Array;
  voter: Uint8Array;
}

export const BLOCK_VOTE_SCHEMA = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    epoch: 'uint',
    height: 'uint',
    view: 'uint',
    phase: { uint: { max: 1 } },
    block: { bytes: HASH_LENGTH },
    voter: { bytes: ADDRESS_LENGTH },
  },
} as const satisfies Schema;

export const SIGNED_SCHEMA = { map: { body: 'bytes', sig: { bytes: SIGNATURE_LENGTH } } } as const satisfies Schema;

export function blockVoteBody(manifest: Manifest, height: number, view: number, phase: number, block: Uint8Array, voter: Uint8Array): Uint8Array {
  return encode({ v: BLOCK_VERSION, cluster: manifest.cluster, epoch: manifest.epoch, height, view, phase, block, voter });
}

export function decodeBlockVote(body: Uint8Array): { ok: true; vote: BlockVote } | { ok: false; reason: string } {
  const d = decodeAs(body, BLOCK_VOTE_SCHEMA);
  if (!d.ok) return { ok: false, reason: `block vote: ${d.reason} at byte ${d.offset}` };
  const v: BlockVote = d.value;
  if (v.v !== BLOCK_VERSION) return { ok: false, reason: `block vote: unsupported version ${v.v}` };
  return { ok: true, vote: v };
}

/** Signs a block vote; returns the body, the signature and the message bytes ({body, sig}). */
export function signBlockVote(manifest: Manifest, height: number, view: number, phase: number, block: Uint8Array, voter: Uint8Array, signer: Signer): { body: Uint8Array; sig: Uint8Array; bytes: Uint8Array } {
  const body = blockVoteBody(manifest, height, view, phase, block, voter);
  const sig = signer.sign(signingInput(Domain.BLOCK, body));
  return { body, sig, bytes: encode({ body, sig }) };
}

/** Decodes a {body, sig} message; never throws. */
export function decodeSigned(bytes: Uint8Array): { ok: true; body: Uint8Array; sig: Uint8Array } | { ok: false; reason: string } {
  const d = decodeAs(bytes, SIGNED_SCHEMA);
  if (!d.ok) return { ok: false, reason: `${d.reason} at byte ${d.offset}` };
  const o = d.value;
  return { ok: true, body: o.body, sig: o.sig };
}

/** t or more block votes of one phase for one header, as (voter index, signature) pairs sorted by voter. */
export interface BlockCertificate {
  phase: number;
  height: number;
  view: number;
  block: Uint8Array;
  votes: { voter: number; sig: Uint8Array }[];
}

export const BLOCK_CERTIFICATE_SCHEMA: Schema = {
  map: {
    phase: { uint: { max: 1 } },
    height: 'uint',
    view: 'uint',
    block: { bytes: HASH_LENGTH },
    votes: { array: { tuple: ['uint', { bytes: SIGNATURE_LENGTH }] }, max: 1024 },
  },
};

export function blockCertificateToCbor(c: BlockCertificate): CborValue {
  const votes: CborValue[] = [];
  for (const v of c.votes) votes.push([v.voter, v.sig]);
  return { phase: c.phase, height: c.height, view: c.view, block: c.block, votes };
}

export function blockCertificateFromCbor(x: unknown): BlockCertificate {
  const o = x as { phase: number; height: number; view: number; block: Uint8Array; votes: [number, Uint8Array][] };
  const votes: { voter: number; sig: Uint8Array }[] = [];
  for (const t of o.votes) votes.push({ voter: t[0], sig: t[1] });
  return { phase: o.phase, height: o.height, view: o.view, block: o.block, votes };
}

export function encodeBlockCertificate(c: BlockCertificate): Uint8Array {
  return encode(blockCertificateToCbor(c));
}

export function decodeBlockCertificate(bytes: Uint8Array): { ok: true; cert: BlockCertificate } | { ok: false; reason: string } {
  const d = decode(bytes, BLOCK_CERTIFICATE_SCHEMA);
  if (!d.ok) return { ok: false, reason: `block certificate: ${d.reason} at byte ${d.offset}` };
  return { ok: true, cert: blockCertificateFromCbor(d.value) };
}

// ---- Stored (committed) blocks ----

/** A committed block as stored and as shipped to a node that catches up: header and body bytes as signed, plus
 * the commit certificate. */
export interface StoredBlock {
  header: Uint8Array;
  body: Uint8Array;
  commit: BlockCertificate;
}

export const STORED_BLOCK_SCHEMA = { map: { header: 'bytes', body: 'bytes', commit: BLOCK_CERTIFICATE_SCHEMA } } as const satisfies Schema;

export function encodeStoredBlock(b: StoredBlock): Uint8Array {
  return encode({ header: b.header, body: b.body, commit: blockCertificateToCbor(b.commit) });
}

export function decodeStoredBlock(bytes: Uint8Array): { ok: true; block: StoredBlock } | { ok: false; reason: string } {
  const d = decodeAs(bytes, STORED_BLOCK_SCHEMA, { maxBytes: MAX_BLOCK_BYTES });
  if (!d.ok) return { ok: false, reason: `stored block: ${d.reason} at byte ${d.offset}` };
  const o = d.value;
  return { ok: true, block: { header: o.header, body: o.body, commit: blockCertificateFromCbor(o.commit) } };
}

// ---- View change (TIMEOUT domain) ----

/** A member's signed statement that it leaves view `view` at `height`, naming its lock (the highest view in which
 * it saw a prepare certificate, and the header it was for), if any. */
export interface Timeout {
  v: number;
  cluster: string;
  epoch: number;
  height: number;
  view: number;
  voter: Uint8Array;
  lockView?: number;
  lock?: Uint8Array;
}

export const TIMEOUT_SCHEMA = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    epoch: 'uint',
    height: 'uint',
    view: 'uint',
    voter: { bytes: ADDRESS_LENGTH },
    lockView: 'uint',
    lock: { bytes: HASH_LENGTH },
  },
  optional: ['lockView', 'lock'],
} as const satisfies Schema;

export function timeoutBody(manifest: Manifest, height: number, view: number, voter: Uint8Array, lockView: number | null, lock: Uint8Array | null): Uint8Array {
  const o: { [k: string]: CborValue } = { v: BLOCK_VERSION, cluster: manifest.cluster, epoch: manifest.epoch, height, view, voter };
  if (lock !== null && lockView !== null) {
    o['lockView'] = lockView;
    o['lock'] = lock;
  }
  return encode(o);
}

export function decodeTimeout(body: Uint8Array): { ok: true; timeout: Timeout } | { ok: false; reason: string } {
  const d = decodeAs(body, TIMEOUT_SCHEMA);
  if (!d.ok) return { ok: false, reason: `timeout: ${d.reason} at byte ${d.offset}` };
  const t: Timeout = d.value;
  if (t.v !== BLOCK_VERSION) return { ok: false, reason: `timeout: unsupported version ${t.v}` };
  if ((t.lock === undefined) !== (t.lockView === undefined)) return { ok: false, reason: 'timeout: lock and lockView go together' };
  return { ok: true, timeout: t };
}

export function timeoutSigningInput(body: Uint8Array): Uint8Array {
  return signingInput(ConsensusDomain.TIMEOUT, body);
}

// ---- Round summaries: which channels count, at which scale ----

const ENERGY_IN = ['1-0:1.8.0', 'TotWhImp'];
const ENERGY_OUT = ['1-0:2.8.0', 'TotWhExp'];
const POWER = ['1-0:16.7.0', 'W'];
const VOLTAGE = ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0', '1-0:12.7.0', 'PhVphA', 'PhVphB', 'PhVphC'];
const MAX_SAFE = 9007199254740991;

/** A fresh summary of `round` with nothing counted. */
export function emptySummary(round: number): RoundSummary {
  return { round, accepted: 0, rejected: 0, undecided: 0, votes: 0, energyIn: 0, energyOut: 0, power: 0, vmin: null, vmax: null };
}

function addSum(current: number, add: number | undefined): number {
  if (add === undefined) return current;
  const s = current + add;
  return s > MAX_SAFE || s < -MAX_SAFE ? current : s;
}

/** Adds one accepted reading's channels to a round summary (channels with another unit are left out). */
export function addReadingToSummary(s: RoundSummary, r: Reading): void {
  for (const c of r.channels) {
    if (c.unit === 'Wh' && ENERGY_IN.indexOf(c.id) >= 0) s.energyIn = addSum(s.energyIn, rescale(c.value, c.scale, 0));
    else if (c.unit === 'Wh' && ENERGY_OUT.indexOf(c.id) >= 0) s.energyOut = addSum(s.energyOut, rescale(c.value, c.scale, 0));
    else if (c.unit === 'W' && POWER.indexOf(c.id) >= 0) s.power = addSum(s.power, rescale(c.value, c.scale, 0));
    else if (c.unit === 'V' && VOLTAGE.indexOf(c.id) >= 0) {
      const mv = rescale(c.value, c.scale, -3);
      if (mv === undefined) continue;
      if (s.vmin === null || mv < s.vmin) s.vmin = mv;
      if (s.vmax === null || mv > s.vmax) s.vmax = mv;
    }
  }
}

// Submissions: what a member publishes once per round. A smart meter's is its signed reading envelope; a PMU's is a
// signed batch (the RFC 6962 root of its frames). Both are identified by their digest, the RFC 6962 leaf hash of the
// envelope bytes, which is also their leaf in a block's readings tree (docs/protocol.md, "Submissions").
import { consensusError } from './codes.ts';
import {
  ADDRESS_LENGTH,
  Domain,
  addressToText,
  compareBytes,
  decodeAs,
  decodeReading,
  encode,
  equalBytes,
  findMember,
  openEnvelope,
  sealEnvelope,
  verifyEnvelope,
  type CborValue,
  type Envelope,
  type Hash,
  type Manifest,
  type Member,
  type Reading,
  type Schema,
  type Signer,
  type Verifier,
} from '@meterchain/core';
import { Reason } from './codes.ts';
import { leafHash } from './merkle.ts';

export const BATCH_VERSION = 1;

/** A PMU's signed summary of the frames it measured in one round. */
export interface Batch {
  v: number;
  cluster: string;
  meter: Uint8Array;
  round: number;
  /** Frames in the batch; equals last − first + 1. */
  count: number;
  /** Sequence number of the first and last frame. */
  first: number;
  last: number;
  /** RFC 6962 root over the frames' bytes, in sequence order. */
  root: Uint8Array;
  /** What the frames measured, for the cluster's judges (absent: a batch the PMU judges cannot judge, refused by them). */
  summary?: BatchSummary;
  /** The batch's items themselves, when the judges need them: a wide-area substation's anchors of regional blocks
   * (docs/widearea.md). `root` is their RFC 6962 root; the judges of the cluster check it. */
  items?: Uint8Array[];
}

/** Items a batch may carry inline: a submission is one envelope of at most 64 KiB, and an anchor is about 1 KB. */
export const MAX_BATCH_ITEMS = 32;

/**
 * A PMU batch's summary: integers only (signed bytes never hold floats, DESIGN §4). Angles are those of the PMU's first
 * phasor, fitted by least squares over the round's frames.
 */
export interface BatchSummary {
  /** Time of the first and last frame, µs since the Unix epoch (SOC and FRACSEC). */
  from: number;
  to: number;
  /** Lowest, highest and mean frequency over the frames, mHz. */
  fmin: number;
  fmax: number;
  fmean: number;
  /** The fitted angle at the middle of the round, µrad in (−π, π]; its rate of change, µrad/s; the RMS residual of the
   * fit, µrad. */
  angle: number;
  slope: number;
  residual: number;
  /** SHA-256 of the configuration frame (CFG-2) the data frames decode under. */
  config: Uint8Array;
}

export const BATCH_SUMMARY_SCHEMA = {
  map: { from: 'uint', to: 'uint', fmin: 'int', fmax: 'int', fmean: 'int', angle: 'int', slope: 'int', residual: 'uint', config: { bytes: 32 } },
} as const satisfies Schema;

export const BATCH_SCHEMA = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    meter: { bytes: ADDRESS_LENGTH },
    round: 'uint',
    count: 'uint',
    first: 'uint',
    last: 'uint',
    root: { bytes: 32 },
    summary: BATCH_SUMMARY_SCHEMA,
    items: { array: 'bytes', max: MAX_BATCH_ITEMS },
  },
  optional: ['summary', 'items'],
} as const satisfies Schema;

export function encodeBatch(b: Batch): Uint8Array {
  if (b.meter.length !== ADDRESS_LENGTH) throw consensusError('BAD_ARGUMENT', `batch: meter must be a ${ADDRESS_LENGTH}-byte address, got ${b.meter.length} bytes`);
  if (b.root.length !== 32) throw consensusError('BAD_ARGUMENT', `batch: root must be 32 bytes, got ${b.root.length}`);
  if (b.count < 1 || b.last - b.first + 1 !== b.count) throw consensusError('BAD_ARGUMENT', `batch: count ${b.count} does not match frames ${b.first}..${b.last}`);
  const out: { [k: string]: CborValue } = { v: b.v, cluster: b.cluster, meter: b.meter, round: b.round, count: b.count, first: b.first, last: b.last, root: b.root };
  const m = b.summary;
  if (m) {
    if (m.config.length !== 32) throw consensusError('BAD_ARGUMENT', `batch: summary config must be a 32-byte digest, got ${m.config.length} bytes`);
    out['summary'] = { from: m.from, to: m.to, fmin: m.fmin, fmax: m.fmax, fmean: m.fmean, angle: m.angle, slope: m.slope, residual: m.residual, config: m.config };
  }
  if (b.items) {
    if (b.items.length !== b.count || b.items.length > MAX_BATCH_ITEMS) throw consensusError('BAD_ARGUMENT', `batch: ${b.items.length} items for count ${b.count} (at most ${MAX_BATCH_ITEMS})`);
    out['items'] = b.items.slice(0);
  }
  return encode(out);
}

/** Signs a batch as the PMU that owns `signer` (BATCH domain); returns the envelope bytes. */
export function signBatch(b: Batch, signer: Signer, addressOf: (publicKey: Uint8Array) => Uint8Array): Uint8Array {
  if (!equalBytes(addressOf(signer.publicKey), b.meter)) throw consensusError('BAD_ARGUMENT', `batch: meter ${addressToText(b.meter)} is not the address of the signing key`);
  return sealEnvelope(Domain.BATCH, encodeBatch(b), signer);
}

/** The round a timestamp falls in: ⌊(ts − genesisMs) / roundMs⌋, or −1 before genesis. */
export function roundOf(manifest: Manifest, ts: number): number {
  if (ts < manifest.genesisMs) return -1;
  return Math.floor((ts - manifest.genesisMs) / manifest.params.roundMs);
}

/** Start of round `round` in milliseconds since the Unix epoch. */
export function roundStart(manifest: Manifest, round: number): number {
  return manifest.genesisMs + round * manifest.params.roundMs;
}

/** A submission that decoded and names a member: what it is, whose, which round, and its digest. */
export interface Submission {
  kind: 'reading' | 'batch';
  bytes: Uint8Array;
  envelope: Envelope;
  /** RFC 6962 leaf hash of `bytes`. */
  digest: Uint8Array;
  member: Member;
  /** Index of the member in the manifest's member list (its judgment position). */
  index: number;
  round: number;
  /** Sequence number: the reading's, or the batch's last frame. */
  seq: number;
  /** First sequence number covered (the reading's own, or the batch's first frame). */
  firstSeq: number;
  reading?: Reading;
  batch?: Batch;
}

export type SubmissionResult =
  | { ok: true; submission: Submission }
  | { ok: false; reason: number; detail: string; digest: Uint8Array };

/** Index of `address` in the manifest's member list, or −1. */
export function memberIndex(manifest: Manifest, address: Uint8Array): number {
  // A verified manifest lists its members in strictly ascending address order (checkManifest), so a binary search
  // finds a member without building the hex key the general lookup needs.
  const members = manifest.members;
  let lo = 0;
  let hi = members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const order = compareBytes(members[mid]!.address, address);
    if (order === 0) return mid;
    if (order < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  // Not a member, or a manifest put together out of order (never verified): the general lookup decides.
  const member = findMember(manifest, address);
  if (!member) return -1;
  return members.indexOf(member);
}

/** Byte strings as views into the envelope's body, which the submission keeps (see openEnvelope). */
const AS_VIEWS = { views: true };

function decodeBatch(body: Uint8Array): { ok: true; batch: Batch } | { ok: false; detail: string } {
  const d = decodeAs(body, BATCH_SCHEMA, AS_VIEWS);
  if (!d.ok) return { ok: false, detail: `batch: ${d.reason} at byte ${d.offset}` };
  const b: Batch = d.value;
  if (b.v !== BATCH_VERSION) return { ok: false, detail: `batch: unsupported version ${b.v}` };
  return { ok: true, batch: b };
}

/**
 * Opens a submission without checking its signature: decodes it, finds its member and round. Hostile input gets a
 * verdict, never an exception. The signature is checked by `checkSubmissionSignature` (so a caller can batch them).
 */
export function openSubmission(manifest: Manifest, bytes: Uint8Array, hash: Hash): SubmissionResult {
  const digest = leafHash(hash, bytes);
  const opened = openEnvelope(bytes);
  if (!opened.ok) return { ok: false, reason: Reason.MALFORMED, detail: opened.reason, digest };
  const env = opened.envelope;
  let kind: 'reading' | 'batch' = 'reading';
  let reading: Reading | undefined;
  let batch: Batch | undefined;
  let cluster: string;
  let meter: Uint8Array;
  let round: number;
  let seq: number;
  let firstSeq: number;
  const r = decodeReading(env.body);
  if (r.ok) {
    reading = r.reading;
    cluster = reading.cluster;
    meter = reading.meter;
    round = roundOf(manifest, reading.ts);
    seq = reading.seq;
    firstSeq = reading.seq;
  } else {
    const b = decodeBatch(env.body);
    if (!b.ok) return { ok: false, reason: Reason.MALFORMED, detail: `neither a reading (${r.reason}) nor a batch (${b.detail})`, digest };
    kind = 'batch';
    batch = b.batch;
    cluster = batch.cluster;
    meter = batch.meter;
    round = batch.round;
    seq = batch.last;
    firstSeq = batch.first;
    if (batch.count < 1 || batch.last < batch.first || batch.last - batch.first + 1 !== batch.count) {
      return { ok: false, reason: Reason.BATCH, detail: `batch count ${batch.count} does not match frames ${batch.first}..${batch.last}`, digest };
    }
  }
  if (cluster !== manifest.cluster) return { ok: false, reason: Reason.WRONG_CLUSTER, detail: `for cluster '${cluster}'`, digest };
  const index = memberIndex(manifest, meter);
  if (index < 0) return { ok: false, reason: Reason.NOT_MEMBER, detail: `${addressToText(meter)} is not a member of epoch ${manifest.epoch}`, digest };
  if (round < 0) return { ok: false, reason: Reason.WRONG_ROUND, detail: 'timestamp before genesis', digest };
  const submission: Submission = { kind, bytes, envelope: env, digest, member: manifest.members[index]!, index, round, seq, firstSeq };
  if (reading) submission.reading = reading;
  if (batch) submission.batch = batch;
  return { ok: true, submission };
}

/** The signing domain of a submission of this kind. */
export function submissionDomain(kind: 'reading' | 'batch'): string {
  return kind === 'reading' ? Domain.READING : Domain.BATCH;
}

/** True when the submission's signature verifies under its member's key. */
export function checkSubmissionSignature(s: Submission, verifier: Verifier): boolean {
  return verifyEnvelope(submissionDomain(s.kind), s.envelope, s.member.publicKey, verifier);
}

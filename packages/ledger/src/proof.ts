// Inclusion proofs: one file that lets anyone holding the manifest check a reading end to end (DESIGN §3, "Offline
// verification"): the signed submission, the votes that accepted it (each vote's judgment record for the member with
// its RFC 6962 path to the root the vote signed), the submission's path to the block's readings root, and the
// committed header with its commit certificate.
import {
  SIGNATURE_LENGTH,
  addressToText,
  decode,
  encode,
  equalBytes,
  signingInput,
  toHex,
  voters,
  type CborValue,
  type Manifest,
  type Reading,
  type Schema,
  type Verifier,
} from '@meterchain/core';
import {
  JUDGMENT_LENGTH,
  Phase,
  Verdict,
  checkBlockCertificate,
  decodeBlockCertificate,
  encodeBlockCertificate,
  decodeBody,
  decodeHeader,
  decodeStoredBlock,
  excludedVoters,
  inclusionProof,
  judgmentLeaves,
  judgmentRecord,
  leafHash,
  openEvidence,
  openSubmission,
  rootFromInclusion,
  rootOfLeafHashes,
  submissionDomain,
  threshold,
  verifyInclusion,
  voteBodyFor,
  voteSigningInput,
  type BlockHeader,
  type EvidenceClaim,
  type Submission,
} from './consensus.ts';
import { decodeFrame as decodePmuFrame, frameTimeUs, type ConfigFrame, type DataFrame } from '@meterchain/pmu';
import type { FrameRecord } from './frame-store.ts';
import { nodeSha256 } from '@meterchain/crypto';

export const PROOF_VERSION = 1;
/** Names the file's kind inside it, so a proof is never mistaken for another CBOR file. */
export const PROOF_TYPE = 'meterchain-inclusion-proof';

const PATH: Schema = { array: { bytes: 32 }, max: 64 };

export const PROOF_SCHEMA: Schema = {
  map: {
    type: 'text',
    v: 'uint',
    submission: 'bytes',
    leaf: 'uint',
    path: PATH,
    round: 'uint',
    member: 'uint',
    lists: { array: { map: { record: { bytes: JUDGMENT_LENGTH }, path: PATH } }, max: 1024 },
    votes: { array: { tuple: ['uint', 'uint', { bytes: SIGNATURE_LENGTH }] }, max: 1024 },
    header: 'bytes',
    commit: 'bytes',
    frame: { map: { bytes: 'bytes', index: 'uint', path: PATH, config: 'bytes' } },
  },
  optional: ['frame'],
};

export type ProofResult = { ok: true; proof: Uint8Array } | { ok: false; reason: string };

/**
 * Builds the proof that the reading (meter, seq) is in `block` (stored-block bytes, already verified as part of the
 * chain). Fails with a reason when the block does not hold it. For a PMU, `seq` names a frame and `frames` is the
 * frame store's record of its batch: the proof then also leads from that frame to the batch's root.
 */
export function makeProof(manifest: Manifest, block: Uint8Array, meter: Uint8Array, seq: number, frames?: FrameRecord): ProofResult {
  const hash = nodeSha256;
  const s = decodeStoredBlock(block);
  if (!s.ok) return { ok: false, reason: s.reason };
  const b = decodeBody(s.block.body);
  if (!b.ok) return { ok: false, reason: b.reason };
  const body = b.body;
  let leaf = -1;
  for (let i = 0; i < body.submissions.length && leaf < 0; i++) {
    const o = openSubmission(manifest, body.submissions[i]!, hash);
    if (o.ok && equalBytes(o.submission.member.address, meter) && seq >= o.submission.firstSeq && seq <= o.submission.seq) leaf = i;
  }
  if (leaf < 0) return { ok: false, reason: `the block holds no submission of ${addressToText(meter)} with seq ${seq}` };
  const opened = openSubmission(manifest, body.submissions[leaf]!, hash);
  if (!opened.ok) return { ok: false, reason: opened.detail };
  const sub = opened.submission;
  const cert = body.certs.find((c) => c.round === sub.round);
  if (!cert) return { ok: false, reason: `the block has no certificate for round ${sub.round}` };
  const claims: EvidenceClaim[] = [];
  for (const e of body.evidence) {
    const c = openEvidence(manifest, e, hash);
    if (c.ok) claims.push(c.claim);
  }
  const excluded = excludedVoters(claims)[sub.round] ?? {};

  // The votes that accept this digest, with their lists renumbered in order of first use.
  const lists: CborValue[] = [];
  const listOf: { [original: number]: number } = {};
  const votes: CborValue[] = [];
  for (const v of cert.votes) {
    if (excluded[v.voter]) continue;
    const records = cert.lists[v.list]!;
    const record = judgmentRecord(records, sub.index);
    if (record[0] !== Verdict.ACCEPT || !equalBytes(record.subarray(2), sub.digest)) continue;
    if (listOf[v.list] === undefined) {
      listOf[v.list] = lists.length;
      lists.push({ record: record.slice(0), path: inclusionProof(hash, judgmentLeaves(hash, records), sub.index) });
    }
    votes.push([v.voter, listOf[v.list]!, v.sig]);
  }
  let frame: CborValue | undefined;
  if (frames) {
    const b = sub.batch;
    if (!b) return { ok: false, reason: `the submission of ${addressToText(meter)} with seq ${seq} is a reading, not a batch of frames` };
    if (frames.round !== b.round || frames.first !== b.first || frames.frames.length !== b.count) {
      return { ok: false, reason: `the stored frames of round ${frames.round} (${frames.first}+${frames.frames.length}) are not those of the batch (round ${b.round}, ${b.first}+${b.count})` };
    }
    const frameLeaves = frames.frames.map((f) => leafHash(hash, f));
    if (!equalBytes(rootOfLeafHashes(hash, frameLeaves), b.root)) return { ok: false, reason: `the stored frames of round ${b.round} do not hash to the batch's root` };
    const index = seq - b.first;
    frame = { bytes: frames.frames[index]!, index, path: inclusionProof(hash, frameLeaves, index), config: frames.config };
  }
  const leaves = body.submissions.map((x) => leafHash(hash, x));
  const proof = encode({
    type: PROOF_TYPE,
    v: PROOF_VERSION,
    submission: body.submissions[leaf]!,
    leaf,
    path: inclusionProof(hash, leaves, leaf),
    round: sub.round,
    member: sub.index,
    lists,
    votes,
    header: s.block.header,
    commit: encodeBlockCertificate(s.block.commit),
    ...(frame ? { frame } : {}),
  });
  return { ok: true, proof };
}

/** Which part of a proof failed. */
export type ProofFault = 'malformed' | 'epoch' | 'commit' | 'submission' | 'signature' | 'merkle-path' | 'votes' | 'frame';

/** A PMU frame proven to be in its batch: its sequence number, C37.118.2 bytes, and the decoded frame. */
export interface ProvenFrame {
  seq: number;
  bytes: Uint8Array;
  /** The station's CFG-2 frame (its digest is in the signed batch summary). */
  config: ConfigFrame;
  data: DataFrame;
  /** Frame time, µs since the Unix epoch. */
  timeUs: number;
}

export interface ProvenReading {
  /** The reading (absent for a PMU batch submission). */
  reading?: Reading;
  meter: Uint8Array;
  seq: number;
  round: number;
  height: number;
  /** Hash of the committed header. */
  block: Uint8Array;
  header: BlockHeader;
  /** Accept votes that verified, and the threshold they had to reach. */
  votes: number;
  threshold: number;
  /** Signatures on the commit certificate. */
  commitSignatures: number;
  /** For a frame proof, the frame. */
  frame?: ProvenFrame;
}

export type ProofVerdict = { ok: true; proven: ProvenReading } | { ok: false; fault: ProofFault; reason: string };

/**
 * Checks a proof with nothing but the manifest of the block's epoch (pass every epoch's verified manifest when the
 * chain has several). Never throws on hostile bytes.
 */
export function verifyProof(manifests: Manifest[], bytes: Uint8Array, verifier: Verifier): ProofVerdict {
  const hash = nodeSha256;
  const bad = (fault: ProofFault, reason: string): ProofVerdict => ({ ok: false, fault, reason });
  const d = decode(bytes, PROOF_SCHEMA, { maxBytes: 1 << 24 });
  if (!d.ok) return bad('malformed', `proof: ${d.reason} at byte ${d.offset}`);
  const p = d.value as {
    type: string;
    v: number;
    submission: Uint8Array;
    leaf: number;
    path: Uint8Array[];
    round: number;
    member: number;
    lists: { record: Uint8Array; path: Uint8Array[] }[];
    votes: [number, number, Uint8Array][];
    header: Uint8Array;
    commit: Uint8Array;
    frame?: { bytes: Uint8Array; index: number; path: Uint8Array[]; config: Uint8Array };
  };
  if (p.type !== PROOF_TYPE) return bad('malformed', `not an inclusion proof (type '${p.type}')`);
  if (p.v !== PROOF_VERSION) return bad('malformed', `unsupported proof version ${p.v}`);

  // 1. The header, committed by the threshold of the epoch's voters.
  const h = decodeHeader(p.header);
  if (!h.ok) return bad('malformed', h.reason);
  const header = h.header;
  const manifest = manifests.find((m) => m.cluster === header.cluster && m.epoch === header.epoch);
  if (!manifest) return bad('epoch', `the block is of cluster '${header.cluster}' epoch ${header.epoch}; no such manifest was given`);
  const blockHash = hash(p.header);
  const c = decodeBlockCertificate(p.commit);
  if (!c.ok) return bad('malformed', c.reason);
  const commit = c.cert;
  const sig = (c: { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }): boolean => verifier.verify(c.publicKey, c.message, c.signature);
  const commitProblem = checkBlockCertificate(manifest, commit, Phase.COMMIT, header.height, blockHash, sig);
  if (commitProblem !== '') return bad('commit', `commit certificate of block ${header.height}: ${commitProblem}`);

  // 2. The submission, signed by a member, in one of the block's rounds.
  const o = openSubmission(manifest, p.submission, hash);
  if (!o.ok) return bad('submission', o.detail);
  const sub = o.submission;
  if (!verifier.verify(sub.member.publicKey, signingInput(submissionDomain(sub.kind), sub.envelope.body), sub.envelope.sig)) {
    return bad('signature', `the signature of ${addressToText(sub.member.address)} on the submission does not verify`);
  }
  if (sub.round < header.first || sub.round > header.last) return bad('submission', `submission of round ${sub.round} in a block of rounds ${header.first}..${header.last}`);
  if (sub.round !== p.round || sub.index !== p.member) return bad('votes', 'the votes are for another round or member than the submission');

  // 3. Its leaf under the header's readings root.
  if (!verifyInclusion(hash, sub.digest, p.leaf, header.count, p.path, header.root)) {
    return bad('merkle-path', `the path does not lead from leaf ${p.leaf} of ${header.count} to the block's readings root`);
  }

  // 4. Accept votes from at least the threshold of distinct voters, each over a root holding this judgment.
  const n = manifest.members.length;
  const roots: Uint8Array[] = [];
  for (let j = 0; j < p.lists.length; j++) {
    const record = p.lists[j]!.record;
    if (record[0] !== Verdict.ACCEPT || !equalBytes(record.subarray(2), sub.digest)) return bad('votes', `judgment ${j} does not accept this submission`);
    const root = rootFromInclusion(hash, leafHash(hash, record), sub.index, n, p.lists[j]!.path);
    if (!root) return bad('votes', `judgment ${j}: the path has the wrong length for member ${sub.index} of ${n}`);
    roots.push(root);
  }
  const t = threshold(manifest.rule, voters(manifest).length);
  let counted = 0;
  for (let k = 0; k < p.votes.length; k++) {
    const [voter, list, signature] = p.votes[k]!;
    if (k > 0 && p.votes[k - 1]![0] >= voter) return bad('votes', 'votes not in strictly increasing voter order');
    if (voter >= n || manifest.members[voter]!.role !== 'full') return bad('votes', `vote ${k} names voter ${voter}, not a full member`);
    if (list >= roots.length) return bad('votes', `vote ${k} names judgment ${list} of ${roots.length}`);
    const member = manifest.members[voter]!;
    const body = voteBodyFor(manifest, sub.round, member.address, roots[list]!);
    if (!verifier.verify(member.publicKey, voteSigningInput(body), signature)) return bad('signature', `the vote of voter ${voter} does not verify`);
    counted++;
  }
  if (counted < t) return bad('votes', `${counted} accept votes, the threshold is ${t}`);

  const proven: ProvenReading = {
    meter: sub.member.address,
    seq: sub.seq,
    round: sub.round,
    height: header.height,
    block: blockHash,
    header,
    votes: counted,
    threshold: t,
    commitSignatures: commit.votes.length,
  };
  if (sub.reading) proven.reading = sub.reading;
  if (p.frame) {
    const f = checkFrame(hash, sub, p.frame);
    if (typeof f === 'string') return bad('frame', f);
    proven.frame = f;
  }
  return { ok: true, proven };
}

/** Checks a frame against the signed batch: its path to the batch root, its configuration digest, its decoding and
 * its time inside the batch's range. Returns the proven frame or the reason it fails. */
function checkFrame(hash: (b: Uint8Array) => Uint8Array, sub: Submission, f: { bytes: Uint8Array; index: number; path: Uint8Array[]; config: Uint8Array }): ProvenFrame | string {
  const b = sub.batch;
  if (!b) return 'the proven submission is a reading, not a batch of frames';
  if (!verifyInclusion(hash, leafHash(hash, f.bytes), f.index, b.count, f.path, b.root)) return `the path does not lead from frame ${f.index} of ${b.count} to the batch's root`;
  if (!b.summary) return 'the batch has no summary naming the configuration its frames decode under';
  if (!equalBytes(hash(f.config), b.summary.config)) return "the configuration is not the one the batch's summary names";
  const c = decodePmuFrame(f.config);
  if (!c.ok || c.value.kind !== 'cfg2') return `the configuration is not a CFG-2 frame${c.ok ? '' : ` (${c.reason})`}`;
  const config = c.value as ConfigFrame;
  const d = decodePmuFrame(f.bytes, config);
  if (!d.ok || d.value.kind !== 'data') return `the frame is not a data frame of its configuration${d.ok ? '' : ` (${d.reason})`}`;
  const data = d.value as DataFrame;
  const timeUs = frameTimeUs(data.soc, data.fraction, config.timeBase);
  if (timeUs < b.summary.from || timeUs > b.summary.to) return `the frame's time ${timeUs} µs lies outside the batch's ${b.summary.from}..${b.summary.to}`;
  return { seq: b.first + f.index, bytes: f.bytes, config, data, timeUs };
}

/** A short text naming a block hash in reports. */
export function shortHash(h: Uint8Array): string {
  return toHex(h).slice(0, 16);
}

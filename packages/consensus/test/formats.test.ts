// Thresholds, judgment records, votes, round certificates and equivocation evidence: the formats of
// docs/protocol.md §2, §6–§8, each with the ways to be wrong.
import { describe, expect, test } from '@jest/globals';
import { Domain, encode, sealEnvelope, encodeReading, type Signer } from '@meterchain/core';
import { nodeSha256 } from '@meterchain/testkit';
import {
  JUDGMENT_LENGTH,
  Reason,
  Verdict,
  bftFaults,
  buildRoundCertificate,
  certificateSignatures,
  decodeVoteMessage,
  emptyJudgments,
  faultBounds,
  judgmentsRoot,
  makeEvidence,
  memberOutcome,
  openEvidence,
  setJudgment,
  signVote,
  tallyCertificate,
  threshold,
  type RoundCertificate,
} from '../src/index.ts';
import { blockVoteBody } from '../src/block.ts';
import { Cluster, verifier } from './helpers/cluster.ts';

describe('thresholds (docs/protocol.md §2)', () => {
  test('majority is more than half of the voters', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 256].map((n) => threshold('majority', n))).toEqual([1, 2, 2, 3, 3, 4, 4, 129]);
  });

  test('bft is 2f + 1 of n = 3f + 1', () => {
    for (const f of [1, 2, 3, 21, 85]) expect(threshold('bft', 3 * f + 1)).toBe(2 * f + 1);
  });

  test('bft for other n keeps any two quorums overlapping in more than f voters, and stays reachable', () => {
    for (let n = 4; n <= 300; n++) {
      const t = threshold('bft', n);
      const f = bftFaults(n);
      expect(2 * t - n).toBeGreaterThan(f);
      expect(n - f).toBeGreaterThanOrEqual(t);
    }
  });

  test('fault bounds follow from the threshold', () => {
    expect(faultBounds('bft', 7)).toEqual({ invalid: 4, live: 2, equivocating: 2 });
    expect(faultBounds('majority', 7)).toEqual({ invalid: 3, live: 3, equivocating: 0 });
  });

  test('a voter count that is not a positive whole number is a programmer mistake', () => {
    expect(() => threshold('bft', 0)).toThrow(/positive whole number of voters, got 0/);
    expect(() => threshold('quorum' as never, 4)).toThrow(/rule must be/);
  });
});

const DIGEST = new Uint8Array(32).fill(7);

describe('judgment records and votes (§6)', () => {
  const c = new Cluster({ n: 4, name: 'formats' });

  test('a vote signs the root of 34-byte records, one per member, and travels with them', () => {
    const records = emptyJudgments(4);
    setJudgment(records, 1, Verdict.ACCEPT, Reason.OK, DIGEST);
    const v = signVote(c.manifest, 3, c.signers[0]!, c.address(0), records, nodeSha256);
    const d = decodeVoteMessage(v.bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.message.judgments.length).toBe(4 * JUDGMENT_LENGTH);
    expect(Buffer.from(d.message.vote.root).equals(Buffer.from(judgmentsRoot(nodeSha256, records)))).toBe(true);
    expect(d.message.vote).toMatchObject({ round: 3, n: 4, epoch: 0, cluster: 'feeder-7' });
  });

  test('a decoded vote owns its body and signature; its judgments are read in place from the message', () => {
    const records = emptyJudgments(4);
    setJudgment(records, 2, Verdict.REJECT, Reason.MALFORMED, DIGEST);
    const v = signVote(c.manifest, 4, c.signers[1]!, c.address(1), records, nodeSha256);
    const bytes = v.bytes.slice();
    const d = decodeVoteMessage(bytes);
    if (!d.ok) throw new Error(d.reason);
    expect(Buffer.from(d.message.judgments).equals(Buffer.from(records))).toBe(true);
    expect(d.message.judgments.buffer).toBe(bytes.buffer);
    bytes.fill(0);
    expect(Buffer.from(d.message.body).equals(Buffer.from(v.body))).toBe(true);
    expect(Buffer.from(d.message.sig).equals(Buffer.from(v.sig))).toBe(true);
    expect(Buffer.from(d.message.vote.root).equals(Buffer.from(v.root))).toBe(true);
    expect(Buffer.from(d.message.vote.voter).equals(Buffer.from(c.address(1)))).toBe(true);
  });

  test('a vote message cut short or with a body of another version is refused with a reason', () => {
    const v = signVote(c.manifest, 4, c.signers[1]!, c.address(1), emptyJudgments(4), nodeSha256);
    // The judgments come last: 136 bytes after a two-byte head, which claims one byte more than is left.
    const judgmentsAt = v.bytes.length - 2 - 4 * JUDGMENT_LENGTH;
    expect(decodeVoteMessage(v.bytes.subarray(0, v.bytes.length - 1))).toEqual({ ok: false, reason: `vote: truncated at byte ${judgmentsAt}` });
    const body = encode({ v: 2, cluster: 'feeder-7', epoch: 0, round: 4, voter: c.address(1), root: v.root, n: 4 });
    expect(decodeVoteMessage(encode({ body, sig: v.sig, judgments: emptyJudgments(4) }))).toEqual({ ok: false, reason: 'vote body: unsupported version 2' });
  });

  test('an absent judgment carries no digest', () => {
    const records = emptyJudgments(2);
    setJudgment(records, 0, Verdict.ABSENT, Reason.OK, DIGEST);
    expect([...records.subarray(0, 34)].every((b) => b === 0)).toBe(true);
  });

  test('a judgment outside the list is a programmer mistake', () => {
    expect(() => setJudgment(emptyJudgments(2), 2, Verdict.ACCEPT, 0, DIGEST)).toThrow(/index 2 outside 2 records/);
  });
});

function certificate(c: Cluster, lists: Uint8Array[], voters: number[], listOf: (v: number) => number): RoundCertificate {
  return buildRoundCertificate(
    5,
    voters.map((v) => {
      const s = signVote(c.manifest, 5, c.signers[v]!, c.address(v), lists[listOf(v)]!, nodeSha256);
      return { voter: v, records: lists[listOf(v)]!, root: s.root, sig: s.sig };
    }),
  );
}

describe('round certificates (§7)', () => {
  const c = new Cluster({ n: 4, name: 'formats' });
  const accept = emptyJudgments(4);
  for (let i = 0; i < 4; i++) setJudgment(accept, i, Verdict.ACCEPT, 0, DIGEST);
  const reject = emptyJudgments(4);
  for (let i = 0; i < 4; i++) setJudgment(reject, i, Verdict.REJECT, Reason.LIMITS, DIGEST);

  test('identical judgment lists are carried once, and every vote signature checks out', () => {
    const cert = certificate(c, [accept], [0, 1, 2], () => 0);
    expect(cert.lists.length).toBe(1);
    const s = certificateSignatures(c.manifest, cert, nodeSha256);
    expect(s.ok).toBe(true);
    if (s.ok) expect(s.checks.every((x) => verifier.verify(x.publicKey, x.message, x.signature))).toBe(true);
  });

  test('t accept votes accept; t reject votes reject; fewer is not enough votes', () => {
    expect(memberOutcome(tallyCertificate(4, certificate(c, [accept], [0, 1, 2], () => 0))[1]!, 3).outcome).toBe('accepted');
    const rejected = memberOutcome(tallyCertificate(4, certificate(c, [reject], [0, 1, 3], () => 0))[1]!, 3);
    expect(rejected).toMatchObject({ outcome: 'rejected', reason: Reason.LIMITS });
    expect(memberOutcome(tallyCertificate(4, certificate(c, [accept, reject], [0, 1, 2, 3], (v) => (v < 2 ? 0 : 1)))[1]!, 3).outcome).toBe('not-enough-votes');
  });

  test('votes left out as equivocators do not count', () => {
    const cert = certificate(c, [accept], [0, 1, 2], () => 0);
    expect(memberOutcome(tallyCertificate(4, cert, { 2: true })[0]!, 3).outcome).toBe('not-enough-votes');
  });

  test('votes out of voter order are refused', () => {
    const cert = certificate(c, [accept], [0, 1, 2], () => 0);
    cert.votes.reverse();
    expect(certificateSignatures(c.manifest, cert, nodeSha256)).toMatchObject({ ok: false });
  });

  test('a list no vote uses is refused', () => {
    const cert = certificate(c, [accept], [0, 1], () => 0);
    cert.lists.push(reject);
    const s = certificateSignatures(c.manifest, cert, nodeSha256);
    expect(s).toMatchObject({ ok: false });
    if (!s.ok) expect(s.reason).toContain('no vote uses');
  });

  test('the same list twice is refused', () => {
    const cert = certificate(c, [accept, reject], [0, 1], (v) => v);
    cert.lists[1] = accept;
    const s = certificateSignatures(c.manifest, cert, nodeSha256);
    if (!s.ok) expect(s.reason).toContain('repeats');
    expect(s.ok).toBe(false);
  });

  test('a vote naming a voter outside the manifest is refused', () => {
    const cert = certificate(c, [accept], [0], () => 0);
    cert.votes[0]!.voter = 9;
    expect(certificateSignatures(c.manifest, cert, nodeSha256)).toMatchObject({ ok: false });
  });

  test('a vote moved to another round no longer verifies', () => {
    const cert = certificate(c, [accept], [0, 1, 2], () => 0);
    const s = certificateSignatures(c.manifest, { ...cert, round: 6 }, nodeSha256);
    expect(s.ok && s.checks.some((x) => !verifier.verify(x.publicKey, x.message, x.signature))).toBe(true);
  });
});

function readingEnvelope(c: Cluster, i: number, signer: Signer, ts: number, value: number): Uint8Array {
  const r = c.reading(i, ts, { channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value }] });
  return sealEnvelope(Domain.READING, encodeReading(r), signer);
}

describe('equivocation evidence (§8)', () => {
  const c = new Cluster({ n: 4, name: 'formats' });
  const t0 = c.manifest.genesisMs + 100;

  test('two signed readings of one member in one round are evidence against it, with two valid signatures', () => {
    const e = makeEvidence('submission', readingEnvelope(c, 1, c.signers[1]!, t0, 2300), readingEnvelope(c, 1, c.signers[1]!, t0 + 5, 2301));
    const o = openEvidence(c.manifest, e, nodeSha256);
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    expect(o.claim).toMatchObject({ kind: 'submission', accused: 1, slot: 0 });
    expect(o.claim.checks.every((x) => verifier.verify(x.publicKey, x.message, x.signature))).toBe(true);
  });

  test('the same message twice is not evidence', () => {
    const a = readingEnvelope(c, 1, c.signers[1]!, t0, 2300);
    expect(() => makeEvidence('submission', a, a)).toThrow(/same bytes/);
    expect(openEvidence(c.manifest, encode({ kind: 'submission', a, b: a }), nodeSha256).ok).toBe(false);
  });

  test('readings of two different rounds are not evidence', () => {
    const e = makeEvidence('submission', readingEnvelope(c, 1, c.signers[1]!, t0, 2300), readingEnvelope(c, 1, c.signers[1]!, t0 + 1000, 2300));
    expect(openEvidence(c.manifest, e, nodeSha256)).toMatchObject({ ok: false });
  });

  test('readings of two different members are not evidence', () => {
    const e = makeEvidence('submission', readingEnvelope(c, 1, c.signers[1]!, t0, 2300), readingEnvelope(c, 2, c.signers[2]!, t0, 2300));
    expect(openEvidence(c.manifest, e, nodeSha256)).toMatchObject({ ok: false });
  });

  test('evidence whose messages are not in canonical order is refused', () => {
    const a = readingEnvelope(c, 1, c.signers[1]!, t0, 2300);
    const b = readingEnvelope(c, 1, c.signers[1]!, t0 + 1, 2302);
    const [lo, hi] = Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0 ? [a, b] : [b, a];
    expect(openEvidence(c.manifest, encode({ kind: 'submission', a: hi, b: lo }), nodeSha256)).toMatchObject({ ok: false });
  });

  test('two votes of one voter for one round are evidence; a signature by someone else does not verify', () => {
    const r1 = emptyJudgments(4);
    const r2 = emptyJudgments(4);
    setJudgment(r2, 0, Verdict.REJECT, Reason.LIMITS, DIGEST);
    const v1 = signVote(c.manifest, 2, c.signers[3]!, c.address(3), r1, nodeSha256);
    const v2 = signVote(c.manifest, 2, c.signers[2]!, c.address(3), r2, nodeSha256);
    const o = openEvidence(c.manifest, makeEvidence('vote', encode({ body: v1.body, sig: v1.sig }), encode({ body: v2.body, sig: v2.sig })), nodeSha256);
    expect(o.ok).toBe(true);
    if (o.ok) expect(o.claim.checks.map((x) => verifier.verify(x.publicKey, x.message, x.signature)).sort()).toEqual([false, true]);
  });

  test('two block votes of one voter for one height, view and phase are evidence', () => {
    const sign = (block: Uint8Array) => {
      const body = blockVoteBody(c.manifest, 4, 0, 0, block, c.address(2));
      return encode({ body, sig: c.signers[2]!.sign(new Uint8Array([...new TextEncoder().encode(Domain.BLOCK), 0, ...body])) });
    };
    const o = openEvidence(c.manifest, makeEvidence('block', sign(new Uint8Array(32).fill(1)), sign(new Uint8Array(32).fill(2))), nodeSha256);
    expect(o).toMatchObject({ ok: true, claim: { kind: 'block', accused: 2, slot: 4, view: 0, phase: 0 } });
    if (o.ok) expect(o.claim.checks.every((x) => verifier.verify(x.publicKey, x.message, x.signature))).toBe(true);
  });

  test('an unknown kind is refused without throwing', () => {
    expect(openEvidence(c.manifest, encode({ kind: 'gossip', a: new Uint8Array([1]), b: new Uint8Array([2]) }), nodeSha256)).toMatchObject({ ok: false });
  });
});

// Opening submissions (docs/protocol.md, "Submissions"): a signed reading or batch, its member, round and digest, and
// each way to be refused; and finding a member by address.
import { describe, expect, test } from '@jest/globals';
import { Domain, addressFromPublicKey, encode, sealEnvelope, signReading, type Manifest } from '@meterchain/core';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
import { Reason, checkSubmissionSignature, leafHash, memberIndex, openSubmission, signBatch } from '../src/index.ts';
import { Cluster, GENESIS, verifier } from './helpers/cluster.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('openSubmission', () => {
  const c = new Cluster({ n: 4, name: 'submission' });

  test('a signed reading opens to its member, round, sequence number and digest', () => {
    const reading = c.reading(2, GENESIS + 3 * 1000 + 250);
    const bytes = signReading(reading, c.signers[2]!);
    const r = openSubmission(c.manifest, bytes, nodeSha256);
    if (!r.ok) throw new Error(r.detail);
    const s = r.submission;
    expect([s.kind, s.index, s.round, s.seq, s.firstSeq]).toEqual(['reading', 2, 3, reading.seq, reading.seq]);
    expect(hex(s.digest)).toBe(hex(leafHash(nodeSha256, bytes)));
    expect(s.reading).toEqual(reading);
    expect(checkSubmissionSignature(s, verifier)).toBe(true);
  });

  test('the envelope and the reading it holds are read from the submission bytes in place', () => {
    const bytes = signReading(c.reading(1, GENESIS + 1000), c.signers[1]!);
    const r = openSubmission(c.manifest, bytes, nodeSha256);
    if (!r.ok) throw new Error(r.detail);
    expect(r.submission.envelope.body.buffer).toBe(bytes.buffer);
    expect(r.submission.reading!.meter.buffer).toBe(bytes.buffer);
    expect(hex(r.submission.reading!.meter)).toBe(hex(c.address(1)));
  });

  test('a signed batch opens with its round and the frames it covers', () => {
    const batch = { v: 1, cluster: 'feeder-7', meter: c.address(3), round: 9, count: 50, first: 1000, last: 1049, root: new Uint8Array(32).fill(4) };
    const bytes = signBatch(batch, c.signers[3]!, (k) => addressFromPublicKey(k));
    const r = openSubmission(c.manifest, bytes, nodeSha256);
    if (!r.ok) throw new Error(r.detail);
    expect([r.submission.kind, r.submission.index, r.submission.round, r.submission.seq, r.submission.firstSeq]).toEqual(['batch', 3, 9, 1049, 1000]);
    expect(r.submission.batch).toEqual(batch);
    expect(checkSubmissionSignature(r.submission, verifier)).toBe(true);
  });

  test('a batch whose count does not match its frames is refused', () => {
    const body = encode({ v: 1, cluster: 'feeder-7', meter: c.address(3), round: 9, count: 5, first: 1000, last: 1049, root: new Uint8Array(32) });
    const r = openSubmission(c.manifest, sealEnvelope(Domain.BATCH, body, c.signers[3]!), nodeSha256);
    expect(r.ok ? 0 : r.reason).toBe(Reason.BATCH);
  });

  test('garbage, another cluster, a non-member and a time before genesis are refused with their reasons', () => {
    const garbage = openSubmission(c.manifest, new Uint8Array([0xa2, 0x61]), nodeSha256);
    expect(garbage).toMatchObject({ ok: false, reason: Reason.MALFORMED, detail: 'envelope: truncated at byte 0' });
    if (!garbage.ok) expect(hex(garbage.digest)).toBe(hex(leafHash(nodeSha256, new Uint8Array([0xa2, 0x61]))));
    const other = signReading({ ...c.reading(0, GENESIS + 1000), cluster: 'feeder-8' }, c.signers[0]!);
    expect(openSubmission(c.manifest, other, nodeSha256)).toMatchObject({ ok: false, reason: Reason.WRONG_CLUSTER });
    const outsider = signerFrom('submission:outsider');
    const stranger = signReading({ ...c.reading(0, GENESIS + 1000), meter: addressFromPublicKey(outsider.publicKey) }, outsider);
    expect(openSubmission(c.manifest, stranger, nodeSha256)).toMatchObject({ ok: false, reason: Reason.NOT_MEMBER });
    const early = signReading(c.reading(0, GENESIS - 1), c.signers[0]!);
    expect(openSubmission(c.manifest, early, nodeSha256)).toMatchObject({ ok: false, reason: Reason.WRONG_ROUND });
  });
});

describe('memberIndex', () => {
  const c = new Cluster({ n: 7, name: 'member-index' });

  test('finds every member of a verified manifest at its position', () => {
    for (let i = 0; i < 7; i++) expect(memberIndex(c.manifest, new Uint8Array(c.address(i)))).toBe(i);
  });

  test('an address that is no member, or not an address at all, is −1', () => {
    const outsider = addressFromPublicKey(signerFrom('member-index:outsider').publicKey);
    expect(memberIndex(c.manifest, outsider)).toBe(-1);
    expect(memberIndex(c.manifest, c.address(3).subarray(0, 19))).toBe(-1);
    expect(memberIndex(c.manifest, new Uint8Array(0))).toBe(-1);
  });

  test('a manifest put together out of address order still finds every member', () => {
    const shuffled: Manifest = { ...c.manifest, members: [...c.manifest.members].reverse() };
    for (let i = 0; i < 7; i++) expect(memberIndex(shuffled, shuffled.members[i]!.address)).toBe(i);
  });
});

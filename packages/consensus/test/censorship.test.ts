// What a member helps commit (docs/protocol.md §10, "What a member prepares"): never a block that leaves out a
// reading it holds an acceptance certificate for, nor one that covers rounds still open by its own clock; and the
// cluster still commits, every certificate-held reading included, when members hold different certificate sets.
import { describe, expect, test } from '@jest/globals';
import { decode, encode, toHex, type CborValue } from '@meterchain/core';
import { nodeSha256 } from '@meterchain/testkit';
import { addReadingToSummary, Phase, signBlockVote } from '../src/block.ts';
import {
  countCertificates,
  decodeBody,
  decodeBlockVote,
  decodeHeader,
  decodeSigned,
  decodeVoteMessage,
  encodeBody,
  encodeHeader,
  excludedVoters,
  merkleRoot,
  openEvidence,
  openSubmission,
  submissionDigest,
  verifyChain,
  type ConsensusNode,
  type Effect,
  type EvidenceClaim,
} from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, verifier, contents } from './helpers/cluster.ts';

const CLOSE = (r: number) => GENESIS + (r + 1) * PARAMS.roundMs + PARAMS.skewMs + PARAMS.timeoutMs;

/** The submissions (meter index, round) of a committed block. */
/** The hashes of the headers member i signed a prepare for. */
function prepared(c: Cluster, i: number): string[] {
  const out: string[] = [];
  for (const x of c.effects) {
    if (x.member !== i || x.effect.type !== 'persist' || x.effect.record.kind !== 'prepare') continue;
    const d = decodeSigned(x.effect.record.bytes);
    if (!d.ok) continue;
    const v = decodeBlockVote(d.body);
    if (v.ok) out.push(toHex(v.vote.block));
  }
  return out;
}

/**
 * A proposer that leaves out readings: the proposal re-made without the submissions `leaveOut` names, with header
 * summaries, root and count that match (a valid block, signed by the proposer), sent with its whole body.
 */
function censored(c: Cluster, proposal: Uint8Array, proposer: number, leaveOut: (member: number) => boolean): { bytes: Uint8Array; hash: string } {
  const d = decode(proposal, undefined, { maxBytes: 1 << 26 });
  if (!d.ok) throw new Error(d.reason);
  const p = d.value as { header: Uint8Array; compact: Uint8Array; view: number; timeouts: CborValue; lock: CborValue };
  const h = decodeHeader(p.header);
  if (!h.ok) throw new Error(h.reason);
  const cd = decode(p.compact, undefined, { maxBytes: 1 << 26 });
  if (!cd.ok) throw new Error(cd.reason);
  const compact = cd.value as { v: number; subs: Uint8Array[]; certs: CborValue[]; evidence: Uint8Array[] };
  // Every submission published, by digest.
  const byDigest = new Map<string, Uint8Array>();
  for (const x of c.effects) if (x.effect.type === 'publish' && x.effect.topic === 'submission') byDigest.set(toHex(submissionDigest(nodeSha256, x.effect.bytes)), x.effect.bytes);
  const full = decodeBody(encode({ v: compact.v, submissions: compact.subs.map((dg) => byDigest.get(toHex(dg))!), certs: compact.certs, evidence: compact.evidence }));
  if (!full.ok) throw new Error(full.reason);
  const claims: EvidenceClaim[] = [];
  for (const e of full.body.evidence) {
    const o = openEvidence(c.manifest, e, nodeSha256);
    if (o.ok) claims.push(o.claim);
  }
  const header = h.header;
  const counted = countCertificates(c.manifest, header.first, header.last, full.body.certs, excludedVoters(claims));
  const kept: Uint8Array[] = [];
  for (const bytes of full.body.submissions) {
    const o = openSubmission(c.manifest, bytes, nodeSha256);
    if (!o.ok) throw new Error(o.detail);
    if (leaveOut(o.submission.index)) continue;
    kept.push(bytes);
    const summary = counted.summaries[o.submission.round - header.first]!;
    summary.accepted++;
    if (o.submission.reading) addReadingToSummary(summary, o.submission.reading);
  }
  const body = encodeBody({ v: full.body.v, submissions: kept, certs: full.body.certs, evidence: full.body.evidence });
  const headerBytes = encodeHeader({ ...header, root: merkleRoot(nodeSha256, kept), count: kept.length, rounds: counted.summaries, body: nodeSha256(body) });
  const hash = nodeSha256(headerBytes);
  const vote = signBlockVote(c.manifest, header.height, p.view, Phase.PREPARE, hash, c.address(proposer), c.signers[proposer]!).bytes;
  return { bytes: encode({ header: headerBytes, body, view: p.view, vote, timeouts: p.timeouts, lock: p.lock }), hash: toHex(hash) };
}

describe('a member does not help commit a block that leaves out a reading it holds a certificate for', () => {
  test('a proposer that leaves out accepted readings is refused by every honest member; the next view commits them', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    // Member 0 proposes height 0 in view 0; what goes out is its block without member 2's two readings.
    let bad: { bytes: Uint8Array; hash: string } | undefined;
    c.filter = (m, to) => {
      if (m.topic !== 'proposal' || m.from !== 0 || to !== undefined || m.bytes === bad?.bytes) return true;
      const p = decode(m.bytes, undefined, { maxBytes: 1 << 26 });
      if (!p.ok || (p.value as { view: number }).view !== 0) return true;
      bad = censored(c, m.bytes, 0, (member) => member === 2);
      c.queue.push({ from: 0, topic: 'proposal', bytes: bad.bytes });
      return false;
    };
    c.runUntil(CLOSE(1) + 20 * PARAMS.timeoutMs);
    expect(bad).toBeDefined();
    for (const i of [1, 2, 3]) {
      expect(prepared(c, i)).not.toContain(bad!.hash);
      expect(c.of('refused', i).some((e) => e.what === 'proposal')).toBe(true);
      const [e] = c.of('committed', i);
      expect(e).toBeDefined();
      expect(e!.view).toBeGreaterThanOrEqual(1);
      expect(contents(c, e!.block).sort()).toEqual(['0@0', '0@1', '1@0', '1@1', '2@0', '2@1', '3@0', '3@1']);
    }
  });

  test('members holding different certificate sets still commit, with every reading any of them held a certificate for', () => {
    const c = new Cluster({ n: 4, params: { blockRounds: 4 } });
    // In round k, member k misses two members' votes, so it alone holds no certificate for that round: each
    // member's own block would leave out one round that the three others hold certificates for.
    const missing: { [round: number]: number[] } = { 0: [2, 3], 1: [2, 3], 2: [0, 1], 3: [0, 1] };
    c.filter = (m, to) => {
      if (m.topic !== 'vote' || to === undefined) return true;
      const v = decodeVoteMessage(m.bytes);
      if (!v.ok) return true;
      const r = v.message.vote.round;
      return !(to === r && (missing[r] ?? []).includes(m.from) && c.now < CLOSE(r));
    };
    for (let r = 0; r < 4; r++) c.round(r);
    c.runUntil(CLOSE(3) + 40 * PARAMS.timeoutMs);
    const all: string[] = [];
    for (let r = 0; r < 4; r++) for (let i = 0; i < 4; i++) all.push(`${i}@${r}`);
    const hashes = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const [e] = c.of('committed', i);
      expect(e).toBeDefined();
      hashes.add(toHex(e!.hash));
      expect(contents(c, e!.block).sort()).toEqual(all.sort());
    }
    expect(hashes.size).toBe(1);
    const v = verifyChain([{ manifest: c.manifest, digest: c.digest }], [c.of('committed', 0)[0]!.block], verifier, nodeSha256);
    expect(v).toMatchObject({ ok: true, readings: 16 });
  });
});

describe('a member does not help commit a block that covers rounds still open by its clock', () => {
  test('a proposer whose clock runs 5 s fast has its early block refused; the block committed holds the rounds\' readings', () => {
    const c = new Cluster({ n: 4 });
    // Member 0 (the view-0 proposer of height 0) lives 5 s ahead of the others.
    const fast = c.nodes[0]!;
    c.nodes[0] = { step: (e: Parameters<ConsensusNode['step']>[0]) => fast.step({ ...e, now: e.now + 5000 }) } as unknown as ConsensusNode;
    c.round(0);
    const early = c.effects.filter((x) => x.member === 0 && x.effect.type === 'publish' && x.effect.topic === 'proposal');
    expect(early.length).toBeGreaterThanOrEqual(1);
    c.round(1);
    c.runUntil(CLOSE(1) + 20 * PARAMS.timeoutMs);
    for (const i of [1, 2, 3]) {
      const [e] = c.of('committed', i);
      expect(e).toBeDefined();
      // Member 0's readings were refused by its own node (their rounds were over by its clock); the others' are in.
      expect(contents(c, e!.block).sort()).toEqual(['1@0', '1@1', '2@0', '2@1', '3@0', '3@1']);
      expect(e!.view).toBeGreaterThanOrEqual(1);
    }
  });
});

/** Stamps every effect the cluster records with the time it was recorded: `at[k]` is the time of `c.effects[k]`. */
function stamped(c: Cluster): number[] {
  const at: number[] = [];
  const record = c.record.bind(c);
  c.record = (member, effects) => {
    for (let k = 0; k < effects.length; k++) at.push(c.now);
    return record(member, effects);
  };
  return at;
}

/** When member i first persisted its timeout for `view` at height 0, or undefined. */
function timedOutAt(c: Cluster, at: number[], i: number, view: number): number | undefined {
  const k = c.effects.findIndex((x) => x.member === i && x.effect.type === 'persist' && x.effect.record.kind === 'timeout' && x.effect.record.height === 0 && x.effect.record.view === view);
  return k < 0 ? undefined : at[k];
}

/** The view-0 proposal of member 0 for height 0, as it went out. */
function isViewZeroProposal(m: { topic: string; from: number; bytes: Uint8Array }): boolean {
  if (m.topic !== 'proposal' || m.from !== 0) return false;
  const p = decode(m.bytes, undefined, { maxBytes: 1 << 26 });
  return p.ok && (p.value as { view: number }).view === 0;
}

describe('a member that must refuse the view\'s proposal gives the view up at once (docs/protocol.md §10 step 5)', () => {
  test('a proposal that leaves out accepted readings: each honest member sends its timeout with its refusal, and view 1 commits within a view timeout', () => {
    const c = new Cluster({ n: 4 });
    const at = stamped(c);
    c.round(0);
    c.round(1);
    let bad: { bytes: Uint8Array; hash: string } | undefined;
    c.filter = (m, to) => {
      if (to !== undefined || m.bytes === bad?.bytes || !isViewZeroProposal(m)) return true;
      bad = censored(c, m.bytes, 0, () => true);
      c.queue.push({ from: 0, topic: 'proposal', bytes: bad.bytes });
      return false;
    };
    c.runUntil(CLOSE(1) + 20 * PARAMS.timeoutMs);
    expect(bad).toBeDefined();
    let firstRefusal = Infinity;
    for (const i of [1, 2, 3]) {
      const k = c.effects.findIndex((x) => x.member === i && x.effect.type === 'refused' && x.effect.what === 'proposal');
      expect(k).toBeGreaterThanOrEqual(0);
      firstRefusal = Math.min(firstRefusal, at[k]!);
      // The timeout for view 0 goes out with the refusal, not a view timeout after the view began.
      expect(timedOutAt(c, at, i, 0)).toBe(at[k]);
    }
    for (const i of [0, 1, 2, 3]) {
      const k = c.effects.findIndex((x) => x.member === i && x.effect.type === 'committed');
      expect(k).toBeGreaterThanOrEqual(0);
      const e = c.effects[k]!.effect as Extract<Effect, { type: 'committed' }>;
      expect(e.view).toBe(1);
      expect(contents(c, e.block).sort()).toEqual(['0@0', '0@1', '1@0', '1@1', '2@0', '2@1', '3@0', '3@1']);
      expect(at[k]! - firstRefusal).toBeLessThan(PARAMS.timeoutMs / 2);
    }
  });

  test('a member that prepared it gives the view up once a refusing member hands over what the proposal leaves out', () => {
    const c = new Cluster({ n: 4 });
    const at = stamped(c);
    // Member 3 is away (down, or behind). Member 1 misses the votes of 0 and 2 until the rounds close: it holds no
    // certificate and prepares the proposal below, with the proposer; member 2 holds them all and refuses it. Two
    // prepares: the view cannot commit it.
    c.offline.add(3);
    c.filter = (m, to) => {
      if (m.topic === 'vote' && to === 1 && (m.from === 0 || m.from === 2)) return c.now >= CLOSE(1);
      return true;
    };
    c.round(0);
    c.round(1);
    let bad: { bytes: Uint8Array; hash: string } | undefined;
    const votes = c.filter;
    c.filter = (m, to) => {
      if (!votes(m, to)) return false;
      if (to !== undefined || m.bytes === bad?.bytes || !isViewZeroProposal(m)) return true;
      bad = censored(c, m.bytes, 0, (member) => member === 2);
      c.queue.push({ from: 0, topic: 'proposal', bytes: bad.bytes });
      return false;
    };
    c.runUntil(CLOSE(1) + 20 * PARAMS.timeoutMs);
    expect(bad).toBeDefined();
    expect(prepared(c, 1)).toContain(bad!.hash);
    const k = c.effects.findIndex((x) => x.member === 2 && x.effect.type === 'refused' && x.effect.what === 'proposal');
    expect(k).toBeGreaterThanOrEqual(0);
    // The hand-over reaches member 1 in the step of the refusal: it gives view 0 up then, not a view timeout later,
    // and with the refusing member's timeout that makes n − t + 1: the proposer joins, and view 1 begins at once.
    for (const i of [0, 1, 2]) expect(timedOutAt(c, at, i, 0)).toBe(at[k]);
    // What it hands over is of closed rounds, sent on purpose: it carries no expiry (docs/transport.md).
    const handedOver = c.effects.filter((x, j) => j > k && at[j] === at[k] && x.member === 2 && x.effect.type === 'publish' && x.effect.topic === 'submission');
    expect(handedOver.length).toBeGreaterThan(0);
    for (const x of handedOver) expect((x.effect as Extract<Effect, { type: 'publish' }>).expiresAt).toBeUndefined();
    for (const i of [0, 1, 2]) {
      const j = c.effects.findIndex((x) => x.member === i && x.effect.type === 'committed');
      const e = c.effects[j]!.effect as Extract<Effect, { type: 'committed' }>;
      expect(e.view).toBe(1);
      expect(at[j]! - at[k]!).toBeLessThan(PARAMS.timeoutMs / 2);
      expect(contents(c, e.block).sort()).toEqual(['0@0', '0@1', '1@0', '1@1', '2@0', '2@1']);
    }
  });

  test('a forged header (a block that fails the checks, signed by its proposer): each honest member times the view out on receipt', () => {
    const c = new Cluster({ n: 4 });
    const at = stamped(c);
    c.round(0);
    c.round(1);
    let forged: Uint8Array | undefined;
    let deliveredAt = -1;
    c.filter = (m, to) => {
      if (m.bytes === forged) {
        if (to !== undefined && deliveredAt < 0) deliveredAt = c.now;
        return true;
      }
      if (to !== undefined || !isViewZeroProposal(m)) return true;
      const d = decode(m.bytes, undefined, { maxBytes: 1 << 26 });
      if (!d.ok) throw new Error(d.reason);
      const p = d.value as { header: Uint8Array; compact: Uint8Array; view: number; timeouts: CborValue; lock: CborValue };
      const h = decodeHeader(p.header);
      if (!h.ok) throw new Error(h.reason);
      // A header naming a previous block no member holds, its hash signed by the proposer.
      const header = encodeHeader({ ...h.header, prev: new Uint8Array(32).fill(7) });
      const vote = signBlockVote(c.manifest, 0, 0, Phase.PREPARE, nodeSha256(header), c.address(0), c.signers[0]!).bytes;
      forged = encode({ header, compact: p.compact, view: 0, vote, timeouts: p.timeouts, lock: p.lock });
      c.queue.push({ from: 0, topic: 'proposal', bytes: forged });
      return false;
    };
    c.runUntil(CLOSE(1) + 20 * PARAMS.timeoutMs);
    expect(deliveredAt).toBeGreaterThan(0);
    for (const i of [1, 2, 3]) expect(timedOutAt(c, at, i, 0)).toBe(deliveredAt);
    for (const i of [0, 1, 2, 3]) expect(c.of('committed', i)[0]?.view).toBe(1);
  });
});

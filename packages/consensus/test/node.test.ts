// The voting round and block state machine, driven by hand: what a member does with readings, votes and ticks, and
// the order of its effects. One behaviour per test.
import { describe, expect, test } from '@jest/globals';
import { decode, decodeReading, Domain, encode, equalBytes, openEnvelope, QualityFlag, signingInput, toHex } from '@meterchain/core';
import { nodeSha256 } from '@meterchain/testkit';
import { effectsOf, ConsensusNode, SharedChecks, decodeBody, decodeRoundCertificate, decodeStoredBlock, decodeVoteMessage, defaultJudges, feederJudge, openEvidence, Reason, redundancyJudge, verifyChain } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, verifier } from './helpers/cluster.ts';

/** A decoded CBOR value (the test fails on bytes that do not decode). */
function cbor(bytes: Uint8Array): unknown {
  const d = decode(bytes);
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

const ROUND_END = (r: number) => GENESIS + (r + 1) * PARAMS.roundMs;
const CLOSE = (r: number) => ROUND_END(r) + PARAMS.skewMs + PARAMS.timeoutMs;
/** Block agreement starts once the last round is closed, 70 % of the way through a round (ConsensusNode.readyAt). */
const BLOCK_READY = (lastRound: number) => {
  const at = GENESIS + Math.floor((CLOSE(lastRound) - GENESIS) / PARAMS.roundMs) * PARAMS.roundMs + Math.floor(PARAMS.roundMs * 0.7);
  return at >= CLOSE(lastRound) ? at : at + PARAMS.roundMs;
};

describe('a voting round', () => {
  test('when every member submits a valid reading, every member reports every reading accepted', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.runUntil(CLOSE(0));
    for (let i = 0; i < 4; i++) {
      const accepted = c.of('accepted', i).filter((e) => e.round === 0);
      expect(accepted.map((e) => toHex(e.member)).sort()).toEqual([0, 1, 2, 3].map((j) => toHex(c.address(j))).sort());
    }
    expect(c.of('rejected')).toEqual([]);
  });

  test('members vote as soon as every submission is in, before the round ends', () => {
    const c = new Cluster({ n: 4 });
    c.round(0, 100);
    const votes = c.effects.filter((x) => x.effect.type === 'publish' && x.effect.topic === 'vote');
    expect(votes.length).toBe(4);
    expect(c.now).toBeLessThan(ROUND_END(0));
  });

  test('a reading outside the voltage limits is rejected with reason limits', () => {
    const c = new Cluster({ n: 4 });
    c.round(0, 100, (i) => (i === 2 ? { channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 4600 }] } : undefined));
    const rejected = c.of('rejected', 0);
    expect(rejected.length).toBe(1);
    expect(equalBytes(rejected[0]!.member, c.address(2))).toBe(true);
    expect(rejected[0]!.reason).toBe(Reason.LIMITS);
  });

  test('a reading whose edge flagged it contradictory (PHYSICS) is rejected with reason quality', () => {
    const c = new Cluster({ n: 4 });
    c.round(0, 100, (i) => (i === 1 ? { quality: QualityFlag.PHYSICS } : undefined));
    expect(c.of('rejected', 3).map((e) => e.reason)).toEqual([Reason.QUALITY]);
  });

  test('a reading whose flags only inform (GAP) is accepted with its flags', () => {
    const c = new Cluster({ n: 4 });
    c.round(0, 100, (i) => (i === 1 ? { quality: QualityFlag.GAP } : undefined));
    expect(c.of('accepted', 0).length).toBe(4);
  });

  test('a reading that repeats an earlier sequence number is rejected as a replay', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1, 100, (i) => (i === 3 ? { seq: 100 * 4 + 1 } : undefined));
    const rejected = c.of('rejected', 0).filter((e) => e.round === 1);
    expect(rejected.map((e) => [toHex(e.member), e.reason])).toEqual([[toHex(c.address(3)), Reason.REPLAY]]);
  });

  test('two different signed readings of one member in one round make verifiable evidence, and the member is rejected', () => {
    const c = new Cluster({ n: 4 });
    c.runUntil(GENESIS + 100);
    const a = c.reading(1, c.now);
    c.submit(1, a);
    // A second reading for the same round, signed by the same key, delivered as a message.
    const fresh = c.makeNode(c.signers[1]!);
    const effects = effectsOf(fresh.step({ type: 'reading', now: c.now + 1, reading: { ...a, channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2311 }] } }));
    const second = effects.find((e) => e.type === 'publish')!;
    c.queue.push({ from: 1, topic: 'submission', bytes: (second as { bytes: Uint8Array }).bytes });
    for (const i of [0, 2, 3]) c.submit(i, c.reading(i, c.now));
    c.deliverAll();
    c.runUntil(CLOSE(0));
    const ev = c.of('evidence', 0);
    expect(ev.length).toBe(1);
    expect(equalBytes(ev[0]!.accused, c.address(1))).toBe(true);
    const o = openEvidence(c.manifest, ev[0]!.evidence, nodeSha256);
    expect(o.ok).toBe(true);
    if (o.ok) for (const chk of o.claim.checks) expect(verifier.verify(chk.publicKey, chk.message, chk.signature)).toBe(true);
    expect(c.of('accepted', 0).some((e) => equalBytes(e.member, c.address(1)))).toBe(false);
    expect(c.nodes[0]!.flaggedMembers()).toEqual([1]);
  });

  test('a submission with a bad signature is never accepted, and is judged bad-signature when nothing valid arrives', () => {
    const c = new Cluster({ n: 4 });
    c.offline.add(2);
    c.runUntil(GENESIS + 100);
    const forged = effectsOf(c.makeNode(c.signers[2]!).step({ type: 'reading', now: c.now, reading: c.reading(2, c.now) })).find((e) => e.type === 'publish') as { bytes: Uint8Array };
    const bad = forged.bytes.slice();
    bad[bad.length - 1]! ^= 1;
    c.queue.push({ from: 2, topic: 'submission', bytes: bad });
    for (const i of [0, 1, 3]) c.submit(i, c.reading(i, c.now));
    c.deliverAll();
    c.runUntil(CLOSE(0));
    expect(c.of('accepted', 0).some((e) => equalBytes(e.member, c.address(2)))).toBe(false);
    const vote = c.effects.find((x) => x.member === 0 && x.effect.type === 'publish' && x.effect.topic === 'vote')!.effect as { bytes: Uint8Array };
    const d = decodeVoteMessage(vote.bytes);
    if (!d.ok) throw new Error(d.reason);
    expect(d.message.judgments[2 * 34 + 1]).toBe(Reason.BAD_SIGNATURE);
  });

  test('with fewer than the threshold of voters online, the round ends with not-enough-votes', () => {
    const c = new Cluster({ n: 4 }); // bft: t = 3
    c.offline.add(2);
    c.offline.add(3);
    c.round(0);
    c.runUntil(CLOSE(0) + 1);
    expect(c.of('accepted', 0)).toEqual([]);
    expect(c.of('not-enough-votes', 0).length).toBe(2);
  });
});

describe('persist before publish', () => {
  test('every publish of a new signature comes right after the persist of the same bytes', () => {
    const c = new Cluster({ n: 4 });
    for (let r = 0; r < 4; r++) c.round(r);
    c.runUntil(CLOSE(5));
    expect(c.of('committed', 0).length).toBeGreaterThanOrEqual(1);
    const signedTopics = ['submission', 'vote', 'proposal', 'block-vote', 'timeout'];
    for (let i = 0; i < 4; i++) {
      const mine = c.effects.filter((x) => x.member === i).map((x) => x.effect);
      for (let k = 0; k < mine.length; k++) {
        const e = mine[k]!;
        if (e.type !== 'publish' || !signedTopics.includes(e.topic)) continue;
        if (e.topic === 'vote' && e.to === undefined && mine.slice(0, k).some((p) => p.type === 'publish' && p.topic === 'vote' && equalBytes(p.bytes, e.bytes))) continue;
        const prev = mine[k - 1]!;
        expect(prev.type).toBe('persist');
        if (prev.type !== 'persist') continue;
        // A proposal carries the prepare vote just persisted; every other message is the persisted bytes.
        if (e.topic === 'proposal') expect(prev.record.kind).toBe('prepare');
        else expect(equalBytes(prev.record.bytes, e.bytes)).toBe(true);
      }
    }
  });

  test('a lock is persisted before the commit vote it leads to', () => {
    const c = new Cluster({ n: 4 });
    for (let r = 0; r < 2; r++) c.round(r);
    c.runUntil(CLOSE(3));
    const mine = c.effects.filter((x) => x.member === 1).map((x) => x.effect);
    const commitAt = mine.findIndex((e) => e.type === 'persist' && e.record.kind === 'commit');
    expect(commitAt).toBeGreaterThan(0);
    const before = mine[commitAt - 1]!;
    expect(before.type === 'persist' && before.record.kind).toBe('lock');
  });
});

describe('after a restart', () => {
  test('a node does not sign a second vote for a round it already voted: it re-sends the recorded one', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    const persisted = c.effects.filter((x) => x.member === 0 && x.effect.type === 'persist').map((x) => (x.effect as { record: import('../src/index.ts').PersistRecord }).record);
    const vote = persisted.find((r) => r.kind === 'vote')!;
    const restarted = c.makeNode(c.signers[0]!, { restore: { records: persisted } });
    const effects = effectsOf(restarted.step({ type: 'tick', now: ROUND_END(0) + PARAMS.skewMs + 1 }));
    expect(effects.filter((e) => e.type === 'persist' && e.record.kind === 'vote')).toEqual([]);
    const sent = effects.filter((e) => e.type === 'publish' && e.topic === 'vote');
    expect(sent.length).toBe(1);
    expect(equalBytes((sent[0] as { bytes: Uint8Array }).bytes, vote.bytes)).toBe(true);
  });

  test('a node refuses a second reading for a round it already submitted', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    const persisted = c.effects.filter((x) => x.member === 2 && x.effect.type === 'persist').map((x) => (x.effect as { record: import('../src/index.ts').PersistRecord }).record);
    const restarted = c.makeNode(c.signers[2]!, { restore: { records: persisted } });
    const effects = effectsOf(restarted.step({ type: 'reading', now: c.now + 10, reading: c.reading(2, c.now + 10) }));
    expect(effects.map((e) => e.type)).toEqual(['refused']);
  });

  test('a node does not sign a second prepare at a height and view it already prepared', () => {
    const c = new Cluster({ n: 4 });
    for (let r = 0; r < 2; r++) c.round(r);
    c.runUntil(BLOCK_READY(1) + 50);
    const prepares = c.effects.filter((x) => x.member === 3 && x.effect.type === 'persist' && x.effect.record.kind === 'prepare');
    expect(prepares.length).toBeGreaterThanOrEqual(1);
    const records = prepares.map((x) => (x.effect as { record: import('../src/index.ts').PersistRecord }).record);
    const restarted = c.makeNode(c.signers[3]!, { restore: { records } });
    // Replay the proposal it prepared: the restarted node must not persist a new prepare.
    const proposal = c.effects.find((x) => x.effect.type === 'publish' && x.effect.topic === 'proposal')!.effect as { bytes: Uint8Array };
    const effects = effectsOf(restarted.step({ type: 'message', now: c.now, topic: 'proposal', bytes: proposal.bytes }));
    expect(effects.filter((e) => e.type === 'persist' && e.record.kind === 'prepare')).toEqual([]);
  });
});

describe('leader mode', () => {
  test('voters send their vote to the round leader only, and the leader publishes one certificate that decides the round', () => {
    const c = new Cluster({ n: 4, voteMode: 'leader' });
    c.round(0);
    const votes = c.effects.filter((x) => x.effect.type === 'publish' && x.effect.topic === 'vote').map((x) => x.effect as { to?: Uint8Array });
    expect(votes.length).toBe(3);
    const leaders = new Set(votes.map((v) => toHex(v.to!)));
    expect(leaders.size).toBe(1);
    expect(c.effects.filter((x) => x.effect.type === 'publish' && x.effect.topic === 'certificate').length).toBe(1);
    for (let i = 0; i < 4; i++) expect(c.of('accepted', i).length).toBe(4);
  });

  test('the leader publishes the certificate as soon as its votes decide every member, without waiting for a missing voter', () => {
    const c = new Cluster({ n: 7, voteMode: 'leader' });
    // Round 0's leader is member 0; member 3's vote never reaches it.
    c.filter = (m) => !(m.topic === 'vote' && m.from === 3);
    c.round(0);
    const certs = c.of('publish', 0).filter((e) => e.topic === 'certificate');
    expect(certs.length).toBe(1);
    // Still inside round 0: long before the certificate deadline (vote deadline + timeoutMs/2).
    expect(c.now).toBeLessThan(ROUND_END(0));
    for (let i = 0; i < 7; i++) expect(c.of('accepted', i).length).toBe(7);
  });

  test('the leader drops the votes that arrive once everyone is decided, so its certificate carries no more than it needed', () => {
    const c = new Cluster({ n: 7, voteMode: 'leader' });
    // The leader (member 0) misses member 6's submission, so it votes only at the deadline; by then the six other
    // votes have arrived, and after the first five (t = 5) every member is decided: voter 5's vote, the last to
    // arrive, is dropped unverified, and the certificate carries the five that decided and the leader's own.
    c.filter = (m, to) => !(m.topic === 'submission' && m.from === 6 && to === 0);
    c.round(0);
    c.runUntil(ROUND_END(0) + 100);
    const certs = c.of('publish', 0).filter((e) => e.topic === 'certificate');
    expect(certs.length).toBe(1);
    const cert = decodeRoundCertificate(certs[0]!.bytes);
    if (!cert.ok) throw new Error(cert.reason);
    expect(cert.cert.votes.map((v) => v.voter)).toEqual([0, 1, 2, 3, 4, 6]);
    expect(c.nodes[0]!.stats.surplusVotes).toBe(1);
    for (let i = 0; i < 7; i++) expect(c.of('accepted', i).length).toBe(7);
  });

  test('with a silent leader, no node asks to be woken at a deadline that has passed (its timer would spin)', () => {
    const c = new Cluster({ n: 4, voteMode: 'leader' });
    c.offline.add(0);
    c.round(0);
    // Through the fallback, the close and the block's view timeouts, every online node's next deadline stays ahead.
    while (c.now < CLOSE(0) + 3 * PARAMS.timeoutMs) {
      c.runUntil(c.now + 20);
      for (const i of [1, 2, 3]) expect(c.nodes[i]!.wakeAt()).toBeGreaterThan(c.now);
    }
  });

  test('a sensor (it submits, never votes) asks to be woken only at deadlines it acts on, through view changes too', () => {
    const c = new Cluster({ n: 5, sensors: 1, voteMode: 'leader' });
    const sensor = c.manifest.members.findIndex((m) => m.role === 'sensor');
    // The first block's view-0 proposer is away: the voters time out and change view. The sensor takes no part, and
    // no block traffic reaches it, so it stays in view 0 long past that view's timeout.
    const proposer = c.manifest.members.findIndex((m) => m.role === 'full');
    c.offline.add(proposer);
    const blockTraffic = ['timeout', 'proposal', 'block-vote', 'block'];
    c.filter = (m, to) => !(to === sensor && blockTraffic.includes(m.topic));
    c.round(0);
    c.round(1);
    while (c.now < CLOSE(1) + 4 * PARAMS.timeoutMs) {
      c.runUntil(c.now + 20);
      expect(c.nodes[sensor]!.wakeAt()).toBeGreaterThan(c.now);
    }
    expect(c.of('publish').some((e) => e.topic === 'timeout')).toBe(true);
  });

  test('when the leader is silent, voters fall back to broadcasting the same vote and the round is still decided', () => {
    const c = new Cluster({ n: 4, voteMode: 'leader' });
    // Round 0's leader is the first full member in address order.
    c.offline.add(0);
    c.round(0);
    c.runUntil(CLOSE(0));
    for (const i of [1, 2, 3]) expect(c.of('accepted', i).length).toBe(3);
  });
});

describe('blocks', () => {
  test('all members commit the same block, and its stored form verifies from the manifest alone', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.runUntil(CLOSE(1) + 200);
    const hashes = [0, 1, 2, 3].map((i) => c.of('committed', i).map((e) => toHex(e.hash)));
    expect(hashes[0]!.length).toBe(1);
    for (const h of hashes) expect(h).toEqual(hashes[0]);
    const block = c.of('committed', 2)[0]!.block;
    const v = verifyChain([{ manifest: c.manifest, digest: c.digest }], [block], verifier, nodeSha256);
    expect(v).toMatchObject({ ok: true, readings: 8 });
  });

  test('block agreement starts 70 % of the way through a round, once the block\'s last round is closed', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.runUntil(BLOCK_READY(1) - 40);
    expect(c.of('publish').filter((e) => e.topic === 'proposal')).toEqual([]);
    c.runUntil(BLOCK_READY(1) + 40);
    expect(c.of('publish').filter((e) => e.topic === 'proposal').length).toBe(1);
    expect((BLOCK_READY(1) - GENESIS) % PARAMS.roundMs).toBe(Math.floor(PARAMS.roundMs * 0.7));
  });

  test('prepare votes that arrive after the prepare quorum are not verified, and every member still commits', () => {
    const c = new Cluster({ n: 7 });
    c.round(0);
    c.round(1);
    const before = c.nodes.map((x) => x.stats.verifications);
    c.runUntil(BLOCK_READY(1) + 200);
    for (let i = 0; i < 7; i++) expect(c.of('committed', i).length).toBe(1);
    const surplus = c.nodes.reduce((sum, x) => sum + x.stats.surplus, 0);
    expect(surplus).toBeGreaterThan(0);
    // Each member verifies at most the proposal and (n − 1) prepare and commit votes, minus the surplus it skipped.
    const spent = c.nodes.reduce((sum, x, i) => sum + x.stats.verifications - before[i]!, 0);
    expect(spent).toBeLessThanOrEqual(7 * (1 + 2 * 6) - surplus);
  });

  test('nodes sharing what they have checked do exactly what they do alone, checking each signature once between them', () => {
    const shared = new SharedChecks();
    const alone = new Cluster({ n: 7, voteMode: 'leader' });
    const sharing = new Cluster({ n: 7, voteMode: 'leader', node: () => ({ shared }) });
    for (const c of [alone, sharing]) {
      c.round(0);
      c.round(1);
      c.runUntil(BLOCK_READY(1) + 200);
    }
    for (let i = 0; i < 7; i++) expect(sharing.of('committed', i).length).toBe(1);
    // The same effects, byte for byte, in the same order: every vote, certificate, block and acceptance.
    expect(sharing.effects).toEqual(alone.effects);
    const sum = (c: Cluster, f: (x: ConsensusNode) => number) => c.nodes.reduce((total, x) => total + f(x), 0);
    const checked = sum(sharing, (x) => x.stats.verifications);
    // A node that shares keeps no memory of its own, so what it meets again it recalls from the shared one: every
    // check a node alone made is a check or a recall here.
    expect(checked + sum(sharing, (x) => x.stats.recalled)).toBeGreaterThanOrEqual(sum(alone, (x) => x.stats.verifications));
    expect(sum(alone, (x) => x.stats.recalled)).toBe(0);
    // Each signature is checked by one node only: as many checks as signatures recorded.
    expect(checked).toBe(shared.recorded);
    expect(checked * 3).toBeLessThan(sum(alone, (x) => x.stats.verifications));
  });

  test('a committed block names its last round, the node\'s own readings and the meter and number of each submission, as its bytes say', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.runUntil(BLOCK_READY(1) + 200);
    for (let i = 0; i < 4; i++) {
      const [e] = c.of('committed', i);
      if (!e) throw new Error(`member ${i} committed nothing`);
      const stored = decodeStoredBlock(e.block);
      if (!stored.ok) throw new Error(stored.reason);
      const body = decodeBody(stored.block.body);
      if (!body.ok) throw new Error(body.reason);
      const fromBytes = body.body.submissions.map((bytes) => {
        const env = openEnvelope(bytes);
        const r = env.ok ? decodeReading(env.envelope.body) : undefined;
        if (!r?.ok) throw new Error('not a reading');
        return { meter: r.reading.meter, seq: r.reading.seq };
      });
      expect(fromBytes.length).toBe(8);
      expect(e.readings).toEqual(fromBytes);
      expect(e.own).toEqual(fromBytes.filter((k) => equalBytes(k.meter, c.address(i))).map((k) => k.seq));
      expect(e.own.length).toBe(2);
      expect(e.last).toBe(1);
    }
  });

  test('a proposal another node of the process found valid is taken on its verdict only with the same body', () => {
    const shared = new SharedChecks();
    const c = new Cluster({ n: 4, node: () => ({ shared }) });
    c.round(0);
    c.round(1);
    // Members 0..2 check the proposal (and record its verdict); member 3's copy is held back, and the block traffic
    // that would let it commit without the proposal.
    const held: Uint8Array[] = [];
    c.filter = (m, to) => {
      if (to !== 3) return true;
      if (m.topic === 'proposal') held.push(m.bytes);
      return m.topic !== 'proposal' && m.topic !== 'block-vote' && m.topic !== 'block';
    };
    c.runUntil(BLOCK_READY(1) + 200);
    for (let i = 0; i < 3; i++) expect(c.of('committed', i).length).toBe(1);
    expect(held.length).toBe(1);
    const stored = decodeStoredBlock(c.of('committed', 0)[0]!.block);
    if (!stored.ok) throw new Error(stored.reason);
    // The proposal went out compact; the same one with the whole body (what a proposer sends a member that asks),
    // and with one byte of the body changed (inside a submission): the recorded verdict does not apply, and the body
    // no longer hashes to the header.
    const { compact, ...rest } = cbor(held[0]!) as { compact: Uint8Array };
    expect(compact).toBeInstanceOf(Uint8Array);
    const whole = encode({ ...rest, body: stored.block.body } as never);
    const at = Buffer.from(whole).indexOf(Buffer.from(stored.block.body));
    expect(at).toBeGreaterThan(0);
    const tampered = Uint8Array.from(whole);
    tampered[at + Math.floor(stored.block.body.length / 2)]! ^= 1;
    const votes = () => c.of('publish', 3).filter((e) => e.topic === 'block-vote').length;
    const before = { votes: votes(), dropped: c.nodes[3]!.stats.dropped, badBlock: c.nodes[3]!.stats.drops['bad-block'] ?? 0 };
    c.record(3, effectsOf(c.nodes[3]!.step({ type: 'message', now: c.now, topic: 'proposal', bytes: tampered })));
    expect(votes()).toBe(before.votes);
    expect(c.nodes[3]!.stats.dropped).toBe(before.dropped + 1);
    expect(c.nodes[3]!.stats.drops['bad-block']).toBe(before.badBlock + 1);
    c.record(3, effectsOf(c.nodes[3]!.step({ type: 'message', now: c.now, topic: 'proposal', bytes: whole })));
    expect(votes()).toBe(before.votes + 1);
  });

  test('a proposal names the submissions by digest: members put the body together from what they hold', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.runUntil(BLOCK_READY(1) + 200);
    const proposals = c.of('publish').filter((e) => e.topic === 'proposal');
    expect(proposals.length).toBe(1);
    const p = cbor(proposals[0]!.bytes) as { body?: Uint8Array; compact: Uint8Array };
    expect(p.body).toBeUndefined();
    const committed = c.of('committed', 0)[0]!;
    expect(committed.submissions).toBe(8);
    // Each 100-odd-byte submission is a 32-byte digest in the proposal.
    expect(proposals[0]!.bytes.length).toBeLessThan(committed.block.length - 8 * 60);
    for (let i = 1; i < 4; i++) expect(c.of('committed', i)[0]!.hash).toEqual(committed.hash);
    // No member had to ask for the whole proposal.
    expect(c.of('publish').filter((e) => e.topic === 'sync')).toEqual([]);
  });

  test('a member missing a submission the proposal names asks the proposer for the whole proposal, and prepares it', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    // Member 3 does not get member 1's submission of round 1 (the other three accept it without member 3's vote).
    c.filter = (m, to) => !(to === 3 && m.topic === 'submission' && m.from === 1);
    c.round(1);
    c.filter = () => true;
    c.runUntil(BLOCK_READY(1) + 200);
    const asks = c.of('publish', 3).filter((e) => e.topic === 'sync');
    // The first thing it asks for is the proposal (a request for the stored block may follow, as its commit quorum
    // can come before the answer).
    expect(asks.length).toBeGreaterThanOrEqual(1);
    // Signed by the member that asks (docs/protocol.md §10, step 6).
    const signed = cbor(asks[0]!.bytes) as { body: Uint8Array; sig: Uint8Array };
    const ask = cbor(signed.body) as { height: number; view: number; from: Uint8Array };
    expect(ask).toMatchObject({ height: 0, view: 0 });
    expect(verifier.verify(c.manifest.members[3]!.publicKey, signingInput(Domain.SYNC, signed.body), signed.sig)).toBe(true);
    const answers = c.effects.filter((x) => x.effect.type === 'publish' && x.effect.topic === 'proposal' && x.effect.to !== undefined);
    expect(answers.length).toBe(1);
    expect(equalBytes((answers[0]!.effect as { to: Uint8Array }).to, c.manifest.members[3]!.address)).toBe(true);
    expect((cbor((answers[0]!.effect as { bytes: Uint8Array }).bytes) as { body?: Uint8Array }).body).toBeInstanceOf(Uint8Array);
    expect(c.of('publish', 3).some((e) => e.topic === 'block-vote')).toBe(true);
    const committed = c.of('committed', 3);
    expect(committed.length).toBe(1);
    expect(committed[0]!.hash).toEqual(c.of('committed', 0)[0]!.hash);
    expect(committed[0]!.submissions).toBe(8);
  });

  test('a member that missed the proposal and hears the committed block announced asks for the stored block', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    // Member 3 gets no proposal and no block votes: only the proposer's announcement of the committed block.
    c.filter = (m, to) => !(to === 3 && (m.topic === 'proposal' || m.topic === 'block-vote'));
    c.runUntil(BLOCK_READY(1) + 200);
    const notices = c.of('publish').filter((e) => e.topic === 'block' && e.to === undefined);
    expect(notices.length).toBe(1);
    const notice = cbor(notices[0]!.bytes) as { header: Uint8Array; commit: unknown; body?: Uint8Array };
    expect(Object.keys(notice).sort()).toEqual(['commit', 'header']);
    // One ask, of members − t + 1 = 2 distinct signers of the commit certificate (one correct among them).
    const asks = c.of('publish', 3).filter((e) => e.topic === 'sync');
    expect(asks.length).toBe(2);
    expect(new Set(asks.map((e) => c.indexOf((e as { to: Uint8Array }).to))).size).toBe(2);
    const committed = c.of('committed', 3);
    expect(committed.length).toBe(1);
    expect(committed[0]!.hash).toEqual(c.of('committed', 0)[0]!.hash);
  });

  test('a member holding the proposal commits the announced block on its commit certificate alone, and refuses one short of the threshold', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    // Member 3 gets the proposal but no block votes, so it cannot commit by itself; the announced block is held back.
    const held: Uint8Array[] = [];
    c.filter = (m, to) => {
      if (to !== 3) return true;
      if (m.topic === 'block') held.push(m.bytes);
      return m.topic !== 'block-vote' && m.topic !== 'block';
    };
    c.runUntil(BLOCK_READY(1) + 200);
    for (let i = 0; i < 3; i++) expect(c.of('committed', i).length).toBe(1);
    expect(c.of('committed', 3)).toEqual([]);
    expect(held.length).toBe(1);
    // What is announced is the header and the commit certificate, not the block.
    const stored = decodeStoredBlock(c.of('committed', 0)[0]!.block);
    if (!stored.ok) throw new Error(stored.reason);
    const notice = cbor(held[0]!) as { header: Uint8Array; commit: { votes: [number, Uint8Array][] } };
    expect(notice.header).toEqual(stored.block.header);
    expect(held[0]!.length).toBeLessThan(stored.block.header.length + 1024);
    const deliver = (bytes: Uint8Array) => c.record(3, effectsOf(c.nodes[3]!.step({ type: 'message', now: c.now, topic: 'block', bytes })));
    const withVotes = (votes: [number, Uint8Array][]) => encode({ header: notice.header, commit: { ...notice.commit, votes } } as never);
    // Two commit votes of four: under the threshold of three.
    const dropped = c.nodes[3]!.stats.dropped;
    const badCertificate = c.nodes[3]!.stats.drops['bad-certificate'] ?? 0;
    deliver(withVotes(notice.commit.votes.slice(0, 2)));
    expect(c.of('committed', 3)).toEqual([]);
    expect(c.nodes[3]!.stats.dropped).toBe(dropped + 1);
    expect(c.nodes[3]!.stats.drops['bad-certificate']).toBe(badCertificate + 1);
    // A vote whose signature does not verify.
    deliver(withVotes(notice.commit.votes.map((v, k) => (k === 0 ? [v[0], Uint8Array.from(v[1], (b, j) => (j === 0 ? b ^ 1 : b))] : v))));
    expect(c.of('committed', 3)).toEqual([]);
    expect(c.nodes[3]!.stats.dropped).toBe(dropped + 2);
    expect(c.nodes[3]!.stats.drops['bad-certificate']).toBe(badCertificate + 2);
    deliver(held[0]!);
    const committed = c.of('committed', 3);
    expect(committed.length).toBe(1);
    expect(committed[0]!.hash).toEqual(c.of('committed', 0)[0]!.hash);
    expect(committed[0]!.block).toEqual(c.of('committed', 0)[0]!.block);
  });

  test('a proposer that withholds its block is replaced by the next in rotation after the timeout', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    // Height 0, view 0: the proposer is voter 0; its proposals are lost.
    c.filter = (m) => !(m.topic === 'proposal' && m.from === 0);
    c.runUntil(CLOSE(1) + 6 * PARAMS.timeoutMs);
    const committed = c.of('committed', 1);
    expect(committed.length).toBeGreaterThanOrEqual(1);
    expect(committed[0]!.view).toBeGreaterThanOrEqual(1);
    expect(c.of('publish').some((e) => e.topic === 'timeout')).toBe(true);
  });
});

describe('cross-meter judges', () => {
  test('of three redundant sensors, the one that disagrees with the other two is rejected as cross-check', () => {
    const c = new Cluster({
      n: 4,
      node: (m) => ({
        judges: { ...defaultJudges(), round: [redundancyJudge([{ members: [m.members[0]!.address, m.members[1]!.address, m.members[2]!.address], channel: '1-0:32.7.0', tolerance: { abs: 0.2, rel: 0.01 } }])] },
      }),
    });
    c.round(0, 100, (i) => ({ channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: i === 2 ? 2500 : 2300 }] }));
    expect(c.of('rejected', 3).map((e) => [c.indexOf(e.member), e.reason])).toEqual([[2, Reason.CROSS_CHECK]]);
    expect(c.of('accepted', 3).length).toBe(3);
  });

  test('a feeder head matching the sum of its children within losses is accepted with them; one that does not is refused with them', () => {
    const node = (m: import('@meterchain/core').Manifest) => ({
      judges: {
        ...defaultJudges(),
        round: [feederJudge([{ head: m.members[3]!.address, children: [0, 1, 2].map((i) => m.members[i]!.address), channel: '1-0:16.7.0', losses: { maxRel: 0.08, accuracyRel: 0.02, abs: 5 } }])],
      },
    });
    const power = (head: number) => (i: number) => ({ channels: [{ id: '1-0:16.7.0', unit: 'W', scale: 0, value: i === 3 ? head : 1000 }] });
    const good = new Cluster({ n: 4, node });
    good.round(0, 100, power(3100));
    expect(good.of('accepted', 0).length).toBe(4);
    const bad = new Cluster({ n: 4, node });
    bad.round(0, 100, power(4000));
    expect(bad.of('rejected', 0).map((e) => e.reason)).toEqual([Reason.CROSS_CHECK, Reason.CROSS_CHECK, Reason.CROSS_CHECK, Reason.CROSS_CHECK]);
  });
});

describe('PMU batches', () => {
  const batch = (c: Cluster, i: number, round: number, first: number) => ({
    v: 1,
    cluster: 'feeder-7',
    meter: c.address(i),
    round,
    count: 50,
    first,
    last: first + 49,
    root: new Uint8Array(32).fill(round + 1),
  });

  test('a signed batch of frames is judged and accepted like a reading', () => {
    const c = new Cluster({ n: 4 });
    c.runUntil(GENESIS + 100);
    c.record(1, effectsOf(c.nodes[1]!.step({ type: 'batch', now: c.now, batch: batch(c, 1, 0, 1000) })));
    for (const i of [0, 2, 3]) c.submit(i, c.reading(i, c.now));
    c.deliverAll();
    expect(c.of('accepted', 0).map((e) => c.indexOf(e.member)).sort()).toEqual([0, 1, 2, 3]);
  });

  test('a batch that repeats frames of the previous one is rejected as a replay', () => {
    const c = new Cluster({ n: 4 });
    c.runUntil(GENESIS + 100);
    c.record(1, effectsOf(c.nodes[1]!.step({ type: 'batch', now: c.now, batch: batch(c, 1, 0, 1000) })));
    for (const i of [0, 2, 3]) c.submit(i, c.reading(i, c.now));
    c.deliverAll();
    c.runUntil(GENESIS + 1100);
    c.record(1, effectsOf(c.nodes[1]!.step({ type: 'batch', now: c.now, batch: batch(c, 1, 1, 1040) })));
    for (const i of [0, 2, 3]) c.submit(i, c.reading(i, c.now));
    c.deliverAll();
    expect(c.of('rejected', 0).map((e) => [e.round, c.indexOf(e.member), e.reason])).toEqual([[1, 1, Reason.REPLAY]]);
  });
});

describe('dropped messages', () => {
  test('a dropped message is counted under its reason: malformed, another cluster, an unknown topic', () => {
    const c = new Cluster({ n: 4 });
    const other = new Cluster({ n: 4, name: 'other' });
    const node = c.nodes[0]!;
    const at = (topic: string, bytes: Uint8Array) => effectsOf(node.step({ type: 'message', now: GENESIS + 100, topic: topic as never, bytes }));
    expect(at('vote', Uint8Array.of(0xff))).toEqual([]);
    expect(at('proposal', Uint8Array.of(0xa0))).toEqual([]);
    // A submission signed by a member of another cluster's manifest names no member here.
    other.now = GENESIS + 100;
    const [published] = other.submit(1, other.reading(1, other.now)).filter((e) => e.type === 'publish');
    expect(published).toBeDefined();
    expect(at('submission', (published as { bytes: Uint8Array }).bytes)).toEqual([]);
    expect(at('gossip', Uint8Array.of(1))).toEqual([]);
    expect(node.stats.drops).toEqual({ malformed: 2, unattributable: 1, 'unknown-topic': 1 });
    expect(node.stats.dropped).toBe(4);
  });
});

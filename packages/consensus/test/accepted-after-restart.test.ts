// Readings the cluster accepted, across restarts: every node persists, per round no committed block covers, the round
// certificate it holds with the accepted submissions (a `round` record), before any outcome resting on it, and takes
// those rounds up again after a restart (docs/protocol.md §11). A certificate that completes only after its round's
// close time is reported when the block covering the round commits: `accepted` if the block holds the reading,
// `too-late` if not (§7).
import { describe, expect, test } from '@jest/globals';
import { decode, equalBytes } from '@meterchain/core';
import { ROUND_CERTIFICATE_SCHEMA } from '../src/certificate.ts';
import { effectsOf, decodeVoteMessage, memberOutcome, proposerOf, tallyCertificate, roundCertificateFromCbor, type PersistRecord } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, contents } from './helpers/cluster.ts';

const BLOCK_TOPICS = new Set(['proposal', 'block-vote', 'timeout', 'block', 'sync']);

/** `member@round` of what member i saw accepted in rounds below `below`. */
function accepted(c: Cluster, i: number, below: number): string[] {
  return c.of('accepted', i).filter((e) => e.round < below).map((e) => `${c.indexOf(e.member)}@${e.round}`).sort();
}

/**
 * What the Linux runtime restores after a restart (NodeState.lastRecords): the last record of each signing kind, every
 * submission, the last lock, and the newest round record of each round.
 */
function restoredRecords(c: Cluster, member: number): PersistRecord[] {
  const best: { [kind: string]: PersistRecord } = {};
  const rounds = new Map<number, PersistRecord>();
  const submissions: PersistRecord[] = [];
  const at = (r: PersistRecord) => (r.kind === 'submission' || r.kind === 'vote' ? r.round : r.height * 1048576 + r.view);
  for (const x of c.effects) {
    if (x.member !== member || x.effect.type !== 'persist') continue;
    const r = x.effect.record;
    if (r.kind === 'round') {
      rounds.set(r.round, r);
      continue;
    }
    if (r.kind === 'submission') {
      submissions.push(r);
      continue;
    }
    const have = best[r.kind];
    if (!have || r.kind === 'lock' || at(r) > at(have)) best[r.kind] = r;
  }
  return [...Object.keys(best).map((k) => best[k]!), ...submissions, ...rounds.values()];
}

/** A cluster whose block agreement is held up (its messages dropped) until `release()`. */
function stalledCluster(n = 4): { c: Cluster; release: () => void } {
  const c = new Cluster({ n });
  let stalled = true;
  c.filter = (m) => !(stalled && BLOCK_TOPICS.has(m.topic));
  return { c, release: () => (stalled = false) };
}

/** Every node replaced by one restored from what it persisted, as after a power cut of the whole cluster. */
function powerCut(c: Cluster, extra?: (i: number) => object): void {
  for (let i = 0; i < c.nodes.length; i++) c.nodes[i] = c.makeNode(c.signers[i]!, { restore: { records: restoredRecords(c, i) }, ...(extra ? extra(i) : {}) });
}

describe('a power cut of the whole cluster before the block that covers accepted readings', () => {
  test('every node restarted after rounds 0-1 were accepted, before block 0: block 0 holds their readings', () => {
    const { c, release } = stalledCluster();
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + 700);
    const seen = accepted(c, 1, 2);
    expect(seen).toHaveLength(8);
    powerCut(c);
    release();
    c.runUntil(GENESIS + 12 * PARAMS.roundMs);
    const [first] = c.of('committed', 1);
    expect(first).toBeDefined();
    expect(contents(c, first!.block).sort()).toEqual(seen); // before: [] (round votes lived in memory only)
  });

  test('a restored node refuses a block that leaves the restored readings out, and hands their certificates over', () => {
    const { c, release } = stalledCluster();
    c.round(0);
    c.round(1);
    // Rounds 0-1 closed (at 2.5 s), block agreement not begun (at 2.7 s).
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + 600);
    const seen = accepted(c, 1, 2);
    expect(seen).toHaveLength(8);
    // Block 0's view-0 proposer comes back censoring: its block leaves out every round certificate.
    const proposer = c.indexOf(proposerOf(c.manifest, 0, 0));
    const before = c.effects.length;
    powerCut(c, (i) => (i === proposer ? { labCensor: true } : {}));
    release();
    c.runUntil(GENESIS + 14 * PARAMS.roundMs);
    const after = c.effects.slice(before);
    const others = [0, 1, 2, 3].filter((i) => i !== proposer);
    for (const i of others) {
      const refusals = after.filter((x) => x.member === i && x.effect.type === 'refused' && x.effect.what === 'proposal');
      expect(refusals.length).toBeGreaterThanOrEqual(1);
      expect(after.some((x) => x.member === i && x.effect.type === 'publish' && x.effect.topic === 'certificate')).toBe(true);
    }
    const [first] = c.of('committed', others[0]!);
    expect(first).toBeDefined();
    expect(first!.view).toBeGreaterThan(0);
    expect(contents(c, first!.block).sort()).toEqual(seen);
  });
});

describe('a power cut after the votes of a round left and before any arrived', () => {
  test('the votes re-sent after the restart accept readings only their own members hold: block 0 still holds them all', () => {
    const { c, release } = stalledCluster();
    let dropRound1 = true;
    const dropped = (bytes: Uint8Array) => {
      const d = decodeVoteMessage(bytes);
      return d.ok && d.message.vote.round === 1;
    };
    const stall = c.filter;
    c.filter = (m, recipient) => stall(m, recipient) && !(dropRound1 && m.topic === 'vote' && dropped(m.bytes));
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + 300); // round 1 voted everywhere, decided nowhere, open until 2.5 s
    expect(accepted(c, 1, 2)).toEqual(['0@0', '1@0', '2@0', '3@0']);
    powerCut(c);
    dropRound1 = false;
    release();
    c.runUntil(GENESIS + 20 * PARAMS.roundMs);
    // Each member's round-1 vote, re-sent at its restart, makes a certificate for all four readings at every member,
    // which holds only its own submission of round 1. Before, every member refused every block for good: no proposer
    // could put in the readings it held a certificate for.
    expect(accepted(c, 1, 2)).toEqual(['0@0', '0@1', '1@0', '1@1', '2@0', '2@1', '3@0', '3@1']);
    const [first] = c.of('committed', 1);
    expect(first).toBeDefined();
    expect(contents(c, first!.block).sort()).toEqual(['0@0', '0@1', '1@0', '1@1', '2@0', '2@1', '3@0', '3@1']);
  });
});

describe('a certificate whose submission no member holds', () => {
  test('does not stop the cluster: block 0 commits without that reading', () => {
    const { c, release } = stalledCluster();
    let dropRound1 = true;
    const stall = c.filter;
    c.filter = (m, recipient) => {
      if (!stall(m, recipient)) return false;
      const d = m.topic === 'vote' ? decodeVoteMessage(m.bytes) : undefined;
      return !(dropRound1 && d?.ok && d.message.vote.round === 1);
    };
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + 300);
    // Every node restarts without its submissions (as if its signing records held only its marks): the re-sent votes
    // make certificates for round 1 that no member can put in a block.
    for (let i = 0; i < 4; i++) c.nodes[i] = c.makeNode(c.signers[i]!, { restore: { records: restoredRecords(c, i).filter((r) => r.kind !== 'submission' || r.round !== 1) } });
    dropRound1 = false;
    release();
    c.runUntil(GENESIS + 20 * PARAMS.roundMs);
    const [first] = c.of('committed', 1);
    expect(first).toBeDefined(); // before: no block, every member refusing every proposal for good
    expect(contents(c, first!.block).sort()).toEqual(['0@0', '1@0', '2@0', '3@0']);
    // The restarted members took round 1 up past its vote deadline: their certificates for it wait for the block,
    // which does not hold those readings, so they are `too-late` (before: `accepted`, for readings no block holds).
    expect(accepted(c, 1, 2).filter((k) => k.endsWith('@1'))).toEqual([]);
    expect(c.of('too-late', 1).filter((e) => e.round === 1)).toHaveLength(4);
  });
});

describe('a round record is durable before what rests on it', () => {
  test('every accepted outcome comes after a persisted round record whose certificate accepts that submission', () => {
    const c = new Cluster({ n: 4 });
    for (let r = 0; r < 3; r++) c.round(r);
    c.runUntil(GENESIS + 5 * PARAMS.roundMs);
    let checked = 0;
    for (let i = 0; i < 4; i++) {
      const mine = c.effects.filter((x) => x.member === i).map((x) => x.effect);
      for (let k = 0; k < mine.length; k++) {
        const e = mine[k]!;
        if (e.type !== 'accepted') continue;
        const record = mine.slice(0, k).reverse().find((p) => p.type === 'persist' && p.record.kind === 'round' && p.record.round === e.round);
        expect(record).toBeDefined();
        if (!record || record.type !== 'persist') continue;
        const d = decode(record.record.bytes, { map: { cluster: 'text', epoch: 'uint', cert: ROUND_CERTIFICATE_SCHEMA, subs: { array: 'bytes' } } });
        expect(d.ok).toBe(true);
        if (!d.ok) continue;
        const o = d.value as { cert: unknown; subs: Uint8Array[] };
        const tally = tallyCertificate(4, roundCertificateFromCbor(o.cert));
        const outcome = memberOutcome(tally[c.indexOf(e.member)]!, c.nodes[i]!.threshold);
        expect(outcome.outcome).toBe('accepted');
        expect(o.subs.some((s) => e.submission !== undefined && equalBytes(s, e.submission))).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(4 * 4 * 3);
  });

  test('in leader mode the leader persists the round record before it publishes the certificate', () => {
    const c = new Cluster({ n: 4, voteMode: 'leader' });
    c.round(0);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs);
    const leader = 0 % 4; // the full member at r mod n
    const mine = c.effects.filter((x) => x.member === leader).map((x) => x.effect);
    const cert = mine.findIndex((e) => e.type === 'publish' && e.topic === 'certificate');
    expect(cert).toBeGreaterThan(0);
    expect(mine.slice(0, cert).some((e) => e.type === 'persist' && e.record.kind === 'round' && e.record.round === 0)).toBe(true);
  });
});

describe('a certificate that completes after its round closed', () => {
  /**
   * Members 0-2 run rounds 0-1 and commit block 0 while member 3 is away; the round-1 votes reach no one (each member
   * holds only its own), so block 0 holds the round-0 readings and none of round 1. Member 3 then starts and gets
   * every member's round-0 and round-1 votes, after both rounds closed: they make certificates it alone holds.
   */
  function lateVotes(): { c: Cluster; late: ReturnType<Cluster['makeNode']>; votes: Uint8Array[]; block: Uint8Array; at: number } {
    const c = new Cluster({ n: 4 });
    c.offline.add(3);
    let round1Votes = true;
    const votes: Uint8Array[] = [];
    c.filter = (m, recipient) => {
      if (m.topic !== 'vote') return true;
      if (recipient === undefined) votes.push(m.bytes);
      const d = decodeVoteMessage(m.bytes);
      return !(round1Votes && d.ok && d.message.vote.round === 1);
    };
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 6 * PARAMS.roundMs);
    round1Votes = false;
    const [block] = c.of('committed', 0);
    if (!block) throw new Error('block 0 was not committed');
    const late = c.makeNode(c.signers[3]!);
    return { c, late, votes, block: block.block, at: c.now };
  }

  test('its outcome waits for the block: accepted for a reading the block holds, too-late for one it does not', () => {
    const { c, late, votes, block, at } = lateVotes();
    expect(contents(c, block).sort()).toEqual(['0@0', '1@0', '2@0']);
    const effects = [];
    for (const bytes of votes) effects.push(...effectsOf(late.step({ type: 'message', now: at, topic: 'vote', bytes })));
    // Before: accepted at once, for rounds 0 and 1 (6 readings), although block 0 leaves out round 1's.
    expect(effects.filter((e) => e.type === 'accepted')).toEqual([]);
    effects.push(...effectsOf(late.step({ type: 'message', now: at + 10, topic: 'block', bytes: block })));
    const outcomes = effects.filter((e) => e.type === 'accepted' || e.type === 'too-late').map((e) => `${e.type} ${c.indexOf((e as { member: Uint8Array }).member)}@${(e as { round: number }).round}`);
    expect(outcomes.sort()).toEqual(['accepted 0@0', 'accepted 1@0', 'accepted 2@0', 'too-late 0@1', 'too-late 1@1', 'too-late 2@1']);
    expect(effects.findIndex((e) => e.type === 'too-late')).toBeLessThan(effects.findIndex((e) => e.type === 'committed'));
  });
});

describe('a node that takes a round up after the vote deadline (a restart, a lag)', () => {
  test('holds the certificates it completes there until the block covering the round commits', () => {
    // Member 3 is down. Member 2's round-1 vote reaches neither 0 nor 1, which close round 1 with two votes of the
    // t = 3. Member 3 comes up 200 ms past round 1's vote deadline, before its close, and takes up the queued
    // submissions and votes of round 1: by its count 0, 1 and 2 accept the round's readings.
    const c = new Cluster({ n: 4 });
    c.offline.add(3);
    const round1: { topic: string; bytes: Uint8Array }[] = [];
    c.filter = (m, recipient) => {
      const inRound1 = c.now >= GENESIS + PARAMS.roundMs && (m.topic === 'submission' || m.topic === 'vote');
      if (recipient === undefined && inRound1) round1.push({ topic: m.topic, bytes: m.bytes });
      return !(inRound1 && m.topic === 'vote' && m.from === 2 && (recipient === 0 || recipient === 1));
    };
    c.round(0);
    c.round(1);
    const voteDeadline = GENESIS + 2 * PARAMS.roundMs + PARAMS.skewMs;
    const close = voteDeadline + PARAMS.timeoutMs;
    const at = voteDeadline + PARAMS.skewMs + 100;
    c.runUntil(at);
    const late = c.makeNode(c.signers[3]!);
    const effects = [];
    for (const m of round1) effects.push(...effectsOf(late.step({ type: 'message', now: at, topic: m.topic as 'vote', bytes: m.bytes })));
    effects.push(...effectsOf(late.step({ type: 'tick', now: at + 1 })));
    expect(at + 1).toBeLessThan(close);
    // Before: `accepted` at once for the round's readings, which members 0 and 1 then closed `not-enough-votes`.
    expect(effects.filter((e) => e.type === 'accepted')).toEqual([]);
    c.runUntil(close + 20);
    expect(c.of('not-enough-votes', 0).filter((e) => e.round === 1).length).toBeGreaterThan(0);
    // Its word comes with the block covering round 1: `accepted` for what the block holds, `too-late` for the rest.
    c.runUntil(GENESIS + 10 * PARAMS.roundMs);
    const [block] = c.of('committed', 0);
    if (!block) throw new Error('block 0 was not committed');
    const after = effectsOf(late.step({ type: 'message', now: c.now, topic: 'block', bytes: block.block }));
    const holds = new Set(contents(c, block.block));
    const outcomes = after.filter((e) => (e.type === 'accepted' || e.type === 'too-late') && e.round === 1).map((e) => ({ type: e.type, key: `${c.indexOf((e as { member: Uint8Array }).member)}@1` }));
    expect(outcomes.length).toBeGreaterThan(0);
    for (const o of outcomes) expect(`${o.key} ${o.type}`).toBe(`${o.key} ${holds.has(o.key) ? 'accepted' : 'too-late'}`);
  });
});

describe('a node restarted with its clock behind what it signed before the restart', () => {
  test('takes the rounds it signed in up as late ones: too-late, not accepted, for a reading the block leaves out', () => {
    // Every round-1 vote is lost on the way, so members 0-2 close round 1 `not-enough-votes` and commit block 0 (rounds
    // 0-1) without its readings. Member 3 signed its round-1 reading and vote and went down before either counted.
    // It restarts 4.5 s later with its clock 4.5 s slow (a clock stepped back, a real-time clock that lost its time):
    // by that clock round 1 is still before its vote deadline, and the round-1 votes of the others, queued for it by
    // the broker, make a certificate.
    const c = new Cluster({ n: 4 });
    const round1: Uint8Array[] = [];
    c.filter = (m, recipient) => {
      if (m.topic !== 'vote') return true;
      const d = decodeVoteMessage(m.bytes);
      if (!d.ok || d.message.vote.round !== 1) return true;
      if (recipient === undefined && m.from !== 3) round1.push(m.bytes);
      return false;
    };
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + PARAMS.skewMs + 40);
    expect(c.effects.some((x) => x.member === 3 && x.effect.type === 'persist' && x.effect.record.kind === 'vote' && x.effect.record.round === 1)).toBe(true);
    c.offline.add(3);
    c.runUntil(GENESIS + 6 * PARAMS.roundMs);
    const [block] = c.of('committed', 0);
    if (!block) throw new Error('block 0 was not committed');
    expect(contents(c, block.block).sort()).toEqual(['0@0', '1@0', '2@0', '3@0']);
    const restarted = c.makeNode(c.signers[3]!, { restore: { records: restoredRecords(c, 3) } });
    const skewed = c.now - 4500;
    expect(skewed).toBeLessThan(GENESIS + 2 * PARAMS.roundMs); // round 1, by its clock, not yet voted
    const effects = [...effectsOf(restarted.step({ type: 'tick', now: skewed }))];
    for (const bytes of round1) effects.push(...effectsOf(restarted.step({ type: 'message', now: skewed + 10, topic: 'vote', bytes })));
    effects.push(...effectsOf(restarted.step({ type: 'tick', now: skewed + 20 })));
    // Before: `accepted` at once for its round-1 reading, which no block holds.
    expect(effects.filter((e) => e.type === 'accepted' && e.round === 1)).toEqual([]);
    effects.push(...effectsOf(restarted.step({ type: 'message', now: skewed + 30, topic: 'block', bytes: block.block })));
    const mine = effects.filter((e) => (e.type === 'accepted' || e.type === 'too-late') && e.round === 1 && c.indexOf((e as { member: Uint8Array }).member) === 3);
    expect(mine.map((e) => e.type)).toEqual(['too-late']);
  });
});

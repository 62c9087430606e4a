// Block agreement across restarts: a node restored from what it persisted (the last record of each kind and its
// lock, as the Linux runtime hands them back) counts its own timeout and votes as it did before, and the cluster
// commits after a broker outage followed by restarts.
import { describe, expect, test } from '@jest/globals';
import { toHex } from '@meterchain/core';
import { effectsOf, decodeBlockVote, decodeSigned, type PersistRecord } from '../src/index.ts';
import { Cluster, PARAMS } from './helpers/cluster.ts';

/** What the runtime restores (NodeState.lastRecords): the last record of each kind, by slot, and the last lock. */
function lastRecords(c: Cluster, member: number): PersistRecord[] {
  const best: { [kind: string]: PersistRecord } = {};
  const at = (r: PersistRecord) => (r.kind === 'submission' || r.kind === 'vote' ? r.round : r.height * 1048576 + r.view);
  for (const x of c.effects) {
    if (x.member !== member || x.effect.type !== 'persist') continue;
    const r = x.effect.record;
    const have = best[r.kind];
    if (!have || r.kind === 'lock' || at(r) > at(have)) best[r.kind] = r;
  }
  return Object.keys(best).map((k) => best[k]!);
}

/** Replaces member i's node by one restored from its records and its last committed block, as after a restart. */
function restart(c: Cluster, i: number): PersistRecord[] {
  const committed = c.of('committed', i);
  const tip = committed.length > 0 ? committed[committed.length - 1]!.block : undefined;
  const records = lastRecords(c, i);
  c.nodes[i] = c.makeNode(c.signers[i]!, { restore: tip ? { tip, records } : { records } });
  return records;
}

function persisted(c: Cluster, member: number, kind: PersistRecord['kind'], view?: number): boolean {
  return c.effects.some((x) => x.member === member && x.effect.type === 'persist' && x.effect.record.kind === kind && (view === undefined || x.effect.record.view === view));
}

/** Runs until every given member has committed height 0, or the time runs out. */
function untilCommitted(c: Cluster, members: number[], limit: number): void {
  while (c.now < limit && members.some((i) => c.of('committed', i).length === 0)) c.runUntil(c.now + 100);
}

describe('after a broker outage and a restart of every node', () => {
  test('each node counts its restored view-0 timeout, so three of four members still change view and commit', () => {
    const c = new Cluster({ n: 4 }); // bft: t = 3; member 3 is down for good
    c.offline.add(3);
    c.round(0);
    c.round(1);
    // The broker goes away before block agreement: each node times out view 0 alone.
    c.filter = () => false;
    while (![0, 1, 2].every((i) => persisted(c, i, 'timeout', 0))) c.runUntil(c.now + 100);
    c.runUntil(c.now + 3 * PARAMS.timeoutMs);
    for (const i of [0, 1, 2]) restart(c, i);
    c.filter = () => true;
    const from = c.now;
    untilCommitted(c, [0, 1, 2], from + 30000);
    const hashes = [0, 1, 2].map((i) => c.of('committed', i).map((e) => toHex(e.hash)));
    for (const h of hashes) expect(h.length).toBeGreaterThanOrEqual(1);
    expect(hashes[1]![0]).toBe(hashes[0]![0]);
    expect(hashes[2]![0]).toBe(hashes[0]![0]);
    // Within a view change or two, not after minutes.
    expect(c.now - from).toBeLessThan(10 * PARAMS.timeoutMs);
  });

  test('a node restored in view 1 resumes view 1: it re-sends that timeout and counts it, and the cluster commits', () => {
    const c = new Cluster({ n: 4 });
    c.offline.add(3);
    c.round(0);
    c.round(1);
    // Every proposal is lost: the members leave view 0, then view 1, on timeouts.
    c.filter = (m) => m.topic !== 'proposal';
    while (![0, 1, 2].every((i) => persisted(c, i, 'timeout', 1))) c.runUntil(c.now + 50);
    // Then the broker goes away, and every node restarts.
    c.filter = () => false;
    c.runUntil(c.now + 2 * PARAMS.timeoutMs);
    const restored = [0, 1, 2].map((i) => restart(c, i));
    c.filter = () => true;
    const from = c.effects.length;
    const start = c.now;
    untilCommitted(c, [0, 1, 2], start + 30000);
    for (const i of [0, 1, 2]) {
      expect(c.of('committed', i).length).toBeGreaterThanOrEqual(1);
      // It re-sent its restored view-1 timeout (the bytes it persisted, no new signature).
      const record = restored[i]!.find((r) => r.kind === 'timeout')!;
      expect(record.view).toBe(1);
      const sent = c.effects.slice(from).filter((x) => x.member === i && x.effect.type === 'publish' && x.effect.topic === 'timeout');
      expect(sent.some((x) => Buffer.from((x.effect as { bytes: Uint8Array }).bytes).equals(Buffer.from(record.bytes)))).toBe(true);
    }
    expect(c.now - start).toBeLessThan(15 * PARAMS.timeoutMs);
  });
});

describe('a node restarted between persisting a block vote and publishing it', () => {
  test('re-sends its restored prepare and commit and counts them: the block commits in view 0, before any timeout', () => {
    const c = new Cluster({ n: 4 });
    c.offline.add(3);
    c.round(0);
    c.round(1);
    // Member 2's block votes never leave it (it dies after each persist), and no commit notice is delivered, so
    // each member commits on block votes alone.
    let down = true;
    c.filter = (m) => !((down && m.from === 2 && m.topic === 'block-vote') || m.topic === 'block');
    while (!persisted(c, 2, 'commit')) c.runUntil(c.now + 20);
    expect(c.of('committed')).toEqual([]);
    restart(c, 2);
    down = false;
    const after = c.effects.length;
    const votes = lastRecords(c, 2).filter((r) => r.kind === 'prepare' || r.kind === 'commit');
    expect(votes.length).toBe(2);
    const start = c.now;
    untilCommitted(c, [0, 1, 2], start + 3000);
    for (const i of [0, 1, 2]) {
      const [e] = c.of('committed', i);
      expect(e).toBeDefined();
      expect(e!.view).toBe(0);
    }
    expect(c.of('publish').filter((e) => e.topic === 'timeout')).toEqual([]);
    // The votes it re-sent are the persisted ones, not new signatures.
    for (const v of votes) {
      const d = decodeSigned(v.bytes);
      if (!d.ok) throw new Error(d.reason);
      expect(decodeBlockVote(d.body).ok).toBe(true);
      const resent = c.effects.slice(after).filter((x) => x.member === 2 && x.effect.type === 'publish' && x.effect.topic === 'block-vote');
      expect(resent.some((x) => Buffer.from((x.effect as { bytes: Uint8Array }).bytes).equals(Buffer.from(v.bytes)))).toBe(true);
    }
  });
});

describe('a member lagging a view behind', () => {
  test('gets the t timeouts of the view it is still in from the n − t + 1 members after it only', () => {
    const c = new Cluster({ n: 7 }); // bft: t = 5, so 3 members answer
    c.round(0);
    c.round(1);
    // No proposal gets through, so the members leave view 0 on timeouts; member 6 hears none of the block traffic.
    const blockTopics = ['proposal', 'block-vote', 'timeout', 'block'];
    c.filter = (m, to) => m.topic !== 'proposal' && !(to === 6 && blockTopics.includes(m.topic));
    while (!persisted(c, 6, 'timeout', 0)) c.runUntil(c.now + 50);
    c.runUntil(c.now + 2 * PARAMS.timeoutMs);
    const lagging = c.effects.find((x) => x.member === 6 && x.effect.type === 'persist' && x.effect.record.kind === 'timeout')!.effect as { record: PersistRecord };
    // Member 6's view-0 timeout, said again (as it does every timeoutMs), reaches each member that left view 0.
    const answerers: number[] = [];
    const now = c.now + 2 * PARAMS.timeoutMs;
    for (let i = 0; i < 6; i++) {
      const effects = effectsOf(c.nodes[i]!.step({ type: 'message', now, topic: 'timeout', bytes: lagging.record.bytes }));
      const sent = effects.filter((e) => e.type === 'publish' && e.topic === 'timeout');
      if (sent.length > 0) {
        answerers.push(i);
        expect(sent.length).toBe(5);
      }
    }
    expect(answerers).toEqual([0, 1, 2]);
  });

  test('is answered only once the others have been in the next view for timeoutMs (before, its timeout crossed theirs)', () => {
    const c = new Cluster({ n: 7 });
    c.round(0);
    c.round(1);
    const blockTopics = ['proposal', 'block-vote', 'timeout', 'block'];
    c.filter = (m, to) => m.topic !== 'proposal' && !(to === 6 && blockTopics.includes(m.topic));
    while (!persisted(c, 6, 'timeout', 0)) c.runUntil(c.now + 50);
    // Every member timed view 0 out within these 50 ms (their views started together) and moved to view 1 on the
    // timeouts: member 6's, said again now, may simply have crossed theirs.
    c.runUntil(c.now + 50);
    const lagging = c.effects.find((x) => x.member === 6 && x.effect.type === 'persist' && x.effect.record.kind === 'timeout')!.effect as { record: PersistRecord };
    const answers = (now: number): number[] => {
      const answerers: number[] = [];
      for (let i = 0; i < 6; i++) {
        const effects = effectsOf(c.nodes[i]!.step({ type: 'message', now, topic: 'timeout', bytes: lagging.record.bytes }));
        if (effects.some((e) => e.type === 'publish' && e.topic === 'timeout')) answerers.push(i);
      }
      return answerers;
    };
    expect(answers(c.now)).toEqual([]);
    // Said again timeoutMs later (view 1 lasts 2 · timeoutMs): member 6 does lag, and is answered.
    expect(answers(c.now + PARAMS.timeoutMs)).toEqual([0, 1, 2]);
  });
});

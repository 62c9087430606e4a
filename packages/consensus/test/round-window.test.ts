// The round window (docs/protocol.md §10, "Round window"): a node opens, votes and submits in no round more than
// max(8·blockRounds, 64) past the last round of its last committed block. Rounds no committed block covers are kept
// with their certificates until a block covers them; when block agreement is behind, new rounds wait instead.
import { describe, expect, test } from '@jest/globals';
import { Cluster, GENESIS, PARAMS, type Sent, contents } from './helpers/cluster.ts';

const BLOCK_TOPICS = new Set(['proposal', 'block-vote', 'timeout', 'block', 'sync']);
/** max(8 × blockRounds, 64) with blockRounds 2. */
const WINDOW = 64;

/** `member@round` of what member i saw accepted in rounds from..to. */
function accepted(c: Cluster, i: number, from: number, to: number): string[] {
  return c.of('accepted', i).filter((e) => e.round >= from && e.round <= to).map((e) => `${c.indexOf(e.member)}@${e.round}`).sort();
}

/** Rounds member i signed a vote or a submission for. */
function signedRounds(c: Cluster, i: number, kind: 'vote' | 'submission'): number[] {
  const out: number[] = [];
  for (const x of c.effects) if (x.member === i && x.effect.type === 'persist' && x.effect.record.kind === kind) out.push(x.effect.record.round);
  return out;
}

describe('block agreement behind by more than the round window', () => {
  test('block agreement stalled for 66 rounds (more than the 64 kept): block 0 holds the readings of rounds 0-1', () => {
    const c = new Cluster({ n: 4 });
    let stalled = true;
    c.filter = (m) => !(stalled && BLOCK_TOPICS.has(m.topic));
    for (let r = 0; r < 66; r++) c.round(r);
    stalled = false;
    c.runUntil(GENESIS + 72 * PARAMS.roundMs);
    const seen = accepted(c, 1, 0, 1);
    expect(seen).toHaveLength(8);
    const [first] = c.of('committed', 1);
    expect(first).toBeDefined();
    expect(contents(c, first!.block).sort()).toEqual(seen); // before the window: [] (rounds 0-1 forgotten at round 65)
  });

  test('no round past the window is voted or submitted in; the readings refused say so, unsigned', () => {
    const c = new Cluster({ n: 4 });
    c.filter = (m) => !BLOCK_TOPICS.has(m.topic);
    for (let r = 0; r < WINDOW + 6; r++) c.round(r);
    for (let i = 0; i < 4; i++) {
      expect(Math.max(...signedRounds(c, i, 'vote'))).toBe(WINDOW - 1);
      expect(Math.max(...signedRounds(c, i, 'submission'))).toBe(WINDOW - 1);
      const refused = c.of('refused', i).filter((e) => e.what === 'reading');
      expect(refused.map((e) => e.round)).toEqual([64, 65, 66, 67, 68, 69]);
      expect(refused.every((e) => e.behind === true && /past the round window/.test(e.reason))).toBe(true);
      // Held back, the node asks for no wake-up before a deadline of its own (not at once, again and again, for the
      // next round's vote deadline, long past).
      expect(c.nodes[i]!.wakeAt()).toBeGreaterThan(c.now);
    }
    // Every round in the window kept its outcomes: all 4 readings of each of the 64 rounds accepted.
    expect(accepted(c, 0, 0, WINDOW - 1)).toHaveLength(4 * WINDOW);
  });

  test('once block agreement catches up, rounds reopen at the current one and their readings are committed', () => {
    const c = new Cluster({ n: 4 });
    let stalled = true;
    c.filter = (m) => !(stalled && BLOCK_TOPICS.has(m.topic));
    for (let r = 0; r < WINDOW + 10; r++) c.round(r);
    stalled = false;
    // 32 blocks of closed rounds to commit, then the rounds past the window.
    c.runUntil(GENESIS + (WINDOW + 20) * PARAMS.roundMs);
    const resumed = WINDOW + 20;
    for (let r = resumed; r < resumed + 6; r++) c.round(r);
    c.runUntil(GENESIS + (resumed + 12) * PARAMS.roundMs);
    for (let i = 0; i < 4; i++) {
      // Nothing signed for the rounds that passed while held back, then every round from the one block agreement
      // caught up in (the last stalled round, 73: 32 blocks of closed rounds commit within it).
      const votes = signedRounds(c, i, 'vote').filter((r) => r >= WINDOW);
      const from = Math.min(...votes);
      expect(from).toBeGreaterThan(WINDOW + 1);
      expect(from).toBeLessThanOrEqual(WINDOW + 10);
      const every: number[] = [];
      for (let r = from; r <= Math.max(...votes); r++) every.push(r);
      expect(votes).toEqual(every);
      for (let r = resumed; r < resumed + 6; r++) expect(votes).toContain(r);
    }
    expect(accepted(c, 0, resumed, resumed + 5)).toHaveLength(24);
    const inChain = new Set<string>();
    for (const b of c.of('committed', 0)) for (const k of contents(c, b.block)) inChain.add(k);
    for (const k of accepted(c, 0, 0, resumed + 5)) expect(inChain.has(k)).toBe(true);
  });

  test('a member whose chain fell more than the window behind catches up by sync and votes again', () => {
    const c = new Cluster({ n: 4 });
    // Member 3 receives no block agreement for 80 rounds while 0, 1 and 2 commit (t = 3 of 4).
    let cut = true;
    c.filter = (m: Sent, recipient?: number) => !(cut && recipient === 3 && BLOCK_TOPICS.has(m.topic));
    for (let r = 0; r < 80; r++) c.round(r);
    const ahead = c.nodes[0]!.height;
    expect(ahead).toBeGreaterThan(30);
    expect(c.nodes[3]!.height).toBe(-1);
    expect(Math.max(...signedRounds(c, 3, 'vote'))).toBe(WINDOW - 1);
    cut = false;
    for (let r = 80; r < 90; r++) c.round(r);
    c.runUntil(GENESIS + 92 * PARAMS.roundMs);
    const n3 = c.nodes[3]!;
    expect(n3.height).toBe(c.nodes[0]!.height);
    expect(Buffer.from(n3.tip).equals(Buffer.from(c.nodes[0]!.tip))).toBe(true);
    // It votes and submits again, and its readings of the last rounds are accepted by everyone.
    expect(signedRounds(c, 3, 'vote').filter((r) => r >= 84 && r < 90)).toEqual([84, 85, 86, 87, 88, 89]);
    expect(accepted(c, 0, 84, 89).filter((k) => k.startsWith('3@'))).toHaveLength(6);
  });
});

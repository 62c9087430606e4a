// A voter caught equivocating after its vote helped decide a round (docs/protocol.md §7, §8): a block counts none of
// its votes in that round (§9), so the node decides again the members whose outcome rested on them and reports the
// corrected outcome, naming the one it corrects. The node's last word on each reading is then what a block may hold.
import { describe, expect, test } from '@jest/globals';
import { nodeSha256 } from '@meterchain/testkit';
import { encode } from '@meterchain/core';
import { decodeVoteMessage, emptyJudgments, makeEvidence, signVote, type Effect } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, type Sent, contents } from './helpers/cluster.ts';

type Outcome = Extract<Effect, { type: 'accepted' | 'rejected' | 'not-enough-votes' }>;

/** Member i's outcomes, in the order it reported them. */
function outcomes(c: Cluster, i: number): Outcome[] {
  const out: Outcome[] = [];
  for (const x of c.effects) {
    const e = x.effect;
    if (x.member === i && (e.type === 'accepted' || e.type === 'rejected' || e.type === 'not-enough-votes')) out.push(e);
  }
  return out;
}

/** Member i's last outcome for each `member@round`. */
function lastWord(c: Cluster, i: number): Map<string, Outcome> {
  const last = new Map<string, Outcome>();
  for (const e of outcomes(c, i)) last.set(`${c.indexOf(e.member)}@${e.round}`, e);
  return last;
}

function standingAccepted(c: Cluster, i: number): string[] {
  return [...lastWord(c, i)].filter(([, e]) => e.type === 'accepted').map(([k]) => k).sort();
}

/** Member 3 signs a second vote for round r (judging nothing) and it reaches everyone. */
function equivocate(c: Cluster, r: number): void {
  const v = signVote(c.manifest, r, c.signers[3]!, c.address(3), emptyJudgments(4), nodeSha256);
  c.queue.push({ from: 3, topic: 'vote', bytes: v.bytes });
  c.deliverAll();
}

/** The evidence of member 3's two votes for round r (its own and a second one), as any member would publish it. */
function voteEvidence(c: Cluster, r: number): Uint8Array {
  const mine = c.effects.find((x) => x.member === 3 && x.effect.type === 'persist' && x.effect.record.kind === 'vote' && x.effect.record.round === r);
  if (!mine || mine.effect.type !== 'persist') throw new Error(`member 3 cast no vote in round ${r}`);
  const a = decodeVoteMessage(mine.effect.record.bytes);
  const b = decodeVoteMessage(signVote(c.manifest, r, c.signers[3]!, c.address(3), emptyJudgments(4), nodeSha256).bytes);
  if (!a.ok || !b.ok) throw new Error('vote does not decode');
  return makeEvidence('vote', encode({ body: a.message.body, sig: a.message.sig }), encode({ body: b.message.body, sig: b.message.sig }));
}

describe('a voter caught equivocating after a round was decided with its vote', () => {
  test('the outcomes that needed its vote are taken back, and what stands accepted is what the block holds', () => {
    const c = new Cluster({ n: 4 });
    c.offline.add(2); // one honest member down: 0, 1 and the equivocator 3 make the t = 3 votes
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + PARAMS.roundMs + 300); // round 0 voted and decided, not closed
    equivocate(c, 0);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + 300);
    equivocate(c, 1);
    c.runUntil(GENESIS + 8 * PARAMS.roundMs);
    for (const i of [0, 1, 3]) {
      const all = outcomes(c, i).filter((e) => e.round < 2);
      // Six accepted first, then six corrections, each naming the `accepted` it takes back.
      expect(all.filter((e) => e.type === 'accepted' && e.corrects === undefined)).toHaveLength(6);
      const corrections = all.filter((e) => e.corrects !== undefined);
      expect(corrections.map((e) => `${e.type}:${e.corrects}`)).toEqual(new Array(6).fill('not-enough-votes:accepted'));
      const [first] = c.of('committed', i);
      expect(first).toBeDefined();
      expect(contents(c, first!.block).sort()).toEqual(standingAccepted(c, i));
    }
    expect(standingAccepted(c, 0)).toEqual([]);
  });

  test('an exclusion that leaves t accept votes changes nothing and reports nothing again', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + PARAMS.roundMs + 300);
    equivocate(c, 0);
    c.runUntil(GENESIS + 8 * PARAMS.roundMs);
    const all = outcomes(c, 0).filter((e) => e.round < 2);
    expect(all.map((e) => e.type)).toEqual(new Array(8).fill('accepted'));
    expect(all.some((e) => e.corrects !== undefined)).toBe(false);
    const [first] = c.of('committed', 0);
    expect(contents(c, first!.block).sort()).toEqual(standingAccepted(c, 0));
    expect(standingAccepted(c, 0)).toHaveLength(8);
  });

  test('evidence that comes after the round closed corrects its outcomes at once', () => {
    const c = new Cluster({ n: 4 });
    c.offline.add(2);
    c.round(0);
    c.runUntil(GENESIS + PARAMS.roundMs + PARAMS.skewMs + PARAMS.timeoutMs + 100); // round 0 closed, block 0 not ready
    expect(c.of('committed', 0)).toHaveLength(0);
    const before = outcomes(c, 0).length;
    // A closed round takes no vote any more: the equivocation reaches the members as evidence.
    c.queue.push({ from: 1, topic: 'evidence', bytes: voteEvidence(c, 0) });
    c.deliverAll();
    const after = outcomes(c, 0).slice(before);
    expect(after.map((e) => `${c.indexOf(e.member)}@${e.round} ${e.type} corrects ${e.corrects}`).sort()).toEqual([
      '0@0 not-enough-votes corrects accepted',
      '1@0 not-enough-votes corrects accepted',
      '3@0 not-enough-votes corrects accepted',
    ]);
    c.runUntil(GENESIS + 8 * PARAMS.roundMs);
    const [first] = c.of('committed', 0);
    expect(first).toBeDefined();
    expect(contents(c, first!.block)).toEqual([]);
  });

  test('decided again by a later vote for the same digest: the outcome stands and is not reported twice', () => {
    const c = new Cluster({ n: 4 });
    // Member 2's votes of round 0 are held back until after the equivocation.
    const held: Sent[] = [];
    let holding = true;
    c.filter = (m, recipient) => {
      if (recipient !== undefined || !holding || m.from !== 2 || m.topic !== 'vote') return true;
      held.push(m);
      return false;
    };
    c.round(0);
    c.runUntil(GENESIS + 300);
    expect(held.length).toBeGreaterThan(0);
    expect(outcomes(c, 0).map((e) => e.type)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    equivocate(c, 0); // 0, 1 left: every outcome taken back, nothing reported yet (the round is open)
    expect(outcomes(c, 0)).toHaveLength(4);
    holding = false;
    c.queue.push(...held);
    c.deliverAll(); // 0, 1 and 2: accepted again, the same digests
    c.runUntil(GENESIS + 6 * PARAMS.roundMs);
    const all = outcomes(c, 0).filter((e) => e.round === 0);
    expect(all.map((e) => e.type)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    const [first] = c.of('committed', 0);
    expect(contents(c, first!.block).sort()).toEqual(standingAccepted(c, 0).filter((k) => k.endsWith('@0')));
  });
});

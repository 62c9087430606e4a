// A member gives up a view as soon as n − t + 1 others have (at least one of them correct), instead of waiting out its
// own timer: a member back from a restart or a full disk starts its timer late, and the cluster needs its timeout to
// change view (docs/protocol.md §8).
import { describe, expect, test } from '@jest/globals';
import type { Effect } from '../src/index.ts';
import { effectsOf } from '../src/index.ts';
import { Cluster, PARAMS } from './helpers/cluster.ts';

function timeoutsOf(c: Cluster, member: number, view: number): Extract<Effect, { type: 'persist' }>[] {
  return c.effects
    .filter((x) => x.member === member && x.effect.type === 'persist' && x.effect.record.kind === 'timeout' && x.effect.record.view === view)
    .map((x) => x.effect as Extract<Effect, { type: 'persist' }>);
}

describe('joining a view change', () => {
  test('a member whose timer started late sends its timeout on the n − t + 1 it receives, and the cluster moves on', () => {
    const c = new Cluster({ n: 4 }); // bft: t = 3, n − t + 1 = 2; member 3 is down for good
    c.offline.add(3);
    c.round(0);
    c.round(1);
    // Member 2 is away (a full disk, a restart) while 0 and 1 time out view 0; they alone cannot change view.
    c.offline.add(2);
    while (![0, 1].every((i) => timeoutsOf(c, i, 0).length > 0)) c.runUntil(c.now + 20);
    const sent = [0, 1].map((i) => timeoutsOf(c, i, 0)[0]!.record.bytes);
    c.runUntil(c.now + 3 * PARAMS.timeoutMs);
    // Back: it gets the two timeouts at once (its broker session held them) and has not timed out view 0 itself.
    c.offline.delete(2);
    c.record(2, effectsOf(c.nodes[2]!.step({ type: 'tick', now: c.now })));
    const back = c.now;
    for (const bytes of sent) c.record(2, effectsOf(c.nodes[2]!.step({ type: 'message', now: c.now, topic: 'timeout', bytes })));
    const own = timeoutsOf(c, 2, 0);
    expect(own.length).toBe(1);
    expect(c.now).toBe(back); // sent on receipt, not a view timeout later
    c.deliverAll();
    // With its timeout the three change view, and a block commits in view 1 or later.
    while (c.now < back + 20 * PARAMS.timeoutMs && [0, 1, 2].some((i) => c.of('committed', i).length === 0)) c.runUntil(c.now + 20);
    for (const i of [0, 1, 2]) expect(c.of('committed', i).length).toBeGreaterThanOrEqual(1);
  });

  test('one timeout (fewer than n − t + 1) is not enough: a faulty member cannot make the others give up a view', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.offline.add(2);
    c.offline.add(3);
    while (timeoutsOf(c, 0, 0).length === 0) c.runUntil(c.now + 20);
    const sent = timeoutsOf(c, 0, 0)[0]!.record.bytes;
    c.offline.delete(2);
    c.record(2, effectsOf(c.nodes[2]!.step({ type: 'tick', now: c.now })));
    c.record(2, effectsOf(c.nodes[2]!.step({ type: 'message', now: c.now, topic: 'timeout', bytes: sent })));
    expect(timeoutsOf(c, 2, 0)).toEqual([]);
  });
});

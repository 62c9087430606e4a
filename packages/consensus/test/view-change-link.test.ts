// A member's view timer waits while its link to the others is down (a broker outage): the proposal sent meanwhile is
// held behind the outage, and a timer that ran out during it would change view as soon as the link is back, throwing
// that proposal away (docs/protocol.md §10 step 5).
import { describe, expect, test } from '@jest/globals';
import { effectsOf } from '../src/index.ts';
import { Cluster, PARAMS, type Sent } from './helpers/cluster.ts';

function link(c: Cluster, up: boolean): void {
  for (let i = 0; i < c.nodes.length; i++) c.record(i, effectsOf(c.nodes[i]!.step({ type: 'link', now: c.now, up })));
}

function timeoutsSent(c: Cluster): number {
  return c.effects.filter((x) => x.effect.type === 'persist' && x.effect.record.kind === 'timeout').length;
}

describe('the view timer and the link to the others', () => {
  test('a proposal held behind a broker outage longer than the view timeout commits in its own view once the link is back', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    // The broker goes down as height 0's proposal goes out: every frame from then on waits for it.
    const held: Sent[] = [];
    let down = false;
    c.filter = (m, to) => {
      if (to !== undefined) return true;
      if (!down && m.topic === 'proposal') {
        down = true;
        link(c, false);
      }
      if (down) held.push(m);
      return !down;
    };
    while (!down) c.runUntil(c.now + 20);
    c.runUntil(c.now + 3 * PARAMS.timeoutMs);
    // Down for three view timeouts: no member gave view 0 up meanwhile.
    expect(timeoutsSent(c)).toBe(0);
    down = false;
    c.filter = () => true;
    link(c, true);
    c.queue.unshift(...held);
    c.runUntil(c.now + PARAMS.timeoutMs / 2);
    for (let i = 0; i < 4; i++) expect(c.of('committed', i)[0]?.view).toBe(0);
  });

  test('with the link back the timer runs again: a silent proposer is still replaced', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    // Member 0, height 0's view-0 proposer, is silent; the others lose their broker for a while and get it back.
    c.offline.add(0);
    link(c, false);
    c.runUntil(c.now + 3 * PARAMS.timeoutMs);
    expect(timeoutsSent(c)).toBe(0);
    link(c, true);
    c.runUntil(c.now + 10 * PARAMS.timeoutMs);
    for (const i of [1, 2, 3]) expect(c.of('committed', i)[0]?.view).toBe(1);
  });
});

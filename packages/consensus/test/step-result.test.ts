// One step returns one record (StepResult, effects.ts): the records to persist, the frames to publish each naming
// the record it rests on, the outcomes, the committed blocks and the messages dropped with their reason.
import { describe, expect, test } from '@jest/globals';
import { effectsOf } from '../src/index.ts';
import { Cluster, GENESIS } from './helpers/cluster.ts';

describe('the record of a step', () => {
  test('an own reading: its submission persisted, and the frame that carries it names that record', () => {
    const c = new Cluster({ n: 4 });
    const node = c.makeNode(c.signers[1]!);
    const r = node.step({ type: 'reading', now: GENESIS + 100, reading: c.reading(1, GENESIS + 100) });
    expect(r.persist.map((p) => p.kind)).toEqual(['submission']);
    expect(r.publish.map((p) => [p.topic, p.after])).toEqual([['submission', 0]]);
    expect(r.publish[0]!.bytes).toEqual(r.persist[0]!.bytes);
    expect(r.order.map((e) => [e.list, e.machine])).toEqual([
      ['persist', 'rounds'],
      ['publish', 'rounds'],
    ]);
    expect(r.dropped).toEqual([]);
  });

  test('each frame names its own record: the submission its submission, the vote its vote', () => {
    const c = new Cluster({ n: 4 });
    c.runUntil(GENESIS + 100);
    for (let i = 0; i < 3; i++) c.submit(i, c.reading(i, c.now));
    c.deliverAll();
    // The fourth submission is member 3's own: with every member's in, it votes at once, in the same step.
    const r = c.nodes[3]!.step({ type: 'reading', now: c.now, reading: c.reading(3, c.now) });
    expect(r.persist.map((p) => p.kind)).toEqual(['submission', 'vote']);
    expect(r.publish.map((p) => [p.topic, p.after])).toEqual([
      ['submission', 0],
      ['vote', 1],
    ]);
  });

  test('a message dropped is named with its reason and topic, and leaves nothing else in the record', () => {
    const c = new Cluster({ n: 4 });
    const node = c.makeNode(c.signers[0]!);
    const r = node.step({ type: 'message', now: GENESIS + 100, topic: 'vote', bytes: new Uint8Array([1, 2, 3]) });
    expect(r.dropped).toEqual([{ reason: 'malformed', topic: 'vote' }]);
    expect(effectsOf(r)).toEqual([]);
    expect(node.stats.drops['malformed']).toBe(1);
  });

  test('the flat effects of a record are its items in the order the machines produced them', () => {
    const c = new Cluster({ n: 4 });
    const node = c.makeNode(c.signers[2]!);
    const r = node.step({ type: 'reading', now: GENESIS + 100, reading: c.reading(2, GENESIS + 100) });
    expect(effectsOf(r).map((e) => e.type)).toEqual(['persist', 'publish']);
  });
});

// One step returns one record (StepResult, effects.ts): the records to persist, the frames to publish each naming
// the record it rests on, the outcomes, the committed blocks and the messages dropped with their reason.
import { describe, expect, test } from '@jest/globals';
import { encode } from '@meterchain/core';
import { Phase, signBlockVote, timeoutBody } from '../src/block.ts';
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

describe('block agreement names what it drops', () => {
  test('a block vote or a timeout of another cluster is dropped as foreign, one from no full member as not-a-voter', () => {
    const c = new Cluster({ n: 4 });
    const other = new Cluster({ n: 4, name: 'other' });
    const node = c.makeNode(c.signers[0]!);
    const elsewhere = { ...c.manifest, cluster: 'feeder-8' };
    const foreign = signBlockVote(elsewhere, 0, 0, Phase.PREPARE, new Uint8Array(32), c.address(1), c.signers[1]!);
    expect(node.step({ type: 'message', now: GENESIS + 100, topic: 'block-vote', bytes: foreign.bytes }).dropped).toEqual([{ reason: 'foreign', topic: 'block-vote' }]);
    // This cluster's, but naming a voter it does not hold.
    const stranger = signBlockVote(c.manifest, 0, 0, Phase.PREPARE, new Uint8Array(32), other.address(1), other.signers[1]!);
    expect(node.step({ type: 'message', now: GENESIS + 100, topic: 'block-vote', bytes: stranger.bytes }).dropped).toEqual([{ reason: 'not-a-voter', topic: 'block-vote' }]);
    const timeout = encode({ body: timeoutBody(elsewhere, 0, 0, c.address(1), null, null), sig: new Uint8Array(64), cert: null });
    expect(node.step({ type: 'message', now: GENESIS + 100, topic: 'timeout', bytes: timeout }).dropped).toEqual([{ reason: 'foreign', topic: 'timeout' }]);
    expect(node.stats.drops).toEqual({ foreign: 2, 'not-a-voter': 1 });
  });
});

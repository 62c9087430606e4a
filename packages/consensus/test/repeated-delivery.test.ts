// The transport delivers a payload again when it is not a byte-for-byte repeat among the last ones of its stream
// (docs/transport.md section 4): a forger can replay any signed message under a fresh header. The protocol takes
// messages on their signed content, so a message delivered twice, or replayed rounds later, changes nothing.
import { describe, expect, test } from '@jest/globals';
import { toHex } from '@meterchain/core';
import type { Effect } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, type Sent } from './helpers/cluster.ts';

/** Every message is delivered twice, and every one published so far can be replayed on demand. */
class Repeating extends Cluster {
  readonly published: Sent[] = [];
  override record(member: number, effects: Effect[]): Effect[] {
    const before = this.queue.length;
    const out = super.record(member, effects);
    const added = this.queue.slice(before);
    for (const m of added) {
      this.queue.push({ ...m });
      this.published.push({ ...m });
    }
    return out;
  }
  replayAll(): void {
    for (const m of this.published.slice()) this.queue.push({ ...m });
    this.deliverAll();
  }
}

function outcome(c: Cluster) {
  return c.nodes.map((_, i) => ({
    accepted: c.of('accepted', i).map((e) => `${e.round}:${toHex(e.member)}`).sort(),
    refused: c.of('rejected', i).length + c.of('not-enough-votes', i).length,
    evidence: c.of('evidence', i).length,
    committed: c.of('committed', i).map((e) => `${e.height}:${toHex(e.hash)}`),
  }));
}

describe('messages delivered more than once', () => {
  test('change no outcome: the same readings accepted, the same blocks committed, no evidence', () => {
    const once = new Cluster({ n: 4 });
    const twice = new Repeating({ n: 4 });
    for (const c of [once, twice]) {
      for (let r = 0; r < 6; r++) c.round(r);
      c.runUntil(GENESIS + 8 * PARAMS.roundMs);
    }
    // Every signed message of the run, replayed once more after it.
    twice.replayAll();
    twice.runUntil(GENESIS + 9 * PARAMS.roundMs);
    once.runUntil(GENESIS + 9 * PARAMS.roundMs);
    const a = outcome(once);
    const b = outcome(twice);
    expect(a[0]!.committed.length).toBeGreaterThanOrEqual(2);
    expect(a[0]!.accepted.length).toBe(6 * 4);
    expect(b).toEqual(a);
  });
});

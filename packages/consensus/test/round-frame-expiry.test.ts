// A node's own submission and vote of round r are useless once every honest member has closed r (docs/protocol.md §3:
// close = vote + timeoutMs, on clocks within skewMs of each other): their publish effects say so (expiresAt), and the
// runtime has the transport drop them unsent if they are still queued then. Frames of block agreement, catch-up and
// evidence must arrive whenever they can: they carry no expiry.
import { describe, expect, test } from '@jest/globals';
import { nodeSha256 } from '@meterchain/testkit';
import { decodeVoteMessage, openSubmission, type Effect } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS } from './helpers/cluster.ts';

/** Round r's close by the publisher's clock, plus skewMs: every honest member has closed r by then. */
const EXPIRY = (r: number): number => GENESIS + (r + 1) * PARAMS.roundMs + PARAMS.skewMs + PARAMS.timeoutMs + PARAMS.skewMs;

type PublishEffect = Extract<Effect, { type: 'publish' }>;

function roundOf(c: Cluster, p: PublishEffect): number {
  if (p.topic === 'vote') {
    const d = decodeVoteMessage(p.bytes);
    if (!d.ok) throw new Error(d.reason);
    return d.message.vote.round;
  }
  const o = openSubmission(c.manifest, p.bytes, nodeSha256);
  if (!o.ok) throw new Error(o.detail);
  return o.submission.round;
}

describe('round frames expire', () => {
  test("each node's own submissions and votes expire skewMs after their round's close; nothing else expires", () => {
    const c = new Cluster({ n: 4 });
    for (let r = 0; r < 4; r++) c.round(r);
    c.runUntil(GENESIS + 8 * PARAMS.roundMs);
    const publishes = c.effects.map((x) => x.effect).filter((e): e is PublishEffect => e.type === 'publish');
    const round = publishes.filter((p) => p.topic === 'submission' || p.topic === 'vote');
    const others = publishes.filter((p) => p.topic !== 'submission' && p.topic !== 'vote');
    expect(round.length).toBeGreaterThanOrEqual(2 * 4 * 4);
    for (const p of round) expect(p.expiresAt).toBe(EXPIRY(roundOf(c, p)));
    expect(others.map((p) => p.topic)).toEqual(expect.arrayContaining(['proposal', 'block-vote']));
    for (const p of others) expect(p.expiresAt).toBeUndefined();
  });
});

// Readings the cluster accepted (every honest node emitted `accepted` for them) that no committed block holds, in the
// smallest setting. These tests state what should hold and FAIL on the current node: reproductions of the campaign's
// acceptedMissing (docs/reliability.md), kept out of the default run by their file name until the node is fixed;
// then the file becomes accepted-lost.test.ts. (The two other ways found, an equivocator excluded after its vote
// decided a round and block agreement behind by more than the round window, are fixed: their tests are
// exclusion-after-decision.test.ts and round-window.test.ts.) Run them with
//   npm test -- --testMatch '**/accepted-lost.repro.ts' -- packages/consensus
import { describe, expect, test } from '@jest/globals';
import { nodeSha256 } from '@meterchain/testkit';
import { decodeBody, decodeStoredBlock, openSubmission, type PersistRecord } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS } from './helpers/cluster.ts';

const BLOCK_TOPICS = new Set(['proposal', 'block-vote', 'timeout', 'block', 'sync']);

/** `member@round` of every submission in a committed block. */
function contents(c: Cluster, block: Uint8Array): string[] {
  const s = decodeStoredBlock(block);
  if (!s.ok) throw new Error(s.reason);
  const b = decodeBody(s.block.body);
  if (!b.ok) throw new Error(b.reason);
  return b.body.submissions.map((bytes) => {
    const o = openSubmission(c.manifest, bytes, nodeSha256);
    if (!o.ok) throw new Error(o.detail);
    return `${o.submission.index}@${o.submission.round}`;
  });
}

/** `member@round` of what member i saw accepted in rounds below `below`. */
function accepted(c: Cluster, i: number, below: number): string[] {
  return c.of('accepted', i).filter((e) => e.round < below).map((e) => `${c.indexOf(e.member)}@${e.round}`).sort();
}

/** What the runtime restores after a restart: the last record of each kind. */
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

describe('accepted readings and the block that covers their round', () => {
  test('every node restarted after rounds 0-1 were accepted, before block 0: block 0 holds their readings', () => {
    const c = new Cluster({ n: 4 });
    let stalled = true;
    c.filter = (m) => !(stalled && BLOCK_TOPICS.has(m.topic));
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + 700);
    const seen = accepted(c, 1, 2);
    expect(seen).toHaveLength(8);
    for (let i = 0; i < 4; i++) c.nodes[i] = c.makeNode(c.signers[i]!, { restore: { records: lastRecords(c, i) } });
    stalled = false;
    c.runUntil(GENESIS + 12 * PARAMS.roundMs);
    const [first] = c.of('committed', 1);
    expect(first).toBeDefined();
    expect(contents(c, first!.block).sort()).toEqual(seen); // today: [] (round votes live in memory only)
  });

});

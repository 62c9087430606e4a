// The evidence pool on its own: what it keeps for a block, the per-member share, and what a committed block takes out.
import { describe, expect, test } from '@jest/globals';
import { signReading } from '@meterchain/core';
import { nodeSha256 } from '@meterchain/testkit';
import { EvidencePool } from '../src/evidence-pool.ts';
import { makeEvidence, openEvidence, type EvidenceClaim } from '../src/evidence.ts';
import { Cluster, GENESIS, PARAMS } from './helpers/cluster.ts';

describe('evidence pool', () => {
  const c = new Cluster({ n: 4, name: 'pool' });
  /** Evidence that member 1 signed two different readings for round r. */
  function twoReadings(r: number): { claim: EvidenceClaim; bytes: Uint8Array } {
    const ts = GENESIS + r * PARAMS.roundMs + 100;
    const a = c.reading(1, ts);
    const b = { ...a, quality: 1 };
    const bytes = makeEvidence('submission', signReading(a, c.signers[1]!), signReading(b, c.signers[1]!));
    const o = openEvidence(c.manifest, bytes, nodeSha256);
    if (!o.ok) throw new Error(o.reason);
    return { claim: o.claim, bytes };
  }

  test('keeps evidence for a block up to the per-member share, and a committed block takes it out', () => {
    const pool = new EvidencePool(c.manifest);
    expect(pool.limits.perMember).toBe(4);
    const items = [0, 1, 2, 3, 4].map(twoReadings);
    expect(items.map((e) => pool.add(e.claim, e.bytes))).toEqual([true, true, true, true, false]);
    expect(items.every((e) => pool.has(e.claim.key))).toBe(true);
    expect(pool.pendingCount).toBe(4);
    // Block 0 covers rounds 0..1 (blockRounds 2): the evidence of rounds 0 and 1 fits (a round from the window before
    // the block's first round up to its last); that of rounds 2 and 3 waits for a later block.
    const forBlock = pool.forBlock(nodeSha256, 0, 0, 1);
    expect(forBlock.claims.map((x) => x.slot).sort()).toEqual([0, 1]);
    pool.committedAt(0, forBlock.claims.map((x) => x.key), 2);
    expect(pool.pendingCount).toBe(2);
    // Committed evidence is still known (not pending again when it comes back), and added again it is not kept.
    expect(pool.has(items[0]!.claim.key)).toBe(true);
    expect(pool.add(items[0]!.claim, items[0]!.bytes)).toBe(false);
    expect(pool.pendingCount).toBe(2);
  });
});

// The wide-area chain: four substations run the consensus engine with the anchor judge; cluster gates submit the
// regional chains' blocks as batches of anchors. Every regional block ends anchored, the chain verifies with the
// wide-area manifest alone, a batch with a forged anchor is refused by every substation, and a region's split view
// (its quorum co-signing two blocks at one height) ends in the chain as evidence.
import { describe, expect, test } from '@jest/globals';
import type { Manifest } from '@meterchain/core';
import { BATCH_VERSION, decodeBlockCertificate, encodeBlockCertificate, merkleRoot, type Batch } from '@meterchain/consensus';
import { anchorOfStoredBlock, checkViewEvidence, decodeAnchor, encodeAnchor } from '../src/index.ts';
import { runWideArea } from '../src/testing/index.ts';
import { hash, region, verifier } from './support.ts';

const north = region({ blocks: 4, seed: 1, cluster: 'north' });
const south = region({ blocks: 3, seed: 2, cluster: 'south', members: 5, rule: 'majority' });
// The same north (same manifest, same keys) with other submissions rejected: another block at every height.
const northFork = region({ blocks: 2, seed: 1, cluster: 'north', rejectEvery: 3 });

const own = (manifest: Manifest, round: number, items: Uint8Array[], first: number): Batch => ({
  v: BATCH_VERSION,
  cluster: 'grid-wide',
  meter: manifest.members[3]!.address,
  round,
  count: items.length,
  first,
  last: first + items.length - 1,
  root: merkleRoot(hash, items),
  items,
});
const forged = (() => {
  const a = anchorOfStoredBlock('south', south.chain.blocks[2]!);
  if (!a.ok) throw new Error(a.reason);
  const c = decodeBlockCertificate(a.anchor.commit);
  if (!c.ok) throw new Error(c.reason);
  const sig = c.cert.votes[0]!.sig.slice();
  sig[3]! ^= 4;
  c.cert.votes[0]!.sig = sig;
  return encodeAnchor({ ...a.anchor, commit: encodeBlockCertificate(c.cert) });
})();
const fork = (() => {
  const a = anchorOfStoredBlock('north', northFork.chain.blocks[1]!);
  if (!a.ok) throw new Error(a.reason);
  return encodeAnchor(a.anchor);
})();

function run() {
  // Gates: substation 0 carries north, 1 south, 2 both (two gates for a region: duplicates are harmless); substation
  // 3 is the test's hand: a forged anchor in round 1, north's other block at height 1 in round 3.
  const r = runWideArea({
    regions: [north.chain, south.chain],
    verifier,
    gates: [[0], [1], [0, 1], []],
    rounds: 8,
    extra: (round, member, manifest) => {
      if (member !== 3) return undefined;
      if (round === 1) return own(manifest, round, [forged], 0);
      if (round === 3) return own(manifest, round, [fork], 1);
      return undefined;
    },
  });
  return { ...r, subs: r.ledgers.map((ledger, i) => ({ ledger, gate: r.gates[i]!, anchored: r.anchored[i]! })) };
}

const ran = run();

describe('the wide-area chain', () => {
  test('every block of both regions ends anchored, once, in height order, on every substation alike', () => {
    expect(ran.refusedOwn).toBe(0);
    for (const s of ran.subs) {
      const north = s.anchored.filter((a) => a.region === 'north').map((a) => a.height);
      const south = s.anchored.filter((a) => a.region === 'south').map((a) => a.height);
      expect(north).toEqual([0, 1, 2, 3]);
      expect(south).toEqual([0, 1, 2]);
      expect(s.anchored).toEqual(ran.subs[0]!.anchored);
      expect(s.ledger.registry.regions()).toEqual(['north', 'south']);
      expect(s.gate.waiting()).toBe(0);
    }
    // The aggregates anchored are the regional headers' totals.
    const a = ran.subs[0]!.anchored.find((x) => x.region === 'south' && x.height === 1)!;
    expect(a.aggregates.readings).toBe(south.chain.readings / 3);
  });

  test('a batch with a forged anchor is refused by the substations and never reaches the chain', () => {
    expect(ran.rejected).toEqual([{ round: 1, member: 3 }]);
    expect(ran.chained).not.toContainEqual({ round: 1, member: 3 });
    // Its other batch, north's second block at height 1, is in the chain.
    expect(ran.chained).toContainEqual({ round: 3, member: 3 });
  });

  test('north’s second block at height 1 is anchored too (it verifies), and kept as a split view that checks', () => {
    const s = ran.subs[0]!;
    const evidence = s.ledger.witness.evidenceOf('north');
    expect(evidence.length).toBe(1);
    const checked = checkViewEvidence(s.ledger.registry, evidence[0]!);
    if (!checked.ok) throw new Error(checked.reason);
    expect(checked.evidence).toMatchObject({ kind: 'split', region: 'north', height: 1 });
    // The block anchored at height 1 is the first committed, north's own; the other is evidence's b.
    const kept = decodeAnchor(checked.evidence.a);
    const other = decodeAnchor(checked.evidence.b);
    const own = anchorOfStoredBlock('north', north.chain.blocks[1]!);
    const forked = anchorOfStoredBlock('north', northFork.chain.blocks[1]!);
    if (!kept.ok || !other.ok || !own.ok || !forked.ok) throw new Error('anchors do not decode');
    expect(kept.anchor.header).toEqual(own.anchor.header);
    expect(other.anchor.header).toEqual(forked.anchor.header);
    expect(s.anchored.find((a) => a.region === 'north' && a.height === 1)!.round).toBeLessThan(3);
  });
});

// The cluster gate and the anchor judge on their own: batches within the envelope's limits, regions in turn,
// manifests first, nothing dropped until the wide-area chain shows it; a batch whose items do not hash to its root,
// or that carries something else than anchors and manifests, is judged 'anchor'.
import { describe, expect, test } from '@jest/globals';
import { MAX_BATCH_ITEMS, Reason, merkleRoot, openSubmission, signBatch, type Batch } from '@meterchain/consensus';
import { addressFromPublicKey, createManifest, verifyManifest } from '@meterchain/core';
import { signerFrom } from '@meterchain/crypto/sim';
import { ClusterGate, RegionRegistry, anchorJudge, judgeItem } from '../src/index.ts';
import { anchorBytes, hash, region, verifier } from './support.ts';

const north = region({ blocks: 40, seed: 1, cluster: 'north', blockRounds: 2 });
const south = region({ blocks: 3, seed: 2, cluster: 'south' });
const trusted = [
  { region: 'north', operator: north.manifest.operator },
  { region: 'south', operator: south.manifest.operator },
];
const member = new Uint8Array(20).fill(1);

describe('ClusterGate', () => {
  test('batches hold at most 32 items, manifests first, then regions in turn, oldest block first', () => {
    const g = new ClusterGate({ cluster: 'w', member, hash });
    g.offerManifest('north', 0, north.chain.manifest);
    north.chain.blocks.forEach((b, h) => g.offerBlock('north', h, b));
    south.chain.blocks.forEach((b, h) => g.offerBlock('south', h, b));
    g.offerBlock('north', 3, north.chain.blocks[3]!); // offered twice: kept once
    expect(g.waiting()).toBe(1 + 40 + 3);
    const b = g.nextBatch(7)!;
    expect(b.count).toBe(MAX_BATCH_ITEMS);
    expect([b.first, b.last, b.round]).toEqual([0, 31, 7]);
    expect(b.items![0]).toEqual(north.chain.manifest);
    expect(b.items![1]).toEqual(anchorBytes(north, 0));
    expect(b.items![2]).toEqual(anchorBytes(south, 0));
    expect(b.root).toEqual(merkleRoot(hash, b.items!));
    // Nothing settled: the next batch offers the same items again, with new sequence numbers.
    const again = g.nextBatch(8)!;
    expect(again.items).toEqual(b.items);
    expect(again.first).toBe(32);
  });

  test('a batch stays within the size limit, and the backlog per region is bounded', () => {
    const g = new ClusterGate({ cluster: 'w', member, hash, maxBytes: 3000, maxPending: 10 });
    north.chain.blocks.forEach((b, h) => g.offerBlock('north', h, b));
    expect(g.dropped).toBe(30);
    expect(g.backlog()).toEqual([{ region: 'north', from: 30, blocks: 10 }]);
    const b = g.nextBatch(0)!;
    let size = 0;
    for (const i of b.items!) size += i.length;
    expect(size).toBeLessThanOrEqual(3000);
    expect(b.count).toBeGreaterThan(0);
  });

  test('nothing waiting, no batch', () => {
    expect(new ClusterGate({ cluster: 'w', member, hash }).nextBatch(0)).toBeUndefined();
  });
});

describe('anchorJudge', () => {
  const pmu = signerFrom('judge:substation');
  const bytes = createManifest({ cluster: 'w', rule: 'majority', members: [{ publicKey: pmu.publicKey }], genesisMs: 0 }, signerFrom('judge:operator'));
  const v = verifyManifest(bytes, verifier, { hash });
  if (!v.ok) throw new Error(v.reason);
  const wide = v.manifest;
  const judge = (batch: Batch) => {
    const o = openSubmission(wide, signBatch(batch, pmu, (k) => addressFromPublicKey(k)), hash);
    if (!o.ok) throw new Error(o.detail);
    return anchorJudge(new RegionRegistry(trusted, hash, verifier), hash)(o.submission, { lastSeq: -1 });
  };
  const batch = (items: Uint8Array[], root = merkleRoot(hash, items)): Batch => ({ v: 1, cluster: 'w', meter: wide.members[0]!.address, round: 0, count: items.length, first: 0, last: items.length - 1, root, items });

  test('a manifest then anchors of its region pass', () => {
    expect(judge(batch([north.chain.manifest, anchorBytes(north, 0), anchorBytes(north, 1)]))).toBe(Reason.OK);
  });

  test('an anchor whose region is not registered, a root that does not match, or a foreign item: anchor', () => {
    expect(judge(batch([anchorBytes(north, 0)]))).toBe(Reason.ANCHOR);
    expect(judge(batch([north.chain.manifest, anchorBytes(north, 0)], new Uint8Array(32)))).toBe(Reason.ANCHOR);
    expect(judge(batch([north.chain.manifest, new Uint8Array([0xa0])]))).toBe(Reason.ANCHOR);
    expect(judge({ v: 1, cluster: 'w', meter: wide.members[0]!.address, round: 0, count: 1, first: 0, last: 0, root: new Uint8Array(32) })).toBe(Reason.ANCHOR);
  });

  test('judgeItem names what an item is', () => {
    const r = new RegionRegistry(trusted, hash, verifier);
    expect(judgeItem(r, south.chain.manifest)).toEqual({ ok: true, kind: 'manifest' });
    expect(judgeItem(r, anchorBytes(south, 2))).toEqual({ ok: true, kind: 'anchor' });
    expect(judgeItem(r, anchorBytes(north, 2))).toMatchObject({ ok: false, reason: expect.stringMatching(/^anchor: region/) });
  });
});

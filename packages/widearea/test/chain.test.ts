// The wide-area chain: four substations run the consensus engine with the anchor judge; cluster gates submit the
// regional chains' blocks as batches of anchors. Every regional block ends anchored, the chain verifies with the
// wide-area manifest alone, a batch with a forged anchor is refused by every substation, and a region's split view
// (its quorum co-signing two blocks at one height) ends in the chain as evidence.
import { describe, expect, test } from '@jest/globals';
import { createManifest, verifyManifest, type Manifest } from '@meterchain/core';
import {
  BATCH_VERSION,
  ChainChecker,
  ConsensusNode,
  decodeBlockCertificate,
  encodeBlockCertificate,
  merkleRoot,
  roundStart,
  type Batch,
  type Effect,
  type Topic,
} from '@meterchain/consensus';
import { signerFrom } from '@meterchain/crypto/sim';
import { ClusterGate, RegionRegistry, WideAreaLedger, anchorJudge, anchorOfStoredBlock, checkViewEvidence, decodeAnchor, encodeAnchor, type AnchoredBlock } from '../src/index.ts';
import { hash, region, verifier } from './support.ts';

const GENESIS = 1_800_000_000_000;
const north = region({ blocks: 4, seed: 1, cluster: 'north' });
const south = region({ blocks: 3, seed: 2, cluster: 'south', members: 5, rule: 'majority' });
// The same north (same manifest, same keys) with other submissions rejected: another block at every height.
const northFork = region({ blocks: 2, seed: 1, cluster: 'north', rejectEvery: 3 });
const trusted = [
  { region: 'north', operator: north.manifest.operator },
  { region: 'south', operator: south.manifest.operator },
];

interface Substation {
  node: ConsensusNode;
  checker: ChainChecker;
  ledger: WideAreaLedger;
  gate: ClusterGate;
  anchored: AnchoredBlock[];
  refusedOwn: number;
}

function run() {
  const signers = [0, 1, 2, 3].map((i) => signerFrom(`substation:${i}`));
  const bytes = createManifest(
    { cluster: 'grid-wide', rule: 'bft', members: signers.map((s, i) => ({ publicKey: s.publicKey, name: `substation-${i}` })), params: { roundMs: 1000, blockRounds: 2, skewMs: 300, timeoutMs: 400 }, genesisMs: GENESIS },
    signerFrom('substation:operator'),
  );
  const v = verifyManifest(bytes, verifier, { hash });
  if (!v.ok) throw new Error(v.reason);
  const manifest: Manifest = v.manifest;
  const bySigner = manifest.members.map((m) => signers.find((s) => Buffer.from(s.publicKey).equals(Buffer.from(m.publicKey)))!);
  const subs: Substation[] = bySigner.map((signer, i) => ({
    node: new ConsensusNode({
      manifest,
      manifestDigest: v.digest,
      signer,
      verifier,
      hash,
      judges: { submission: [anchorJudge(new RegionRegistry(trusted, hash, verifier), hash)], round: [] },
    }),
    checker: new ChainChecker([{ manifest, digest: v.digest }], hash),
    ledger: new WideAreaLedger(new RegionRegistry(trusted, hash, verifier)),
    gate: new ClusterGate({ cluster: 'grid-wide', member: manifest.members[i]!.address, hash }),
    anchored: [],
    refusedOwn: 0,
  }));
  const queue: { from: number; topic: Topic; bytes: Uint8Array }[] = [];
  const rejected: { round: number; member: number }[] = [];
  const chained: { round: number; member: number }[] = [];
  const take = (i: number, effects: Effect[]) => {
    const s = subs[i]!;
    for (const e of effects) {
      if (e.type === 'publish') queue.push({ from: i, topic: e.topic, bytes: e.bytes });
      if (e.type === 'committed') {
        const c = s.checker.verify(e.block, verifier);
        if (!c.ok) throw new Error(`substation ${i}: committed block does not verify: ${c.reason}`);
        if (i === 0) for (const x of c.block.submissions) chained.push({ round: x.round, member: x.index });
        const step = s.ledger.addBlock(c.block);
        s.anchored.push(...step.anchored);
        s.gate.settle(s.ledger);
      }
      if (e.type === 'rejected' && i === 0) rejected.push({ round: e.round, member: manifest.members.findIndex((m) => Buffer.from(m.address).equals(Buffer.from(e.member))) });
      if (e.type === 'refused') s.refusedOwn++;
    }
  };
  let now = GENESIS;
  const deliver = () => {
    while (queue.length > 0) {
      const m = queue.shift()!;
      for (let j = 0; j < 4; j++) if (j !== m.from) take(j, subs[j]!.node.step({ type: 'message', now, topic: m.topic, bytes: m.bytes }));
    }
  };
  const until = (t: number) => {
    while (now < t) {
      now = Math.min(t, now + 20);
      for (let i = 0; i < 4; i++) take(i, subs[i]!.node.step({ type: 'tick', now }));
      deliver();
    }
  };
  // Gates: substation 0 carries north, 1 south, 2 both (two gates for a region: duplicates are harmless).
  const offer = (g: ClusterGate, r: typeof north) => {
    g.offerManifest(r.manifest.cluster, 0, r.chain.manifest);
    r.chain.blocks.forEach((b, h) => g.offerBlock(r.manifest.cluster, h, b));
  };
  offer(subs[0]!.gate, north);
  offer(subs[1]!.gate, south);
  offer(subs[2]!.gate, north);
  offer(subs[2]!.gate, south);
  // Substation 3 is the test's hand: a forged anchor in round 1, north's other block at height 1 in round 3.
  const own = (round: number, items: Uint8Array[], first: number): Batch => ({ v: BATCH_VERSION, cluster: 'grid-wide', meter: manifest.members[3]!.address, round, count: items.length, first, last: first + items.length - 1, root: merkleRoot(hash, items), items });
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
  for (let r = 0; r < 8; r++) {
    until(roundStart(manifest, r + 1) + 80);
    for (let i = 0; i < 3; i++) {
      const b = subs[i]!.gate.nextBatch(r);
      if (b) take(i, subs[i]!.node.step({ type: 'batch', now, batch: b }));
    }
    if (r === 1) take(3, subs[3]!.node.step({ type: 'batch', now, batch: own(r, [forged], 0) }));
    if (r === 3) take(3, subs[3]!.node.step({ type: 'batch', now, batch: own(r, [fork], 1) }));
    deliver();
  }
  until(roundStart(manifest, 12));
  return { subs, rejected, chained, manifest };
}

const ran = run();

describe('the wide-area chain', () => {
  test('every block of both regions ends anchored, once, in height order, on every substation alike', () => {
    for (const s of ran.subs) {
      const north = s.anchored.filter((a) => a.region === 'north').map((a) => a.height);
      const south = s.anchored.filter((a) => a.region === 'south').map((a) => a.height);
      expect(north).toEqual([0, 1, 2, 3]);
      expect(south).toEqual([0, 1, 2]);
      expect(s.anchored).toEqual(ran.subs[0]!.anchored);
      expect(s.ledger.registry.regions()).toEqual(['north', 'south']);
      expect(s.gate.waiting()).toBe(0);
      expect(s.refusedOwn).toBe(0);
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

// A change of membership is a new epoch: the chain goes on at the next height under the new manifest, with rounds
// counted again from its genesis, and verifies across the change (docs/protocol.md §2).
import { describe, expect, test } from '@jest/globals';
import { createManifest, verifyManifest } from '@meterchain/core';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
import { effectsOf, ConsensusNode, verifyChain, type Effect } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, verifier } from './helpers/cluster.ts';

describe('epochs', () => {
  test('after a new epoch the chain continues at the next height and verifies across the change', () => {
    const c = new Cluster({ n: 4, name: 'epoch' });
    c.round(0);
    c.round(1);
    c.runUntil(GENESIS + 2 * PARAMS.roundMs + PARAMS.skewMs + PARAMS.timeoutMs + 300);
    const first = c.of('committed', 0);
    expect(first.length).toBe(1);

    // Epoch 1: the same members, a later genesis, signed by the operator, naming epoch 0.
    const genesis1 = GENESIS + 60_000;
    const bytes1 = createManifest(
      { cluster: 'feeder-7', epoch: 1, prev: c.digest, rule: 'bft', members: c.signers.map((s) => ({ publicKey: s.publicKey })), params: PARAMS, genesisMs: genesis1 },
      signerFrom('epoch:operator'),
    );
    const m1 = verifyManifest(bytes1, verifier, { hash: nodeSha256, previous: { manifest: c.manifest, digest: c.digest } });
    if (!m1.ok) throw new Error(m1.reason);
    const nodes = c.signers.map(
      (s) => new ConsensusNode({ manifest: m1.manifest, manifestDigest: m1.digest, signer: s, verifier, hash: nodeSha256, epochStartHeight: 1, restore: { tip: first[0]!.block, records: [] } }),
    );
    const committed: Uint8Array[] = [];
    const queue: { from: number; topic: import('../src/index.ts').Topic; bytes: Uint8Array }[] = [];
    const handle = (from: number, effects: Effect[]) => {
      for (const e of effects) {
        if (e.type === 'publish') queue.push({ from, topic: e.topic, bytes: e.bytes });
        if (e.type === 'committed' && from === 0) committed.push(e.block);
      }
    };
    let seq = 1000;
    for (let now = genesis1; now < genesis1 + 4000; now += 20) {
      nodes.forEach((node, i) => {
        if (now === genesis1 + 100) {
          handle(i, effectsOf(node.step({ type: 'reading', now, reading: { ...c.reading(i, now), seq: seq++ } })));
        }
        handle(i, effectsOf(node.step({ type: 'tick', now })));
      });
      while (queue.length > 0) {
        const m = queue.shift()!;
        nodes.forEach((node, j) => {
          if (j !== m.from) handle(j, effectsOf(node.step({ type: 'message', now, topic: m.topic, bytes: m.bytes })));
        });
      }
    }
    expect(committed.length).toBeGreaterThanOrEqual(1);
    const chain = [first[0]!.block, committed[0]!];
    const v = verifyChain([{ manifest: c.manifest, digest: c.digest }, { manifest: m1.manifest, digest: m1.digest }], chain, verifier, nodeSha256);
    expect(v).toMatchObject({ ok: true, blocks: 2, height: 1, readings: 12 });
    // Without the second epoch's manifest the chain stops at the change.
    expect(verifyChain([{ manifest: c.manifest, digest: c.digest }], chain, verifier, nodeSha256)).toMatchObject({ ok: false, index: 1, fault: 'epoch' });
  });
});

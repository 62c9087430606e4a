// A cluster under the broker configuration that enforces identity (client id = login, the ACL made from the manifest:
// own address, own cluster, own `-to-<i>` frames): four meter nodes commit blocks, and one that was stopped catches up
// through the frames addressed to it alone (sync requests answered with `block-to-<i>`).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeStoredBlock } from '@meterchain/consensus';
import { addressToText } from '@meterchain/core';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, heightOf, waitFor, type TestCluster, type TestMember } from './support/cluster.ts';

const run = requireMosquitto('the cluster under the enforcing broker configuration') ? describe : describe.skip;

run('a 4-meter cluster under the enforcing broker configuration', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  let ordered: TestMember[];

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4 });
    // The ACL gives the member at manifest index i its `-to-<i>` frames, so it is made in manifest order.
    const byAddress = new Map(cluster.members.map((m) => [m.address, m]));
    ordered = cluster.manifest.members.map((m) => byAddress.get(addressToText(m.address))!);
    broker = await startMosquitto({ cluster: { name: cluster.manifest.cluster, members: ordered.map((m) => ({ username: m.address, password: m.password })) } });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  test('every meter commits the same blocks, and a meter that was away catches up from its own -to- frames', async () => {
    await waitFor('a committed block on every meter', () => cluster.members.every((m) => heightOf(m) >= 0), 30_000);
    const late = ordered[3]!;
    await cluster.stop(late);
    const others = ordered.slice(0, 3);
    const stoppedAt = Math.max(...others.map(heightOf));
    // Three of four still reach the bft threshold (t = 3): the chain goes on without the fourth.
    await waitFor('three more blocks without the fourth meter', () => others.every((m) => heightOf(m) >= stoppedAt + 3), 40_000);
    await cluster.start(late);
    const target = Math.min(...others.map(heightOf));
    await waitFor('the fourth meter caught up', () => heightOf(late) >= target, 40_000);
    await cluster.stopAll();
    const reports = await Promise.all(ordered.map((m) => cluster.verify(m)));
    for (const r of reports) expect(r.ok).toBe(true);
    // One chain: at every height all four hold, the same header and body.
    const headerOf = (b: Uint8Array) => {
      const s = decodeStoredBlock(b);
      if (!s.ok) throw new Error(s.reason);
      return Buffer.concat([s.block.header, s.block.body]).toString('hex');
    };
    const chains = await Promise.all(ordered.map(async (m) => (await cluster.blocks(m)).map(headerOf)));
    const shortest = Math.min(...chains.map((c) => c.length));
    expect(shortest).toBeGreaterThanOrEqual(target + 1);
    for (let h = 0; h < shortest; h++) for (const c of chains) expect(c[h]).toBe(chains[0]![h]);
  }, 120_000);
});

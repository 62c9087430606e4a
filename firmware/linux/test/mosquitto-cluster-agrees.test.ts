// Seven meter nodes, composed as `meterchain node` composes them, agree and commit blocks through a real Mosquitto
// started from the shipped configuration (TCP_NODELAY, password file, ACL by address).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeStoredBlock } from '@meterchain/consensus';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the 7-meter cluster test') ? describe : describe.skip;

run('a 7-meter cluster over Mosquitto', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 7, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4 });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  test('every meter commits the same blocks, each verifying from the manifest alone', async () => {
    await waitFor('two committed blocks on every meter', () => cluster.members.every((m) => heightOf(m) >= 1), 30_000);
    await cluster.stopAll();
    const reports = await Promise.all(cluster.members.map((m) => cluster.verify(m)));
    for (const r of reports) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.blocks).toBeGreaterThanOrEqual(2);
    }
    // One chain: at every height any two meters hold, they hold the same header and body. (Commit certificates may
    // differ: each meter commits on the first t commit votes it sees.)
    const headerOf = (b: Uint8Array) => {
      const s = decodeStoredBlock(b);
      if (!s.ok) throw new Error(s.reason);
      return Buffer.concat([s.block.header, s.block.body]).toString('hex');
    };
    const chains = await Promise.all(cluster.members.map(async (m) => (await cluster.blocks(m)).map(headerOf)));
    const shortest = Math.min(...chains.map((c) => c.length));
    expect(shortest).toBeGreaterThanOrEqual(2);
    for (let h = 0; h < shortest; h++) for (const c of chains) expect(c[h]).toBe(chains[0]![h]);
    const readings = reports.map((r) => (r.ok ? r.readings : 0));
    expect(Math.max(...readings)).toBeGreaterThanOrEqual(7 * 4); // at least one full block of all seven meters
    // Each round's status line says how long the event loop was held up (timers fire that late).
    const delays = cluster.members.flatMap((m) => m.logs.filter((l) => l['msg'] === 'status' && l['round'] !== -1).map((l) => l['loopDelayMs']));
    expect(delays.length).toBeGreaterThan(7 * 4);
    for (const d of delays) expect(typeof d === 'number' && d >= 0 && d < 60_000).toBe(true);
    // ... and how many signatures its node has verified so far (a load run turns this into checks per round).
    for (const m of cluster.members) {
      const verified = m.logs.filter((l) => l['msg'] === 'status').map((l) => l['verified'] as number);
      expect(verified.at(-1)).toBeGreaterThan(verified[0]!);
    }
  }, 60_000);
});

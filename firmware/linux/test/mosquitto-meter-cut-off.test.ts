// One meter is cut off from the broker for a while (its connection dropped and refused, as if its cable were
// pulled): on return it catches up with the chain, and the readings it buffered meanwhile are voted on or reported
// as too late — none lost.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { startTcpProxy, type TcpProxy } from '@meterchain/testkit/proxy';
import { account } from './support/accounting.ts';
import { createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the cut-off meter test') ? describe : describe.skip;

run('a meter cut off from the broker', () => {
  let broker: MosquittoBroker;
  let proxy: TcpProxy;
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 5, brokerUrl: (i) => (i === 0 ? proxy.url : broker.url), roundMs: 500, blockRounds: 4 });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    proxy = await startTcpProxy(broker.host, broker.port);
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await proxy?.close();
    await broker?.close();
  });

  test('catches up on return, and its buffered readings are in the chain or reported, none lost', async () => {
    const [cut, ...others] = cluster.members;
    await waitFor('a first block on every meter', () => cluster.members.every((m) => heightOf(m) >= 0), 30_000);
    proxy.cutOff();
    const cutAt = heightOf(cut!);
    // n = 5 under bft: t = 4, so the other four keep committing without it.
    await waitFor('the others to commit two blocks while one meter is away', () => others.every((m) => heightOf(m) >= cutAt + 2), 45_000);
    expect(heightOf(cut!)).toBeLessThanOrEqual(cutAt + 1);
    proxy.heal();
    const target = Math.max(...others.map(heightOf));
    await waitFor('the returning meter to catch up', () => heightOf(cut!) >= target, 45_000);
    await cluster.stopAll();

    const report = await cluster.verify(cut!);
    expect(report.ok).toBe(true);
    const a = await account(cluster, cut!);
    expect(a.lost).toEqual([]);
    // Its readings from the time it was away did not make it into the chain: each is reported with an outcome.
    expect(a.unaccepted.length).toBeGreaterThan(0);
    for (const u of a.unaccepted) expect(['rejected', 'not-enough-votes', 'too-late', 'not-in-block']).toContain(u.outcome);
    expect(cut!.logs.some((l) => l['msg'] === 'broker disconnected')).toBe(true);
  }, 150_000);
});

// The meters start while their broker is down: they sample, sign and spool their readings from the first rounds
// anyway; once the broker comes up the spooled readings go out, the cluster commits blocks, and no reading is lost.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { account } from './support/accounting.ts';
import { createTestCluster, waitFor, type TestCluster, type TestMember } from './support/cluster.ts';

const run = requireMosquitto('the broker-down-at-start test') ? describe : describe.skip;

run('meters that start while the broker is down', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  const signed = (m: TestMember) => m.logs.filter((l) => l['msg'] === 'reading signed').length;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4 });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await broker.stop();
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  test('sign and spool readings during the outage, and lose none of them once the broker is up', async () => {
    await waitFor('three readings signed by every meter with no broker', () => cluster.members.every((m) => signed(m) >= 3), 15_000);
    for (const m of cluster.members) {
      expect(m.logs.some((l) => l['msg'] === 'broker not reachable at start: sampling and spooling readings, subscribing when it is back')).toBe(true);
      expect(m.running!.node.counts.blocks).toBe(0);
    }
    const duringOutage = new Map(cluster.members.map((m) => [m, m.logs.filter((l) => l['msg'] === 'reading signed').map((l) => l['seq'] as number)]));
    await broker.start();
    // The blocks first committed cover rounds of the outage, as many as block agreement has to catch up on (more under
    // load): wait for each meter's first reading accepted once the broker was up, then for a block on that meter that
    // covers its round.
    const acceptedRound = (m: TestMember) => m.logs.find((l) => l['msg'] === 'own reading accepted')?.['round'] as number | undefined;
    await waitFor('a reading of every meter accepted after the broker came up', () => cluster.members.every((m) => acceptedRound(m) !== undefined), 30_000);
    const covers = (m: TestMember) => m.logs.some((l) => l['msg'] === 'block committed' && (l['last'] as number) >= acceptedRound(m)!);
    await waitFor('a block covering that round on every meter', () => cluster.members.every(covers), 60_000);
    await cluster.stopAll();

    for (const m of cluster.members) {
      expect(m.logs.some((l) => l['msg'] === 'subscribed')).toBe(true);
      const report = await cluster.verify(m);
      expect(report.ok).toBe(true);
      const a = await account(cluster, m);
      expect(a.lost).toEqual([]);
      // Every reading signed during the outage is in the chain or was reported with the outcome the meter saw.
      const reported = new Set(a.unaccepted.map((u) => u.seq));
      const inChain = new Set(a.inChain);
      for (const seq of duringOutage.get(m)!) expect(inChain.has(seq) || reported.has(seq)).toBe(true);
      expect(a.inChain.length).toBeGreaterThan(0);
    }
  }, 90_000);
});

// Mosquitto is killed (SIGKILL) and restarted mid-run: no reading is lost, and the cluster resumes committing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { account } from './support/accounting.ts';
import { createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the broker restart test') ? describe : describe.skip;

run('a broker crash in the middle of a run', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 5, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4 });
    broker = await startMosquitto({ persistence: true, users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  test('loses no reading, and blocks keep committing after the restart', async () => {
    await waitFor('a first block on every meter', () => cluster.members.every((m) => heightOf(m) >= 0), 30_000);
    await broker.kill();
    // 7 s: long enough for reconnect delays growing without a ceiling to pass the view timeout (2 s here).
    await new Promise((r) => setTimeout(r, 7000));
    const before = Math.max(...cluster.members.map(heightOf));
    await broker.start();
    await waitFor('two more blocks on every meter after the restart', () => cluster.members.every((m) => heightOf(m) >= before + 2), 45_000);
    await cluster.stopAll();

    for (const m of cluster.members) {
      const report = await cluster.verify(m);
      expect(report.ok).toBe(true);
      const a = await account(cluster, m);
      expect(a.signed.length).toBeGreaterThan(8);
      expect(a.lost).toEqual([]);
      // What did not make it into the chain was reported with the outcome the meter saw.
      for (const u of a.unaccepted) expect(['rejected', 'not-enough-votes', 'too-late', 'not-in-block']).toContain(u.outcome);
      expect(a.inChain.length).toBeGreaterThan(0);
    }
    expect(cluster.members.some((m) => m.logs.some((l) => l['msg'] === 'broker disconnected'))).toBe(true);
    // Every meter retried its broker at least once per view timeout (2 s), so it was back within one of the restart.
    const delays = cluster.members.flatMap((m) => m.logs.filter((l) => l['msg'] === 'broker reconnecting').map((l) => l['delayMs'] as number));
    expect(delays.length).toBeGreaterThan(cluster.members.length * 4);
    expect(Math.max(...delays)).toBeLessThan(2000);
  }, 120_000);
});

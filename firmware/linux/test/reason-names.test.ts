// A refused reading's reason is logged by name (`physics`), with its code beside it, not as a bare number: an
// operator reads the log without the protocol's code table. Four nodes over Mosquitto, one forging its voltages.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { reasonName } from '@meterchain/consensus';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the reason-names test') ? describe : describe.skip;

run('reasons in the log', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = createTestCluster({
      members: 4,
      brokerUrl: () => broker.url,
      roundMs: 500,
      blockRounds: 4,
      sensor: (i) => (i === 0 ? ['sensor:', '  type: simulated', '  seed: 1', 'fault: forge'] : undefined),
    });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  test('a forger is told its reading was rejected, with the reason by name and its code', async () => {
    const forger = cluster.members[0]!;
    const rejected = () => forger.logs.filter((l) => l['msg'] === 'own reading rejected');
    await waitFor('a rejected reading of the forger', () => rejected().length > 0, 30_000);
    const line = rejected()[0]!;
    expect(typeof line['reason']).toBe('string');
    expect(typeof line['reasonCode']).toBe('number');
    expect(line['reason']).toBe(reasonName(line['reasonCode'] as number));
    expect(line['reason']).not.toMatch(/^reason-\d+$/);
  }, 60_000);
});

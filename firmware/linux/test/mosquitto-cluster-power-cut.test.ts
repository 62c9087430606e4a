// Every meter of the cluster goes down at once after its first rounds were accepted and before any block covers them,
// then every meter starts again on its data directory: the first block holds every reading the meters reported
// accepted before the cut. Each node gets its round records back from its node state (docs/protocol.md §11); before,
// the other members' votes lived in memory only, and the first block after such a cut left those readings out.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { addressToText } from '@meterchain/core';
import { decodeBody, decodeStoredBlock, openSubmission } from '@meterchain/consensus';
import { nodeSha256 } from '@meterchain/ledger';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, heightOf, waitFor, type TestCluster, type TestMember } from './support/cluster.ts';

const run = requireMosquitto('the cluster power cut test') ? describe : describe.skip;

/** `member:round` of each reading a member logged accepted. */
function acceptedBy(m: TestMember): Set<string> {
  return new Set(m.logs.filter((l) => l['msg'] === 'accepted').map((l) => `${String(l['member'])}:${String(l['round'])}`));
}

run('a power cut of the whole cluster before its first block', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;

  beforeAll(async () => {
    // Block 0 covers rounds 0-15 (8 s): the cut comes well before it.
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 16 });
    broker = await startMosquitto({ persistence: true, users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  test('the first block after every meter restarted holds every reading accepted before the cut', async () => {
    await waitFor('readings accepted by every meter', () => cluster.members.every((m) => acceptedBy(m).size >= 8), 20_000);
    await cluster.stopAll();
    expect(cluster.members.every((m) => !m.logs.some((l) => l['msg'] === 'block committed'))).toBe(true);
    const before = new Set<string>();
    for (const m of cluster.members) for (const k of acceptedBy(m)) before.add(k);

    await Promise.all(cluster.members.map((m) => cluster.start(m)));
    for (const m of cluster.members) {
      const started = m.logs.filter((l) => l['msg'] === 'node started');
      expect(started).toHaveLength(2);
      expect((started[1]!['restored'] as { round?: number }).round).toBeGreaterThan(0);
    }
    await waitFor('block 0 on every meter', () => cluster.members.every((m) => heightOf(m) >= 0), 45_000);
    await cluster.stopAll();

    const [first] = await cluster.blocks(cluster.members[0]!);
    const s = decodeStoredBlock(first!);
    if (!s.ok) throw new Error(s.reason);
    const body = decodeBody(s.block.body);
    if (!body.ok) throw new Error(body.reason);
    const inBlock = new Set<string>();
    for (const bytes of body.body.submissions) {
      const o = openSubmission(cluster.manifest, bytes, nodeSha256);
      if (o.ok) inBlock.add(`${addressToText(o.submission.member.address)}:${o.submission.round}`);
    }
    expect([...before].filter((k) => !inBlock.has(k))).toEqual([]);
    for (const m of cluster.members) expect((await cluster.verify(m)).ok).toBe(true);
  }, 120_000);
});

// A meter that publishes under another meter's address is refused by the broker (ACL), and its frame would be
// refused by the peers anyway: the signature inside does not verify under the other meter's key.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ClockStatus, Domain, addressFromText, encodeReading, sealEnvelope, verifySignedReading } from '@meterchain/core';
import { createNodeSigner, nodeVerifier, readKeyFile } from '@meterchain/crypto';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the impersonation test') ? describe : describe.skip;

function connect(url: string, username: string, password: string): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, protocolVersion: 5, reconnectPeriod: 0, clientId: `${username}-${Math.random()}` });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

run('publishing under another meter address', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  const clients: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
  }, 30_000);

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.close();
  });

  test('is refused by the broker: PUBACK "not authorized" and no subscriber receives it, while its own topic works', async () => {
    const [m1, m2, m3] = cluster.members as [typeof cluster.members[0], typeof cluster.members[0], typeof cluster.members[0]];
    const attacker = await connect(broker.url, m1.address, m1.password);
    const watcher = await connect(broker.url, m3.address, m3.password);
    clients.push(attacker, watcher);
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('meterchain/test/#', { qos: 1 });

    const forgedTopic = `meterchain/test/submission/${m2.address}`;
    const ownTopic = `meterchain/test/submission/${m1.address}`;
    // mqtt.js rejects the publish with the PUBACK's reason code: MQTT 5 135 "Not authorized".
    await expect(attacker.publishAsync(forgedTopic, Buffer.from('forged'), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await attacker.publishAsync(ownTopic, Buffer.from("own"), { qos: 1 });

    const until = Date.now() + 5000;
    while (!seen.includes(ownTopic) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toContain(ownTopic);
    expect(seen).not.toContain(forgedTopic);
  }, 20_000);

  test('would be refused by every peer anyway: a reading in another meter\'s name does not verify', () => {
    const [m1, m2] = cluster.members as [typeof cluster.members[0], typeof cluster.members[0]];
    const attackerKey = createNodeSigner(readKeyFile(join(m1.dir, 'meter.key')));
    const body = encodeReading({
      v: 1,
      cluster: 'test',
      meter: addressFromText(m2.address),
      seq: 10,
      ts: cluster.manifest.genesisMs + 10 * cluster.manifest.params.roundMs,
      clock: ClockStatus.SYNCED,
      channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2300 }],
      quality: 0,
    });
    const forged = sealEnvelope(Domain.READING, body, attackerKey);
    expect(verifySignedReading(forged, cluster.manifest, nodeVerifier())).toMatchObject({ ok: false, code: 'bad-signature' });
  });
});

// A forger that can put payloads on a member's topics (a broker without the write rule, here a test login allowed
// to write anywhere) sends 42-byte frames with incarnation 0xFFFFFFFF and with the member's next sequence numbers
// under its address, for every kind, all the time. The member's frames must still reach its peers: its readings
// keep being accepted (before the transport's rule, every peer dropped all its later frames).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { encodeFramed, frameTopic, PROTOCOL_KINDS } from '@meterchain/transport';
import { requireMosquitto, SHIPPED_MOSQUITTO_ACL, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the header forger test') ? describe : describe.skip;
const FORGER = 'forger';

run('a header forger aiming at one member', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  let forger: mqtt.MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4 });
    const acl = (await readFile(SHIPPED_MOSQUITTO_ACL, 'utf8')) + `\nuser ${FORGER}\ntopic write meterchain/#\n`;
    broker = await startMosquitto({ users: [...cluster.members.map((m) => ({ username: m.address, password: m.password })), { username: FORGER, password: 'forger-pw' }], acl });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    if (timer) clearInterval(timer);
    await forger?.endAsync(true);
    await cluster?.stopAll();
    await broker?.close();
  });

  test("does not silence it: the member's readings after the forgery are still accepted", async () => {
    const victim = cluster.members[1]!;
    await waitFor('a first block on every meter', () => cluster.members.every((m) => heightOf(m) >= 0), 30_000);
    forger = await mqtt.connectAsync(broker.url, { username: FORGER, password: 'forger-pw', protocolVersion: 5, reconnectPeriod: 0 });
    let seq = 1;
    const forge = () => {
      // The incarnation no honest spool reaches, and numbers running ahead of the member's own in the low range.
      for (const kind of PROTOCOL_KINDS) {
        forger!.publish(frameTopic(cluster.manifest.cluster, kind, victim.address), Buffer.from(encodeFramed({ incarnation: 0xffffffff, seq: 1 }, new Uint8Array(30))), { qos: 1 });
        forger!.publish(frameTopic(cluster.manifest.cluster, kind, victim.address), Buffer.from(encodeFramed({ incarnation: 1, seq }, new Uint8Array(30))), { qos: 1 });
      }
      seq++;
    };
    const accepted = () => victim.logs.filter((l) => l['msg'] === 'own reading accepted').length;
    forge();
    const before = accepted();
    timer = setInterval(forge, 200);
    // A reading or two may be voted on before the first forged frames land; four more cannot be.
    await waitFor("four more of the victim's readings accepted while the forgery goes on", () => accepted() >= before + 4, 30_000);
    clearInterval(timer);
    timer = undefined;
    expect(accepted()).toBeGreaterThanOrEqual(before + 4);
  }, 60_000);
});

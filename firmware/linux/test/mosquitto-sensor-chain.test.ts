// A sensor node over MQTT, end to end: four meter nodes composed as `meterchain node` composes them (node.yaml with
// `sensors: [{mqtt: true}]` on one of them) under the enforcing broker configuration made with the sensor; a board
// (the firmware's composition, with its own MQTT 3.1.1 publisher) publishes its frames under the sensor's own login,
// and its readings are voted on and appear in the chain under the sensor's address.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { roundOf } from '@meterchain/consensus';
import { addressToText, crc32, fromHex, sha256 as portableSha256 } from '@meterchain/core';
import { readingsOf } from '@meterchain/ledger';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createMqttPublisher, type MqttPublisher } from '../../espruino/src/mqtt.ts';
import { createSensorNode, framePayload, transportHeader } from '../../espruino/src/node.ts';
import { nodeMqttHost } from '../../espruino/test/node-mqtt-host.ts';
import { createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('a sensor node over MQTT into the chain') ? describe : describe.skip;

run('a sensor node publishing over MQTT, its full node submitting, the cluster chaining', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  let board: MqttPublisher | undefined;
  let timer: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4, sensors: [{ name: 's01', node: 0 }] });
    const logins = new Map([...cluster.members.map((m) => [m.address, m.password] as const), ...cluster.sensors.map((x) => [x.address, x.password] as const)]);
    // In manifest order: the ACL gives the member at index i its `-to-<i>` frames.
    const ordered = cluster.manifest.members.map((m) => addressToText(m.address));
    const sensor = cluster.sensors[0]!;
    broker = await startMosquitto({
      cluster: { name: cluster.manifest.cluster, members: ordered.map((a) => ({ username: a, password: logins.get(a)! })), sensors: [{ address: sensor.address, node: cluster.members[0]!.address }] },
    });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    if (timer) clearInterval(timer);
    board?.close();
    await cluster?.stopAll();
    await broker?.close();
  });

  test("the board's readings, published under its login, are in every meter's verified chain under its address", async () => {
    const sensor = cluster.sensors[0]!;
    const publisher = createMqttPublisher(nodeMqttHost(broker.host, broker.port), { username: sensor.address, password: sensor.password, keepAliveS: 60, backoffMs: 200, maxBackoffMs: 2000 });
    board = publisher;
    await waitFor('the board connected', () => publisher.connected(), 10_000);
    let mark = 0;
    const topic = `meterchain/${cluster.manifest.cluster}/sensor/${sensor.address}`;
    const node = createSensorNode(
      {
        hash: portableSha256,
        crc32: (b) => crc32(b),
        key: sensor.linkKey,
        now: () => Date.now(),
        // As the firmware sends over MQTT: the transport header, then the frame's payload.
        send: (f, seq) => void publisher.publish(topic, [transportHeader(1, seq), framePayload(f)]),
        reserveSequence: (n) => {
          mark += n;
          return mark - n;
        },
      },
      { cluster: cluster.manifest.cluster, meter: fromHex(sensor.address.slice(2)) },
    );
    let published = 0;
    // One reading a round, as the firmware sends them; bounded: at most 60.
    timer = setInterval(() => {
      if (published >= 60) return;
      node.publish([{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 + published }], 0);
      published++;
    }, 500);
    const link = cluster.members[0]!.running!.sensors[0]!.gateway;
    await waitFor('three sensor readings submitted', () => link.counts.submitted >= 3, 30_000);
    const base = Math.max(...cluster.members.map(heightOf));
    await waitFor('two more blocks on every meter', () => cluster.members.every((m) => heightOf(m) >= base + 2), 40_000);
    clearInterval(timer);
    timer = undefined;
    await cluster.stopAll();
    let chained = 0;
    for (const m of cluster.members) {
      const report = await cluster.verify(m);
      expect(report.ok).toBe(true);
      const rows = (await cluster.blocks(m)).flatMap((b) => {
        const r = readingsOf(b, (x) => roundOf(cluster.manifest, x.ts));
        if ('reason' in r) throw new Error(r.reason);
        return r;
      });
      const mine = rows.filter((row) => addressToText(row.reading.meter) === sensor.address);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      chained = Math.max(chained, mine.length);
      for (const row of mine) expect(row.reading.channels[0]!.value).toBeGreaterThanOrEqual(2301);
    }
    // Nothing refused but what the one-a-round rule and the board's own pace explain.
    expect(link.counts['bad-tag'] + link.counts.replay + link.counts['wrong-meter']).toBe(0);
    expect(link.counts.submitted).toBeGreaterThanOrEqual(3);
    expect(publisher.counts.dropped).toBe(0);
    expect(publisher.counts.acked).toBeGreaterThanOrEqual(3);
  }, 120_000);
});

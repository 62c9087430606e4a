// Accepted readings out to the integrator: a node of a 4-meter cluster publishes each of its accepted readings as a
// JSON message on the cluster's broker (the field configuration, which holds each login to its identity, with the
// output's own login granted the values topic) and as Eclipse Sparkplug B on a SCADA broker; real Mosquitto
// subscribers receive them, and the Sparkplug payloads are decoded with the Sparkplug library.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { startTcpProxy, type TcpProxy } from '@meterchain/testkit/proxy';
import { createLogger } from '../src/log.ts';
import { Metrics } from '../src/metrics.ts';
import { decodeSparkplugPayload, SparkplugOutput, type AcceptedReading } from '../src/outputs.ts';
import { createTestCluster, waitFor, type TestCluster } from './support/cluster.ts';

const run = requireMosquitto('the outputs tests') ? describe : describe.skip;

interface Received {
  topic: string;
  payload: Buffer;
}

async function subscriber(url: string, topic: string, login: { username: string; password: string }): Promise<{ client: MqttClient; messages: Received[] }> {
  const messages: Received[] = [];
  const client = await mqtt.connectAsync(url, { ...login, clientId: `sub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200 });
  client.on('message', (t, payload) => messages.push({ topic: t, payload }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

/** Sparkplug's 64-bit fields decode as Long objects. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

function decoded(m: Received) {
  const p = decodeSparkplugPayload(m.payload);
  const kind = m.topic.split('/')[2]!;
  const metrics = new Map((p.metrics ?? []).map((x) => [x.name!, x]));
  return { kind, topic: m.topic, seq: p.seq === undefined || p.seq === null ? undefined : num(p.seq), timestamp: num(p.timestamp), metrics };
}

run('readings out: JSON and Sparkplug B from a running cluster', () => {
  let broker: MosquittoBroker;
  let scada: MosquittoBroker;
  let cluster: TestCluster;
  let json: Awaited<ReturnType<typeof subscriber>>;
  let spb: Awaited<ReturnType<typeof subscriber>>;
  const observer = { username: 'control-centre', password: 'cc-secret' };

  beforeAll(async () => {
    cluster = createTestCluster({
      members: 4,
      brokerUrl: () => broker.url,
      roundMs: 500,
      blockRounds: 4,
      extraConfig: (i) =>
        i === 0
          ? ['outputs:', '  json: { username: values-m01, passwordFile: values.pass }', '  sparkplug:', `    url: ${scada.url}`, '    username: edge-1', '    passwordFile: scada.pass', '    groupId: feeder-7', '    deviceId: sdm630']
          : [],
    });
    const m1 = cluster.members[0]!;
    broker = await startMosquitto({
      cluster: { name: 'test', members: cluster.members.map((m) => ({ username: m.address, password: m.password })), observers: [observer] },
      users: [{ username: 'values-m01', password: 'values-secret' }],
      // As docs/integrators.md says to add to the ACL made by `meterchain cluster broker-config`.
      extraAcl: `\nuser values-m01\ntopic write meterchain/test/values/${m1.address}\n\nuser ${observer.username}\ntopic read meterchain/test/values/+\n`,
    });
    // The SCADA side: its own broker, where edge nodes may write Sparkplug topics.
    scada = await startMosquitto({ users: [{ username: 'edge-1', password: 'edge-secret' }, observer], acl: 'pattern readwrite spBv1.0/#\n' });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(m1.dir, 'scada.pass'), 'edge-secret\n');
    writeFileSync(join(m1.dir, 'values.pass'), 'values-secret\n');
    json = await subscriber(broker.url, 'meterchain/test/values/#', observer);
    spb = await subscriber(scada.url, 'spBv1.0/#', observer);
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await json?.client.endAsync();
    await spb?.client.endAsync();
    await broker?.close();
    await scada?.close();
  });

  test('each accepted own reading is one JSON message and one Sparkplug DDATA, in sequence, ending with NDEATH', async () => {
    const m1 = cluster.members[0]!;
    await waitFor('six JSON readings and a committed block in Sparkplug', () => json.messages.length >= 6 && spb.messages.some((m) => m.topic.includes('/NDATA/')), 30_000);
    await cluster.stopAll();
    await waitFor('the Sparkplug death certificate', () => spb.messages.some((m) => m.topic.includes('/NDEATH/')), 5_000);

    // JSON: one message per reading the node saw accepted, under the meter's own address (the shipped ACL allows it).
    const accepted = new Set(m1.logs.filter((l) => l['msg'] === 'own reading accepted').map((l) => l['round'] as number));
    const readings = json.messages.map((m) => ({ topic: m.topic, body: JSON.parse(m.payload.toString('utf8')) as Record<string, any> }));
    for (const { topic, body } of readings) {
      expect(topic).toBe(`meterchain/test/values/${m1.address}`);
      expect(body['meter']).toBe(m1.address);
      expect(body['cluster']).toBe('test');
      expect(accepted.has(body['round'])).toBe(true);
      expect(new Date(body['ts']).getTime()).toBe(body['tsMs']);
      expect(body['acceptedAtMs']).toBeGreaterThanOrEqual(body['tsMs']);
      expect(Array.isArray(body['flags'])).toBe(true);
      const v = body['values'] as Record<string, { value: number; unit: string }>;
      expect(v['1-0:32.7.0']!.unit).toBe('V');
      expect(v['1-0:32.7.0']!.value).toBeGreaterThan(200);
      expect(v['1-0:32.7.0']!.value).toBeLessThan(260);
      expect(v['1-0:14.7.0']!.unit).toBe('Hz');
      expect(Math.abs(v['1-0:14.7.0']!.value - 50)).toBeLessThan(1);
      expect(Object.keys(v).length).toBe(17);
    }
    const rounds = readings.map((r) => r.body['round'] as number);
    expect(new Set(rounds).size).toBe(rounds.length);

    // Sparkplug: NBIRTH seq 0 with bdSeq; with the first reading a DBIRTH naming every metric with its type and unit,
    // then DDATA (and NDATA per block, which may come before the first reading) counting on by one; NDEATH (no seq)
    // with the NBIRTH's bdSeq.
    const msgs = spb.messages.map(decoded);
    expect(msgs[0]!.kind).toBe('NBIRTH');
    expect(msgs[0]!.topic).toBe('spBv1.0/feeder-7/NBIRTH/m01');
    expect(msgs[0]!.seq).toBe(0);
    const bdSeq = num(msgs[0]!.metrics.get('bdSeq')!.value);
    expect(msgs[0]!.metrics.get('Node Control/Rebirth')!.value).toBe(false);
    const born = msgs.findIndex((m) => m.kind === 'DBIRTH');
    expect(born).toBeGreaterThan(0);
    expect(msgs.slice(1, born).every((m) => m.kind === 'NDATA')).toBe(true);
    expect(msgs.findIndex((m) => m.kind === 'DDATA')).toBeGreaterThan(born);
    const birth = msgs[born]!;
    expect(birth.topic).toBe('spBv1.0/feeder-7/DBIRTH/m01/sdm630');
    const voltage = birth.metrics.get('Readings/1-0:32.7.0')!;
    expect(voltage.type).toBe('Double');
    expect(voltage.properties!['engUnit']!.value).toBe('V');
    expect(birth.metrics.get('Readings/1-0:1.8.0')!.properties!['engUnit']!.value).toBe('Wh');
    expect(birth.metrics.get('Quality')!.type).toBe('UInt32');
    const last = msgs.at(-1)!;
    expect(last.kind).toBe('NDEATH');
    expect(last.seq).toBeUndefined();
    expect(num(last.metrics.get('bdSeq')!.value)).toBe(bdSeq);
    const counted = msgs.slice(0, -1);
    counted.forEach((m, i) => expect(m.seq).toBe(i % 256));
    expect(counted.filter((m) => m.kind === 'DDATA').length).toBeGreaterThanOrEqual(4);
    expect(counted.filter((m) => m.kind === 'NDATA').length).toBeGreaterThanOrEqual(1);
    for (const m of counted) expect(Math.abs(m.timestamp - Date.now())).toBeLessThan(60_000);

    // The same reading in both formats: the DBIRTH/DDATA values and metric timestamps are the JSON's, round by round.
    const byRound = new Map(readings.map((r) => [r.body['round'] as number, r.body]));
    let compared = 0;
    for (const m of counted.filter((x) => x.kind === 'DBIRTH' || x.kind === 'DDATA')) {
      const round = num(m.metrics.get('Round')!.value);
      const body = byRound.get(round);
      expect(body).toBeDefined();
      for (const [id, { value }] of Object.entries(body!['values'] as Record<string, { value: number }>)) {
        const metric = m.metrics.get(`Readings/${id}`)!;
        expect(metric.value).toBe(value);
        expect(num(metric.timestamp)).toBe(body!['tsMs']);
      }
      expect(m.metrics.get('Quality')!.value).toBe(body!['quality']);
      compared++;
    }
    expect(compared).toBe(readings.length);
    // The outputs' connections left the node's own alone (a broker that takes the client id from the login).
    expect(m1.logs.filter((l) => l['msg'] === 'broker disconnected')).toEqual([]);
    // NDATA carries the chain height of each committed block.
    const heights = counted.filter((m) => m.kind === 'NDATA').map((m) => num(m.metrics.get('Chain/Height')!.value));
    expect(heights[0]).toBeGreaterThanOrEqual(0);
  }, 60_000);
});

run('Sparkplug B sessions', () => {
  let scada: MosquittoBroker;
  let proxy: TcpProxy;
  let spb: Awaited<ReturnType<typeof subscriber>>;
  const observer = { username: 'scada-host', password: 'host-secret' };
  const sample: AcceptedReading = {
    address: 'mc' + '11'.repeat(20),
    round: 7,
    acceptedAt: 1_700_000_000_400,
    reading: {
      v: 1,
      cluster: 'c',
      meter: new Uint8Array(20).fill(0x11),
      seq: 7,
      ts: 1_700_000_000_010,
      clock: 0,
      quality: 0,
      channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 }],
    },
  };

  beforeAll(async () => {
    scada = await startMosquitto({ users: [{ username: 'edge', password: 'edge-pw' }, observer], acl: 'pattern readwrite spBv1.0/#\n' });
    proxy = await startTcpProxy('127.0.0.1', scada.port);
    spb = await subscriber(scada.url, 'spBv1.0/#', observer);
  }, 30_000);

  afterAll(async () => {
    await spb?.client.endAsync();
    await proxy?.close();
    await scada?.close();
  });

  test('a lost connection brings the will (NDEATH with its bdSeq), then a new birth with the next bdSeq; a rebirth command is obeyed', async () => {
    spb.messages.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'mc-spb-'));
    const log = createLogger({ level: 'error', write: () => undefined });
    const out = new SparkplugOutput(
      { broker: { url: proxy.url, username: 'edge', password: 'edge-pw' }, groupId: 'g', edgeNodeId: 'n1', deviceId: 'd1', clientId: 'n1-spb', bdSeqFile: join(dir, 'bdseq') },
      log,
      new Metrics(),
    );
    try {
      const kinds = () => spb.messages.map(decoded);
      await waitFor('the first NBIRTH', () => kinds().some((m) => m.kind === 'NBIRTH'), 10_000);
      out.accepted(sample);
      await waitFor('the DBIRTH', () => kinds().some((m) => m.kind === 'DBIRTH'), 5_000);
      expect(decoded(spb.messages.find((m) => m.topic.includes('DBIRTH'))!).metrics.get('Readings/1-0:32.7.0')!.value).toBe(230.1);
      const first = num(kinds()[0]!.metrics.get('bdSeq')!.value);

      proxy.cutOff();
      await waitFor('the will: NDEATH', () => kinds().some((m) => m.kind === 'NDEATH'), 40_000);
      const death = kinds().find((m) => m.kind === 'NDEATH')!;
      expect(num(death.metrics.get('bdSeq')!.value)).toBe(first);
      proxy.heal();
      await waitFor('a second NBIRTH', () => kinds().filter((m) => m.kind === 'NBIRTH').length === 2, 20_000);
      const births = kinds().filter((m) => m.kind === 'NBIRTH');
      expect(num(births[1]!.metrics.get('bdSeq')!.value)).toBe((first + 1) % 256);
      expect(births[1]!.seq).toBe(0);
      // The device is born again with the last reading's values, seq 1 of the new session.
      await waitFor('a second DBIRTH', () => kinds().filter((m) => m.kind === 'DBIRTH').length === 2, 5_000);
      expect(kinds().filter((m) => m.kind === 'DBIRTH')[1]!.seq).toBe(1);

      // A SCADA host asks for a rebirth.
      const host = spb.client;
      const { encodePayload } = (await import('sparkplug-payload')).default.get('spBv1.0')!;
      await host.publishAsync('spBv1.0/g/NCMD/n1', Buffer.from(encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })));
      await waitFor('a third NBIRTH', () => kinds().filter((m) => m.kind === 'NBIRTH').length === 3, 5_000);
      expect(num(kinds().filter((m) => m.kind === 'NBIRTH')[2]!.metrics.get('bdSeq')!.value)).toBe((first + 1) % 256);
    } finally {
      await out.close();
    }
  }, 90_000);
});

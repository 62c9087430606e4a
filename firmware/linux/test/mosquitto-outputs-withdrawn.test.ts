// An own reading told accepted and then taken back (a voter that carried it was caught equivocating, docs/protocol.md
// §7) is withdrawn from the outputs: the JSON output publishes a withdrawal for the same meter, round and seq, the
// Sparkplug output a DDATA with `Withdrawn/Round` and the reading's values null at its time. Taking the last message
// for each reading, a consumer holds exactly the readings whose last outcome is accepted. Real Mosquitto subscribers.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import type { Reading } from '@meterchain/core';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createLogger } from '../src/log.ts';
import { Metrics } from '../src/metrics.ts';
import { decodeSparkplugPayload, JsonOutput, outputsObserver, SparkplugOutput } from '../src/outputs.ts';
import { waitFor } from './support/cluster.ts';

const run = requireMosquitto('the output withdrawal tests') ? describe : describe.skip;

interface Received {
  topic: string;
  payload: Buffer;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));
const ADDRESS = 'mc' + '22'.repeat(20);

function reading(round: number, volts: number): Reading {
  return {
    v: 1,
    cluster: 'feeder-7',
    meter: new Uint8Array(20).fill(0x22),
    seq: round,
    ts: 1_700_000_000_010 + round * 1000,
    clock: 0,
    quality: 0,
    channels: [
      { id: '1-0:32.7.0', unit: 'V', scale: -1, value: volts },
      { id: '1-0:16.7.0', unit: 'W', scale: 0, value: 1200 },
    ],
  };
}

run('an accepted reading taken back is withdrawn from the outputs', () => {
  let broker: MosquittoBroker;
  let sub: MqttClient;
  const messages: Received[] = [];
  const host = { username: 'scada-host', password: 'host-pw' };

  beforeAll(async () => {
    broker = await startMosquitto({ users: [{ username: 'edge-values', password: 'values-pw' }, { username: 'edge-spb', password: 'spb-pw' }, host], acl: 'pattern readwrite spBv1.0/#\npattern readwrite values/#\n' });
    sub = await mqtt.connectAsync(broker.url, { ...host, clientId: 'withdrawn-sub', reconnectPeriod: 200 });
    sub.on('message', (topic, payload) => messages.push({ topic, payload }));
    await sub.subscribeAsync(['spBv1.0/#', 'values/#'], { qos: 1 });
  }, 30_000);

  afterAll(async () => {
    await sub?.endAsync();
    await broker?.close();
  });

  test('JSON: a withdrawal for the same reading; Sparkplug: Withdrawn/Round and null values; consumers keep the last word', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line) });
    // Each output with its own login (a broker that takes the client id from the login).
    const json = new JsonOutput({ broker: { url: broker.url, username: 'edge-values', password: 'values-pw' }, topic: `values/${ADDRESS}`, clientId: 'edge-values' }, log, new Metrics());
    const spb = new SparkplugOutput({ broker: { url: broker.url, username: 'edge-spb', password: 'spb-pw' }, groupId: 'g', edgeNodeId: 'n1', deviceId: 'd1', clientId: 'edge-spb' }, log, new Metrics());
    try {
      await waitFor('both outputs connected', () => lines.filter((l) => l.includes('"output connected"')).length === 2, 10_000);
      await waitFor('the NBIRTH', () => messages.some((m) => m.topic.includes('/NBIRTH/')), 5_000);
      const observer = outputsObserver([json, spb], ADDRESS);
      const r7 = reading(7, 2301);
      const r8 = reading(8, 2302);
      const r9 = reading(9, 2303);
      observer.outcome!({ at: 1, round: 7, member: ADDRESS, outcome: 'accepted', reading: r7 });
      observer.outcome!({ at: 2, round: 8, member: ADDRESS, outcome: 'accepted', reading: r8 });
      observer.outcome!({ at: 3, round: 9, member: ADDRESS, outcome: 'not-enough-votes', reading: r9 });
      // Round 7's outcome is taken back: not enough votes without the equivocator's.
      observer.outcome!({ at: 4, round: 7, member: ADDRESS, outcome: 'not-enough-votes', reading: r7, corrects: 'accepted' });
      const jsonOf = () => messages.filter((m) => m.topic.startsWith('values/')).map((m) => JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>);
      const ddata = () => messages.filter((m) => m.topic.includes('/DDATA/') || m.topic.includes('/DBIRTH/')).map((m) => decodeSparkplugPayload(m.payload));
      await waitFor('three JSON messages and three device messages', () => jsonOf().length === 3 && ddata().length === 3, 10_000).catch((e: Error) => {
        throw new Error(`${e.message}: got ${messages.map((m) => m.topic).join(', ')}`);
      });

      const [a, b, c] = jsonOf();
      expect([a!['seq'], a!['withdrawn']]).toEqual([7, undefined]);
      expect([b!['seq'], b!['withdrawn']]).toEqual([8, undefined]);
      expect(c).toEqual({ cluster: 'feeder-7', meter: ADDRESS, round: 7, seq: 7, ts: new Date(r7.ts).toISOString(), tsMs: r7.ts, withdrawn: true, outcome: 'not-enough-votes', withdrawnAtMs: 4 });
      // A consumer that keeps the last message of each reading holds round 8 only.
      const last = new Map<number, Record<string, unknown>>();
      for (const m of jsonOf()) last.set(m['seq'] as number, m);
      expect([...last.values()].filter((m) => m['withdrawn'] !== true).map((m) => m['seq'])).toEqual([8]);

      const [birth, data8, withdrawal] = ddata();
      const metric = (p: typeof birth, name: string) => p!.metrics!.find((m) => m.name === name)!;
      expect(num(metric(birth, 'Round').value)).toBe(7);
      expect(num(metric(birth, 'Withdrawn/Round').value)).toBe(-1);
      expect(num(metric(data8, 'Round').value)).toBe(8);
      expect(num(metric(withdrawal, 'Withdrawn/Round').value)).toBe(7);
      expect(metric(withdrawal, 'Readings/1-0:32.7.0').value).toBeNull();
      expect(metric(withdrawal, 'Readings/1-0:16.7.0').value).toBeNull();
      expect(num(metric(withdrawal, 'Readings/1-0:32.7.0').timestamp)).toBe(r7.ts);
      expect(withdrawal!.metrics!.some((m) => m.name === 'Round')).toBe(false);
    } finally {
      await json.close();
      await spb.close();
    }
  }, 30_000);
});

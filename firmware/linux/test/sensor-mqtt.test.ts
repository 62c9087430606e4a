// Sensor frames over MQTT, against a real Mosquitto with the enforcing configuration as shipped (client id = login,
// the ACL made from the manifest with its sensors): a board publishes its frames under its own login, its full node
// reads them through its own connection and submits them to the cluster in the sensor's name; a sensor login can
// neither publish as another sensor or as a member, nor read anything, and no other member reads its frames.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import {
  addressToText,
  createManifest,
  createSensorFrameChecker,
  createSensorFrameReader,
  crc32,
  decodeReading,
  Domain,
  openEnvelope,
  sha256 as portableSha256,
  verifyEnvelope,
  verifyManifest,
  type Manifest,
} from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, publicKeyFromSeed } from '@meterchain/crypto';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { encodeFramed, frameTopic, openMqttTransport, type Delivery, type MqttTransport } from '@meterchain/transport';
import { createSensorNode } from '../../espruino/src/node.ts';
import { createLogger } from '../src/log.ts';
import { openMqttSensorLink, SensorGateway, type SensorLink, type SensorVerdict } from '../src/sensor-gateway.ts';

const CLUSTER = 'lab';
const ROUND_MS = 200;
const fullSeeds = [0, 1, 2, 3].map(() => generateSeed());
const sensorSigners = [createNodeSigner(generateSeed()), createNodeSigner(generateSeed())];
const linkKeys = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
const genesis = Date.now() - 10 * ROUND_MS;

const manifest: Manifest = (() => {
  const bytes = createManifest(
    {
      cluster: CLUSTER,
      rule: 'bft',
      members: [
        ...fullSeeds.map((s, i) => ({ publicKey: publicKeyFromSeed(s), name: `m0${i + 1}` })),
        ...sensorSigners.map((s, i) => ({ publicKey: s.publicKey, role: 'sensor' as const, name: `s0${i + 1}` })),
      ],
      params: { roundMs: ROUND_MS, blockRounds: 4, skewMs: 500, timeoutMs: 2000 },
      genesisMs: genesis,
    },
    createNodeSigner(generateSeed()),
  );
  const v = verifyManifest(bytes, nodeVerifier());
  if (!v.ok) throw new Error(v.reason);
  return v.manifest;
})();
// In manifest order (members sorted by address): the ACL's -to-<index> lines follow it.
const addr = manifest.members.map((m) => addressToText(m.address));
const byName = (name: string): string => addressToText(manifest.members.find((m) => m.name === name)!.address);
const [m01, m02, m03, s01, s02] = ['m01', 'm02', 'm03', 's01', 's02'].map(byName) as [string, string, string, string, string];
const sensorMeter = [s01, s02];
const password = (login: string): string => `pw-${login.slice(-10)}`;
const sensorTopic = (sensor: string): string => `meterchain/${CLUSTER}/sensor/${sensor}`;

/** A board as the firmware composes it: each call makes one reading and returns the frame's payload. */
function board(index: number) {
  const frames: Uint8Array[] = [];
  let mark = 0;
  const node = createSensorNode(
    {
      hash: portableSha256,
      crc32: (b) => crc32(b),
      key: linkKeys[index]!,
      now: () => Date.now(),
      send: (f) => frames.push(f),
      reserveSequence: (n) => {
        mark += n;
        return mark - n;
      },
    },
    { cluster: CLUSTER, meter: manifest.members.find((m) => addressToText(m.address) === sensorMeter[index])!.address },
  );
  return (): { payload: Uint8Array; seq: number } => {
    node.publish([{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 + index }], 0);
    const found = createSensorFrameReader().push(frames[frames.length - 1]!);
    expect(found).toHaveLength(1);
    const opened = createSensorFrameChecker(linkKeys[index]!, portableSha256)(found[0]!);
    if (!opened.ok) throw new Error(`the board's own frame does not check: ${opened.reason}`);
    return { payload: found[0]!, seq: opened.reading.seq };
  };
}

/** What a board publishes: the transport's header (incarnation 1, the reading's sequence number + 1) and the payload. */
const mqttFrame = (f: { payload: Uint8Array; seq: number }): Buffer => Buffer.from(encodeFramed({ incarnation: 1, seq: f.seq + 1 }, f.payload));

const haveMosquitto = requireMosquitto('the sensor-over-MQTT tests against Mosquitto');

(haveMosquitto ? describe : describe.skip)('sensor frames over MQTT (real Mosquitto, enforcing ACL)', () => {
  let broker: MosquittoBroker;
  let root: string;
  let transports: MqttTransport[] = [];
  let clients: mqtt.MqttClient[] = [];
  let links: SensorLink[] = [];
  let spools = 0;

  beforeAll(async () => {
    broker = await startMosquitto({
      cluster: { name: CLUSTER, members: addr.map((a) => ({ username: a, password: password(a) })), sensors: [{ address: s01, node: m01 }, { address: s02, node: m02 }] },
    });
    root = await mkdtemp(join(tmpdir(), 'meterchain-sensor-mqtt-'));
  });
  afterAll(async () => {
    await broker?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(links.map((l) => l.close()));
    await Promise.all(transports.map((t) => t.close()));
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    [links, transports, clients] = [[], [], []];
  });

  async function member(address: string): Promise<MqttTransport> {
    const t = await openMqttTransport({ url: broker.url, cluster: CLUSTER, address, password: password(address), spoolDir: join(root, `spool-${spools++}`), backoff: { initialMs: 50, maxMs: 400 }, random: () => 0.5 });
    transports.push(t);
    await waitFor(() => t.connected, `${address} connected`);
    return t;
  }

  /** A full node's gateway for one sensor, reading it through the node's own connection and submitting through it. */
  async function fullNode(address: string, sensorIndex: number, verdicts: SensorVerdict[]): Promise<{ transport: MqttTransport; gateway: SensorGateway }> {
    const transport = await member(address);
    const gateway = new SensorGateway({
      name: `s0${sensorIndex + 1}`,
      manifest,
      signer: sensorSigners[sensorIndex]!,
      linkKey: linkKeys[sensorIndex]!,
      stateFile: join(root, `state-${spools++}.json`),
      submit: async (bytes) => {
        await transport.publish('submission', bytes);
      },
      now: () => Date.now(),
      log: createLogger({ level: 'error', write: () => undefined }),
    });
    await gateway.open();
    const receive = gateway.receive.bind(gateway);
    gateway.receive = async (payload) => {
      const v = await receive(payload);
      verdicts.push(v);
      return v;
    };
    links.push(await openMqttSensorLink(transport, gateway, createLogger({ level: 'error', write: () => undefined })));
    return { transport, gateway };
  }

  /** A raw MQTT 5 client under one login, as a board (or someone holding its password) connects. */
  async function client(login: string): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(broker.url, { username: login, password: password(login), protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  function collect(c: mqtt.MqttClient): string[] {
    const topics: string[] = [];
    c.on('message', (topic) => topics.push(topic));
    return topics;
  }

  test("a sensor's frames published under its login reach its full node, which submits them to the cluster in the sensor's name; a replay is refused", async () => {
    const verdicts: SensorVerdict[] = [];
    await fullNode(m01, 0, verdicts);
    // Another member of the cluster: the submissions reach it as any member's do.
    const m03t = await member(m03);
    const submissions: Delivery[] = [];
    await m03t.subscribe({ kind: 'submission' }, (d) => submissions.push(d));
    const s01c = await client(s01);
    const read = board(0);
    const frames = [read()];
    await s01c.publishAsync(sensorTopic(s01), mqttFrame(frames[0]!), { qos: 1 });
    await waitFor(() => submissions.length === 1, 'the first reading submitted');
    await sleep(ROUND_MS + 20); // one reading per round
    frames.push(read());
    await s01c.publishAsync(sensorTopic(s01), mqttFrame(frames[1]!), { qos: 1 });
    await waitFor(() => submissions.length === 2, 'the second reading submitted');
    // The first frame again, under a header the transport has not seen (a replay by whoever holds the login).
    await s01c.publishAsync(sensorTopic(s01), Buffer.from(encodeFramed({ incarnation: 2, seq: 1 }, frames[0]!.payload)), { qos: 1 });
    await waitFor(() => verdicts.length === 3, 'the replay judged');
    expect(verdicts).toEqual(['submitted', 'submitted', 'replay']);
    for (const [i, d] of submissions.entries()) {
      expect(d.from).toBe(m01);
      const env = openEnvelope(d.frame);
      expect(env.ok).toBe(true);
      if (!env.ok) return;
      expect(verifyEnvelope(Domain.READING, env.envelope, sensorSigners[0]!.publicKey, nodeVerifier())).toBe(true);
      const r = decodeReading(env.envelope.body);
      expect(r.ok && addressToText(r.reading.meter) === s01 && r.reading.seq === frames[i]!.seq && r.reading.channels[0]!.value === 2301).toBe(true);
    }
  });

  test('a sensor login cannot publish as another sensor, nor as a member, nor any other kind (reason code 135, never delivered)', async () => {
    const v1: SensorVerdict[] = [];
    const v2: SensorVerdict[] = [];
    await fullNode(m01, 0, v1);
    await fullNode(m02, 1, v2);
    const watcher = await client(m03);
    const watched = collect(watcher);
    await watcher.subscribeAsync(`meterchain/${CLUSTER}/+/+`, { qos: 1 });
    const s01c = await client(s01);
    const forged = board(1)(); // s02's frame, whoever made it
    await expect(s01c.publishAsync(sensorTopic(s02), mqttFrame(forged), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(s01c.publishAsync(frameTopic(CLUSTER, 'submission', s01), mqttFrame(forged), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(s01c.publishAsync(frameTopic(CLUSTER, 'vote', m01), mqttFrame(forged), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(s01c.publishAsync(`meterchain/other/sensor/${s01}`, mqttFrame(forged), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    // s02's own login may publish it: the refusals above were the ACL's, not a broken topic.
    await (await client(s02)).publishAsync(sensorTopic(s02), mqttFrame(forged), { qos: 1 });
    await waitFor(() => v2.length === 1, "s02's frame at m02");
    expect(v2).toEqual(['submitted']);
    await waitFor(() => watched.length === 1, "m02's submission");
    await sleep(300);
    expect(v1).toEqual([]);
    expect(watched).toEqual([frameTopic(CLUSTER, 'submission', m02)]);
  });

  test("a sensor login reads nothing (not another sensor's frames, not the cluster's), and no member but its full node reads a sensor's frames", async () => {
    const verdicts: SensorVerdict[] = [];
    await fullNode(m01, 0, verdicts);
    const s02c = await client(s02);
    const s02saw = collect(s02c);
    await s02c.subscribeAsync('#', { qos: 1 });
    await s02c.subscribeAsync(sensorTopic(s01), { qos: 1 });
    const others = await Promise.all([m02, m03].map(client));
    const othersSaw = others.map(collect);
    for (const c of others) await c.subscribeAsync(`meterchain/${CLUSTER}/sensor/+`, { qos: 1 });
    for (const c of others) await c.subscribeAsync(sensorTopic(s01), { qos: 1 });
    await (await client(s01)).publishAsync(sensorTopic(s01), mqttFrame(board(0)()), { qos: 1 });
    await waitFor(() => verdicts.length === 1, "s01's frame at m01");
    expect(verdicts).toEqual(['submitted']);
    await sleep(300);
    // m01's submission went out too: s02 (subscribed to '#') reads neither it nor s01's frame.
    expect(s02saw).toEqual([]);
    expect(othersSaw).toEqual([[], []]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

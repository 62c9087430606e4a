// The firmware's MQTT 3.1.1 publisher: its packets as the standard lays them out (read back by mqtt-packet's
// parser), its reader's bound, and the whole client against a real Mosquitto with the enforcing configuration made
// with a sensor: under the sensor's login it publishes its frames to its own topic, which its full node reads; a
// wrong password is refused; another sensor's topic delivers nothing; it pings and reconnects after the broker
// restarts. With ESPRUINO=<binary>, the same publisher on the real interpreter over its own `net` sockets.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { bundleTarget } from '@meterchain/gate';
import mqttPacket from 'mqtt-packet';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createMqttPublisher, mqttPackets, type MqttPublisher } from '../src/mqtt.ts';
import { framePayload, transportHeader } from '../src/node.ts';
import { nodeMqttHost } from './node-mqtt-host.ts';

const { connectPacket, createPacketReader, publishPacket } = mqttPackets();

function parse(bytes: Uint8Array): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  const errors: Error[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.on('error', (e) => errors.push(e));
  parser.parse(Buffer.from(bytes));
  if (errors.length > 0) throw errors[0];
  return out;
}

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('packets', () => {
  test('CONNECT is a 3.1.1 connect with clean session, the login as client id and user name, and the password', () => {
    const [p] = parse(connectPacket('mc00112233445566778899aabbccddeeff00112233', 'sécret', 60)) as [mqttPacket.IConnectPacket];
    expect(p).toMatchObject({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60 });
    expect(p.clientId).toBe('mc00112233445566778899aabbccddeeff00112233');
    expect(p.username).toBe('mc00112233445566778899aabbccddeeff00112233');
    expect(Buffer.from(p.password!).toString('utf8')).toBe('sécret');
  });

  test.each([0, 100, 127, 128, 16_383, 16_384, 70_000])('PUBLISH at QoS 1 with %i payload bytes in two parts', (n) => {
    const a = new Uint8Array(12).fill(7);
    const b = new Uint8Array(n).map((_, i) => i & 0xff);
    const bytes = publishPacket('meterchain/lab/sensor/x', 513, [a, b]);
    const [p] = parse(bytes) as [mqttPacket.IPublishPacket];
    expect(p).toMatchObject({ cmd: 'publish', qos: 1, messageId: 513, topic: 'meterchain/lab/sensor/x', retain: false, dup: false });
    expect(Buffer.compare(p.payload as Buffer, Buffer.concat([a, b]))).toBe(0);
    // The Remaining Length is the shortest (§2.2.3): mqtt-packet writes the same bytes.
    const again = mqttPacket.generate({ cmd: 'publish', qos: 1, messageId: 513, topic: 'meterchain/lab/sensor/x', payload: Buffer.concat([a, b]), retain: false, dup: false });
    expect(Buffer.from(bytes).equals(again)).toBe(true);
  });

  test('the reader splits packets across chunks and refuses a packet longer than a publisher receives', () => {
    const r = createPacketReader();
    expect(r.push(new Uint8Array([0x20]))).toEqual([]);
    const got = r.push(new Uint8Array([0x02, 0x00, 0x00, 0x40, 0x02, 0x01, 0x02, 0xd0, 0x00]));
    expect(got).toEqual([
      { type: 2, flags: 0, body: new Uint8Array([0, 0]) },
      { type: 4, flags: 0, body: new Uint8Array([1, 2]) },
      { type: 13, flags: 0, body: new Uint8Array(0) },
    ]);
    expect(createPacketReader().push(new Uint8Array([0x30, 0x80, 0x01]))).toMatch(/remaining length/);
    expect(createPacketReader().push(new Uint8Array([0x30, 0x7f]))).toMatch(/remaining length 127/);
  });

  test('the transport header carries version 1, flags 0, the incarnation and the sequence number + 1', () => {
    expect(Array.from(transportHeader(1, 0))).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(transportHeader(0x01020304, 0x0000_0102_0304_0505))).toEqual([1, 0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(framePayload(new Uint8Array([0, 2, 9, 8, 1, 1, 1, 1])))).toEqual([9, 8]);
  });
});

const run = requireMosquitto('the firmware MQTT publisher against Mosquitto') ? describe : describe.skip;

const CLUSTER = 'lab';
const sensor = { username: 'mc' + '5e'.repeat(20), password: 'pw-sensor' };
const other = { username: 'mc' + '5f'.repeat(20), password: 'pw-other' };
const node = { username: 'mc' + 'a0'.repeat(20), password: 'pw-node' };
const otherNode = { username: 'mc' + 'a1'.repeat(20), password: 'pw-node-2' };
const topicOf = (login: string): string => `meterchain/${CLUSTER}/sensor/${login}`;

run('the firmware publisher on Mosquitto, with a sensor login and its ACL', () => {
  let broker: MosquittoBroker;
  let reader: mqtt.MqttClient;
  let otherReader: mqtt.MqttClient;
  const received: { topic: string; payload: Uint8Array }[] = [];
  const receivedByOther: string[] = [];
  const publishers: MqttPublisher[] = [];

  function publisher(login: { username: string; password: string }, states: string[] = []): MqttPublisher {
    const p = createMqttPublisher(nodeMqttHost(broker.host, broker.port), { ...login, keepAliveS: 2, backoffMs: 100, maxBackoffMs: 400, onState: (s) => states.push(s) });
    publishers.push(p);
    return p;
  }

  beforeAll(async () => {
    broker = await startMosquitto({
      cluster: {
        name: CLUSTER,
        members: [node, otherNode, sensor, other],
        sensors: [
          { address: sensor.username, node: node.username },
          { address: other.username, node: otherNode.username },
        ],
      },
    });
    // The full node reads its sensor's topic through its own login, as the sensor gateway does.
    reader = await mqtt.connectAsync(broker.url, { ...node, clientId: node.username, protocolVersion: 5, reconnectPeriod: 0 });
    await reader.subscribeAsync(topicOf(sensor.username), { qos: 1 });
    reader.on('message', (topic, payload) => received.push({ topic, payload: new Uint8Array(payload) }));
    otherReader = await mqtt.connectAsync(broker.url, { ...otherNode, clientId: otherNode.username, protocolVersion: 5, reconnectPeriod: 0 });
    await otherReader.subscribeAsync(topicOf(other.username), { qos: 1 });
    otherReader.on('message', (topic) => receivedByOther.push(topic));
  }, 30_000);

  afterAll(async () => {
    for (const p of publishers) p.close();
    await reader?.endAsync(true).catch(() => undefined);
    await otherReader?.endAsync(true).catch(() => undefined);
    await broker?.close();
  });

  test('under its login it publishes header and payload to its own topic, byte for byte, and each is acknowledged', async () => {
    const p = publisher(sensor);
    await until('CONNACK', () => p.connected());
    const payload = new Uint8Array(800).map((_, i) => (i * 7) & 0xff);
    const before = received.length;
    for (let seq = 0; seq < 3; seq++) expect(p.publish(topicOf(sensor.username), [transportHeader(1, seq), payload])).toBe(true);
    await until('three messages at the full node', () => received.length >= before + 3);
    await until('three PUBACKs', () => p.counts.acked >= 3);
    for (let seq = 0; seq < 3; seq++) {
      expect(received[before + seq]!.topic).toBe(topicOf(sensor.username));
      expect(received[before + seq]!.payload).toEqual(new Uint8Array([...transportHeader(1, seq), ...payload]));
    }
    expect(p.counts).toEqual({ connects: 1, published: 3, acked: 3, dropped: 0 });
    p.close();
  });

  test('a wrong password is refused, and nothing is published meanwhile', async () => {
    const states: string[] = [];
    const p = publisher({ username: sensor.username, password: 'wrong' }, states);
    await until('a refusal', () => states.length > 0, 5_000);
    expect(states[0]).toMatch(/^refused [45] \((bad user name or password|not authorized)\)$/);
    expect(p.publish(topicOf(sensor.username), [new Uint8Array(1)])).toBe(false);
    expect(p.counts).toEqual({ connects: 0, published: 0, acked: 0, dropped: 1 });
    p.close();
  });

  test("its login publishing to another sensor's topic delivers nothing to that sensor's full node", async () => {
    const p = publisher(sensor);
    const q = publisher(other);
    await until('CONNACK', () => p.connected() && q.connected());
    const before = received.length;
    p.publish(topicOf(other.username), [transportHeader(1, 9), new Uint8Array([1, 2, 3])]);
    p.publish(topicOf(sensor.username), [transportHeader(1, 10), new Uint8Array([4, 5, 6])]);
    // The other sensor's own message after it: once that is in, a delivered forgery would have come first.
    await until('its own message', () => received.length > before && p.counts.acked >= 2);
    q.publish(topicOf(other.username), [transportHeader(1, 1), new Uint8Array([7])]);
    await until("the other sensor's own message", () => receivedByOther.length >= 1);
    expect(receivedByOther).toEqual([topicOf(other.username)]);
    expect(received.slice(before).map((m) => m.topic)).toEqual([topicOf(sensor.username)]);
    p.close();
    q.close();
  });

  test('it keeps its connection alive with PINGREQ and reconnects after the broker restarts', async () => {
    const states: string[] = [];
    const p = publisher(sensor, states);
    await until('CONNACK', () => p.connected());
    // Beyond 1.5 keep-alives of silence but for its pings: the broker would have closed a silent client.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(p.connected()).toBe(true);
    expect(states).toEqual(['connected']);
    await broker.restart();
    await until('a second CONNACK', () => p.counts.connects >= 2, 15_000);
    expect(states).toEqual(['connected', 'closed', 'connected']);
    await reader.endAsync(true);
    reader = await mqtt.connectAsync(broker.url, { ...node, clientId: node.username, protocolVersion: 5, reconnectPeriod: 0 });
    await reader.subscribeAsync(topicOf(sensor.username), { qos: 1 });
    reader.on('message', (topic, payload) => received.push({ topic, payload: new Uint8Array(payload) }));
    const before = received.length;
    expect(p.publish(topicOf(sensor.username), [transportHeader(1, 20), new Uint8Array([7])])).toBe(true);
    await until('the message after the restart', () => received.length > before);
    p.close();
  }, 30_000);

  const espruino = process.env['ESPRUINO'];
  (espruino ? test : test.skip)('on the real interpreter (ESPRUINO=<binary>) it publishes over its own sockets, pings, and disconnects', async () => {
    const firmwareDir = fileURLToPath(new URL('..', import.meta.url));
    const out = mkdtempSync(join(tmpdir(), 'mqtt-board-'));
    const target = { name: 'mqtt-board', dir: firmwareDir, smoke: join(firmwareDir, 'test', 'mqtt-board.ts'), modules: ['net'], minify: true };
    const built = await bundleTarget(target, join(firmwareDir, '..', '..'), join(out, 'board.js'), true);
    expect(built.findings).toEqual([]);
    const settings = { host: broker.host, port: broker.port, ...sensor, topic: topicOf(sensor.username) };
    writeFileSync(join(out, 'board.espruino.js'), `var MQTT_BOARD = ${JSON.stringify(settings)};\n${built.code!}\n`);
    const before = received.length;
    const child = spawn(espruino!, [join(out, 'board.espruino.js')], { cwd: out, stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString('latin1')));
    child.stderr.on('data', (b: Buffer) => (text += b.toString('latin1')));
    try {
      await until('the board done', () => text.includes('done') || text.includes('Uncaught'), 60_000);
    } finally {
      child.kill('SIGKILL');
      rmSync(out, { recursive: true, force: true });
    }
    expect(text).not.toContain('Uncaught');
    expect(text).toContain('counts {"connects":1,"published":5,"acked":5,"dropped":0}');
    expect(text).toContain('state connected');
    await until('five messages at the full node', () => received.length >= before + 5);
    const payload = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
    for (let seq = 0; seq < 5; seq++) expect(received[before + seq]!.payload).toEqual(new Uint8Array([...transportHeader(1, seq), ...payload]));
  }, 90_000);
});

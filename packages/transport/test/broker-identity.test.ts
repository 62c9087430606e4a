// The enforcing broker configuration as shipped (firmware/linux/mosquitto: client id = login, the ACL made from the
// manifest) against a real Mosquitto: a cluster works under it, and each way a login could step outside its own
// identity is refused by the broker itself.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { requireMosquitto, startMosquitto, type MosquittoBroker, type MosquittoCluster } from '@meterchain/testkit/mosquitto';
import { encodeFramed, frameTopic, openMqttTransport, type Delivery, type MqttTransport } from '../src/index.ts';
import { settle, testAddress, waitFor } from '../compliance/index.ts';

const password = (login: string): string => `pw-${login.slice(-8)}`;
const user = (login: string) => ({ username: login, password: password(login) });
const A = { name: 'feeder-a', members: [0, 1, 2].map(testAddress) };
const B = { name: 'feeder-b', members: [10, 11].map(testAddress) };
const OBSERVER = 'control-centre';
/** A test-only login that may read $SYS: shows that the broker does publish $SYS topics during the test. */
const SYS_READER = 'sys-reader';
const [a0, a1, a2] = A.members as [string, string, string];
const [b0] = B.members as [string, string];

const haveMosquitto = requireMosquitto('the broker identity tests against Mosquitto');

(haveMosquitto ? describe : describe.skip)('the enforcing broker configuration (real Mosquitto)', () => {
  let broker: MosquittoBroker;
  let root: string;
  let transports: MqttTransport[] = [];
  let clients: mqtt.MqttClient[] = [];
  let spools = 0;

  beforeAll(async () => {
    const clusters: MosquittoCluster[] = [
      { name: A.name, members: A.members.map(user), observers: [user(OBSERVER)] },
      { name: B.name, members: B.members.map(user) },
    ];
    broker = await startMosquitto({ cluster: clusters, users: [user(SYS_READER)], extraAcl: `\nuser ${SYS_READER}\ntopic read $SYS/#\n`, settings: { sys_interval: 1 } });
    root = await mkdtemp(join(tmpdir(), 'meterchain-identity-'));
  });
  afterAll(async () => {
    await broker?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    transports = [];
    clients = [];
  });

  async function member(cluster: string, address: string, spoolDir = join(root, `spool-${spools++}`)): Promise<MqttTransport> {
    const t = await openMqttTransport({ url: broker.url, cluster, address, password: password(address), spoolDir, backoff: { initialMs: 50, maxMs: 400 }, random: () => 0.5 });
    transports.push(t);
    await waitFor(() => t.connected, `${address} connected`, 10_000);
    return t;
  }

  /** A raw MQTT 5 client: what an attacker holding one login can do. */
  async function client(login: string, extra: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(broker.url, { username: login, password: password(login), protocolVersion: 5, reconnectPeriod: 0, ...extra });
    clients.push(c);
    return c;
  }

  function collect(c: mqtt.MqttClient): string[] {
    const topics: string[] = [];
    c.on('message', (topic) => topics.push(topic));
    return topics;
  }

  const frame = (n: number) => encodeFramed({ incarnation: 1, seq: n }, new Uint8Array([n]));

  test('a legitimate cluster works: broadcast kinds reach every member and the observer, an addressed frame its recipient', async () => {
    const [t0, t1, t2] = [await member(A.name, a0), await member(A.name, a1), await member(A.name, a2)];
    const got = new Map<string, Delivery[]>([[a0, []], [a1, []], [a2, []]]);
    for (const [t, address] of [[t0, a0], [t1, a1], [t2, a2]] as const) {
      for (const kind of ['submission', 'vote', 'block-vote']) await t.subscribe({ kind }, (d) => got.get(address)!.push(d));
    }
    await t1.subscribe({ kind: 'vote-to-1' }, (d) => got.get(a1)!.push(d));
    const observer = await client(OBSERVER);
    const observed = collect(observer);
    await observer.subscribeAsync(`meterchain/${A.name}/+/+`, { qos: 1 });
    for (const t of [t0, t1, t2]) {
      await t.publish('submission', new Uint8Array([1]));
      await t.publish('vote', new Uint8Array([2]));
    }
    await t2.publish('block-vote', new Uint8Array([3]));
    await t0.publish('vote-to-1', new Uint8Array([4]));
    await waitFor(() => got.get(a0)!.length === 7 && got.get(a1)!.length === 8 && got.get(a2)!.length === 7 && observed.length === 7, 'every frame', 10_000);
    expect(got.get(a1)!.filter((d) => d.kind === 'vote-to-1').map((d) => [d.from, Array.from(d.frame)])).toEqual([[a0, [4]]]);
    // The observer reads the broadcast kinds, not the frame addressed to member 1.
    expect(observed.filter((t) => t.includes('-to-'))).toEqual([]);
  });

  test("no login takes over a meter's client id or its persistent session (use_username_as_clientid)", async () => {
    const spoolDir = join(root, 'victim-spool');
    const victim = await member(A.name, a0, spoolDir);
    const got: Delivery[] = [];
    await victim.subscribe({ kind: 'vote' }, (d) => got.push(d));
    await victim.close();
    // While the meter is away the broker queues a frame in its session.
    const sender = await client(a2);
    await sender.publishAsync(frameTopic(A.name, 'vote', a2), Buffer.from(frame(1)), { qos: 1 });
    // Another member asks for the meter's client id with a persistent session. Its own login starts without a session
    // (an earlier test's, subscribed to votes, may still be held, and would deliver the queued frame as its own).
    await (await client(a1, { clean: true })).endAsync();
    const thief = await client(a1, { clientId: a0, clean: false, properties: { sessionExpiryInterval: 3600 } });
    const stolen = collect(thief);
    await thief.subscribeAsync(`meterchain/${A.name}/vote/+`, { qos: 1 });
    await settle(300);
    expect(stolen).toEqual([]);
    // The meter comes back and finds its session, and the frame queued in it, untouched.
    const back = await openMqttTransport({ url: broker.url, cluster: A.name, address: a0, password: password(a0), spoolDir, backoff: { initialMs: 50, maxMs: 400 }, random: () => 0.5 });
    transports.push(back);
    const again: Delivery[] = [];
    await back.subscribe({ kind: 'vote' }, (d) => again.push(d));
    await waitFor(() => again.length === 1, 'the frame queued for the meter', 10_000);
    expect(again[0]).toMatchObject({ from: a2, seq: 1 });
    // And the thief connecting again does not disconnect it.
    let disconnects = 0;
    back.on('disconnect', () => disconnects++);
    await client(a1, { clientId: a0 });
    await settle(300);
    expect(disconnects).toBe(0);
    expect(back.connected).toBe(true);
  });

  test("a subscription to '#' delivers only what the login may read: not another cluster, not frames addressed to another member", async () => {
    const spy = await client(a2);
    const seen = collect(spy);
    await spy.subscribeAsync('#', { qos: 1 });
    const [fromA, fromB] = [await client(a1), await client(b0)];
    await fromB.publishAsync(frameTopic(B.name, 'vote', b0), Buffer.from(frame(1)), { qos: 1 });
    await fromA.publishAsync(frameTopic(A.name, 'vote-to-0', a1), Buffer.from(frame(2)), { qos: 1 });
    await fromA.publishAsync(frameTopic(A.name, 'vote', a1), Buffer.from(frame(3)), { qos: 1 });
    await waitFor(() => seen.length >= 1, "the spy's own cluster's vote");
    await settle(300);
    expect(seen).toEqual([frameTopic(A.name, 'vote', a1)]);
  });

  test("a subscription to '$SYS/#' delivers nothing to a member (while a login allowed to read it gets the broker's $SYS topics)", async () => {
    const member = await client(a2);
    const reader = await client(SYS_READER);
    const [memberSaw, readerSaw] = [collect(member), collect(reader)];
    await member.subscribeAsync('$SYS/#', { qos: 0 });
    await reader.subscribeAsync('$SYS/#', { qos: 0 });
    await waitFor(() => readerSaw.length > 0, '$SYS topics for the reader', 5000);
    await settle(1500); // sys_interval is 1 s: one more round of $SYS publishing
    expect(memberSaw).toEqual([]);
  });

  test("a member cannot read the frames addressed to another member (`vote-to-0` reaches member 0 only)", async () => {
    const recipient = await client(a0);
    const other = await client(a2);
    const [recipientSaw, otherSaw] = [collect(recipient), collect(other)];
    const topic = frameTopic(A.name, 'vote-to-0', a1);
    await recipient.subscribeAsync(`meterchain/${A.name}/vote-to-0/+`, { qos: 1 });
    await other.subscribeAsync(`meterchain/${A.name}/vote-to-0/+`, { qos: 1 });
    await (await client(a1)).publishAsync(topic, Buffer.from(frame(1)), { qos: 1 });
    await waitFor(() => recipientSaw.length === 1, 'the frame at its recipient');
    await settle(300);
    expect(otherSaw).toEqual([]);
  });

  test('a member of one cluster can neither publish into another cluster nor read it', async () => {
    const outsider = await client(a0);
    const insider = await client(b0);
    const [outsiderSaw, insiderSaw] = [collect(outsider), collect(insider)];
    await insider.subscribeAsync(`meterchain/${B.name}/+/+`, { qos: 1 });
    await outsider.subscribeAsync(`meterchain/${B.name}/#`, { qos: 1 });
    await expect(outsider.publishAsync(frameTopic(B.name, 'vote', a0), Buffer.from(frame(1)), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await (await client(B.members[1]!)).publishAsync(frameTopic(B.name, 'vote', B.members[1]!), Buffer.from(frame(2)), { qos: 1 });
    await waitFor(() => insiderSaw.length === 1, "cluster B's own frame");
    await settle(300);
    expect(insiderSaw).toEqual([frameTopic(B.name, 'vote', B.members[1]!)]);
    expect(outsiderSaw).toEqual([]);
  });

  test("a member cannot publish under another member's address, nor an observer at all (MQTT 5 reason code 135, never delivered)", async () => {
    const watcher = await client(a2);
    const seen = collect(watcher);
    await watcher.subscribeAsync(`meterchain/${A.name}/+/+`, { qos: 1 });
    await expect((await client(a1)).publishAsync(frameTopic(A.name, 'vote', a0), Buffer.from(frame(1)), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect((await client(OBSERVER)).publishAsync(frameTopic(A.name, 'vote', a0), Buffer.from(frame(2)), { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await (await client(a0)).publishAsync(frameTopic(A.name, 'vote', a0), Buffer.from(frame(3)), { qos: 1 });
    await waitFor(() => seen.length === 1, "the member's own frame");
    await settle(300);
    expect(seen).toEqual([frameTopic(A.name, 'vote', a0)]);
  });
});

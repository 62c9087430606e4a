// Shared reception (one receiving connection for the nodes of a process): a node's transport built on it passes the
// shared suite over the in-memory hub and over Mosquitto, and one receiver hands each broadcast frame to every node
// attached, except to the node that published it.
import { describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { requireMosquitto, SHIPPED_MOSQUITTO_ACL, startMosquitto } from '@meterchain/testkit/mosquitto';
import { createMemoryHub, frameTopic, openMqttTransport, SharedReception, type Delivery, type TransportEvents } from '../src/index.ts';
import { settle, testAddress, transportSuite, waitFor } from '../compliance/index.ts';

const CLUSTER = 'feeder-7';
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

transportSuite('shared reception over the in-memory hub', async () => {
  const hub = createMemoryHub();
  let receivers = 0;
  return {
    cluster: CLUSTER,
    addresses: Array.from({ length: 64 }, (_, i) => testAddress(i)),
    async open(address) {
      // Each node of the suite on a reception of its own: closing the node closes its receiver too.
      const reception = new SharedReception(hub.open({ cluster: CLUSTER, address: testAddress(1000 + receivers++) }));
      const t = reception.attach(hub.open({ cluster: CLUSTER, address }));
      await waitFor(() => t.connected, 'the hub connections');
      return t;
    },
    async injectRaw(kind, address, payload) {
      hub.inject(frameTopic(CLUSTER, kind, address), payload);
    },
    async teardown() {},
  };
});

const haveMosquitto = requireMosquitto('the shared reception tests against Mosquitto');
const password = (login: string): string => `pw-${login.slice(-8)}`;
const ADDRESSES = Array.from({ length: 64 }, (_, i) => testAddress(i));
const RECEIVERS = Array.from({ length: 64 }, (_, i) => `rx-${i}`);

if (haveMosquitto) {
  transportSuite('shared reception over Mosquitto', async () => {
    // The shipped lab ACL: every login reads the cluster; the broker takes the client id from the login, so each
    // receiver logs in as a login of its own. Hand-made payloads come from one login that may write under any address.
    const acl = (await readFile(SHIPPED_MOSQUITTO_ACL, 'utf8')) + '\nuser forger\ntopic write meterchain/#\n';
    const broker = await startMosquitto({ users: [...ADDRESSES, ...RECEIVERS, 'forger'].map((u) => ({ username: u, password: password(u) })), acl });
    const root = await mkdtemp(join(tmpdir(), 'meterchain-reception-'));
    let raw: mqtt.MqttClient | undefined;
    let n = 0;
    const backoff = { backoff: { initialMs: 50, maxMs: 400 }, random: () => 0.5 };
    return {
      cluster: CLUSTER,
      addresses: ADDRESSES,
      async open(address) {
        const k = n++;
        const login = RECEIVERS[k]!;
        const receiver = await openMqttTransport({ url: broker.url, cluster: CLUSTER, address, username: login, clientId: login, password: password(login), spoolDir: join(root, `rx-${k}`), ...backoff });
        const own = await openMqttTransport({ url: broker.url, cluster: CLUSTER, address, password: password(address), spoolDir: join(root, `spool-${k}`), ...backoff });
        const t = new SharedReception(receiver).attach(own);
        await waitFor(() => t.connected, `${address} and its receiver connected`, 10_000);
        return t;
      },
      async injectRaw(kind, address, payload) {
        raw ??= await mqtt.connectAsync(broker.url, { username: 'forger', password: password('forger'), protocolVersion: 5, reconnectPeriod: 0 });
        await raw.publishAsync(frameTopic(CLUSTER, kind, address), Buffer.from(payload), { qos: 1 });
      },
      async teardown() {
        await raw?.endAsync(true);
        await broker.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  });
}

describe('one receiver for several nodes', () => {
  const [A, B, C, RX] = [testAddress(200), testAddress(201), testAddress(202), testAddress(299)];

  test("each broadcast frame reaches every node attached but its publisher; addressed kinds and other filters go over the node's own connection", async () => {
    const hub = createMemoryHub();
    const receiver = hub.open({ cluster: CLUSTER, address: RX });
    const reception = new SharedReception(receiver);
    const a = reception.attach(hub.open({ cluster: CLUSTER, address: A }));
    const b = reception.attach(hub.open({ cluster: CLUSTER, address: B }));
    const c = hub.open({ cluster: CLUSTER, address: C });
    await waitFor(() => a.connected && b.connected && c.connected, 'the hub connections');
    const got = { a: [] as Delivery[], b: [] as Delivery[], aTo: [] as Delivery[] };
    await a.subscribe({ kind: 'submission' }, (d) => got.a.push(d));
    await b.subscribe({ kind: 'submission' }, (d) => got.b.push(d));
    await a.subscribe({ kind: 'vote-to-0' }, (d) => got.aTo.push(d));
    // The receiver subscribed once for the two nodes.
    expect(SharedReception.shares({ kind: 'submission' }, CLUSTER)).toBe(true);
    expect(SharedReception.shares({ kind: 'vote-to-0' }, CLUSTER)).toBe(false);
    expect(SharedReception.shares({ kind: 'anchor', cluster: 'north' }, CLUSTER)).toBe(false);
    expect(SharedReception.shares({ kind: 'submission', from: C }, CLUSTER)).toBe(false);

    await c.publish('submission', bytes(1));
    await a.publish('submission', bytes(2));
    await c.publish('vote-to-0', bytes(3));
    await waitFor(() => got.a.length === 1 && got.b.length === 2 && got.aTo.length === 1, 'the frames');
    await settle(50);
    expect(got.a.map((d) => [d.from, d.frame[0]])).toEqual([[C, 1]]);
    expect(got.b.map((d) => [d.from, d.frame[0]])).toEqual([[C, 1], [A, 2]]);
    expect(got.aTo.map((d) => [d.from, d.frame[0]])).toEqual([[C, 3]]);
    // Frames handed over by the receiver count as delivered to the node.
    expect(a.stats().delivered).toBe(2);
    expect(receiver.stats().delivered).toBe(2);

    // One node leaving does not stop the others' frames; the last one closes the receiver.
    await a.close();
    expect(receiver.connected).toBe(true);
    await c.publish('submission', bytes(4));
    await waitFor(() => got.b.length === 3, "b's third frame");
    expect(got.a.length).toBe(1);
    await b.close();
    expect(receiver.connected).toBe(false);
    expect(() => reception.attach(hub.open({ cluster: CLUSTER, address: testAddress(203) }))).toThrow(/after close/);
    await c.close();
  });

  test("a node's handler that throws is reported as that node's 'error', and the other node still gets the frame", async () => {
    const hub = createMemoryHub();
    const reception = new SharedReception(hub.open({ cluster: CLUSTER, address: RX }));
    const a = reception.attach(hub.open({ cluster: CLUSTER, address: A }));
    const b = reception.attach(hub.open({ cluster: CLUSTER, address: B }));
    const c = hub.open({ cluster: CLUSTER, address: C });
    await waitFor(() => a.connected && b.connected && c.connected, 'the hub connections');
    const errors: { a: string[]; b: string[] } = { a: [], b: [] };
    a.on('error', (e) => errors.a.push(e.error.message));
    b.on('error', (e) => errors.b.push(e.error.message));
    const got: number[] = [];
    await a.subscribe({ kind: 'proposal' }, () => {
      throw new Error('a refuses');
    });
    await b.subscribe({ kind: 'proposal' }, (d) => got.push(d.frame[0]!));
    await c.publish('proposal', bytes(7));
    await waitFor(() => got.length === 1 && errors.a.length === 1, "b's frame and a's error");
    expect(got).toEqual([7]);
    expect(errors).toEqual({ a: ['a refuses'], b: [] });
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('a node is connected while both its own connection and the receiver are, and hears when either goes', async () => {
    const hub = createMemoryHub();
    const reception = new SharedReception(hub.open({ cluster: CLUSTER, address: RX }));
    const a = reception.attach(hub.open({ cluster: CLUSTER, address: A }));
    await waitFor(() => a.connected, 'the hub connections');
    const events: string[] = [];
    a.on('connect', () => events.push('connect'));
    a.on('disconnect', (e: TransportEvents['disconnect']) => events.push(`disconnect ${e.reason.startsWith('shared receiver') ? 'receiver' : 'own'}`));
    hub.setOnline(RX, false);
    await waitFor(() => !a.connected, 'the receiver offline');
    hub.setOnline(RX, true);
    await waitFor(() => a.connected, 'the receiver back');
    hub.setOnline(A, false);
    await waitFor(() => !a.connected, 'the own connection offline');
    hub.setOnline(A, true);
    await waitFor(() => a.connected, 'the own connection back');
    expect(events).toEqual(['disconnect receiver', 'connect', 'disconnect own', 'connect']);
    await a.close();
  });

  test('frames for the nodes wait in the receiver while it is offline, and reach every node when it is back', async () => {
    const hub = createMemoryHub();
    const reception = new SharedReception(hub.open({ cluster: CLUSTER, address: RX }));
    const a = reception.attach(hub.open({ cluster: CLUSTER, address: A }));
    const b = reception.attach(hub.open({ cluster: CLUSTER, address: B }));
    const c = hub.open({ cluster: CLUSTER, address: C });
    await waitFor(() => a.connected && b.connected && c.connected, 'the hub connections');
    const got: string[] = [];
    await a.subscribe({ kind: 'block-vote' }, (d) => got.push(`a${d.seq}`));
    await b.subscribe({ kind: 'block-vote' }, (d) => got.push(`b${d.seq}`));
    hub.setOnline(RX, false);
    await waitFor(() => !a.connected, 'the receiver offline');
    for (let i = 0; i < 3; i++) await c.publish('block-vote', bytes(i));
    await settle(50);
    expect(got).toEqual([]);
    hub.setOnline(RX, true);
    await waitFor(() => got.length === 6, 'the held frames');
    expect(got).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

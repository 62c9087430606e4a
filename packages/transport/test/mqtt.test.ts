// The MQTT transport against a real Mosquitto started from the shipped configuration: the shared suite, the
// broker's ACL refusing a meter that speaks for another, a broker crash mid-stream, a publisher process killed with
// frames spooled, TCP_NODELAY, and the MQTT 3.1.1 fallback (aedes).
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { requireMosquitto, SHIPPED_MOSQUITTO_ACL, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { frameTopic, openMqttTransport, type Delivery, type MqttTransport, type MqttTransportOptions, type TransportEvents } from '../src/index.ts';
import { Spool } from '../src/spool.ts';
import { settle, testAddress, transportSuite, waitFor } from '../compliance/index.ts';

const CLUSTER = 'feeder-7';
const ADDRESSES = Array.from({ length: 64 }, (_, i) => testAddress(i));
const password = (address: string): string => `pw-${address.slice(-8)}`;
const FORGER = 'forger';
/** Fast, deterministic reconnects for tests: 50 ms doubling to 400 ms, jitter fixed at the midpoint. */
const TEST_BACKOFF = { backoff: { initialMs: 50, maxMs: 400 }, random: () => 0.5 };

const haveMosquitto = requireMosquitto('the MQTT transport tests against Mosquitto');
const describeMosquitto = haveMosquitto ? describe : describe.skip;

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'meterchain-transport-'));
}

/** Opens a transport and waits until it is connected. */
async function openConnected(options: MqttTransportOptions): Promise<MqttTransport> {
  const t = await openMqttTransport(options);
  await waitFor(() => t.connected, `${options.address} connected`, 10_000);
  return t;
}

if (haveMosquitto) {
  transportSuite('MQTT over Mosquitto', async () => {
    // Hand-made payloads come from one login the ACL lets write under any address (as a broker without the write
    // rule would): the client id is the login (use_username_as_clientid), so a raw client logged in as a member
    // would take over that member's connection.
    const acl = (await readFile(SHIPPED_MOSQUITTO_ACL, 'utf8')) + `\nuser ${FORGER}\ntopic write meterchain/#\n`;
    const broker = await startMosquitto({ users: [...ADDRESSES.map((a) => ({ username: a, password: password(a) })), { username: FORGER, password: password(FORGER) }], acl });
    const root = await tempRoot();
    let raw: mqtt.MqttClient | undefined;
    let n = 0;
    return {
      cluster: CLUSTER,
      addresses: ADDRESSES,
      async open(address) {
        return openConnected({ url: broker.url, cluster: CLUSTER, address, password: password(address), spoolDir: join(root, `spool-${n++}`), ...TEST_BACKOFF });
      },
      async injectRaw(kind, address, payload) {
        raw ??= await mqtt.connectAsync(broker.url, { username: FORGER, password: password(FORGER), protocolVersion: 5, reconnectPeriod: 0 });
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

describeMosquitto('MQTT transport against Mosquitto', () => {
  let broker: MosquittoBroker;
  let root: string;
  let opened: MqttTransport[] = [];

  beforeAll(async () => {
    // Persistence on: the subscriber's session (subscriptions, queue) must survive the crash test's SIGKILL.
    broker = await startMosquitto({ users: ADDRESSES.map((a) => ({ username: a, password: password(a) })), persistence: true });
    root = await tempRoot();
  });
  afterAll(async () => {
    await broker?.close();
    await rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(opened.map((t) => t.close()));
    opened = [];
    if (!broker.running) await broker.start();
  });

  let spoolCount = 0;
  function options(address: string, extra: Partial<MqttTransportOptions> = {}): MqttTransportOptions {
    return { url: broker.url, cluster: CLUSTER, address, password: password(address), spoolDir: join(root, `spool-${spoolCount++}`), ...TEST_BACKOFF, ...extra };
  }
  async function open(address: string, extra: Partial<MqttTransportOptions> = {}): Promise<MqttTransport> {
    const t = await openConnected(options(address, extra));
    opened.push(t);
    return t;
  }

  test('speaks MQTT 5 to Mosquitto', async () => {
    const t = await open(ADDRESSES[0]!);
    expect(t.protocolVersion).toBe(5);
  });

  test('a meter publishing under another meter\'s address is refused by the broker (MQTT 5 reason code 135) and the frame never arrives', async () => {
    const [victim, impostor, witness, listener] = [ADDRESSES[1]!, ADDRESSES[2]!, ADDRESSES[3]!, ADDRESSES[4]!];
    const receiver = await open(listener);
    const got: Delivery[] = [];
    await receiver.subscribe({ kind: 'sub' }, (d) => got.push(d));
    // The impostor logs in with its own credentials but claims the victim's address.
    const spoof = await open(victim, { username: impostor, password: password(impostor), clientId: `spoof-${impostor}` });
    const refused: Array<TransportEvents['refused']> = [];
    spoof.on('refused', (e) => refused.push(e));
    await spoof.publish('sub', new Uint8Array([0xba, 0xd0]));
    await waitFor(() => refused.length === 1, 'the refusal');
    expect(refused[0]).toMatchObject({ kind: 'sub', seq: 1, reasonCode: 135 });
    expect(spoof.stats()).toMatchObject({ refused: 1, queued: 0 });
    // A frame published after the refusal by an honest meter arrives; the spoofed one never does.
    const honest = await open(witness);
    await honest.publish('sub', new Uint8Array([1]));
    await waitFor(() => got.length >= 1, "the witness's frame");
    await settle();
    expect(got.map((d) => d.from)).toEqual([witness]);
  });

  test('under MQTT 3.1.1 the broker drops a frame published under another address silently: it never arrives', async () => {
    const [victim, impostor, listener] = [ADDRESSES[5]!, ADDRESSES[6]!, ADDRESSES[7]!];
    const receiver = await open(listener);
    const got: Delivery[] = [];
    await receiver.subscribe({}, (d) => got.push(d));
    const spoof = await open(victim, { username: impostor, password: password(impostor), clientId: `spoof-${impostor}`, protocolVersion: 4 });
    await spoof.publish('sub', new Uint8Array([0xba, 0xd0]));
    await spoof.flushed(5000);
    await settle(300);
    expect(got).toEqual([]);
  });

  test('Mosquitto killed and restarted mid-stream: every frame arrives once, in order, those of the outage from the spool', async () => {
    const [publisherAddress, subscriberAddress] = [ADDRESSES[8]!, ADDRESSES[9]!];
    const subscriber = await open(subscriberAddress);
    const got: Delivery[] = [];
    const duplicates: number[] = [];
    subscriber.on('duplicate', (e) => duplicates.push(e.seq));
    await subscriber.subscribe({ from: publisherAddress }, (d) => got.push(d));
    const subscriberSessions: boolean[] = [];
    subscriber.on('connect', (e) => subscriberSessions.push(e.sessionPresent));
    const publisher = await open(publisherAddress);
    const events: string[] = [];
    publisher.on('disconnect', () => events.push('disconnect'));
    publisher.on('connect', () => events.push('connect'));
    const total = 150;
    let queuedDuringOutage = 0;
    for (let i = 1; i <= total; i++) {
      await publisher.publish('sub', new Uint8Array([i & 0xff, i >> 8]));
      if (i === 50) await broker.kill();
      if (i === 100) {
        queuedDuringOutage = publisher.stats().queued;
        expect(publisher.connected).toBe(false);
        await broker.start();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => got.length === total, `${total} frames (have ${got.length})`, 20_000);
    await settle(300);
    expect(got.map((d) => d.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(got.map((d) => d.frame[0]! | (d.frame[1]! << 8))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(got.every((d) => d.missed === 0)).toBe(true);
    expect(queuedDuringOutage).toBeGreaterThanOrEqual(50);
    expect(events.slice(0, 2)).toEqual(['disconnect', 'connect']);
    expect(publisher.stats().reconnects).toBeGreaterThanOrEqual(1);
    // The subscriber's session (its subscription) came back from the broker's database, so nothing published
    // between the restart and its reconnect was lost to it.
    expect(subscriberSessions[0]).toBe(true);
    await publisher.flushed(5000);
  }, 40_000);

  test('the connection lost while the spool is being read: the frames read go out on the next connection, once', async () => {
    const [publisherAddress, subscriberAddress] = [ADDRESSES[12]!, ADDRESSES[13]!];
    const subscriber = await open(subscriberAddress);
    const got: Delivery[] = [];
    await subscriber.subscribe({ from: publisherAddress }, (d) => got.push(d));
    // A reconnect a second after the loss: long enough for the read to finish between the loss and the next client.
    const publisher = await open(publisherAddress, { backoff: { initialMs: 1000, maxMs: 1000 } });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const take = Spool.prototype.take;
    let held = 0;
    const spy = jest.spyOn(Spool.prototype, 'take').mockImplementation(async function (this: Spool, max: number) {
      if (held++ === 0) await gate;
      return take.call(this, max);
    });
    try {
      await publisher.publish('sub', new Uint8Array([1]));
      await waitFor(() => held === 1, 'the pump to read the spool');
      await broker.kill();
      await waitFor(() => !publisher.connected, 'the publisher to see the broker gone');
      release();
      await settle(100);
      await broker.start();
      await waitFor(() => got.length === 1, 'the frame on the next connection', 20_000);
      await publisher.flushed(5000);
      await settle(200);
      expect(got.map((d) => [...d.frame])).toEqual([[1]]);
      expect(publisher.stats().reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
  }, 40_000);

  test('a publisher process killed with frames in its spool: the next process on that spool delivers them, then its own', async () => {
    const [publisherAddress, subscriberAddress] = [ADDRESSES[10]!, ADDRESSES[11]!];
    const spoolDir = join(root, 'restarted-publisher');
    await broker.stop();
    const script = fileURLToPath(new URL('./fixtures/spool-publisher.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, MC_PUBLISHER: JSON.stringify({ url: broker.url, cluster: CLUSTER, address: publisherAddress, password: password(publisherAddress), spoolDir, count: 20 }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    try {
      await waitFor(() => /spooled \d+/.test(output), `the child to spool its frames (output: ${output})`, 20_000);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(output).toMatch(/spooled 20 incarnation \d+/);
    const oldIncarnation = Number(/incarnation (\d+)/.exec(output)![1]);

    await broker.start();
    const subscriber = await open(subscriberAddress);
    const got: Delivery[] = [];
    await subscriber.subscribe({ from: publisherAddress }, (d) => got.push(d));
    const restarted = await open(publisherAddress, { spoolDir });
    expect(restarted.incarnation).toBeGreaterThan(oldIncarnation);
    await restarted.publish('sub', new Uint8Array([99]));
    await waitFor(() => got.length === 21, '20 spooled frames and one new one', 10_000);
    expect(got.slice(0, 20).map((d) => [d.incarnation, d.seq, d.frame[0]])).toEqual(Array.from({ length: 20 }, (_, i) => [oldIncarnation, i + 1, i]));
    expect([got[20]!.incarnation, got[20]!.seq, got[20]!.frame[0]]).toEqual([restarted.incarnation, 1, 99]);
  }, 40_000);

  test('frames spooled past their expiry are not sent after a reconnect; the others are, in order', async () => {
    const [publisherAddress, subscriberAddress] = [ADDRESSES[14]!, ADDRESSES[15]!];
    const subscriber = await open(subscriberAddress);
    const got: Delivery[] = [];
    await subscriber.subscribe({ from: publisherAddress }, (d) => got.push(d));
    let clock = 1_000_000;
    const publisher = await open(publisherAddress, { now: () => clock });
    await broker.kill();
    await waitFor(() => !publisher.connected, 'the publisher to see the broker gone');
    // A cut-off: round frames (expiring) and block agreement frames (never expiring) interleaved in the spool.
    await publisher.publish('vote', new Uint8Array([1]), { expiresAt: clock + 500 });
    await publisher.publish('timeout', new Uint8Array([2]));
    await publisher.publish('vote', new Uint8Array([3]), { expiresAt: clock + 500 });
    await publisher.publish('vote', new Uint8Array([4]), { expiresAt: clock + 60_000 });
    await publisher.publish('block-vote', new Uint8Array([5]));
    clock += 1000;
    await broker.start();
    await waitFor(() => got.length === 3, `the three frames still worth sending (have ${got.length})`, 20_000);
    await publisher.flushed(5000);
    await settle(300);
    expect(got.map((d) => [d.kind, d.frame[0]])).toEqual([['timeout', 2], ['vote', 4], ['block-vote', 5]]);
    // The skipped sequence numbers are reported, never held against the frames after them.
    expect(got.find((d) => d.kind === 'vote')).toMatchObject({ seq: 3 });
    expect(publisher.stats()).toMatchObject({ published: 5, acknowledged: 3, expired: 2, queued: 0 });
  }, 40_000);

  test('a frame past its expiry recovered from the spool after a restart is not sent either', async () => {
    const [publisherAddress, subscriberAddress] = [ADDRESSES[16]!, ADDRESSES[17]!];
    const spoolDir = join(root, 'expiring-restarted');
    const subscriber = await open(subscriberAddress);
    const got: Delivery[] = [];
    await subscriber.subscribe({ from: publisherAddress }, (d) => got.push(d));
    let clock = 2_000_000;
    await broker.stop();
    const first = await openMqttTransport(options(publisherAddress, { spoolDir, now: () => clock }));
    await first.publish('submission', new Uint8Array([1]), { expiresAt: clock + 500 });
    await first.publish('evidence', new Uint8Array([2]));
    await first.publish('submission', new Uint8Array([3]), { expiresAt: clock + 60_000 });
    await first.close();
    clock += 1000;
    await broker.start();
    const restarted = await open(publisherAddress, { spoolDir, now: () => clock });
    await restarted.flushed(10_000);
    await waitFor(() => got.length === 2, `the two frames still worth sending (have ${got.length})`, 10_000);
    await settle(300);
    expect(got.map((d) => [d.kind, d.frame[0]])).toEqual([['evidence', 2], ['submission', 3]]);
    expect(restarted.stats()).toMatchObject({ expired: 1, acknowledged: 2, queued: 0 });
  }, 40_000);

  // The round trip itself, with and without TCP_NODELAY, is measured by `npm run bench -- transport` as ratios to raw
  // mqtt.js in the same run (docs/benchmarks.md), not here: a timed test fails on a loaded machine, not on a change.
  test('TCP_NODELAY is set on the socket of every connection, reconnects included', async () => {
    const withNoDelay = new Set<Socket>();
    const original = Socket.prototype.setNoDelay;
    Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
      if (noDelay !== false) withNoDelay.add(this);
      return original.call(this, noDelay);
    };
    try {
      const t = await open(ADDRESSES[16]!);
      const sockets: Socket[] = [];
      const track = (): void => void sockets.push(...[...withNoDelay].filter((s) => !s.destroyed));
      t.on('connect', track);
      await broker.kill();
      await waitFor(() => !t.connected, 'the disconnect');
      await broker.start();
      await waitFor(() => sockets.length > 0, 'the reconnect', 10_000);
      expect(t.stats().reconnects).toBe(1);
      // The live socket after the reconnect is one on which setNoDelay(true) was called.
      expect(sockets.some((s) => s.remotePort === broker.port)).toBe(true);
    } finally {
      Socket.prototype.setNoDelay = original;
    }
  });

  test('the acknowledgements of frames that arrive together leave in one socket write, and every frame is delivered once', async () => {
    const created: Socket[] = [];
    const originalNoDelay = Socket.prototype.setNoDelay;
    Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
      created.push(this);
      return originalNoDelay.call(this, noDelay);
    };
    const writes = new Map<Socket, number>();
    const proto = Socket.prototype as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const originalWrite = proto._write;
    const originalWritev = proto._writev;
    const count = (s: Socket): void => void writes.set(s, (writes.get(s) ?? 0) + 1);
    proto._write = function (this: Socket, ...a: unknown[]) {
      count(this);
      return originalWrite.apply(this, a);
    };
    proto._writev = function (this: Socket, ...a: unknown[]) {
      count(this);
      return originalWritev.apply(this, a);
    };
    try {
      // The receiver's session holds its subscription while it is away; 200 frames wait for it at the broker, which
      // sends them in bursts as soon as it is back (as many as it lets be in flight), each asking for a PUBACK.
      const spoolDir = join(root, 'acks-receiver');
      const away = await open(ADDRESSES[17]!, { spoolDir });
      await away.subscribe({ from: ADDRESSES[18]! }, () => undefined);
      await away.close();
      const sender = await open(ADDRESSES[18]!);
      for (let i = 0; i < 200; i++) await sender.publish('submission', new Uint8Array([i, i >> 8, 7, 7, 7, 7]));
      await sender.flushed(10_000);
      const got: Delivery[] = [];
      const before = created.length;
      const receiver = await openMqttTransport(options(ADDRESSES[17]!, { spoolDir }));
      opened.push(receiver);
      await receiver.subscribe({ from: ADDRESSES[18]! }, (d) => void got.push(d));
      await waitFor(() => got.length === 200, '200 frames', 10_000);
      await settle();
      expect(got.map((d) => d.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const socket = created[before]!;
      expect(socket.remotePort).toBe(broker.port);
      // One write per PUBACK would be over 200 (the CONNECT and SUBSCRIBE besides); one per burst is far fewer.
      expect(writes.get(socket) ?? 0).toBeLessThan(100);
    } finally {
      Socket.prototype.setNoDelay = originalNoDelay;
      proto._write = originalWrite;
      proto._writev = originalWritev;
    }
  });

});

describe('MQTT transport with no broker listening', () => {
  test('reconnects with exponential backoff, jittered by the injected random numbers', async () => {
    const root = await tempRoot();
    const randoms = [0, 0.5, 0.999];
    let i = 0;
    const t = await openMqttTransport({
      url: `mqtt://127.0.0.1:${await closedPort()}`,
      cluster: CLUSTER,
      address: ADDRESSES[30]!,
      spoolDir: join(root, 's'),
      backoff: { initialMs: 20, maxMs: 100 },
      random: () => randoms[i++ % randoms.length]!,
    });
    const delays: number[] = [];
    t.on('reconnecting', (e) => delays.push(e.delayMs));
    try {
      await waitFor(() => delays.length >= 5, 'five reconnect attempts');
      // d = min(100, 20·2^n), then d/2 + (d/2)·random: n = 0..4 with randoms 0, 0.5, 0.999, 0, 0.5.
      expect(delays.slice(0, 5)).toEqual([10, 30, 79, 50, 75]);
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('publish() works while the broker is unreachable: frames wait in the spool', async () => {
    const root = await tempRoot();
    const t = await openMqttTransport({ url: `mqtt://127.0.0.1:${await closedPort()}`, cluster: CLUSTER, address: ADDRESSES[31]!, spoolDir: join(root, 's'), ...TEST_BACKOFF });
    try {
      const receipts = [await t.publish('vote', new Uint8Array([1])), await t.publish('vote', new Uint8Array([2]))];
      expect(receipts.map((r) => r.seq)).toEqual([1, 2]);
      expect(t.connected).toBe(false);
      expect(t.stats()).toMatchObject({ published: 2, acknowledged: 0, queued: 2 });
      await expect(t.flushed(100)).rejects.toMatchObject({ code: 'FLUSH_TIMEOUT' });
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('MQTT transport against a 3.1.1-only broker (aedes)', () => {
  let server: Server;
  let broker: Aedes;
  let root: string;
  let url: string;
  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    root = await tempRoot();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  test('falls back to MQTT 3.1.1 when the broker refuses 5, and frames flow', async () => {
    const [a, b] = [ADDRESSES[20]!, ADDRESSES[21]!];
    const receiver = await openConnected({ url, cluster: CLUSTER, address: a, spoolDir: join(root, 'a'), ...TEST_BACKOFF });
    const sender = await openConnected({ url, cluster: CLUSTER, address: b, spoolDir: join(root, 'b'), ...TEST_BACKOFF });
    try {
      expect(receiver.protocolVersion).toBe(4);
      const got: Delivery[] = [];
      await receiver.subscribe({}, (d) => got.push(d));
      await sender.publish('vote', new Uint8Array([5]));
      await waitFor(() => got.length === 1, 'the frame');
      expect(got[0]).toMatchObject({ from: b, kind: 'vote', seq: 1 });
    } finally {
      await receiver.close();
      await sender.close();
    }
  });
});

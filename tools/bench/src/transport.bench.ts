// MQTT transport through a real Mosquitto (started from the shipped configuration): request/response round trip
// with and without TCP_NODELAY, and QoS 1 throughput, each next to raw mqtt.js (no framing, no spool) in the same run;
// and what a receiver spends telling a repeat from a new payload (docs/transport.md section 4) beside the Ed25519
// verification a signed header would cost instead.
import { generateKeyPairSync, hash, sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { openMqttTransport, type FsyncPolicy, type MqttTransport } from '@meterchain/transport';
import { opsPerSecond, ratioRow, type BenchOptions, type BenchRow } from './harness.ts';

const CLUSTER = 'bench';
const ADDRESSES = ['mc' + '0a'.repeat(20), 'mc' + '0b'.repeat(20)] as const;
const PASSWORD = 'bench-password';
/** The size of a signed reading frame (CBOR reading + signature envelope). */
const FRAME_BYTES = 200;
/** In-flight window for both sides of the throughput comparison (the transport's default). */
const WINDOW = 64;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A raw mqtt.js client, MQTT 5, with or without TCP_NODELAY on its socket. */
async function rawClient(broker: MosquittoBroker, address: string, noDelay: boolean): Promise<mqtt.MqttClient> {
  const build = () => {
    const socket = netConnect({ host: broker.host, port: broker.port });
    if (noDelay) socket.setNoDelay(true);
    return socket;
  };
  const client = new mqtt.MqttClient(build, { protocolVersion: 5, username: address, password: PASSWORD, clientId: `raw-${address}`, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

async function transport(broker: MosquittoBroker, root: string, address: string, noDelay: boolean, fsync: FsyncPolicy): Promise<MqttTransport> {
  const t = await openMqttTransport({
    url: broker.url,
    cluster: CLUSTER,
    address,
    password: PASSWORD,
    spoolDir: await mkdtemp(join(root, 'spool-')),
    noDelay,
    fsync,
    maxInflight: WINDOW,
  });
  const deadline = Date.now() + 5000;
  while (!t.connected) {
    if (Date.now() > deadline) throw new Error('transport bench: no connection to Mosquitto');
    await new Promise((r) => setTimeout(r, 5));
  }
  return t;
}

/** Median ms of request/response hops between two raw clients. */
async function rawRoundTrip(broker: MosquittoBroker, noDelay: boolean, hops: number): Promise<number> {
  const [a, b] = await Promise.all([rawClient(broker, ADDRESSES[0], noDelay), rawClient(broker, ADDRESSES[1], noDelay)]);
  try {
    const request = `meterchain/${CLUSTER}/sub/${ADDRESSES[0]}`;
    const response = `meterchain/${CLUSTER}/vote/${ADDRESSES[1]}`;
    await b.subscribeAsync(request, { qos: 1 });
    await a.subscribeAsync(response, { qos: 1 });
    b.on('message', (_topic, payload) => void b.publish(response, Buffer.from(payload), { qos: 1 }));
    let answered: (() => void) | undefined;
    a.on('message', () => answered?.());
    const times: number[] = [];
    for (let i = 0; i < hops + 3; i++) {
      const reply = new Promise<void>((resolve) => (answered = resolve));
      const start = performance.now();
      a.publish(request, Buffer.alloc(FRAME_BYTES, i & 0xff), { qos: 1 });
      await reply;
      if (i >= 3) times.push(performance.now() - start);
    }
    return median(times);
  } finally {
    await Promise.all([a.endAsync(true), b.endAsync(true)]);
  }
}

/** Median ms of request/response hops between two meterchain transports (frames spooled with fsync). */
async function transportRoundTrip(broker: MosquittoBroker, root: string, noDelay: boolean, hops: number, fsync: FsyncPolicy = 'always'): Promise<number> {
  const [a, b] = await Promise.all([transport(broker, root, ADDRESSES[0], noDelay, fsync), transport(broker, root, ADDRESSES[1], noDelay, fsync)]);
  try {
    await b.subscribe({ kind: 'sub', from: a.address }, (d) => void b.publish('vote', d.frame));
    let answered: (() => void) | undefined;
    await a.subscribe({ kind: 'vote', from: b.address }, () => answered?.());
    const times: number[] = [];
    for (let i = 0; i < hops + 3; i++) {
      const reply = new Promise<void>((resolve) => (answered = resolve));
      const start = performance.now();
      await a.publish('sub', new Uint8Array(FRAME_BYTES).fill(i & 0xff));
      await reply;
      if (i >= 3) times.push(performance.now() - start);
    }
    return median(times);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** Frames/s from one raw publisher to one subscriber, QoS 1, `WINDOW` in flight, until the last one arrived. */
async function rawThroughput(broker: MosquittoBroker, count: number): Promise<number> {
  const [pub, sub] = await Promise.all([rawClient(broker, ADDRESSES[0], true), rawClient(broker, ADDRESSES[1], true)]);
  try {
    const topic = `meterchain/${CLUSTER}/sub/${ADDRESSES[0]}`;
    await sub.subscribeAsync(topic, { qos: 1 });
    let received = 0;
    const all = new Promise<void>((resolve) => sub.on('message', () => ++received === count && resolve()));
    const start = performance.now();
    let sent = 0;
    let inflight = 0;
    await new Promise<void>((resolve) => {
      const next = (): void => {
        while (inflight < WINDOW && sent < count) {
          inflight++;
          sent++;
          // A fresh buffer per message: mqtt.js may hold it until the socket flushes.
          pub.publish(topic, Buffer.alloc(FRAME_BYTES, sent & 0xff), { qos: 1 }, () => {
            inflight--;
            next();
          });
        }
        if (sent === count) resolve();
      };
      next();
    });
    await all;
    return count / ((performance.now() - start) / 1000);
  } finally {
    await Promise.all([pub.endAsync(true), sub.endAsync(true)]);
  }
}

/** Frames/s through meterchain transports (framing, spool on disk, sequence tracking at the receiver). */
async function transportThroughput(broker: MosquittoBroker, root: string, count: number, fsync: FsyncPolicy): Promise<number> {
  const [pub, sub] = await Promise.all([transport(broker, root, ADDRESSES[0], true, fsync), transport(broker, root, ADDRESSES[1], true, fsync)]);
  try {
    let received = 0;
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    await sub.subscribe({ from: pub.address }, () => ++received === count && resolveAll());
    const frame = new Uint8Array(FRAME_BYTES);
    const start = performance.now();
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < count; i++) sends.push(pub.publish('sub', frame));
    await Promise.all(sends);
    await all;
    return count / ((performance.now() - start) / 1000);
  } finally {
    await Promise.all([pub.close(), sub.close()]);
  }
}

/** Per received payload: the SHA-256 duplicates are told by, and an Ed25519 verification of a 12-byte header plus a
 * frame digest (what signing the header would add), on a 300-byte payload. */
function headerRows(ms: number): BenchRow[] {
  const payload = Buffer.alloc(300, 7);
  let n = 0;
  const digests = opsPerSecond(() => {
    payload[0] = n++ & 0xff;
    hash('sha256', payload, 'buffer');
  }, ms);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const signed = Buffer.alloc(12 + 32, 1);
  const signature = sign(null, signed, privateKey);
  const verifications = opsPerSecond(() => void verify(null, signed, publicKey, signature), ms);
  return [
    { name: 'receiver: Ed25519 verification of a signed header (KeyObject cached)', value: verifications, unit: 'ops/s' },
    ratioRow('receiver: SHA-256 of a 300-byte payload (duplicate check)', digests, 'ops/s', 'Ed25519 header verification', verifications, undefined, 'higher is better'),
  ];
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const hops = opts.quick ? 10 : 30;
  const slowHops = opts.quick ? 5 : 12;
  const count = opts.quick ? 3000 : 15000;
  const users = ADDRESSES.map((username) => ({ username, password: PASSWORD }));
  const root = await mkdtemp(join(tmpdir(), 'meterchain-bench-transport-'));
  const broker = await startMosquitto({ users });
  // The same configuration with the broker's TCP_NODELAY off: the "nothing set" case.
  const nagleBroker = await startMosquitto({ users, settings: { set_tcp_nodelay: false } });
  try {
    const rows: BenchRow[] = headerRows(opts.quick ? 200 : 1000);
    const rawRtt = await rawRoundTrip(broker, true, hops);
    rows.push({ name: 'round trip, raw mqtt.js, TCP_NODELAY both ends (median)', value: rawRtt, unit: 'ms' });
    const rtt = await transportRoundTrip(broker, root, true, hops);
    rows.push(ratioRow("round trip, meterchain transport, TCP_NODELAY, fsync 'always' (median)", rtt, 'ms', 'raw mqtt.js round trip', rawRtt, undefined, 'lower is better; two spool writes + fdatasync per hop'));
    const rttInterval = await transportRoundTrip(broker, root, true, hops, 'interval');
    rows.push(ratioRow("round trip, meterchain transport, TCP_NODELAY, fsync 'interval' (median)", rttInterval, 'ms', 'raw mqtt.js round trip', rawRtt, undefined, 'lower is better; spool writes without a sync each'));
    const rawClientNagle = await rawRoundTrip(broker, false, slowHops);
    rows.push(ratioRow('round trip, raw mqtt.js, no setNoDelay on clients (median)', rawClientNagle, 'ms', 'raw mqtt.js with TCP_NODELAY', rawRtt, undefined, 'broker has set_tcp_nodelay true'));
    const rttNagle = await transportRoundTrip(broker, root, false, slowHops);
    rows.push(ratioRow('round trip, meterchain transport, noDelay: false (median)', rttNagle, 'ms', 'meterchain with TCP_NODELAY', rtt, undefined, 'what setNoDelay saves per hop'));
    const rawNagleBoth = await rawRoundTrip(nagleBroker, false, slowHops);
    rows.push(ratioRow('round trip, raw mqtt.js, TCP_NODELAY nowhere (median)', rawNagleBoth, 'ms', 'raw mqtt.js with TCP_NODELAY', rawRtt, undefined, 'broker set_tcp_nodelay false'));

    const rawRate = await rawThroughput(broker, count);
    rows.push({ name: `throughput QoS 1, raw mqtt.js, ${FRAME_BYTES} B, ${WINDOW} in flight`, value: rawRate, unit: 'frames/s' });
    const rateAlways = await transportThroughput(broker, root, count, 'always');
    rows.push(ratioRow("throughput QoS 1, meterchain transport, fsync 'always'", rateAlways, 'frames/s', 'raw mqtt.js QoS 1', rawRate, undefined, 'group commit: appends during a sync share the next one'));
    const rateInterval = await transportThroughput(broker, root, count, 'interval');
    rows.push(ratioRow("throughput QoS 1, meterchain transport, fsync 'interval'", rateInterval, 'frames/s', 'raw mqtt.js QoS 1', rawRate));
    return rows;
  } finally {
    await Promise.all([broker.close(), nagleBroker.close()]);
    await rm(root, { recursive: true, force: true });
  }
}

// Accepted readings out to the integrator's systems, as plain values: a JSON message per reading on an MQTT topic
// (home automation, historians), and Eclipse Sparkplug B (SCADA). Best effort beside the chain: the chain is the
// record, so a reading that finds its output broker unreachable is counted and dropped, never queued without bound.
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as netConnect, type Socket } from 'node:net';
import { MqttClient, type IClientOptions } from 'mqtt';
import sparkplug from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { qualityNames, type Reading } from '@meterchain/core';
import { fromFixed } from './channels.ts';
import { ConfigError, type NodeConfig, type OutputBrokerConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { NodeObserver } from './runtime.ts';

/** The broker an output publishes to (by default the cluster's own) and the output's own login there. */
export interface OutputBroker {
  url: string;
  username?: string;
  password?: string;
}

export interface JsonOutputOptions {
  broker: OutputBroker;
  /** Default meterchain/<cluster>/values/<address>: a topic the shipped ACL lets a meter write. */
  topic: string;
  retain?: boolean;
  clientId: string;
}

export interface SparkplugOutputOptions {
  broker: OutputBroker;
  groupId: string;
  edgeNodeId: string;
  deviceId: string;
  clientId: string;
  /** Where the birth/death sequence number is kept across restarts (a host tells an old death from a new birth). */
  bdSeqFile?: string;
}

/** One accepted own reading, as the node hands it to its outputs. */
export interface AcceptedReading {
  reading: Reading;
  round: number;
  address: string;
  acceptedAt: number;
}

/** An own reading told accepted before and taken back since (docs/protocol.md §7): what it is now. */
export interface WithdrawnReading {
  reading: Reading;
  round: number;
  address: string;
  outcome: 'rejected' | 'not-enough-votes' | 'too-late';
  withdrawnAt: number;
}

export interface ReadingOutput {
  readonly name: string;
  accepted(a: AcceptedReading): void;
  /** An accepted reading sent before is taken back: its consumers must drop it (the last message for a reading is
   * the node's word on it). */
  withdrawn(w: WithdrawnReading): void;
  /** A block was committed and stored (Sparkplug reports the chain height as node data). */
  committed(height: number): void;
  close(): Promise<void>;
}

/** Values of a reading in SI units by channel id: the fixed-point value times 10^scale. */
export function plainValues(reading: Reading): { id: string; unit: string; value: number }[] {
  return reading.channels.map((c) => ({ id: c.id, unit: c.unit, value: fromFixed(c.value, c.scale) }));
}

/** The JSON message of one accepted reading. */
export function readingToJson(a: AcceptedReading): Record<string, unknown> {
  const values: Record<string, { value: number; unit: string }> = {};
  for (const v of plainValues(a.reading)) values[v.id] = { value: v.value, unit: v.unit };
  return {
    cluster: a.reading.cluster,
    meter: a.address,
    round: a.round,
    seq: a.reading.seq,
    ts: new Date(a.reading.ts).toISOString(),
    tsMs: a.reading.ts,
    acceptedAtMs: a.acceptedAt,
    quality: a.reading.quality,
    flags: qualityNames(a.reading.quality),
    values,
  };
}

/**
 * The JSON message taking back an accepted reading sent before: the same meter, round and seq, `withdrawn: true` and
 * what the reading's outcome is now, no values.
 */
export function withdrawalToJson(w: WithdrawnReading): Record<string, unknown> {
  return {
    cluster: w.reading.cluster,
    meter: w.address,
    round: w.round,
    seq: w.reading.seq,
    ts: new Date(w.reading.ts).toISOString(),
    tsMs: w.reading.ts,
    withdrawn: true,
    outcome: w.outcome,
    withdrawnAtMs: w.withdrawnAt,
  };
}

/** An mqtt.js client on a TCP_NODELAY socket; mqtt.js reconnects it (every 2 s) while the output is open. */
function openClient(broker: OutputBroker, clientId: string, extra: Partial<IClientOptions> = {}): MqttClient {
  const url = new URL(broker.url.replace(/^tcp:/, 'mqtt:'));
  if (url.protocol !== 'mqtt:') throw new Error(`outputs: only mqtt:// brokers are supported, got ${broker.url}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 1883);
  const build = (): Socket => {
    const socket = netConnect({ host, port });
    socket.setNoDelay(true);
    return socket;
  };
  return new MqttClient(build, {
    protocolVersion: 4,
    clientId,
    ...(broker.username !== undefined ? { username: broker.username } : {}),
    ...(broker.password !== undefined ? { password: broker.password } : {}),
    keepalive: 15,
    reconnectPeriod: 2000,
    connectTimeout: 5000,
    clean: true,
    queueQoSZero: false,
    ...extra,
  });
}

function closeClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

/** One JSON message per accepted reading, QoS 1. */
export class JsonOutput implements ReadingOutput {
  readonly name = 'json';
  private readonly client: MqttClient;

  constructor(
    private readonly o: JsonOutputOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.client = openClient(o.broker, o.clientId);
    this.client.on('connect', () => log.info('output connected', { output: 'json', url: o.broker.url, topic: o.topic }));
    this.client.on('error', (e) => log.warn('output broker error', { output: 'json', error: e.message }));
  }

  accepted(a: AcceptedReading): void {
    this.send(readingToJson(a));
  }

  withdrawn(w: WithdrawnReading): void {
    this.send(withdrawalToJson(w));
  }

  private send(message: Record<string, unknown>): void {
    if (!this.client.connected) {
      this.metrics.counter('meterchain_output_dropped_total', 'Accepted readings an output could not send (its broker unreachable).', 1, { output: 'json' });
      return;
    }
    this.client.publish(this.o.topic, JSON.stringify(message), { qos: 1, retain: this.o.retain ?? false }, (e) => {
      if (e) this.log.warn('output publish failed', { output: 'json', error: e.message });
      else this.metrics.counter('meterchain_output_published_total', 'Messages published by the outputs.', 1, { output: 'json' });
    });
  }

  committed(): void {}

  close(): Promise<void> {
    return closeClient(this.client);
  }
}

const { encodePayload, decodePayload } = sparkplug.get('spBv1.0')!;
export { decodePayload as decodeSparkplugPayload };

/**
 * Eclipse Sparkplug B 3.0: the node is an Edge Node, its meter a Device. On each connection: NBIRTH (seq 0, with the
 * bdSeq that the connection's will, the NDEATH, carries), then DBIRTH naming every metric with its type and unit,
 * then a DDATA per accepted reading and an NDATA per committed block; seq counts 0-255 over all of them. A clean stop
 * publishes NDEATH itself; a lost connection lets the broker publish the will. An NCMD `Node Control/Rebirth` sends
 * the births again.
 */
export class SparkplugOutput implements ReadingOutput {
  readonly name = 'sparkplug';
  private readonly client: MqttClient;
  private readonly topic: { nbirth: string; ndeath: string; ndata: string; ncmd: string; dbirth: string; ddata: string };
  private bdSeq: number;
  private seq = 0;
  /** The channels (id and unit) the last DBIRTH named; a reading with others is preceded by a new DBIRTH. */
  private born: string | undefined;
  private lastReading: AcceptedReading | undefined;
  private height = -1;
  private closing = false;

  constructor(
    private readonly o: SparkplugOutputOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    const base = `spBv1.0/${o.groupId}`;
    this.topic = {
      nbirth: `${base}/NBIRTH/${o.edgeNodeId}`,
      ndeath: `${base}/NDEATH/${o.edgeNodeId}`,
      ndata: `${base}/NDATA/${o.edgeNodeId}`,
      ncmd: `${base}/NCMD/${o.edgeNodeId}`,
      dbirth: `${base}/DBIRTH/${o.edgeNodeId}/${o.deviceId}`,
      ddata: `${base}/DDATA/${o.edgeNodeId}/${o.deviceId}`,
    };
    this.bdSeq = readBdSeq(o.bdSeqFile);
    // Sparkplug: clean session, and the death certificate as the will (QoS 1, not retained).
    this.client = openClient(o.broker, o.clientId, { will: { topic: this.topic.ndeath, payload: Buffer.from(this.death()), qos: 1, retain: false } });
    this.client.on('connect', () => this.onConnect());
    // The next connection announces the next bdSeq, so a host can tell this connection's death from the next birth.
    this.client.on('close', () => {
      if (this.closing) return;
      this.bdSeq = (this.bdSeq + 1) % 256;
      this.client.options.will = { topic: this.topic.ndeath, payload: Buffer.from(this.death()), qos: 1, retain: false };
      void writeBdSeq(o.bdSeqFile, this.bdSeq);
    });
    this.client.on('message', (topic, payload) => this.onCommand(topic, payload));
    this.client.on('error', (e) => log.warn('output broker error', { output: 'sparkplug', error: e.message }));
  }

  private death(): Uint8Array {
    return encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: this.bdSeq }] });
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  private send(topic: string, payload: UPayload): void {
    this.client.publish(topic, Buffer.from(encodePayload(payload)), { qos: 0, retain: false }, (e) => {
      if (e) this.log.warn('output publish failed', { output: 'sparkplug', topic, error: e.message });
      else this.metrics.counter('meterchain_output_published_total', 'Messages published by the outputs.', 1, { output: 'sparkplug' });
    });
  }

  private onConnect(): void {
    this.log.info('output connected', { output: 'sparkplug', url: this.o.broker.url, node: this.topic.nbirth, bdSeq: this.bdSeq });
    void writeBdSeq(this.o.bdSeqFile, (this.bdSeq + 1) % 256);
    this.client.subscribe(this.topic.ncmd, { qos: 0 });
    this.birth();
  }

  /** NBIRTH with seq 0, then the DBIRTH once the meter's channels are known. */
  private birth(): void {
    this.seq = 0;
    this.born = undefined;
    const now = Date.now();
    this.send(this.topic.nbirth, {
      timestamp: now,
      seq: this.nextSeq(),
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: this.bdSeq, timestamp: now },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false, timestamp: now },
        { name: 'Chain/Height', type: 'Int64', value: this.height, timestamp: now },
      ],
    });
    if (this.lastReading) this.deviceBirth(this.lastReading);
  }

  private metricsOf(a: AcceptedReading): UMetric[] {
    const ts = a.reading.ts;
    return [
      ...plainValues(a.reading).map(
        (v): UMetric => ({ name: `Readings/${v.id}`, type: 'Double', value: v.value, timestamp: ts, properties: { engUnit: { type: 'String', value: v.unit } } }),
      ),
      { name: 'Quality', type: 'UInt32', value: a.reading.quality, timestamp: ts },
      { name: 'Round', type: 'Int64', value: a.round, timestamp: ts },
    ];
  }

  private deviceBirth(a: AcceptedReading): void {
    this.born = a.reading.channels.map((c) => `${c.id} ${c.unit}`).join(',');
    // The birth names every metric a DDATA may carry: `Withdrawn/Round` too (-1: none taken back).
    const metrics = this.metricsOf(a);
    metrics.push({ name: 'Withdrawn/Round', type: 'Int64', value: -1, timestamp: a.reading.ts });
    this.send(this.topic.dbirth, { timestamp: Date.now(), seq: this.nextSeq(), metrics });
  }

  /**
   * A DDATA taking back a reading sent before: `Withdrawn/Round` is its round, and each of its values is null at the
   * reading's time (Sparkplug's is_null), so that a historian storing by metric and time replaces what it stored.
   */
  withdrawn(w: WithdrawnReading): void {
    const ts = w.reading.ts;
    // Never born again with the values taken back.
    if (this.lastReading && this.lastReading.round === w.round) this.lastReading = undefined;
    const shape = w.reading.channels.map((c) => `${c.id} ${c.unit}`).join(',');
    if (!this.client.connected || this.born !== shape) {
      // Not connected, or the device was born since with other metrics (its host has the births' values only).
      this.metrics.counter('meterchain_output_dropped_total', 'Accepted readings an output could not send (its broker unreachable).', 1, { output: 'sparkplug' });
      return;
    }
    const metrics: UMetric[] = plainValues(w.reading).map((v): UMetric => ({ name: `Readings/${v.id}`, type: 'Double', value: null, timestamp: ts }));
    metrics.push({ name: 'Withdrawn/Round', type: 'Int64', value: w.round, timestamp: ts });
    this.send(this.topic.ddata, { timestamp: Date.now(), seq: this.nextSeq(), metrics });
  }

  accepted(a: AcceptedReading): void {
    this.lastReading = a;
    if (!this.client.connected) {
      this.metrics.counter('meterchain_output_dropped_total', 'Accepted readings an output could not send (its broker unreachable).', 1, { output: 'sparkplug' });
      return;
    }
    const shape = a.reading.channels.map((c) => `${c.id} ${c.unit}`).join(',');
    // The first reading after a birth is the DBIRTH's own values; later ones are DDATA.
    if (this.born !== shape) this.deviceBirth(a);
    else this.send(this.topic.ddata, { timestamp: Date.now(), seq: this.nextSeq(), metrics: this.metricsOf(a) });
  }

  committed(height: number): void {
    this.height = height;
    if (!this.client.connected) return;
    const now = Date.now();
    this.send(this.topic.ndata, { timestamp: now, seq: this.nextSeq(), metrics: [{ name: 'Chain/Height', type: 'Int64', value: height, timestamp: now }] });
  }

  private onCommand(topic: string, payload: Buffer): void {
    if (topic !== this.topic.ncmd) return;
    let rebirth = false;
    try {
      rebirth = (decodePayload(payload).metrics ?? []).some((m) => m.name === 'Node Control/Rebirth' && m.value === true);
    } catch {
      this.log.warn('output: an NCMD that is not a Sparkplug B payload was ignored', { output: 'sparkplug', bytes: payload.length });
      return;
    }
    if (rebirth) {
      this.log.info('output: rebirth requested', { output: 'sparkplug' });
      this.birth();
    }
  }

  /** Publishes the death certificate itself (a clean disconnect sends no will), then disconnects. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.client.connected) {
      await new Promise<void>((resolve) => this.client.publish(this.topic.ndeath, Buffer.from(this.death()), { qos: 1 }, () => resolve()));
    }
    await closeClient(this.client);
  }
}

function readBdSeq(file: string | undefined): number {
  if (!file) return 0;
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n >= 0 && n < 256 ? n : 0;
  } catch {
    return 0;
  }
}

async function writeBdSeq(file: string | undefined, value: number): Promise<void> {
  if (!file) return;
  await writeFile(`${file}.tmp`, `${value}\n`);
  await rename(`${file}.tmp`, file);
}

export interface OutputContext {
  cluster: string;
  address: string;
  /** The member's name in the manifest, if it has one. */
  name?: string;
  /** The cluster broker's URL and the node's login there. */
  broker: OutputBroker;
  dataDir: string;
}

/** The outputs a configuration asks for, checked (logins, password files) but not connected. */
export interface OutputPlan {
  json?: JsonOutputOptions;
  sparkplug?: SparkplugOutputOptions;
}

/** Checks the outputs' configuration and reads their password files: a ConfigError before anything connects. */
export async function planOutputs(cfg: NodeConfig['outputs'], ctx: OutputContext): Promise<OutputPlan> {
  const brokerOf = async (key: string, c: OutputBrokerConfig): Promise<OutputBroker> => {
    const url = c.url ?? ctx.broker.url;
    // A broker that enforces identity takes the client id from the login (use_username_as_clientid): an output
    // logged in as the node would take over the node's own connection. So an output has a login of its own.
    if (url === ctx.broker.url && (c.username === undefined || c.username === ctx.broker.username)) {
      throw new ConfigError(`outputs.${key}.username: an output needs its own broker login, not the node's (a broker that takes the client id from the login would disconnect the node)`);
    }
    return { url, ...(c.username !== undefined ? { username: c.username } : {}), ...(c.passwordFile ? { password: await readSecret(key, c.passwordFile) } : {}) };
  };
  const plan: OutputPlan = {};
  if (cfg?.json) {
    const topic = cfg.json.topic ?? `meterchain/${ctx.cluster}/values/${ctx.address}`;
    plan.json = { broker: await brokerOf('json', cfg.json), topic, clientId: `${ctx.address}-values`, ...(cfg.json.retain !== undefined ? { retain: cfg.json.retain } : {}) };
  }
  if (cfg?.sparkplug) {
    const s = cfg.sparkplug;
    const edgeNodeId = s.edgeNodeId ?? (ctx.name && /^[^/+#]+$/.test(ctx.name) ? ctx.name : ctx.address);
    plan.sparkplug = { broker: await brokerOf('sparkplug', s), groupId: s.groupId, edgeNodeId, deviceId: s.deviceId ?? 'meter', clientId: `${ctx.address}-sparkplug`, bdSeqFile: join(ctx.dataDir, 'sparkplug-bdseq') };
  }
  return plan;
}

/** Opens the planned outputs; they connect (and reconnect) in the background. */
export function openOutputs(plan: OutputPlan, log: Logger, metrics: Metrics): ReadingOutput[] {
  const outputs: ReadingOutput[] = [];
  if (plan.json) outputs.push(new JsonOutput(plan.json, log, metrics));
  if (plan.sparkplug) outputs.push(new SparkplugOutput(plan.sparkplug, log, metrics));
  return outputs;
}

async function readSecret(key: string, path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    throw new ConfigError(`outputs.${key}.passwordFile: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** What the node tells its outputs: its own accepted readings and its committed blocks. */
export function outputsObserver(outputs: ReadingOutput[], address: string): NodeObserver {
  return {
    outcome(e) {
      if (!e.reading) return;
      // The last outcome told for a reading is the node's word on it: an accepted reading taken back is withdrawn.
      if (e.outcome === 'accepted') for (const out of outputs) out.accepted({ reading: e.reading, round: e.round, address, acceptedAt: e.at });
      else if (e.corrects === 'accepted') for (const out of outputs) out.withdrawn({ reading: e.reading, round: e.round, address, outcome: e.outcome, withdrawnAt: e.at });
    },
    committed(e) {
      for (const out of outputs) out.committed(e.height);
    },
  };
}

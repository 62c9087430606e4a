// The MQTT transport over mqtt.js 5: MQTT 5 (3.1.1 when the broker refuses 5), QoS 1, TCP_NODELAY on every socket,
// reconnect with exponential backoff and jitter, every outgoing frame through the on-disk spool in order.
// One mqtt.js client per connection attempt (its own reconnect and offline queue stay off): a lost connection is
// dropped whole and what it had in flight is resent from the spool by the next one.
import { randomInt } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import type { IClientOptions, IConnackPacket, MqttClient as MqttClientType } from 'mqtt';
import { checkBackoffPolicy, DEFAULT_BACKOFF, reconnectDelay, type BackoffPolicy } from './backoff.ts';
import { TransportEmitter } from './events.ts';
import { decodeFramed } from './header.ts';
import { Inbox, newCounters, type Counters, type LocalSubscription } from './inbox.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './outgoing.ts';
import { Spool, type FsyncPolicy, type SpoolRecord } from './spool.ts';
import { SpooledOutbox } from './spooled.ts';
import { assertAddressText, assertClusterName, filterTopic, frameTopic, parseFrameTopic, type FrameFilter } from './topic.ts';
import {
  TransportClosedError,
  type FrameHandler,
  type PublishOptions,
  type PublishReceipt,
  type Subscription,
  type Transport,
  type TransportEventName,
  type TransportEvents,
  type TransportStats,
} from './transport.ts';

const { MqttClient } = mqtt;

const noLog = (): void => undefined;

/**
 * One socket write for what a chunk of inbound packets sends back. mqtt.js handles the packets of a chunk one at a
 * time and writes each answer (a PUBACK per QoS 1 frame) on its own, one system call each: at 64 members that was
 * the largest single cost of a meter process after the signature checks. The socket is corked while a chunk is
 * handled and uncorked once the event loop has run what it queued (setImmediate): the answers, and frames this node
 * publishes meanwhile, leave in one write, within the same turn of the event loop.
 */
function writeOncePerTurn(socket: Socket): void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.on('data', () => {
    if (corked) return;
    corked = true;
    socket.cork();
    setImmediate(uncork);
  });
}

export interface MqttTransportOptions {
  cluster: string;
  /** This member's address; frames go out under meterchain/<cluster>/<kind>/<address>. */
  address: string;
  /** mqtt://host:port (plain TCP). */
  url: string;
  /** Login; defaults to the address, which is what the shipped ACL (`%u`) expects. */
  username?: string;
  password?: string;
  /** Defaults to the address: one connection per member, and `%c` ACL patterns work too. */
  clientId?: string;
  /** Directory of the on-disk spool (one per member; locked while open). */
  spoolDir: string;
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  spoolMaxBytes?: number;
  /** 5 (default; falls back to 4 when the broker refuses version 5) or 4. */
  protocolVersion?: 4 | 5;
  /** TCP_NODELAY on each socket (default true). Off only to measure what it saves (DESIGN §4: ~40 ms per hop). */
  noDelay?: boolean;
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
  /** MQTT 5 session expiry: how long the broker keeps this member's subscriptions and queue while it is away. */
  sessionExpirySeconds?: number;
  /** Frames in flight (sent, not yet acknowledged); capped by the broker's receive maximum. Default 64. */
  maxInflight?: number;
  maxFrameBytes?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Uniform random numbers in [0, 1) for the backoff jitter (default: node:crypto). */
  random?: () => number;
  /** Wall clock in ms for the spool's incarnation and for publish()'s expiresAt (default Date.now). */
  now?: () => number;
}

/** MQTT 5 reason codes that refuse a frame for a reason a retry cannot fix (MQTT 5.0 §3.4.2.1). */
const TRANSIENT_REFUSALS = new Set([0x89 /* server busy */, 0x97 /* quota exceeded */]);
/** CONNACK codes meaning "speak an older protocol": 3.1.1 "unacceptable protocol version", 5.0 "unsupported". */
const PROTOCOL_REFUSALS = new Set([1, 0x84]);

function defaultRandom(): number {
  return randomInt(0, 0x100000000) / 0x100000000;
}

interface FilterEntry {
  refs: number;
  confirmed: boolean;
  waiters: Array<{ resolve: () => void; reject: (error: Error) => void }>;
}

/** A subscription the broker refused (SUBACK failure, e.g. not authorised to read). */
export class SubscribeRefusedError extends Error {
  readonly code = 'SUBSCRIBE_REFUSED';
  readonly reasonCode: number;
  constructor(topic: string, reasonCode: number) {
    super(`transport: the broker refused the subscription to ${topic} (reason code ${reasonCode})`);
    this.name = 'SubscribeRefusedError';
    this.reasonCode = reasonCode;
  }
}

export class MqttTransport implements Transport {
  readonly cluster: string;
  readonly address: string;
  readonly #options: MqttTransportOptions;
  readonly #spool: Spool;
  readonly #host: string;
  readonly #port: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #maxInflight: number;
  readonly #events = new TransportEmitter();
  readonly #counters: Counters = newCounters();
  readonly #inbox: Inbox;
  readonly #outbox: SpooledOutbox;
  readonly #filters = new Map<string, FilterEntry>();
  #protocolVersion: 4 | 5;
  #client: MqttClientType | undefined;
  #generation = 0;
  #connected = false;
  #everConnected = false;
  #attempt = 0;
  #window = 1;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pumping = false;
  #pumpAgain = false;
  #lastError = '';
  /** Set when the broker refused MQTT 5: the next attempt (in 3.1.1) goes at once. */
  #retryAtOnce = false;
  #closed = false;

  private constructor(options: MqttTransportOptions, spool: Spool) {
    this.#options = options;
    this.cluster = options.cluster;
    this.address = options.address;
    this.#spool = spool;
    const url = new URL(options.url);
    if (url.protocol !== 'mqtt:' && url.protocol !== 'tcp:') throw new TypeError(`transport: expected an mqtt:// URL, got ${JSON.stringify(options.url)}`);
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = url.port === '' ? 1883 : Number(url.port);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#random = options.random ?? defaultRandom;
    this.#outbox = new SpooledOutbox(spool, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, this.#counters, this.#events, options.now);
    this.#maxInflight = options.maxInflight ?? 64;
    this.#protocolVersion = options.protocolVersion ?? 5;
    this.#inbox = new Inbox(this.cluster, this.#events, this.#counters);
    spool.onWritten = () => this.#pump();
  }

  /** Opens the spool and starts connecting; resolves without waiting for the broker (publish() works offline). */
  static async open(options: MqttTransportOptions): Promise<MqttTransport> {
    assertClusterName(options.cluster);
    assertAddressText(options.address);
    if (typeof options.url !== 'string') throw new TypeError(`transport: expected a broker URL string, got ${typeof options.url}`);
    if (options.protocolVersion !== undefined && options.protocolVersion !== 4 && options.protocolVersion !== 5) {
      throw new RangeError(`transport: expected protocolVersion 4 or 5, got ${options.protocolVersion}`);
    }
    const maxInflight = options.maxInflight ?? 64;
    if (!Number.isInteger(maxInflight) || maxInflight < 1 || maxInflight > 65535) throw new RangeError(`transport: expected maxInflight in 1..65535, got ${options.maxInflight}`);
    checkBackoffPolicy({ ...DEFAULT_BACKOFF, ...options.backoff });
    new URL(options.url); // throws on a malformed URL before the spool is taken
    const spool = await Spool.open({
      dir: options.spoolDir,
      fsync: options.fsync,
      fsyncIntervalMs: options.fsyncIntervalMs,
      maxBytes: options.spoolMaxBytes,
      now: options.now,
    });
    let transport: MqttTransport;
    try {
      transport = new MqttTransport(options, spool);
    } catch (error) {
      await spool.close();
      throw error;
    }
    transport.#connect();
    return transport;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get incarnation(): number {
    return this.#outbox.incarnation;
  }

  /** The protocol spoken on the current (or last) connection: 5, or 4 after a fallback. */
  get protocolVersion(): 4 | 5 {
    return this.#protocolVersion;
  }

  async publish(kind: string, frame: Uint8Array, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.#closed) throw new TransportClosedError('publish()');
    return this.#outbox.publish(frameTopic(this.cluster, kind, this.address), kind, frame, options);
  }

  async subscribe(filter: FrameFilter, handler: FrameHandler): Promise<Subscription> {
    if (this.#closed) throw new TransportClosedError('subscribe()');
    const topic = filterTopic(this.cluster, filter);
    const local = this.#inbox.add(filter, handler);
    let entry = this.#filters.get(topic);
    if (!entry) {
      entry = { refs: 0, confirmed: false, waiters: [] };
      this.#filters.set(topic, entry);
      if (this.#connected && this.#client) this.#sendSubscribe(this.#client, this.#generation, topic);
    }
    entry.refs++;
    const subscription: Subscription = { filter: { ...local.filter }, unsubscribe: () => this.#unsubscribe(local, topic) };
    if (entry.confirmed) return subscription;
    const pending = entry;
    try {
      await new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    } catch (error) {
      this.#inbox.remove(local);
      pending.refs--;
      if (pending.refs === 0) this.#filters.delete(topic);
      throw error;
    }
    return subscription;
  }

  async flushed(timeoutMs = 30_000): Promise<void> {
    await this.#outbox.flushed(timeoutMs, this.#closed);
  }

  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): TransportStats {
    return this.#outbox.stats();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#generation++;
    const wasConnected = this.#connected;
    this.#connected = false;
    if (client) await this.#endClient(client, wasConnected);
    for (const entry of this.#filters.values()) for (const w of entry.waiters.splice(0)) w.reject(new TransportClosedError('subscribe()'));
    this.#filters.clear();
    this.#inbox.clear();
    await this.#outbox.close();
    this.#events.clear();
  }

  // ---- connection ----

  #connect(): void {
    if (this.#closed) return;
    const generation = ++this.#generation;
    const noDelay = this.#options.noDelay ?? true;
    const v5 = this.#protocolVersion === 5;
    const options: IClientOptions = {
      protocolVersion: this.#protocolVersion,
      clientId: this.#options.clientId ?? this.address,
      username: this.#options.username ?? this.address,
      password: this.#options.password,
      keepalive: this.#options.keepaliveSeconds ?? 15,
      connectTimeout: this.#options.connectTimeoutMs ?? 5000,
      reconnectPeriod: 0, // reconnects are ours: backoff with jitter, and a fresh client each time
      resubscribe: false,
      queueQoSZero: false,
      // A session that outlives the connection, so the broker queues frames for this member while it is away.
      // Never clean start, not even on a process's first connection: Mosquitto 2.0.11 does not restore a session
      // from its database after a restart if the session began with clean start (measured), and would then drop
      // what it had queued. Frames queued for an earlier run reach the handlers subscribed by then (subscribe right
      // after open(): subscriptions made before the connection is up are in place when the queue arrives).
      clean: false,
      properties: v5 ? { sessionExpiryInterval: this.#options.sessionExpirySeconds ?? 3600 } : undefined,
      // mqtt.js traces every packet through a debug logger (tens of calls per packet, each building its arguments):
      // off, whatever DEBUG says.
      log: noLog,
    };
    const build = (): Socket => {
      const socket = netConnect({ host: this.#host, port: this.#port });
      // mqtt.js has no option for it; without it each request/response hop stalls ~40 ms (DESIGN §4).
      if (noDelay) socket.setNoDelay(true);
      writeOncePerTurn(socket);
      return socket;
    };
    const client = new MqttClient(build, options);
    this.#client = client;
    client.on('connect', (connack: IConnackPacket) => this.#onConnect(client, generation, connack));
    client.on('message', (topic: string, payload: Buffer) => {
      if (generation === this.#generation && !this.#closed) this.#inbox.accept(topic, payload);
    });
    client.on('error', (error: Error & { code?: string | number }) => this.#onError(generation, error));
    client.on('disconnect', (packet) => {
      if (generation === this.#generation) this.#lastError = `broker sent DISCONNECT (reason code ${packet.reasonCode ?? 0})`;
    });
    client.on('close', () => this.#onClose(client, generation));
  }

  #onConnect(client: MqttClientType, generation: number, connack: IConnackPacket): void {
    if (generation !== this.#generation || this.#closed) return;
    // Again on the live socket, in case a stream other than the one built above is in use.
    if ((this.#options.noDelay ?? true) && typeof (client.stream as Socket).setNoDelay === 'function') (client.stream as Socket).setNoDelay(true);
    if (this.#everConnected) this.#counters.reconnects++;
    this.#everConnected = true;
    this.#attempt = 0;
    this.#lastError = '';
    this.#connected = true;
    const receiveMaximum = connack.properties?.receiveMaximum ?? 65535;
    this.#window = Math.max(1, Math.min(this.#maxInflight, receiveMaximum));
    this.#spool.rewind();
    for (const topic of this.#filters.keys()) this.#sendSubscribe(client, generation, topic);
    this.#events.emit('connect', { protocolVersion: this.#protocolVersion, sessionPresent: connack.sessionPresent === true });
    this.#pump();
  }

  #onError(generation: number, error: Error & { code?: string | number }): void {
    if (generation !== this.#generation || this.#closed) return;
    this.#lastError = error.message;
    if (typeof error.code === 'number' && PROTOCOL_REFUSALS.has(error.code) && this.#protocolVersion === 5 && this.#options.protocolVersion !== 5) {
      // The broker speaks 3.1.1 only (e.g. aedes): say it in 3.1.1 from now on.
      this.#protocolVersion = 4;
      this.#retryAtOnce = true;
      return;
    }
    if (typeof error.code === 'number') this.#events.emit('error', { error });
  }

  #onClose(client: MqttClientType, generation: number): void {
    if (generation !== this.#generation || this.#closed) return;
    const wasConnected = this.#connected;
    this.#connected = false;
    this.#client = undefined;
    client.removeAllListeners('message');
    client.on('error', () => undefined);
    client.end(true);
    for (const entry of this.#filters.values()) entry.confirmed = false;
    // What was in flight is resent by the next connection, from the spool, in order.
    this.#spool.rewind();
    if (wasConnected) this.#events.emit('disconnect', { reason: this.#lastError || 'connection closed' });
    const delayMs = this.#retryAtOnce ? 0 : reconnectDelay(Math.min(this.#attempt, 64), this.#backoff, this.#random());
    if (!this.#retryAtOnce) this.#attempt++;
    this.#retryAtOnce = false;
    this.#events.emit('reconnecting', { attempt: this.#attempt, delayMs });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delayMs);
  }

  async #endClient(client: MqttClientType, graceful: boolean): Promise<void> {
    client.removeAllListeners('message');
    client.removeAllListeners('close');
    client.on('error', () => undefined);
    if (!graceful) {
      client.end(true);
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, 1000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // ---- subscriptions ----

  #sendSubscribe(client: MqttClientType, generation: number, topic: string): void {
    client.subscribe(topic, { qos: 1 }, (error, granted) => {
      if (generation !== this.#generation || this.#closed) return;
      const entry = this.#filters.get(topic);
      if (!entry || error) return; // a lost connection: the next one subscribes again
      const code = granted?.[0]?.qos ?? 0;
      if (code >= 0x80) {
        this.#filters.delete(topic);
        for (const w of entry.waiters.splice(0)) w.reject(new SubscribeRefusedError(topic, code));
        return;
      }
      entry.confirmed = true;
      for (const w of entry.waiters.splice(0)) w.resolve();
    });
  }

  async #unsubscribe(local: LocalSubscription, topic: string): Promise<void> {
    if (!local.active) return;
    this.#inbox.remove(local);
    const entry = this.#filters.get(topic);
    if (!entry) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.#filters.delete(topic);
    const client = this.#client;
    if (!client || !this.#connected || this.#closed) return;
    await new Promise<void>((resolve) => client.unsubscribe(topic, () => resolve()));
  }

  // ---- sending ----

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#pumpLoop().finally(() => {
      this.#pumping = false;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.#pump();
      }
    });
  }

  async #pumpLoop(): Promise<void> {
    while (this.#connected && !this.#closed && this.#spool.hasUnsent && this.#spool.outstanding < this.#window) {
      const client = this.#client!;
      const generation = this.#generation;
      let records: SpoolRecord[];
      try {
        records = await this.#outbox.take(this.#window - this.#spool.outstanding);
      } catch (error) {
        this.#events.emit('error', { error: error as Error });
        return;
      }
      // The connection may have closed while the spool was read: its client is ended (mqtt.js then fails any
      // publish on it) and the next connection resends from the rewound spool.
      if (generation !== this.#generation || client !== this.#client) {
        this.#spool.rewind();
        continue;
      }
      for (const record of records) {
        // record.payload is a buffer of its own that nothing writes to again: mqtt.js may still hold it until the
        // socket flushes (DESIGN §4).
        client.publish(record.topic, record.payload, { qos: 1 }, (error) => this.#onPublishDone(generation, record, error));
      }
    }
  }

  #onPublishDone(generation: number, record: SpoolRecord, error: (Error & { code?: string | number }) | undefined): void {
    if (generation !== this.#generation || this.#closed) return;
    if (error) {
      const code = typeof error.code === 'number' ? error.code : undefined;
      if (code === undefined) return; // the connection went away; #onClose rewinds and the next one resends
      if (TRANSIENT_REFUSALS.has(code)) {
        this.#lastError = error.message;
        this.#client?.stream.destroy(); // back off, then resend from the spool
        return;
      }
      this.#outbox.refused(record);
      const parsedTopic = parseFrameTopic(record.topic);
      const framed = decodeFramed(record.payload);
      this.#events.emit('refused', {
        kind: parsedTopic.ok ? parsedTopic.kind : record.topic,
        incarnation: framed.ok ? framed.header.incarnation : 0,
        seq: framed.ok ? framed.header.seq : 0,
        reasonCode: code,
        reason: error.message,
      });
    } else {
      this.#outbox.acknowledged(record);
    }
    this.#outbox.settled();
    this.#pump();
  }
}

/** Opens an MQTT transport: takes the spool, starts connecting, and returns at once. */
export function openMqttTransport(options: MqttTransportOptions): Promise<MqttTransport> {
  return MqttTransport.open(options);
}

// The in-memory transport: a hub object stands in for the broker. Deterministic (no timers, no randomness), for
// unit tests and the cluster simulator; it models what the MQTT transport and Mosquitto do that a protocol can
// notice: sessions that queue for an offline subscriber up to a limit and drop beyond it, an outbox that survives a
// close (the spool), and connections that come and go on command.
import { TransportEmitter } from './events.ts';
import { encodeFramed } from './header.ts';
import { receiptOf } from './receipt.ts';
import { Inbox, newCounters, type Counters, type LocalSubscription } from './inbox.ts';
import { checkPublish, DEFAULT_MAX_FRAME_BYTES, FlushWaiters, SequenceCounters } from './outgoing.ts';
import { checkExpiry } from './spooled.ts';
import { assertAddressText, assertClusterName, filterMatches, filterTopic, frameTopic, parseFrameTopic, type FrameFilter } from './topic.ts';
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

export interface MemoryHubOptions {
  /** 'auto' (default) delivers on the microtask queue; 'manual' waits for deliverNext()/deliverAll(). */
  delivery?: 'auto' | 'manual';
  /** Frames a session holds for an offline subscriber before dropping further ones (Mosquitto's
   * max_queued_messages, default 1000 there and here). */
  maxQueued?: number;
}

export interface MemoryTransportOptions {
  cluster: string;
  address: string;
  maxFrameBytes?: number;
  /** Wall clock in ms that publish()'s expiresAt is read against (default Date.now). */
  now?: () => number;
}

interface Message {
  topic: string;
  payload: Uint8Array;
  /** publish()'s expiresAt: past it, the frame leaves the outbox unsent (as from the MQTT transport's spool). */
  expiresAt?: number;
}

interface Session {
  transport: MemoryTransport;
  filters: FrameFilter[];
  online: boolean;
  closed: boolean;
  /** Messages held while offline, oldest first. */
  held: Message[];
}

interface Pending {
  session: Session;
  message: Message;
}

export class MemoryHub {
  readonly #auto: boolean;
  readonly #maxQueued: number;
  readonly #sessions: Session[] = [];
  readonly #queue: Pending[] = [];
  /** Per address: frames not yet taken by the hub, kept across close() like the MQTT transport's spool. */
  readonly #outboxes = new Map<string, Message[]>();
  readonly #incarnations = new Map<string, number>();
  readonly #offline = new Set<string>();
  #draining = false;
  #scheduled = false;
  /** Messages dropped because an offline session was full. */
  dropped = 0;

  constructor(options: MemoryHubOptions = {}) {
    const delivery = options.delivery ?? 'auto';
    if (delivery !== 'auto' && delivery !== 'manual') throw new TypeError(`memory hub: expected delivery 'auto' or 'manual', got ${JSON.stringify(delivery)}`);
    this.#auto = delivery === 'auto';
    this.#maxQueued = options.maxQueued ?? 1000;
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 0) throw new RangeError(`memory hub: expected maxQueued >= 0, got ${options.maxQueued}`);
  }

  /** Opens a member's transport. It starts connected unless setOnline(address, false) was called. */
  open(options: MemoryTransportOptions): MemoryTransport {
    assertClusterName(options.cluster);
    assertAddressText(options.address);
    const incarnation = (this.#incarnations.get(options.address) ?? 0) + 1;
    this.#incarnations.set(options.address, incarnation);
    const transport = new MemoryTransport(this, options, incarnation);
    if (!this.#outboxes.has(options.address)) this.#outboxes.set(options.address, []);
    return transport;
  }

  /** Cuts a member off from the hub (false) or lets it back (true), as a broker outage or cable pull would. */
  setOnline(address: string, online: boolean): void {
    assertAddressText(address);
    if (online) this.#offline.delete(address);
    else this.#offline.add(address);
    for (const session of this.#sessions) {
      if (session.transport.address === address && !session.closed) this.#setSessionOnline(session, online);
    }
  }

  /** Publishes a payload exactly as given (no header added), e.g. to make duplicates or gaps in a test. */
  inject(topic: string, payload: Uint8Array): void {
    this.#route({ topic, payload: payload.slice() });
  }

  /** Deliveries waiting (manual mode). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Delivers one message; false when none was waiting. */
  deliverNext(): boolean {
    const next = this.#queue.shift();
    if (!next) return false;
    const { session, message } = next;
    if (session.closed) return true;
    if (!session.online) {
      this.#hold(session, message);
      return true;
    }
    session.transport._receive(message.topic, message.payload);
    return true;
  }

  /** Delivers until nothing is waiting or `maxSteps` messages were delivered; returns how many were. */
  deliverAll(maxSteps = 1_000_000): number {
    let steps = 0;
    while (steps < maxSteps && this.deliverNext()) steps++;
    return steps;
  }

  // ---- used by MemoryTransport ----

  _attach(transport: MemoryTransport): Session {
    const session: Session = { transport, filters: [], online: false, closed: false, held: [] };
    this.#sessions.push(session);
    return session;
  }

  _start(session: Session): void {
    if (!session.closed && !this.#offline.has(session.transport.address)) this.#setSessionOnline(session, true);
  }

  _detach(session: Session): void {
    session.closed = true;
    session.held.length = 0;
    const i = this.#sessions.indexOf(session);
    if (i >= 0) this.#sessions.splice(i, 1);
  }

  _publish(session: Session, message: Message): void {
    const outbox = this.#outboxes.get(session.transport.address)!;
    outbox.push(message);
    if (session.online) this.#flushOutbox(session.transport.address);
  }

  _outboxLength(address: string): number {
    return this.#outboxes.get(address)?.length ?? 0;
  }

  #setSessionOnline(session: Session, online: boolean): void {
    if (session.online === online) return;
    session.online = online;
    if (!online) {
      // What was on its way to this subscriber waits in its session, as with a broker's in-flight messages.
      const mine = this.#queue.filter((p) => p.session === session);
      for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]!.session === session) this.#queue.splice(i, 1);
      session.held.unshift(...mine.map((p) => p.message));
      session.transport._setConnected(false);
      return;
    }
    session.transport._setConnected(true);
    const held = session.held.splice(0);
    for (const message of held) this.#enqueue(session, message);
    this.#flushOutbox(session.transport.address);
  }

  #flushOutbox(address: string): void {
    const outbox = this.#outboxes.get(address);
    if (!outbox) return;
    const publisher = this.#sessions.find((s) => s.transport.address === address && !s.closed)?.transport;
    const now = publisher ? publisher._now() : Date.now();
    const routed: Message[] = [];
    let expired = 0;
    while (outbox.length > 0) {
      const message = outbox.shift()!;
      if (message.expiresAt !== undefined && message.expiresAt < now) {
        expired++;
        continue;
      }
      this.#route(message);
      routed.push(message);
    }
    if (routed.length === 0 && expired === 0) return;
    for (const session of this.#sessions) if (session.transport.address === address && !session.closed) session.transport._acknowledged(routed, expired);
  }

  #route(message: Message): void {
    const parsed = parseFrameTopic(message.topic);
    for (const session of this.#sessions) {
      if (session.closed) continue;
      const wanted = parsed.ok
        ? session.filters.some((f) => filterMatches(f, parsed.kind, parsed.from, parsed.cluster, session.transport.cluster))
        : false;
      if (!wanted) continue;
      if (session.online) this.#enqueue(session, message);
      else this.#hold(session, message);
    }
  }

  #hold(session: Session, message: Message): void {
    if (session.held.length >= this.#maxQueued) {
      this.dropped++;
      return;
    }
    session.held.push(message);
  }

  #enqueue(session: Session, message: Message): void {
    this.#queue.push({ session, message });
    if (this.#auto && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#draining) return;
    this.#draining = true;
    try {
      this.deliverAll();
    } finally {
      this.#draining = false;
    }
  }
}

export class MemoryTransport implements Transport {
  readonly cluster: string;
  readonly address: string;
  readonly #hub: MemoryHub;
  readonly #incarnation: number;
  readonly #maxFrameBytes: number;
  readonly #events = new TransportEmitter();
  readonly #counters: Counters = newCounters();
  readonly #now: () => number;
  readonly #inbox: Inbox;
  readonly #sequences = new SequenceCounters();
  readonly #session: Session;
  readonly #flushWaiters = new FlushWaiters();
  #connected: boolean;
  #closed = false;
  #everConnected = false;

  constructor(hub: MemoryHub, options: MemoryTransportOptions, incarnation: number) {
    this.#hub = hub;
    this.#now = options.now ?? Date.now;
    this.cluster = options.cluster;
    this.address = options.address;
    this.#incarnation = incarnation;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#inbox = new Inbox(this.cluster, this.#events, this.#counters);
    this.#connected = false;
    this.#session = hub._attach(this);
    // Connects on the next microtask, so listeners attached right after open() see the 'connect' event.
    queueMicrotask(() => hub._start(this.#session));
  }

  get connected(): boolean {
    return this.#connected;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  async publish(kind: string, frame: Uint8Array, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.#closed) throw new TransportClosedError('publish()');
    checkPublish(kind, frame, this.#maxFrameBytes);
    const expiresAt = checkExpiry(options);
    const seq = this.#sequences.take(kind);
    const payload = encodeFramed({ incarnation: this.#incarnation, seq }, frame);
    this.#counters.published++;
    const message: Message = { topic: frameTopic(this.cluster, kind, this.address), payload };
    if (expiresAt !== undefined) message.expiresAt = expiresAt;
    this.#hub._publish(this.#session, message);
    return { kind, incarnation: this.#incarnation, seq };
  }

  async subscribe(filter: FrameFilter, handler: FrameHandler): Promise<Subscription> {
    if (this.#closed) throw new TransportClosedError('subscribe()');
    filterTopic(this.cluster, filter); // throws on a programmer mistake in the filter
    const local = this.#inbox.add(filter, handler);
    this.#session.filters.push(local.filter);
    return {
      filter: { ...local.filter },
      unsubscribe: async () => this.#unsubscribe(local),
    };
  }

  async flushed(timeoutMs = 30_000): Promise<void> {
    if (this.#hub._outboxLength(this.address) === 0) return;
    if (this.#closed) throw new TransportClosedError('flushed()');
    await this.#flushWaiters.wait(() => this.#hub._outboxLength(this.address), timeoutMs);
  }

  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): TransportStats {
    return { ...this.#counters, queued: this.#hub._outboxLength(this.address) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    this.#inbox.clear();
    this.#hub._detach(this.#session);
    this.#events.clear();
    this.#flushWaiters.clear();
  }

  // ---- called by MemoryHub ----

  _receive(topic: string, payload: Uint8Array): void {
    if (!this.#closed) this.#inbox.accept(topic, payload);
  }

  _setConnected(connected: boolean): void {
    if (this.#closed || this.#connected === connected) return;
    this.#connected = connected;
    if (connected) {
      if (this.#everConnected) this.#counters.reconnects++;
      this.#everConnected = true;
      this.#events.emit('connect', { protocolVersion: 0, sessionPresent: this.#counters.reconnects > 0 });
    } else {
      this.#events.emit('disconnect', { reason: 'cut off by the hub' });
    }
  }

  _now(): number {
    return this.#now();
  }

  /** The hub took `messages` and let `expired` more go unsent (past their expiry). */
  _acknowledged(messages: Message[], expired = 0): void {
    this.#counters.acknowledged += messages.length;
    this.#counters.expired += expired;
    if (this.#events.has('acknowledged')) {
      for (const m of messages) {
        const receipt = receiptOf(m.topic, m.payload);
        if (receipt) this.#events.emit('acknowledged', receipt);
      }
    }
    if (this.#hub._outboxLength(this.address) === 0) this.#flushWaiters.release();
  }

  async #unsubscribe(local: LocalSubscription): Promise<void> {
    if (!local.active) return;
    this.#inbox.remove(local);
    const i = this.#session.filters.indexOf(local.filter);
    if (i >= 0) this.#session.filters.splice(i, 1);
  }
}

/** A new in-memory hub. */
export function createMemoryHub(options?: MemoryHubOptions): MemoryHub {
  return new MemoryHub(options);
}

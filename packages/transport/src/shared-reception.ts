// One receiving connection for the nodes of one process (a gateway or data concentrator hosting several meters of one
// cluster). Each node keeps its own connection for what it publishes and for the frames addressed to it alone
// (`<kind>-to-<index>`); the cluster's broadcast kinds, which every member reads, arrive once over the shared
// receiver and are handed to each node in the process. The broker then sends each broadcast frame once to the
// process instead of once to each of its meters (at 64 meters a process, 64 times fewer deliveries and PUBACKs), and
// the process parses each frame once.
//
// A node's own frames come back over the receiver (it publishes on another connection): they are not handed to it.
// A node counts as connected while both its own connection and the receiver are up.
import { TransportEmitter } from './events.ts';
import type { FrameFilter } from './topic.ts';
import type {
  Delivery,
  FrameHandler,
  PublishOptions,
  PublishReceipt,
  Subscription,
  Transport,
  TransportEventName,
  TransportEvents,
  TransportStats,
} from './transport.ts';
import { TransportClosedError } from './transport.ts';

/** Events a node hears from this module: connect and disconnect of both connections, the receiver's receive events
 * (as if its own connection had seen them), and errors of its handlers on frames the receiver handed over. */
const MERGED_EVENTS: readonly TransportEventName[] = ['connect', 'disconnect', 'duplicate', 'gap', 'malformed', 'error'];

interface Attached {
  readonly address: string;
  readonly handler: FrameHandler;
}

interface KindEntry {
  /** Replaced, never changed in place: a dispatch runs over the list as it was when the frame came. */
  handlers: readonly Attached[];
  /** The receiver's subscription to the kind, resolved once the broker confirmed it. */
  readonly subscription: Promise<Subscription>;
}

export class SharedReception {
  readonly #receiver: Transport;
  readonly #kinds = new Map<string, KindEntry>();
  #members = 0;
  #closed = false;

  /** `receiver`: a transport of the cluster that only subscribes (its login must read the broadcast kinds). */
  constructor(receiver: Transport) {
    this.#receiver = receiver;
  }

  get receiver(): Transport {
    return this.#receiver;
  }

  /** Whether a subscription goes over the receiver: one broadcast kind of the own cluster, from anyone. */
  static shares(filter: FrameFilter, cluster: string): boolean {
    return filter.kind !== undefined && !filter.kind.includes('-to-') && filter.from === undefined && (filter.cluster === undefined || filter.cluster === cluster);
  }

  /** The transport a node uses: `own` for publishing and for what only it reads, the receiver for broadcast kinds.
   * Closing it closes `own`, and the receiver once the last node attached is closed. */
  attach(own: Transport): Transport {
    if (this.#closed) throw new TransportClosedError('attach()');
    if (own.cluster !== this.#receiver.cluster) throw new TypeError(`shared reception: node of cluster '${own.cluster}' on a receiver of '${this.#receiver.cluster}'`);
    this.#members++;
    return new SharedMember(this, own);
  }

  async add(kind: string, attached: Attached): Promise<() => Promise<void>> {
    if (this.#closed) throw new TransportClosedError('subscribe()');
    let entry = this.#kinds.get(kind);
    if (!entry) {
      const created: KindEntry = { handlers: [], subscription: this.#receiver.subscribe({ kind }, (d) => dispatch(created.handlers, d)) };
      entry = created;
      this.#kinds.set(kind, entry);
      entry.subscription.catch(() => {
        if (this.#kinds.get(kind) === created) this.#kinds.delete(kind);
      });
    }
    const subscribed = entry;
    subscribed.handlers = [...subscribed.handlers, attached];
    try {
      await subscribed.subscription;
    } catch (error) {
      remove(subscribed, attached);
      throw error;
    }
    return async () => {
      if (!remove(subscribed, attached) || subscribed.handlers.length > 0) return;
      if (this.#kinds.get(kind) === subscribed) this.#kinds.delete(kind);
      if (!this.#closed) await (await subscribed.subscription).unsubscribe();
    };
  }

  async detach(): Promise<void> {
    if (--this.#members > 0 || this.#closed) return;
    this.#closed = true;
    this.#kinds.clear();
    await this.#receiver.close();
  }

}

/** Hands a frame to each node but its publisher. The handlers never throw: each node's reports its own failure. */
function dispatch(handlers: readonly Attached[], d: Delivery): void {
  for (const a of handlers) if (a.address !== d.from) a.handler(d);
}

function remove(entry: KindEntry, attached: Attached): boolean {
  if (!entry.handlers.includes(attached)) return false;
  entry.handlers = entry.handlers.filter((a) => a !== attached);
  return true;
}

/** A node's view: its own transport, with the cluster's broadcast kinds received over the shared receiver. */
class SharedMember implements Transport {
  readonly cluster: string;
  readonly address: string;
  readonly #reception: SharedReception;
  readonly #own: Transport;
  readonly #events = new TransportEmitter();
  readonly #off: (() => void)[] = [];
  readonly #removals = new Set<() => Promise<void>>();
  /** What the receiver handed to this node, and the receive events it passed on: counted in stats(). */
  readonly #received = { delivered: 0, duplicates: 0, gaps: 0, missed: 0, malformed: 0 };
  #closed = false;

  constructor(reception: SharedReception, own: Transport) {
    this.#reception = reception;
    this.#own = own;
    this.cluster = own.cluster;
    this.address = own.address;
    const receiver = reception.receiver;
    // Up when both connections are: a node that can publish but not hear its cluster (or the reverse) is not linked.
    const up = (payload: TransportEvents['connect']) => {
      if (this.connected) this.#events.emit('connect', payload);
    };
    const down = (payload: TransportEvents['disconnect']) => this.#events.emit('disconnect', payload);
    this.#off.push(own.on('connect', up), receiver.on('connect', up), own.on('disconnect', down), receiver.on('disconnect', (e) => down({ reason: `shared receiver: ${e.reason}` })));
    this.#off.push(
      receiver.on('duplicate', (e) => {
        this.#received.duplicates++;
        this.#events.emit('duplicate', e);
      }),
      receiver.on('gap', (e) => {
        this.#received.gaps++;
        this.#received.missed += e.lastMissing - e.firstMissing + 1;
        this.#events.emit('gap', e);
      }),
      receiver.on('malformed', (e) => {
        this.#received.malformed++;
        this.#events.emit('malformed', e);
      }),
    );
  }

  get connected(): boolean {
    return this.#own.connected && this.#reception.receiver.connected;
  }

  publish(kind: string, frame: Uint8Array, options?: PublishOptions): Promise<PublishReceipt> {
    return this.#own.publish(kind, frame, options);
  }

  async subscribe(filter: FrameFilter, handler: FrameHandler): Promise<Subscription> {
    if (this.#closed) throw new TransportClosedError('subscribe()');
    if (!SharedReception.shares(filter, this.cluster)) return this.#own.subscribe(filter, handler);
    // As the transports' own inbox does: a handler that throws is reported as 'error', and the other nodes still
    // get the frame.
    const counted: FrameHandler = (d) => {
      this.#received.delivered++;
      try {
        handler(d);
      } catch (error) {
        this.#events.emit('error', { error: error instanceof Error ? error : new Error(String(error)) });
      }
    };
    const removal = await this.#reception.add(filter.kind!, { address: this.address, handler: counted });
    this.#removals.add(removal);
    return {
      filter: { ...filter },
      unsubscribe: async () => {
        if (this.#removals.delete(removal)) await removal();
      },
    };
  }

  flushed(timeoutMs?: number): Promise<void> {
    return this.#own.flushed(timeoutMs);
  }

  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void {
    // Connect and disconnect are this node's view of both connections; receive events and handler errors come from
    // both (the own connection still carries the frames addressed to this node); the rest from the own connection.
    const offs: (() => void)[] = [];
    if (event !== 'connect' && event !== 'disconnect') offs.push(this.#own.on(event, listener));
    if (MERGED_EVENTS.includes(event)) offs.push(this.#events.on(event, listener));
    return () => {
      for (const off of offs) off();
    };
  }

  /** The own connection's figures, with what the receiver handed to this node and the receive events it passed on. */
  stats(): TransportStats {
    const s = this.#own.stats();
    const r = this.#received;
    return { ...s, delivered: s.delivered + r.delivered, duplicates: s.duplicates + r.duplicates, gaps: s.gaps + r.gaps, missed: s.missed + r.missed, malformed: s.malformed + r.malformed };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    const removals = [...this.#removals];
    this.#removals.clear();
    await Promise.all(removals.map((r) => r().catch(() => undefined)));
    this.#events.clear();
    await Promise.all([this.#own.close(), this.#reception.detach()]);
  }
}

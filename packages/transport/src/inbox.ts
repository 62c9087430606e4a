// The receiving half shared by every implementation: checks topic and header of each incoming payload, runs each
// matching subscription's sequence tracker, and hands each frame to each subscription at most once.
import { hash } from 'node:crypto';
import type { TransportEmitter } from './events.ts';
import { decodeFramed } from './header.ts';
import { SequenceTracker } from './sequence.ts';
import { filterMatches, parseFrameTopic, type FrameFilter } from './topic.ts';
import type { FrameHandler, TransportStats } from './transport.ts';

export type Counters = Omit<TransportStats, 'queued'>;

export function newCounters(): Counters {
  return { published: 0, acknowledged: 0, refused: 0, expired: 0, delivered: 0, duplicates: 0, gaps: 0, missed: 0, malformed: 0, reconnects: 0 };
}

export interface LocalSubscription {
  readonly filter: FrameFilter;
  readonly handler: FrameHandler;
  readonly tracker: SequenceTracker;
  active: boolean;
}

export class Inbox {
  readonly cluster: string;
  readonly #events: TransportEmitter;
  readonly #counters: Counters;
  readonly #subscriptions: LocalSubscription[] = [];

  constructor(cluster: string, events: TransportEmitter, counters: Counters) {
    this.cluster = cluster;
    this.#events = events;
    this.#counters = counters;
  }

  add(filter: FrameFilter, handler: FrameHandler): LocalSubscription {
    if (typeof handler !== 'function') throw new TypeError(`transport: expected a frame handler function, got ${typeof handler}`);
    const subscription: LocalSubscription = { filter: { ...filter }, handler, tracker: new SequenceTracker(), active: true };
    this.#subscriptions.push(subscription);
    return subscription;
  }

  remove(subscription: LocalSubscription): void {
    subscription.active = false;
    const i = this.#subscriptions.indexOf(subscription);
    if (i >= 0) this.#subscriptions.splice(i, 1);
  }

  clear(): void {
    for (const s of this.#subscriptions) s.active = false;
    this.#subscriptions.length = 0;
  }

  /** Takes one payload as it came off the wire. Never throws on what the payload or topic contain. */
  accept(topic: string, payload: Uint8Array): void {
    const parsed = parseFrameTopic(topic);
    if (!parsed.ok) return this.#malformed(topic, parsed.reason);
    const { cluster } = parsed;
    // Another cluster's frames come only to a subscription that names that cluster.
    if (cluster !== this.cluster && !this.#subscriptions.some((s) => s.filter.cluster === cluster)) return this.#malformed(topic, 'topic-other-cluster');
    const framed = decodeFramed(payload);
    if (!framed.ok) return this.#malformed(topic, framed.reason);
    const { kind, from } = parsed;
    const { incarnation, seq } = framed.header;
    const stream = cluster === this.cluster ? `${from}/${kind}` : `${cluster}/${from}/${kind}`;
    // Duplicates are told by the whole payload, not by the unsigned header (sequence.ts): one SHA-256 per payload,
    // about 1 µs for a 300-byte frame.
    const digest = hash('sha256', payload, 'buffer');
    for (const subscription of [...this.#subscriptions]) {
      if (!subscription.active || !filterMatches(subscription.filter, kind, from, cluster, this.cluster)) continue;
      const verdict = subscription.tracker.observe(stream, incarnation, seq, digest);
      if (!verdict.deliver) {
        this.#counters.duplicates++;
        this.#events.emit('duplicate', { from, kind, incarnation, seq, reason: verdict.reason });
        continue;
      }
      if (verdict.missed > 0) {
        this.#counters.gaps++;
        this.#counters.missed += verdict.missed;
        this.#events.emit('gap', { from, kind, incarnation, firstMissing: seq - verdict.missed, lastMissing: seq - 1 });
      }
      this.#counters.delivered++;
      try {
        subscription.handler({
          cluster,
          kind,
          from,
          incarnation,
          seq,
          frame: framed.frame.slice(),
          missed: verdict.missed,
          late: verdict.late,
        });
      } catch (error) {
        this.#events.emit('error', { error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
  }

  #malformed(topic: string, reason: string): void {
    this.#counters.malformed++;
    this.#events.emit('malformed', { topic: topic.slice(0, 200), reason });
  }
}

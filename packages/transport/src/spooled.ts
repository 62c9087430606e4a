// The sending half of a transport that sends through the on-disk spool (MQTT, a Modbus RTU member): publish()
// resolves once the frame is durable in the spool; a frame the other side took (acknowledged) or will never take
// (refused) or is not worth sending any more (expired) leaves it; flushed() waits for it to empty. Each transport
// decides when a frame is taken; this keeps the counting, the receipts, the expiry and the waiting in one place.
import { encodeFramed } from './header.ts';
import type { Counters } from './inbox.ts';
import { checkPublish, FlushWaiters, SequenceCounters } from './outgoing.ts';
import { receiptOf } from './receipt.ts';
import type { Spool, SpoolRecord } from './spool.ts';
import type { TransportEmitter } from './events.ts';
import { TransportClosedError, type PublishOptions, type PublishReceipt, type TransportStats } from './transport.ts';

/** The expiry of a publish() call's options: undefined (never expires) or wall-clock ms; a programmer mistake throws. */
export function checkExpiry(options: PublishOptions | undefined): number | undefined {
  const expiresAt = options?.expiresAt;
  if (expiresAt === undefined) return undefined;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt < 0) throw new RangeError(`transport: expected expiresAt as wall-clock ms >= 0, got ${String(expiresAt)}`);
  // Past 2^48 - 1 ms (year 10889, what a spool record holds) is as good as never.
  return Math.min(Math.ceil(expiresAt), 0xffffffffffff);
}

export class SpooledOutbox {
  readonly #spool: Spool;
  readonly #counters: Counters;
  readonly #events: TransportEmitter;
  readonly #maxFrameBytes: number;
  readonly #sequences = new SequenceCounters();
  readonly #flushWaiters = new FlushWaiters();
  readonly #now: () => number;

  /** `now`: the wall clock publish()'s expiresAt is read against (default Date.now). */
  constructor(spool: Spool, maxFrameBytes: number, counters: Counters, events: TransportEmitter, now: () => number = Date.now) {
    this.#spool = spool;
    this.#now = now;
    this.#maxFrameBytes = maxFrameBytes;
    this.#counters = counters;
    this.#events = events;
  }

  get incarnation(): number {
    return this.#spool.incarnation;
  }

  /** Checks, numbers and frames a frame of `kind` and spools it under `topic` (with its expiry, so that it holds
   * across a restart too); resolves once it is durable. */
  async publish(topic: string, kind: string, frame: Uint8Array, options?: PublishOptions): Promise<PublishReceipt> {
    checkPublish(kind, frame, this.#maxFrameBytes);
    const expiresAt = checkExpiry(options);
    const seq = this.#sequences.take(kind);
    const incarnation = this.#spool.incarnation;
    const payload = encodeFramed({ incarnation, seq }, frame);
    this.#counters.published++;
    await this.#spool.append(topic, payload, expiresAt);
    return { kind, incarnation, seq };
  }

  /**
   * Up to `max` records to send next, in spool order. A record past its expiry is not handed out: it leaves the spool
   * unsent, counted as expired (no 'acknowledged' event: nobody took it). Fewer than `max` (even none) may come back
   * while the spool still holds unsent records: call again.
   */
  async take(max: number): Promise<SpoolRecord[]> {
    const records = await this.#spool.take(max);
    const now = this.#now();
    const kept: SpoolRecord[] = [];
    for (const record of records) {
      if (record.expiresAt === undefined || record.expiresAt >= now) {
        kept.push(record);
        continue;
      }
      this.#counters.expired++;
      this.#spool.ack(record.offset);
    }
    if (kept.length < records.length) this.settled();
    return kept;
  }

  /** The other side took the frame: it leaves the spool, and the listeners of 'acknowledged' get its receipt. */
  acknowledged(record: SpoolRecord): void {
    this.#counters.acknowledged++;
    this.#spool.ack(record.offset);
    if (this.#events.has('acknowledged')) {
      const receipt = receiptOf(record.topic, record.payload);
      if (receipt) this.#events.emit('acknowledged', receipt);
    }
  }

  /** The frame will never be taken (refused, or spooled for another cluster): it leaves the spool, counted. */
  refused(record: SpoolRecord): void {
    this.#counters.refused++;
    this.#spool.ack(record.offset);
  }

  /** After frames left the spool: the callers of flushed() resolve once it is empty. */
  settled(): void {
    if (this.#spool.queued === 0) this.#flushWaiters.release();
  }

  async flushed(timeoutMs: number, closed: boolean): Promise<void> {
    if (this.#spool.queued === 0) return;
    if (closed) throw new TransportClosedError('flushed()');
    await this.#flushWaiters.wait(() => this.#spool.queued, timeoutMs);
  }

  stats(): TransportStats {
    return { ...this.#counters, queued: this.#spool.queued };
  }

  /** Drops the waiters of flushed() (their timers still reject them) and closes the spool. */
  async close(): Promise<void> {
    this.#flushWaiters.clear();
    await this.#spool.close();
  }
}

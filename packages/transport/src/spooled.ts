// The sending half of a transport that sends through the on-disk spool (MQTT, a Modbus RTU member): publish()
// resolves once the frame is durable in the spool; a frame the other side took (acknowledged) or will never take
// (refused) leaves it; flushed() waits for it to empty. Each transport decides when a frame is taken; this keeps the
// counting, the receipts and the waiting in one place.
import { encodeFramed } from './header.ts';
import type { Counters } from './inbox.ts';
import { checkPublish, FlushWaiters, SequenceCounters } from './outgoing.ts';
import { receiptOf } from './receipt.ts';
import type { Spool, SpoolRecord } from './spool.ts';
import type { TransportEmitter } from './events.ts';
import { TransportClosedError, type PublishReceipt, type TransportStats } from './transport.ts';

export class SpooledOutbox {
  readonly #spool: Spool;
  readonly #counters: Counters;
  readonly #events: TransportEmitter;
  readonly #maxFrameBytes: number;
  readonly #sequences = new SequenceCounters();
  readonly #flushWaiters = new FlushWaiters();

  constructor(spool: Spool, maxFrameBytes: number, counters: Counters, events: TransportEmitter) {
    this.#spool = spool;
    this.#maxFrameBytes = maxFrameBytes;
    this.#counters = counters;
    this.#events = events;
  }

  get incarnation(): number {
    return this.#spool.incarnation;
  }

  /** Checks, numbers and frames a frame of `kind` and spools it under `topic`; resolves once it is durable. */
  async publish(topic: string, kind: string, frame: Uint8Array): Promise<PublishReceipt> {
    checkPublish(kind, frame, this.#maxFrameBytes);
    const seq = this.#sequences.take(kind);
    const incarnation = this.#spool.incarnation;
    const payload = encodeFramed({ incarnation, seq }, frame);
    this.#counters.published++;
    await this.#spool.append(topic, payload);
    return { kind, incarnation, seq };
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

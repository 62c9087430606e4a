// The Transport interface: publish and subscribe of opaque signed frames within one cluster. Every implementation
// (in-memory hub, MQTT) passes the shared suite in test/suite.ts.
import type { FrameFilter } from './topic.ts';

/** One frame as a subscriber receives it. */
export interface Delivery {
  cluster: string;
  kind: string;
  /** The publisher's address, taken from the topic (which the broker's ACL ties to the publisher's login). */
  from: string;
  incarnation: number;
  seq: number;
  /** The opaque frame as published (a copy the handler may keep). */
  frame: Uint8Array;
  /** Frames of this stream skipped just before this one; 0 when in order. */
  missed: number;
  /** True when this frame was counted as missed earlier and arrived late. */
  late: boolean;
}

export type FrameHandler = (delivery: Delivery) => void;

export interface Subscription {
  readonly filter: FrameFilter;
  /** Stops deliveries to this subscription; resolves when the broker confirmed (if this was the last user). */
  unsubscribe(): Promise<void>;
}

/** How one frame is published. */
export interface PublishOptions {
  /**
   * Wall-clock ms (the transport's clock) after which the frame is useless to every receiver, e.g. a vote of a round
   * they have all closed by then. A frame still waiting in the spool at that time is never sent: it leaves the queue
   * counted as expired, with no 'acknowledged' event, also after a restart. Its sequence number is skipped, which
   * receivers report as a gap (docs/transport.md). Absent: the frame waits as long as it takes.
   */
  expiresAt?: number;
}

/** What `publish()` resolves with: the frame is durable in the spool and will be sent in order. */
export interface PublishReceipt {
  kind: string;
  incarnation: number;
  seq: number;
}

export interface TransportStats {
  /** Frames handed to publish() since open. */
  published: number;
  /** Frames the broker (or hub) has acknowledged since open. */
  acknowledged: number;
  /** Frames waiting to be sent or acknowledged, including any recovered from a previous run: the queue depth. */
  queued: number;
  /** Frames refused by the broker (not authorised); dropped from the queue. */
  refused: number;
  /** Frames dropped from the queue unsent because their expiry (PublishOptions.expiresAt) passed first. */
  expired: number;
  delivered: number;
  duplicates: number;
  /** Gaps seen (events), and frames missed in them. */
  gaps: number;
  missed: number;
  malformed: number;
  /** Successful connections after the first. */
  reconnects: number;
}

export interface TransportEvents {
  connect: { protocolVersion: number; sessionPresent: boolean };
  disconnect: { reason: string };
  reconnecting: { attempt: number; delayMs: number };
  duplicate: { from: string; kind: string; incarnation: number; seq: number; reason: 'duplicate' };
  gap: { from: string; kind: string; incarnation: number; firstMissing: number; lastMissing: number };
  malformed: { topic: string; reason: string };
  /** The broker refused a frame (MQTT 5 reason code; MQTT 3.1.1 brokers drop silently and say nothing). */
  refused: { kind: string; incarnation: number; seq: number; reasonCode: number; reason: string };
  /** The broker (or hub, or bus master) acknowledged a frame: what publish() returned for it. Frames recovered from a
   * previous run's spool are acknowledged too, under that run's incarnation. */
  acknowledged: PublishReceipt;
  /** Something went wrong that the transport handles itself (bad credentials, spool write failure, ...). */
  error: { error: Error };
}

export type TransportEventName = keyof TransportEvents;

export interface Transport {
  readonly cluster: string;
  /** This member's address: every frame it publishes goes out under it. */
  readonly address: string;
  readonly connected: boolean;
  /**
   * Publishes one frame of `kind` under this member's address, QoS 1. The frame is copied at once, so the caller may
   * reuse its buffer. Resolves when the frame is durable (spooled), before the broker has it; frames go out in order,
   * except that one past `options.expiresAt` is not sent at all.
   */
  publish(kind: string, frame: Uint8Array, options?: PublishOptions): Promise<PublishReceipt>;
  /** Delivers matching frames, each at most once, in publisher order; resolves once the broker confirmed. */
  subscribe(filter: FrameFilter, handler: FrameHandler): Promise<Subscription>;
  /** Resolves when every frame published so far has been acknowledged, or rejects after `timeoutMs`. */
  flushed(timeoutMs?: number): Promise<void>;
  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void;
  stats(): TransportStats;
  /** Disconnects, stops timers and closes files. Frames not yet acknowledged stay in the spool for the next open. */
  close(): Promise<void>;
}

/** The transport was closed; nothing more can be published or subscribed. */
export class TransportClosedError extends Error {
  readonly code = 'TRANSPORT_CLOSED';
  constructor(what: string) {
    super(`transport: ${what} after close()`);
    this.name = 'TransportClosedError';
  }
}

/** A frame is larger than the configured maximum (the broker would refuse it too). */
export class FrameTooLargeError extends Error {
  readonly code = 'FRAME_TOO_LARGE';
  constructor(size: number, max: number) {
    super(`transport: frame of ${size} bytes is over the limit of ${max} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

/** flushed() ran out of time with frames still unacknowledged. */
export class FlushTimeoutError extends Error {
  readonly code = 'FLUSH_TIMEOUT';
  constructor(queued: number, timeoutMs: number) {
    super(`transport: ${queued} frame(s) still unacknowledged after ${timeoutMs} ms`);
    this.name = 'FlushTimeoutError';
  }
}

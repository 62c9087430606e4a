// The publishing half shared by every implementation: argument checks, per-kind sequence numbers, and the callers of
// flushed() waiting for the queue to empty.
import { HEADER_LENGTH, MAX_SEQUENCE } from './header.ts';
import { assertFrameKind } from './topic.ts';
import { FlushTimeoutError, FrameTooLargeError } from './transport.ts';

/** Default largest frame: a block body with its certificates for a few hundred members fits (docs/transport.md). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

export function checkPublish(kind: string, frame: Uint8Array, maxFrameBytes: number): void {
  assertFrameKind(kind);
  if (!(frame instanceof Uint8Array)) throw new TypeError(`transport: expected the frame as a Uint8Array, got ${frame === null ? 'null' : typeof frame}`);
  if (frame.length + HEADER_LENGTH > maxFrameBytes) throw new FrameTooLargeError(frame.length, maxFrameBytes - HEADER_LENGTH);
}

/** Next sequence number per frame kind, from 1, within one incarnation. */
export class SequenceCounters {
  readonly #next = new Map<string, number>();

  take(kind: string): number {
    const seq = this.#next.get(kind) ?? 1;
    if (seq > MAX_SEQUENCE) throw new RangeError(`transport: sequence numbers of '${kind}' exhausted in this incarnation; reopen the transport`);
    this.#next.set(kind, seq + 1);
    return seq;
  }
}

/** The callers of flushed() waiting for a transport's queue to empty, each with its own timeout. */
export class FlushWaiters {
  readonly #waiting: Array<() => void> = [];

  /** Resolves at the next release(); rejects after `timeoutMs` with the depth `queued()` says then. */
  wait(queued: () => number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(done);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new FlushTimeoutError(queued(), timeoutMs));
      }, timeoutMs);
      this.#waiting.push(done);
    });
  }

  /** The queue is empty: every waiter resolves. */
  release(): void {
    for (const done of this.#waiting.splice(0)) done();
  }

  /** The transport closed: waiters are dropped (their timers still reject them). */
  clear(): void {
    this.#waiting.length = 0;
  }
}

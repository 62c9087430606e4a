// Catch-up (docs/protocol.md §10, step 6): what a node keeps of messages for later heights until it gets there (the
// future buffer), and how often it answers a member's sync requests. Asking for blocks stays with block agreement,
// which knows the height and view; this module holds the bounded state.
import { equalBytes } from '@meterchain/core';
import type { DropReason } from './drops.ts';
import type { Topic } from './topics.ts';

/** Heights past the current one whose messages a node keeps until it gets there; a node further behind syncs. */
export const FUTURE_HEIGHTS = 2;
/** What a member sends for one height that a node may need to keep: its proposal, prepare, commit and timeout. */
export const FUTURE_PER_HEIGHT = 4;
/** Sync answers to one member per timeoutMs (a member catching up asks once per block it commits), and signature
 * checks of requests in its name (a forged request costs a check but no answer). */
const SYNC_ANSWERS = 4;
const SYNC_CHECKS = 8;
const NEVER = 9007199254740991;

export interface FutureMessage {
  height: number;
  topic: Topic;
  bytes: Uint8Array;
  signer: number;
}

/**
 * Messages for the next FUTURE_HEIGHTS heights whose signature is checked, at most FUTURE_PER_HEIGHT per signer and
 * height, one proposal each and no proposal larger than a valid one can be (proposalLimit). Whatever a peer sends,
 * it holds at most voters × FUTURE_HEIGHTS × (proposalLimit + 3 small messages) bytes.
 */
export class FutureBuffer {
  private items: FutureMessage[] = [];
  private perSigner: number[] = [];
  private bytes = 0;

  constructor(
    members: number,
    private readonly proposalLimit: number,
  ) {
    for (let i = 0; i < members; i++) this.perSigner.push(0);
  }

  /**
   * Keeps (a copy of) a message for `height` while the node is at `current`; or says why not. A message past the
   * heights kept is not kept and not counted as dropped: the node syncs instead.
   */
  offer(current: number, height: number, topic: Topic, bytes: Uint8Array, signer: number): DropReason | undefined {
    if (height > current + FUTURE_HEIGHTS) return undefined;
    if (this.perSigner[signer]! >= FUTURE_HEIGHTS * FUTURE_PER_HEIGHT || (topic === 'proposal' && bytes.length > this.proposalLimit)) return 'future-full';
    for (const f of this.items) {
      if (f.signer === signer && f.height === height && (f.topic === 'proposal') === (topic === 'proposal') && (topic === 'proposal' || equalBytes(f.bytes, bytes))) return 'duplicate';
    }
    // A copy: the frame may be a view into a larger buffer, which would stay alive with it.
    this.keep({ height, topic, bytes: bytes.slice(0), signer });
    return undefined;
  }

  keep(f: FutureMessage): void {
    this.items.push(f);
    this.perSigner[f.signer]!++;
    this.bytes += f.bytes.length;
  }

  /** Hands every kept message back, in the order kept, and empties the buffer (the node keeps again what is still
   * ahead of it). */
  drain(): FutureMessage[] {
    const out = this.items;
    this.items = [];
    this.bytes = 0;
    for (let i = 0; i < this.perSigner.length; i++) this.perSigner[i] = 0;
    return out;
  }

  get size(): { messages: number; bytes: number } {
    return { messages: this.items.length, bytes: this.bytes };
  }
}

/** How many sync requests of each member a node checks and answers per timeoutMs. */
export class SyncAnswerLimit {
  private limits: { windowStart: number; answers: number; checks: number }[] = [];

  constructor(
    members: number,
    private readonly windowMs: number,
  ) {
    for (let i = 0; i < members; i++) this.limits.push({ windowStart: -NEVER, answers: 0, checks: 0 });
  }

  /** Whether a request of `member` at `now` may be checked (counts the check); 'rate-limited' when not. */
  check(member: number, now: number): DropReason | undefined {
    const limit = this.limits[member]!;
    if (now >= limit.windowStart + this.windowMs || now < limit.windowStart) {
      limit.windowStart = now;
      limit.answers = 0;
      limit.checks = 0;
    }
    if (limit.answers >= SYNC_ANSWERS || limit.checks >= SYNC_CHECKS) return 'rate-limited';
    limit.checks++;
    return undefined;
  }

  /** Counts an answer to `member`. */
  answered(member: number): void {
    this.limits[member]!.answers++;
  }
}

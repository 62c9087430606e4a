// Catch-up (docs/protocol.md §10, step 6): what a node keeps of messages for later heights until it gets there (the
// future buffer), how often it answers a member's sync requests, and the machine that asks for the blocks a node
// lacks and answers those of members behind it. Asking for a whole proposal stays with block agreement, which knows
// the view.
import { Domain, encode, equalBytes, signingInput, type CborValue, type Manifest } from '@meterchain/core';
import { evidenceBounds } from './chain.ts';
import type { NodeContext } from './context.ts';
import type { DropReason } from './drops.ts';
import { memberIndex } from './submission.ts';
import type { Topic } from './topics.ts';
import { decodeSyncBody, decodeSyncMessage } from './wire/block-agreement.ts';

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

/** What catch-up reads of block agreement. */
export interface AgreementView {
  /** The height under agreement (the one after the last committed block). */
  agreeing(): number;
  /** Height of the last committed block (−1 before the first). */
  tipHeight(): number;
  /** This node's whole proposal at the height under agreement in `view`, if it made one. */
  fullProposal(view: number): Uint8Array | undefined;
}

/** What catch-up needs of the rest of the node. */
export interface CatchUpNeed {
  /** Hands a message kept for a later height back to the node once it gets there, as if it came now. */
  deliver(topic: Topic, bytes: Uint8Array): void;
}

/**
 * The catch-up machine (docs/protocol.md §10, step 6): it keeps what members send for the next heights, asks for the
 * blocks this node lacks, and answers the sync requests of members behind it from the committed blocks it keeps.
 */
type CatchUpContext = Pick<NodeContext, 'manifest' | 'n' | 'selfIndex' | 'self' | 'quorum' | 'voterIndexes' | 'signer' | 'now' | 'verify' | 'emit' | 'publish' | 'drop'>;

export class CatchUp {
  private readonly keepBlocks: number;
  /** Messages for later heights, kept until this node gets there. */
  private readonly future: FutureBuffer;
  /** Sync requests answered and checked per member in the current window of timeoutMs. */
  private readonly syncLimits: SyncAnswerLimit;
  /** The highest height a member signed a message for (a proposal, block vote or timeout kept for later). */
  private seenHeight: number;
  /** Committed blocks kept in memory (the last keepBlocks), by height. */
  private blocks: { [height: number]: Uint8Array };
  /** When this node last asked for the block at the height under agreement, and whose turn it is to be asked. */
  private askedAt: number;
  private turn: number;

  constructor(
    private readonly ctx: CatchUpContext,
    cfg: { keepBlocks?: number },
    private readonly agreement: AgreementView,
    private readonly need: CatchUpNeed,
  ) {
    const m = ctx.manifest;
    this.keepBlocks = cfg.keepBlocks ?? 64;
    // The largest compact proposal of a valid block (see proposalLimit): a larger one for a later height is not kept.
    this.future = new FutureBuffer(ctx.n, proposalLimit(m));
    this.syncLimits = new SyncAnswerLimit(ctx.n, m.params.timeoutMs);
    this.seenHeight = -1;
    this.blocks = {};
    this.askedAt = -NEVER;
    this.turn = 0;
  }

  /** A committed block this node still holds in memory. */
  storedBlock(height: number): Uint8Array | undefined {
    return this.blocks[height];
  }

  /** Messages for later heights kept until this node gets there, and their bytes. */
  get size(): { messages: number; bytes: number } {
    return this.future.size;
  }

  /** Keeps a committed block (stored bytes) to answer sync requests with; forgets the one keepBlocks below. */
  committed(height: number, stored: Uint8Array): void {
    this.blocks[height] = stored;
    delete this.blocks[height - this.keepBlocks];
  }

  /** A new height is under agreement: no block asked for yet. */
  newHeight(): void {
    this.askedAt = -NEVER;
    this.turn = 0;
  }

  /**
   * Keeps a message for a later height, signed by `signer` (the caller has verified its signature): only for the next
   * FUTURE_HEIGHTS heights, at most FUTURE_PER_HEIGHT messages per signer and height, one proposal per signer and
   * height, no proposal larger than a valid one can be. Whatever a peer sends, the buffer holds at most
   * voters × FUTURE_HEIGHTS × (proposalLimit + 3 small messages) bytes (docs/protocol.md §10, step 6).
   */
  keep(height: number, topic: Topic, bytes: Uint8Array, signer: number): void {
    if (height > this.seenHeight) this.seenHeight = height;
    this.ask([signer]);
    const refused = this.future.offer(this.agreement.agreeing(), height, topic, bytes, signer);
    if (refused) this.ctx.drop(refused);
  }

  /**
   * Asks for the block at this node's height, at most once per timeoutMs: each time of members − t + 1 distinct full
   * members, so that one correct member is among them while at most members − t are faulty. The members named (the
   * signers of what showed the block exists) come first, in turn, then the other full members in turn. One faulty
   * member alone, named again and again (a flooder of later-height messages), can no longer take every ask
   * (docs/protocol.md §10, step 6).
   */
  ask(named: number[]): void {
    // The candidates come from a frame not yet verified: only full members are asked (voter 999 names no one).
    const askable = (i: number) => i >= 0 && i < this.ctx.n && i !== this.ctx.selfIndex && this.ctx.manifest.members[i]!.role === 'full';
    const candidates: number[] = [];
    for (const i of named) if (askable(i) && !candidates.includes(i)) candidates.push(i);
    if (candidates.length === 0 || this.ctx.now < this.askedAt + this.ctx.manifest.params.timeoutMs) return;
    this.askedAt = this.ctx.now;
    const want = this.ctx.quorum.oneCorrect;
    const asked: number[] = [];
    for (let k = 0; k < candidates.length && asked.length < want; k++) asked.push(candidates[(this.turn + k) % candidates.length]!);
    const others = this.ctx.voterIndexes.filter((i) => askable(i) && !asked.includes(i));
    for (let k = 0; k < others.length && asked.length < want; k++) asked.push(others[(this.turn + k) % others.length]!);
    this.turn++;
    const request = this.request(this.agreement.agreeing(), undefined);
    for (const i of asked) this.ctx.publish('sync', request, this.ctx.manifest.members[i]!.address);
  }

  /** A signed sync request (no slot to persist: it commits the node to nothing). */
  request(height: number, view: number | undefined): Uint8Array {
    const o: { [key: string]: CborValue } = { cluster: this.ctx.manifest.cluster, epoch: this.ctx.manifest.epoch, height, from: this.ctx.self };
    if (view !== undefined) o['view'] = view;
    const body = encode(o);
    return encode({ body, sig: this.ctx.signer.sign(signingInput(Domain.SYNC, body)) });
  }

  /**
   * The node has committed the block before `height` and agrees on `height` now: the messages kept for it are handed
   * back (they may commit it in turn), those for later heights kept again.
   */
  takeUpKept(height: number): void {
    const buffered = this.future.drain();
    let ahead = false;
    for (const f of buffered) {
      if (f.height === this.agreement.agreeing()) this.need.deliver(f.topic, f.bytes);
      else if (f.height > this.agreement.agreeing()) {
        this.future.keep(f);
        ahead = true;
      }
    }
    if (ahead && this.agreement.agreeing() === height) this.askedAt = -NEVER;
    // Still behind a height some member signed for: ask for the next block now, not at the next message of a later
    // height (one block per message would let a node held back by the round window fall further behind). The member
    // asked rotates with the height, so that each answers a share within its SYNC_ANSWERS per timeoutMs.
    if (this.seenHeight > height && this.agreement.agreeing() === height && this.askedAt === -NEVER) {
      const others: number[] = [];
      for (const i of this.ctx.voterIndexes) if (i !== this.ctx.selfIndex) others.push(i);
      if (others.length > 0) {
        this.askedAt = this.ctx.now;
        this.ctx.publish('sync', this.request(height, undefined), this.ctx.manifest.members[others[height % others.length]!]!.address);
      }
    }
  }

  /**
   * Answers a member's signed sync request, at most SYNC_ANSWERS times per timeoutMs per member (an answer may be a
   * block read from disk), after at most SYNC_CHECKS signature checks per timeoutMs of requests in its name.
   */
  onSync(bytes: Uint8Array): void {
    const d = decodeSyncMessage(bytes);
    const b = d.ok ? decodeSyncBody(d.value.body) : d;
    if (!d.ok || !b.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const m = d.value;
    const o = b.value;
    const requester = memberIndex(this.ctx.manifest, o.from);
    if (requester < 0 || requester === this.ctx.selfIndex || o.cluster !== this.ctx.manifest.cluster || o.epoch !== this.ctx.manifest.epoch) {
      this.ctx.drop('foreign');
      return;
    }
    const limited = this.syncLimits.check(requester, this.ctx.now);
    if (limited) {
      this.ctx.drop(limited);
      return;
    }
    if (!this.ctx.verify(this.ctx.manifest.members[requester]!.publicKey, signingInput(Domain.SYNC, m.body), m.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    if (o.view !== undefined) {
      const full = o.height === this.agreement.agreeing() ? this.agreement.fullProposal(o.view) : undefined;
      if (full) {
        this.syncLimits.answered(requester);
        this.ctx.publish('proposal', full, o.from);
      }
      return;
    }
    const stored = this.blocks[o.height];
    if (stored || o.height <= this.agreement.tipHeight()) this.syncLimits.answered(requester);
    if (stored) this.ctx.publish('block', stored, o.from);
    else if (o.height <= this.agreement.tipHeight()) this.ctx.emit({ type: 'sync-request', height: o.height, from: o.from });
  }
}

/**
 * The largest compact proposal a valid block of this manifest can make, in bytes: the header (a summary per round),
 * per round every member's submission digest and a certificate with every voter's vote and its own judgment list,
 * the evidence a block may carry, and a view change's t timeouts and lock certificate. Honest proposals are far
 * smaller (voters send the same list); what is larger cannot be valid and is not kept for a later height.
 */
function proposalLimit(m: Manifest): number {
  const n = m.members.length;
  let voters = 0;
  for (const x of m.members) if (x.role === 'full') voters++;
  const rounds = m.params.blockRounds;
  const header = 512 + rounds * 160;
  const perRound = 64 + n * 35 + voters * 80 + voters * (n * 34 + 16);
  const evidence = Math.min(256, evidenceBounds(m).perMember * n) * EVIDENCE_BYTES;
  return 4096 + header + rounds * perRound + evidence + voters * 240;
}

/** The largest evidence a block is expected to carry: two signed messages of a member (readings of up to 4 KiB). */
const EVIDENCE_BYTES = 8448;

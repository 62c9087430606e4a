// What the machines of one consensus node share (rounds.ts, block-agreement.ts, the node composing them): who the
// member is in the manifest, the time of the event being handled, the step's record so far (the effects the machines
// emit, filed in the order emitted, each publish naming the record it rests on), the node's counters, the protocol's
// timetable, and signature checks with memory (a signature found valid once is not checked again). Each part reads
// the slice of it it needs (a Pick of NodeContext).
import { equalBytes, toHex, type Hash, type Manifest, type Signer, type Verifier } from '@meterchain/core';
import type { SignatureCheck } from './certificate.ts';
import { firstRoundOf, proposerOf } from './chain.ts';
import { consensusError } from './codes.ts';
import type { DropReason } from './drops.ts';
import { emptyStep, type Effect, type Machine, type NodeConfig, type NodeStats, type PersistRecord, type Publish, type StepResult } from './effects.ts';
import { machineOfEffect } from './lanes.ts';
import { BoundedMemo } from './memo.ts';
import { Quorum } from './quorum.ts';
import type { SharedChecks } from './shared.ts';
import { memberIndex, roundOf, roundStart } from './submission.ts';
import type { Topic } from './topics.ts';
import { judgmentsRoot } from './vote.ts';

/** How far through a round block agreement starts, in tenths (see readyAt): 7, as an integer because Espruino reads the
 * literal 0.7 as 0.7000000000000001 (gate rule decimal-literal). */
const BLOCK_PHASE_TENTHS = 7;

export function hexKey(b: Uint8Array): string {
  return toHex(b);
}

export class NodeContext {
  readonly manifest: Manifest;
  readonly hash: Hash;
  readonly signer: Signer;
  readonly self: Uint8Array;
  readonly selfIndex: number;
  readonly isVoter: boolean;
  /** Members of the manifest (sensors included). */
  readonly n: number;
  /** Indexes of the full members, in manifest order. */
  readonly voterIndexes: number[];
  readonly quorum: Quorum;
  readonly leaderMode: boolean;
  /** NodeConfig.confirmOwnVotes. */
  readonly confirmOwnVotes: boolean;
  /** Height of this epoch's first block. */
  readonly epochStart: number;
  readonly shared: SharedChecks | undefined;
  /** The manifest's digest in hex: what a shared block verdict is keyed by, with the block's place. */
  readonly manifestKey: string;
  readonly stats: NodeStats;
  /** The time of the event being handled. */
  now: number;
  private readonly verifier: Verifier;
  private out: StepResult;
  /** Per machine, the record persisted last in this step with no publish of that machine since: what the machine's
   * next publish rests on (−1: none). */
  private readonly guard: { [m in Machine]: number };
  /** Signatures verified, by signature (hex): a signature verified once is not verified again. */
  private memo: BoundedMemo<{ pk: Uint8Array; msg: Uint8Array }>;
  /** Roots of judgment lists by the SHA-256 of the list: one hash instead of a Merkle tree of n leaves per list seen
   * again (in votes, in the round certificates of every proposal and block). */
  private listRoots: BoundedMemo<Uint8Array>;
  readonly rootOf: (list: Uint8Array) => Uint8Array;

  constructor(cfg: NodeConfig) {
    const m = cfg.manifest;
    this.manifest = m;
    this.signer = cfg.signer;
    this.verifier = cfg.verifier;
    this.shared = cfg.shared;
    this.hash = cfg.hash;
    // The member is found by its key; its address is the manifest's (one object, the same on every platform).
    let selfIndex = -1;
    for (let i = 0; i < m.members.length; i++) if (equalBytes(m.members[i]!.publicKey, cfg.signer.publicKey)) selfIndex = i;
    if (selfIndex < 0) throw consensusError('NOT_MEMBER', 'consensus node: the signer is not a member of the manifest');
    this.selfIndex = selfIndex;
    this.self = m.members[selfIndex]!.address;
    this.isVoter = m.members[this.selfIndex]!.role === 'full';
    this.n = m.members.length;
    this.voterIndexes = [];
    for (let i = 0; i < this.n; i++) if (m.members[i]!.role === 'full') this.voterIndexes.push(i);
    this.quorum = new Quorum(m.rule, this.voterIndexes.length, this.n);
    this.leaderMode = m.voteMode === 'leader';
    this.confirmOwnVotes = cfg.confirmOwnVotes === true;
    this.epochStart = cfg.epochStartHeight ?? 0;
    this.manifestKey = toHex(cfg.manifestDigest);
    this.stats = { verifications: 0, recalled: 0, votesCast: 0, blocksCommitted: 0, proposals: 0, timeouts: 0, dropped: 0, drops: {}, surplus: 0, surplusVotes: 0 };
    this.now = 0;
    this.out = emptyStep();
    this.guard = { rounds: -1, 'block-agreement': -1 };
    this.memo = new BoundedMemo(cfg.shared ? 1 : 8192);
    this.listRoots = cfg.shared ? cfg.shared.listRoots : new BoundedMemo(2048);
    this.rootOf = (list) => this.listRoot(list);
  }

  // ---- the step ----

  /** Starts a step at `now` with an empty record. */
  begin(now: number): void {
    this.out = emptyStep();
    this.guard.rounds = -1;
    this.guard['block-agreement'] = -1;
    this.now = now;
  }

  /** The step's record (the next step's begin starts a new one: nothing is emitted between steps). */
  finish(): StepResult {
    return this.out;
  }

  /** Files an effect into the step's record, in order. A publish rests on the record its machine persisted last in
   * this step, unless a publish of that machine came between. */
  emit(e: Effect): void {
    const r = this.out;
    const machine = machineOfEffect(e);
    if (e.type === 'persist') {
      this.guard[machine] = r.persist.length;
      r.order.push({ list: 'persist', index: r.persist.length, machine });
      r.persist.push(e.record);
    } else if (e.type === 'publish') {
      const after = this.guard[machine];
      this.guard[machine] = -1;
      r.order.push({ list: 'publish', index: r.publish.length, machine });
      const p: Publish = { topic: e.topic, bytes: e.bytes, after };
      if (e.to !== undefined) p.to = e.to;
      if (e.confirms !== undefined) p.confirms = e.confirms;
      if (e.expiresAt !== undefined) p.expiresAt = e.expiresAt;
      r.publish.push(p);
    } else if (e.type === 'committed') {
      r.order.push({ list: 'committed', index: r.committed.length, machine });
      r.committed.push(e);
    } else if (e.type === 'sync-request') {
      r.order.push({ list: 'syncRequests', index: r.syncRequests.length, machine });
      r.syncRequests.push(e);
    } else {
      r.order.push({ list: 'outcomes', index: r.outcomes.length, machine });
      r.outcomes.push(e);
    }
  }

  persistThenPublish(record: PersistRecord, topic: Topic, bytes: Uint8Array, to?: Uint8Array): void {
    this.emit({ type: 'persist', record });
    this.publish(topic, bytes, to);
  }

  publish(topic: Topic, bytes: Uint8Array, to?: Uint8Array): void {
    if (to !== undefined) this.emit({ type: 'publish', topic, bytes, to });
    else this.emit({ type: 'publish', topic, bytes });
  }

  /** Publishes this node's own submission of round `round`, useless once every member has closed the round
   * (frameExpiry). A copy handed over for a closed round goes through publish(): it must arrive. */
  publishOwnSubmission(bytes: Uint8Array, round: number): void {
    this.emit({ type: 'publish', topic: 'submission', bytes, expiresAt: this.frameExpiry(round) });
  }

  /** Publishes a frame carrying this node's own vote of `round`: with confirmOwnVotes, marked for a `sent` event. A
   * vote is useless once every member has closed the round (frameExpiry); a leader's certificate is not (it may be
   * handed over later). */
  publishOwnVote(topic: Topic, bytes: Uint8Array, round: number, to?: Uint8Array): void {
    const e: Effect = { type: 'publish', topic, bytes };
    if (to !== undefined) e.to = to;
    if (this.confirmOwnVotes) e.confirms = round;
    if (topic === 'vote') e.expiresAt = this.frameExpiry(round);
    this.emit(e);
  }

  /** Counts a dropped message under its reason, and names it in the step's record. */
  drop(reason: DropReason): void {
    this.stats.dropped++;
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
    this.out.dropped.push({ reason });
  }

  /** The index of the full member a block vote or timeout names as its signer, for this cluster and epoch; −1, and
   * the message dropped with its reason ('foreign', 'not-a-voter'), when it is not one. */
  voterOf(signed: { cluster: string; epoch: number; voter: Uint8Array }): number {
    const m = this.manifest;
    if (signed.cluster !== m.cluster || signed.epoch !== m.epoch) {
      this.drop('foreign');
      return -1;
    }
    const voter = memberIndex(m, signed.voter);
    if (voter < 0 || m.members[voter]!.role !== 'full') {
      this.drop('not-a-voter');
      return -1;
    }
    return voter;
  }

  // ---- verification with memory (a signature verified once is not verified again) ----

  verify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    const key = hexKey(sig);
    const shared = this.shared;
    if (shared) {
      // The process's memory is this node's too: a second memory per node would hold the same signatures again (at
      // 16 nodes a process and 64 members, some 200 MB of messages).
      if (shared.recall(key, pk, msg)) {
        this.stats.recalled++;
        return true;
      }
    } else {
      const hit = this.memo.get(key);
      if (hit && equalBytes(hit.msg, msg) && equalBytes(hit.pk, pk)) return true;
    }
    this.stats.verifications++;
    const ok = this.verifier.verify(pk, msg, sig);
    if (ok) {
      if (shared) shared.remember(key, pk, msg);
      else this.memo.set(key, { pk, msg });
    }
    return ok;
  }

  oracle(): (c: SignatureCheck) => boolean {
    return (c) => this.verify(c.publicKey, c.message, c.signature);
  }

  /**
   * The Merkle root of a judgment list. Lists seen before are remembered by their hash (honest voters send identical
   * lists), so a list is hashed into a tree once however many voters sent it.
   */
  private listRoot(list: Uint8Array): Uint8Array {
    const key = hexKey(this.hash(list));
    const hit = this.listRoots.get(key);
    if (hit) return hit;
    const root = judgmentsRoot(this.hash, list);
    this.listRoots.set(key, root);
    return root;
  }

  // ---- the timetable (docs/protocol.md §3, §10) ----

  voteDeadline(r: number): number {
    return roundStart(this.manifest, r + 1) + this.manifest.params.skewMs;
  }

  certAt(r: number): number {
    return this.voteDeadline(r) + Math.floor(this.manifest.params.timeoutMs / 2);
  }

  fallbackAt(r: number): number {
    return this.voteDeadline(r) + Math.floor((3 * this.manifest.params.timeoutMs) / 4);
  }

  closeAt(r: number): number {
    return this.voteDeadline(r) + this.manifest.params.timeoutMs;
  }

  /** When round r's submissions and votes are useless on arrival, by this node's clock: every honest member closes
   * the round at closeAt(r) by its own clock, at most skewMs behind this one, and drops them after that. */
  frameExpiry(r: number): number {
    return this.closeAt(r) + this.manifest.params.skewMs;
  }

  lastRoundOf(height: number): number {
    return firstRoundOf(this.manifest, height, this.epochStart) + this.manifest.params.blockRounds - 1;
  }

  /**
   * When agreement on block `height` starts: once its last round is closed, at the next point BLOCK_PHASE_TENTHS tenths of the way
   * through a round. Readings are taken at a round's start, so a round's submissions and votes fill its first part;
   * block agreement (every member checks the proposal and signs two votes at once) is kept out of their way.
   */
  readyAt(height: number): number {
    const closed = this.closeAt(this.lastRoundOf(height));
    const m = this.manifest;
    const at = roundStart(m, Math.max(0, roundOf(m, closed))) + Math.floor((m.params.roundMs * BLOCK_PHASE_TENTHS) / 10);
    return at >= closed ? at : at + m.params.roundMs;
  }

  viewTimeout(view: number): number {
    return this.manifest.params.timeoutMs * (view + 1);
  }

  leaderOf(round: number): number {
    return this.voterIndexes[round % this.voterIndexes.length]!;
  }

  proposerIndex(height: number, view: number): number {
    return memberIndex(this.manifest, proposerOf(this.manifest, height, view));
  }
}

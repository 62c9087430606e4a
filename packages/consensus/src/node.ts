// A member's consensus node: the voting rounds (rounds.ts), block agreement (block-agreement.ts) and catch-up
// (catch-up.ts) of docs/protocol.md, composed as etcd's raft composes its parts. It takes events (a tick with the
// time, an own reading, a message), hands each to the machine it concerns, acts on evidence (evidence-pool.ts), and
// answers with one record of the step (StepResult, effects.ts) for the runtime to perform. No I/O, no clock, no
// randomness.
import { type Hash, type Manifest } from '@meterchain/core';
import { BlockAgreement } from './block-agreement.ts';
import { CatchUp, FUTURE_HEIGHTS } from './catch-up.ts';
import { firstRoundOf } from './chain.ts';
import { NodeContext } from './context.ts';
import type { NodeConfig, NodeEvent, NodeRestore, NodeStats, StepResult } from './effects.ts';
import { makeEvidence, openEvidence, type EvidenceClaim, type EvidenceKind } from './evidence.ts';
import { EvidencePool } from './evidence-pool.ts';
import { leafHash } from './merkle.ts';
import { RoundMachine } from './rounds.ts';
import { roundOf } from './submission.ts';
import type { Topic } from './topics.ts';

export type { Topic };
export type { Effect, NodeConfig, NodeEvent, NodeRestore, NodeStats, PersistRecord, StepResult } from './effects.ts';

export class ConsensusNode {
  readonly manifest: Manifest;
  readonly self: Uint8Array;
  readonly selfIndex: number;
  readonly isVoter: boolean;
  readonly threshold: number;
  readonly stats: NodeStats;
  private readonly ctx: NodeContext;
  private readonly rounds: RoundMachine;
  private readonly blocks: BlockAgreement;
  private readonly catchUp: CatchUp;
  /** Evidence known, by claim key: its bytes while pending (kept for a block), else empty (known, not kept). */
  private readonly evidence: EvidencePool;
  /** Members caught equivocating. */
  private flagged: { [member: number]: boolean };
  private started: boolean;

  constructor(cfg: NodeConfig) {
    const ctx = new NodeContext(cfg);
    this.ctx = ctx;
    this.manifest = ctx.manifest;
    this.self = ctx.self;
    this.selfIndex = ctx.selfIndex;
    this.isVoter = ctx.isVoter;
    this.threshold = ctx.quorum.t;
    this.stats = ctx.stats;
    this.evidence = new EvidencePool(ctx.manifest);
    this.flagged = {};
    this.started = false;
    const record = (kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void => this.recordEvidence(kind, a, b);
    const blocks = (): BlockAgreement => this.blocks;
    this.catchUp = new CatchUp(
      ctx,
      cfg,
      { agreeing: () => blocks().agreeing, tipHeight: () => blocks().height, fullProposal: (view) => blocks().fullProposal(view) },
      { deliver: (topic, bytes) => this.message(topic, bytes) },
    );
    this.rounds = new RoundMachine(ctx, cfg, {
      tipHeight: () => blocks().height,
      knownEvidence: (key) => this.evidence.has(key),
      recordEvidence: record,
    });
    this.blocks = new BlockAgreement(ctx, cfg, this.rounds.view, this.evidence, this.catchUp, { recordEvidence: record });
    if (cfg.restore) this.restore(cfg.restore);
  }

  // ---- public surface ----

  /** Feeds one event; returns the record of what to persist, publish and report. */
  step(event: NodeEvent): StepResult {
    this.ctx.begin(event.now);
    if (!this.started) this.start(event.now);
    if (event.type === 'tick') this.tick();
    else if (event.type === 'reading') this.rounds.ownReading(event.reading);
    else if (event.type === 'batch') this.rounds.ownBatch(event.batch);
    else if (event.type === 'sent') this.rounds.onSent(event.round);
    else if (event.type === 'link') this.blocks.link(event.up);
    else this.message(event.topic, event.bytes);
    const r = this.ctx.finish();
    if (event.type === 'message') for (const d of r.dropped) d.topic = event.topic;
    return r;
  }

  /** The earliest time a tick has something to do (the runtime may tick more often). */
  wakeAt(): number {
    return this.blocks.wakeAt(this.rounds.wakeAt());
  }

  /** Height of the last committed block (−1 before the first). */
  get height(): number {
    return this.blocks.height;
  }

  /** Hash of the last committed header (the manifest digest before the first block). */
  get tip(): Uint8Array {
    return this.blocks.tip;
  }

  /** Members caught equivocating, by index in the manifest. */
  flaggedMembers(): number[] {
    const out: number[] = [];
    for (const k of Object.keys(this.flagged)) out.push(Number(k));
    return out.sort((a, b) => a - b);
  }

  /** Messages for later heights kept until this node gets there, and their bytes; evidence kept for a block. */
  buffered(): { messages: number; bytes: number; evidence: number } {
    const kept = this.catchUp.size;
    return { messages: kept.messages, bytes: kept.bytes, evidence: this.evidence.pendingCount };
  }

  /** A committed block this node still holds in memory. */
  storedBlock(height: number): Uint8Array | undefined {
    return this.catchUp.storedBlock(height);
  }

  // ---- composition ----

  private start(now: number): void {
    this.started = true;
    this.rounds.start(now);
    this.blocks.start();
  }

  /** Takes the node up where it was: its last committed block, then each record in the order persisted. */
  private restore(restore: NodeRestore): void {
    if (restore.tip) {
      const header = this.blocks.restoreTip(restore.tip);
      this.rounds.restoreTip(header.epoch, header.last);
    }
    for (const rec of restore.records) {
      if (rec.kind === 'submission' || rec.kind === 'vote' || rec.kind === 'round') this.rounds.restoreRecord(rec);
      else this.blocks.restoreRecord(rec);
    }
    this.rounds.restored();
    this.blocks.restored();
  }

  private tick(): void {
    this.rounds.tick();
    this.blocks.tick();
    this.rounds.pruneRounds();
  }

  private message(topic: Topic, bytes: Uint8Array): void {
    if (topic === 'submission') this.rounds.onSubmission(bytes);
    else if (topic === 'vote') this.rounds.onVote(bytes);
    else if (topic === 'certificate') this.rounds.onCertificate(bytes);
    else if (topic === 'evidence') this.onEvidence(bytes);
    else if (topic === 'proposal') this.blocks.onProposal(bytes);
    else if (topic === 'block-vote') this.blocks.onBlockVote(bytes);
    else if (topic === 'timeout') this.blocks.onTimeout(bytes);
    else if (topic === 'block') this.blocks.onBlock(bytes);
    else if (topic === 'sync') this.catchUp.onSync(bytes);
    else this.ctx.drop('unknown-topic');
    // What a member that refused the view's proposal hands over may show this node that the proposal leaves out a
    // reading it now holds too (docs/protocol.md §10 step 5).
    if (topic === 'submission' || topic === 'certificate') this.blocks.heldMore();
  }

  // ---- evidence ----

  private recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void {
    const bytes = makeEvidence(kind, a, b);
    const o = openEvidence(this.manifest, bytes, this.ctx.hash);
    if (!o.ok || this.evidence.has(o.claim.key) || !this.evidenceInWindow(o.claim)) return;
    if (this.learnEvidence(o.claim, bytes)) this.ctx.publish('evidence', bytes);
  }

  /**
   * Whether evidence is about a slot this node may still put in a block or judge (evidenceBounds): a round from the
   * window before the current block's first round up to the rounds it accepts, a height from the window below the
   * current one up to the heights whose messages it keeps.
   */
  private evidenceInWindow(claim: EvidenceClaim): boolean {
    const b = this.evidence.limits;
    const height = this.blocks.agreeing;
    if (claim.kind === 'block') return claim.slot >= height - b.heights && claim.slot <= height + FUTURE_HEIGHTS;
    const first = firstRoundOf(this.manifest, height, this.ctx.epochStart);
    return claim.slot >= first - b.rounds && claim.slot <= roundOf(this.manifest, this.ctx.now) + 2;
  }

  /** Acts on verified evidence; the pool keeps its bytes for a block (returns true) unless evidenceBounds' share of
   * evidence against that member is pending already (one is enough to flag it). */
  private learnEvidence(claim: EvidenceClaim, bytes: Uint8Array): boolean {
    const keep = this.evidence.add(claim, bytes);
    this.flagged[claim.accused] = true;
    if (claim.kind === 'vote') this.rounds.excludeVoter(claim.slot, claim.accused);
    this.ctx.emit({ type: 'evidence', kind: claim.kind, accused: this.manifest.members[claim.accused]!.address, slot: claim.slot, evidence: bytes });
    return keep;
  }

  private onEvidence(bytes: Uint8Array): void {
    const o = openEvidence(this.manifest, bytes, this.ctx.hash);
    if (!o.ok) {
      this.ctx.drop('malformed');
      return;
    }
    if (this.evidence.has(o.claim.key)) return;
    if (!this.evidenceInWindow(o.claim)) {
      // Checked before its signatures: a member's equivocations over any round number cost nothing here.
      this.ctx.drop('outside-window');
      return;
    }
    for (const c of o.claim.checks) {
      if (!this.ctx.verify(c.publicKey, c.message, c.signature)) {
        this.ctx.drop('bad-signature');
        return;
      }
    }
    this.learnEvidence(o.claim, bytes);
  }
}

/** Leaf hash of a submission's bytes: its digest in votes and in blocks. */
export function submissionDigest(hash: Hash, bytes: Uint8Array): Uint8Array {
  return leafHash(hash, bytes);
}

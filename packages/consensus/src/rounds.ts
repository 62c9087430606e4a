// The round machine (docs/protocol.md §4–§7): a member's voting rounds. It opens rounds as they come and keeps the
// round window (§10), takes submissions, and decides when to vote, send certificates and close rounds. Each round's
// tally, outcomes and record are a Round (round.ts), held in a RoundTable (round-table.ts); judging is judging.ts,
// votes and certificates round-votes.ts, a restart's rounds round-restore.ts. Block agreement reads the rounds through
// RoundsView (rounds-view.ts, shown by rounds-for-blocks.ts); the round machine reads of the rest of the node only the
// committed height and the evidence known (RoundsNeed).
import { equalBytes, signReading, signingInput, type Reading } from '@meterchain/core';
import { firstRoundOf } from './chain.ts';
import { Reason } from './codes.ts';
import type { NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { EvidenceKind } from './evidence.ts';
import type { Judges } from './judge.ts';
import { Judging } from './judging.ts';
import { Round } from './round.ts';
import { OwnSubmissions, restoreRound } from './round-restore.ts';
import { RoundTable } from './round-table.ts';
import { RoundVotes } from './round-votes.ts';
import { RoundsForBlocks } from './rounds-for-blocks.ts';
import type { RoundsView } from './rounds-view.ts';
import { openSubmission, roundOf, roundStart, signBatch, submissionDomain, type Batch } from './submission.ts';

/** What the round machine reads of the rest of the node. */
export interface RoundsNeed {
  /** Height of the last committed block (−1 before the first): the rounds it covers are done with. */
  tipHeight(): number;
  /** Whether evidence with this claim key is known. */
  knownEvidence(key: string): boolean;
  /** Two different signed messages of a member for one slot (a submission, a vote): evidence. */
  recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void;
}

const NEVER = 9007199254740991;

export class RoundMachine {
  /** What block agreement reads of the rounds. */
  readonly view: RoundsView;
  /** Rounds past the last committed block's last round that this node may open (windowEnd). */
  private readonly maxRounds: number;
  private readonly table: RoundTable;
  private readonly votes: RoundVotes;
  private readonly own: OwnSubmissions;
  private nextRound: number;
  /** Rounds stopped at the window's end (windowEnd) with the clock past it: block agreement is behind. */
  private heldBack: boolean;
  /** The last round this node signed a submission for. */
  private subMark: number;
  /** A round restored from its record and open again, whose recorded vote the first tick re-sends (reopenRestored). */
  private resendVote: Round | undefined;
  /** The last round of what this node signed before its restart, when its clock at the start was behind that (start):
   * rounds up to it are taken up as late ones. -1: none. */
  private signedAhead: number;

  constructor(
    private readonly ctx: NodeContext,
    cfg: { judges?: Judges; rejectQuality?: number },
    private readonly need: RoundsNeed,
  ) {
    this.maxRounds = Math.max(8 * ctx.manifest.params.blockRounds, 64);
    this.table = new RoundTable();
    this.own = new OwnSubmissions(ctx, this.table);
    const judging = new Judging(ctx, cfg, (key) => need.knownEvidence(key));
    this.votes = new RoundVotes(ctx, {
      roundState: (r) => this.roundState(r, true),
      judge: (rs) => judging.judge(rs),
      recordEvidence: (kind, a, b) => need.recordEvidence(kind, a, b),
    });
    this.view = new RoundsForBlocks(ctx, this.table, {
      tipHeight: () => need.tipHeight(),
      recordEvidence: (kind, a, b) => need.recordEvidence(kind, a, b),
      forgetOwnThrough: (last) => this.own.forgetThrough(last),
    });
    this.nextRound = 0;
    this.heldBack = false;
    this.subMark = -1;
    this.resendVote = undefined;
    this.signedAhead = -1;
  }

  // ---- what the node asks ----

  /** The earliest time a tick has something to do for the rounds. */
  wakeAt(): number {
    const ctx = this.ctx;
    // Held back at the window's end (tick), the next round's deadline lies in the past and would wake the node at once,
    // in a loop: only a block moves the window, and once one has brought the current round inside it, the next tick
    // resumes the rounds.
    let at = !this.heldBack ? ctx.voteDeadline(this.nextRound) : roundOf(ctx.manifest, ctx.now) <= this.windowEnd() ? ctx.now : NEVER;
    for (const r of this.table.held) {
      const rs = this.table.get(r)!;
      if (!rs.voted) at = Math.min(at, ctx.voteDeadline(r));
      else if (!rs.closed) {
        at = Math.min(at, ctx.closeAt(r));
        // Only deadlines tick() still acts on: one it has already acted on (a fallback sent) or never will (a node
        // that holds no vote of its own) would lie in the past and wake the node again at once, in a loop.
        if (ctx.leaderMode && !rs.certSent && !rs.certSeen) {
          if (ctx.leaderOf(r) === ctx.selfIndex) at = Math.min(at, ctx.certAt(r));
          else if (ctx.isVoter && !rs.fallbackSent && rs.myVote) at = Math.min(at, ctx.fallbackAt(r));
        }
      }
    }
    return at;
  }

  /** The node's first step, at `now`: rounds are taken up from the current one. */
  start(now: number): void {
    const r = roundOf(this.ctx.manifest, now);
    if (this.nextRound < r) this.nextRound = r < 0 ? 0 : r;
    // Restarted while its last voted round is still open: take that round up again to re-send the recorded vote.
    const last = this.votes.last;
    if (last && now < this.ctx.closeAt(last.round) && last.round < this.nextRound) this.nextRound = last.round;
    // Restarted with its clock behind what it signed before (a clock stepped back, a real-time clock that lost its
    // time): it signed its own submission of a round no earlier than the round's start, and its vote no earlier than
    // the vote deadline. By that clock the others may still count the rounds it signed in, though they closed them
    // long ago: what it completes there waits for the block covering them, as in a round taken up late
    // (docs/protocol.md §7; campaign seed 20261210 saw such a node report `accepted` for readings no block held).
    const signedFrom = Math.max(this.subMark >= 0 ? roundStart(this.ctx.manifest, this.subMark) : -Infinity, last ? this.ctx.voteDeadline(last.round) : -Infinity);
    if (now < signedFrom) {
      this.signedAhead = Math.max(this.subMark, last?.round ?? -1);
      for (const round of this.table.held) this.signedAhead = Math.max(this.signedAhead, round);
    }
    for (const round of this.table.held) {
      const rs = this.table.get(round)!;
      if (round <= this.signedAhead) rs.lateHere = true;
      this.reopenRestored(rs);
    }
  }

  /** The last round of a restored tip (of this epoch; rounds start again at 0 in a new one) is the last one done. */
  restoreTip(epoch: number, last: number): void {
    this.nextRound = epoch === this.ctx.manifest.epoch ? last + 1 : 0;
  }

  /** Takes up a record of the rounds: an own submission, a vote, a round record. */
  restoreRecord(rec: PersistRecord): void {
    if (rec.kind === 'submission') {
      this.subMark = Math.max(this.subMark, rec.round);
      this.own.restore(rec.round, rec.bytes);
    } else if (rec.kind === 'vote') {
      this.votes.restoreRecord(rec);
    } else if (rec.kind === 'round') {
      restoreRound(this.ctx, this.table, rec, this.need.tipHeight());
    }
  }

  /** Once every record is taken up: its own submissions of rounds no committed block covers are held again in those
   * rounds (OwnSubmissions.place). */
  restored(): void {
    const covered = this.need.tipHeight() >= 0 ? this.ctx.lastRoundOf(this.need.tipHeight()) : -1;
    for (const r of this.own.rounds()) {
      if (r <= covered) this.own.forget(r);
      else if (this.table.get(r)) this.own.place(this.table.get(r)!);
    }
  }

  /** A voter of `round` was caught equivocating in it: its votes no longer count there (exclude). */
  excludeVoter(round: number, voter: number): void {
    const rs = this.table.get(round);
    if (rs) rs.exclude(voter);
  }

  /** Forgets the rounds a committed block covers. */
  pruneRounds(): void {
    this.view.pruneRounds();
  }

  // ---- restart ----

  /**
   * A round restored from its record is closed, as it was when the node went down, unless its close time has not come
   * (a quick restart): then it is open again, as a round this node lived through, with the outcomes its record holds
   * decided, and the recorded vote re-sent at the first tick if it is this round's (as when a round is taken up).
   */
  private reopenRestored(rs: Round): void {
    if (!rs.restored || this.ctx.now >= this.ctx.closeAt(rs.round)) return;
    rs.restored = false;
    rs.closed = false;
    rs.changes++;
    rs.certSent = false;
    rs.certSeen = false;
    rs.fallbackSent = false;
    rs.voted = this.votes.votedThrough(rs.round);
    const recorded = this.votes.recorded(rs.round);
    if (rs.voted && recorded && this.ctx.isVoter) {
      rs.myVote = recorded;
      this.resendVote = rs;
    }
  }

  // ---- rounds ----

  private roundState(r: number, create: boolean): Round | undefined {
    const ctx = this.ctx;
    const have = this.table.get(r);
    if (have || !create) return have;
    const current = roundOf(ctx.manifest, ctx.now);
    if (r < this.nextRound) {
      // Older than the oldest round this node took up (rounds restored from their records do not count: the rounds
      // between them were not taken up).
      let oldest = -1;
      for (const x of this.table.held) {
        if (this.table.get(x)!.restored) continue;
        oldest = x;
        break;
      }
      if (oldest >= 0 && r < oldest) return undefined;
    }
    if (r > current + 2) return undefined;
    if (r <= ctx.lastRoundOf(this.need.tipHeight()) && this.need.tipHeight() >= 0) return undefined;
    if (r > this.windowEnd()) return undefined;
    const rs = new Round(ctx, r);
    // Taken up after every honest member's vote deadline (a restart, a lag): what it gathers now may complete
    // certificates the others, closing on time, never could (decideClosed).
    if (ctx.now > ctx.voteDeadline(r) + ctx.manifest.params.skewMs || r <= this.signedAhead) rs.lateHere = true;
    // Its own submission restored after a restart, in a round still open: sent again (the same signed bytes), as the
    // recorded vote is below: it may never have left, and after a power cut of every node no one else holds it.
    if (this.own.place(rs) && ctx.now < ctx.closeAt(r)) ctx.publishOwnSubmission(rs.subs[ctx.selfIndex]!.sub.bytes, r);
    this.votes.takeUpVoted(rs);
    this.table.put(rs);
    return rs;
  }

  /**
   * The last round this node may open, vote or submit in: `maxRounds` past the last round of its last committed block
   * (back-pressure, docs/protocol.md §10 "Round window"). Rounds no committed block covers are kept, with their
   * certificates, until a block covers them; the window is what bounds them, not forgetting.
   */
  private windowEnd(): number {
    return firstRoundOf(this.ctx.manifest, this.need.tipHeight() + 1, this.ctx.epochStart) - 1 + this.maxRounds;
  }

  /** Takes up the rounds that have come, casts the votes due, sends or falls back on certificates, closes rounds. */
  tick(): void {
    const ctx = this.ctx;
    const resend = this.resendVote;
    if (resend) {
      this.resendVote = undefined;
      const own = resend.subs[ctx.selfIndex];
      if (!resend.closed && own) ctx.publishOwnSubmission(own.sub.bytes, resend.round);
      if (!resend.closed && resend.myVote) this.votes.publish(resend, resend.myVote);
    }
    const current = roundOf(ctx.manifest, ctx.now);
    if (current - this.nextRound > this.maxRounds) this.nextRound = current - this.maxRounds;
    const end = this.windowEnd();
    if (this.heldBack && current <= end) {
      // Block agreement has caught up: rounds resume at the current one. The rounds that passed meanwhile are not
      // taken up (this node dropped their submissions and votes, and refused its own readings): nothing to vote.
      this.heldBack = false;
      if (this.nextRound < current) this.nextRound = current;
    }
    while (this.nextRound <= current && !this.heldBack) {
      if (this.nextRound > end) {
        this.heldBack = true;
        break;
      }
      this.roundState(this.nextRound, true);
      this.nextRound++;
    }
    const list = this.table.held.slice(0);
    let allVoted = true;
    for (const r of list) {
      const rs = this.table.get(r);
      if (!rs) continue;
      if (!rs.voted && allVoted && ctx.now >= ctx.voteDeadline(r)) this.votes.cast(rs);
      if (!rs.voted) allVoted = false;
      if (rs.voted && ctx.leaderMode && !rs.closed) {
        if (ctx.leaderOf(r) === ctx.selfIndex) {
          if (!rs.certSent && ctx.now >= ctx.certAt(r)) this.votes.publishCertificate(rs);
        } else if (ctx.isVoter && !rs.certSeen && !rs.fallbackSent && rs.myVote && ctx.now >= ctx.fallbackAt(r)) {
          // The leader is silent: fall back to broadcasting the same vote (no new signature).
          rs.fallbackSent = true;
          ctx.publishOwnVote('vote', rs.myVote, r);
        }
      }
      if (rs.voted && !rs.closed && ctx.now >= ctx.closeAt(r)) rs.close();
    }
  }

  // ---- submissions ----

  ownReading(reading: Reading): void {
    const r = roundOf(this.ctx.manifest, reading.ts);
    if (r < 0) {
      this.ctx.emit({ type: 'refused', what: 'reading', reason: 'timestamp before genesis' });
      return;
    }
    if (r <= this.subMark) {
      this.ctx.emit({ type: 'refused', what: 'reading', reason: `a submission for round ${r} was already signed` });
      return;
    }
    if (this.refusedBehind('reading', r)) return;
    const rs = this.roundState(r, true);
    if (!rs || rs.voted) {
      this.ctx.emit({ type: 'refused', what: 'reading', reason: `round ${r} is already voted or out of the window`, round: r });
      return;
    }
    const bytes = signReading(reading, this.ctx.signer);
    this.subMark = r;
    this.ctx.emit({ type: 'persist', record: { kind: 'submission', round: r, height: -1, view: -1, bytes } });
    this.ctx.publishOwnSubmission(bytes, r);
    this.onSubmission(bytes);
  }

  ownBatch(batch: Batch): void {
    const r = batch.round;
    if (r <= this.subMark) {
      this.ctx.emit({ type: 'refused', what: 'batch', reason: `a submission for round ${r} was already signed` });
      return;
    }
    if (this.refusedBehind('batch', r)) return;
    const rs = this.roundState(r, true);
    if (!rs || rs.voted) {
      this.ctx.emit({ type: 'refused', what: 'batch', reason: `round ${r} is already voted or out of the window`, round: r });
      return;
    }
    const bytes = signBatch(batch, this.ctx.signer, () => this.ctx.self);
    this.subMark = r;
    this.ctx.emit({ type: 'persist', record: { kind: 'submission', round: r, height: -1, view: -1, bytes } });
    this.ctx.publishOwnSubmission(bytes, r);
    this.onSubmission(bytes);
  }

  /** Refuses an own submission for a round past the round window (windowEnd): nothing is signed for it. */
  private refusedBehind(what: string, r: number): boolean {
    const end = this.windowEnd();
    if (r <= end) return false;
    const committed = end - this.maxRounds;
    this.ctx.emit({ type: 'refused', what, reason: `round ${r} is past the round window: no block covers the rounds after ${committed} (block agreement ${r - committed} rounds behind)`, round: r, behind: true });
    return true;
  }

  onSubmission(bytes: Uint8Array): void {
    const ctx = this.ctx;
    const shared = ctx.shared;
    // Another node of the process opened these very bytes and found them validly signed: take its submission.
    const known = shared ? shared.openedSubmission(ctx.manifestKey, bytes) : undefined;
    if (known) ctx.stats.recalled++;
    // Opened from a copy when shared: what is remembered must not be a view into the transport's larger buffer.
    const o = known ? undefined : openSubmission(ctx.manifest, shared ? new Uint8Array(bytes) : bytes, ctx.hash);
    if (o && !o.ok) {
      // Not attributable to a member and round (malformed, wrong cluster, not a member): nothing to judge.
      ctx.drop('unattributable');
      return;
    }
    const s = known ?? o!.submission;
    const rs = this.roundState(s.round, true);
    if (!rs || (rs.closed && !rs.acceptedUnheld(s))) {
      // A closed round's outcomes are final: a submission that comes after it is not worth a verification (a node
      // working off a backlog sheds it here instead of falling further behind), unless it is one the round accepted
      // and this node lacks (handed over by a member that refused a block without it: the node may propose next).
      ctx.drop('round-not-open');
      return;
    }
    const i = s.index;
    if (!known) {
      const msg = signingInput(submissionDomain(s.kind), s.envelope.body);
      if (!ctx.verify(s.member.publicKey, msg, s.envelope.sig)) {
        // Anyone can forge a bad signature in a member's name: remember it only in case nothing valid comes.
        if (!rs.subs[i]) rs.badSig[i] = s.digest;
        return;
      }
      if (shared) shared.rememberSubmission(ctx.manifestKey, s);
    }
    const slot = rs.subs[i];
    if (!slot) {
      let reason = 0;
      if (s.reading && s.reading.ts > ctx.now + ctx.manifest.params.skewMs) reason = Reason.FUTURE;
      rs.subs[i] = { sub: s, reason, late: rs.voted };
      rs.changes++;
      this.table.index(s);
      rs.received++;
      // An accepted member's submission that came after its certificate: the round record gets it too.
      if (rs.recorded.accepted > 0 || rs.closed) rs.persist(true);
      if (!rs.voted && rs.received === ctx.n) this.voteEarly(rs);
      return;
    }
    if (equalBytes(slot.sub.digest, s.digest) || slot.other) return;
    slot.other = s;
    rs.changes++;
    this.need.recordEvidence('submission', slot.sub.bytes, bytes);
  }

  /** Votes as soon as every member's submission is in, if every earlier round is voted (judging runs in order). */
  private voteEarly(rs: Round): void {
    for (const r of this.table.held) {
      if (r >= rs.round) break;
      if (!this.table.get(r)!.voted) return;
    }
    this.votes.cast(rs);
    const next = this.table.get(rs.round + 1);
    if (next && !next.voted && next.received === this.ctx.n) this.voteEarly(next);
  }

  // ---- votes and certificates ----

  /** The broker acknowledged the frame carrying this node's vote of `round` (confirmOwnVotes). */
  onSent(round: number): void {
    const rs = this.table.get(round);
    if (!rs) return;
    rs.ownVoteSent(this.ctx.now <= this.ctx.voteDeadline(round) + this.ctx.manifest.params.skewMs);
  }

  onVote(bytes: Uint8Array): void {
    this.votes.onVote(bytes);
  }

  onCertificate(bytes: Uint8Array): void {
    this.votes.onCertificate(bytes);
  }
}

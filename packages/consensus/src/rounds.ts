// The round machine (docs/protocol.md §4–§7): a member's voting rounds. It opens rounds as they come and keeps the
// round window (§10), takes submissions, judges them, signs and counts votes, and sends and checks round certificates;
// each round's tally, outcomes and record are a Round (round.ts). Block agreement reads what it holds through
// RoundsView (block-agreement.ts); it reads of the rest of the node only the committed height and the evidence known
// (RoundsNeed).
import { Domain, equalBytes, signReading, signingInput, toHex, type Hash, type Manifest, type Reading } from '@meterchain/core';
import {
  buildRoundCertificate,
  certificateSignatures,
  decodeRoundCertificate,
  emptyTally,
  encodeRoundCertificate,
  roundCertificateFromCbor,
  tallyCertificate,
  type HeldVote,
} from './certificate.ts';
import { excludedVoters, firstRoundOf, type CheckedBlock } from './chain.ts';
import { Reason, Verdict, consensusError } from './codes.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { EvidenceKind } from './evidence.ts';
import { baseJudge, defaultJudges, DEFAULT_REJECT_QUALITY, type Judges, type MemberMemory } from './judge.ts';
import { BoundedMemo } from './memo.ts';
import type { Quorum } from './quorum.ts';
import { memberIndex, openSubmission, roundOf, signBatch, submissionDomain, type Batch, type Submission } from './submission.ts';
import { decodeVoteMessage, emptyJudgments, judgmentsProblem, setJudgment, signVote, voteBodyFor, voteEnvelope, voteSigningInput } from './vote.ts';
import { decodeRoundRecord } from './wire/records.ts';
import { ACCEPTED, REJECTED, Round, UNDECIDED } from './round.ts';

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
  private readonly manifest: Manifest;
  private readonly hash: Hash;
  private readonly n: number;
  private readonly selfIndex: number;
  private readonly self: Uint8Array;
  private readonly isVoter: boolean;
  private readonly quorum: Quorum;
  private readonly leaderMode: boolean;
  private readonly judges: Judges;
  private readonly base: (s: Submission, m: MemberMemory) => number;
  /** Rounds past the last committed block's last round that this node may open (windowEnd). */
  private readonly maxRounds: number;
  private rounds: { [round: number]: Round };
  private openRounds: number[];
  private nextRound: number;
  /** Rounds stopped at the window's end (windowEnd) with the clock past it: block agreement is behind. */
  private heldBack: boolean;
  private memory: MemberMemory[];
  private subMark: number;
  private voteMark: number;
  private voteRecord: PersistRecord | undefined;
  /** A round restored from its record and open again, whose recorded vote the first tick re-sends (reopenRestored). */
  private resendVote: Round | undefined;
  /** This node's own submissions restored from its signing records, by round, until a round state holds them. */
  private ownSubmissions: { [round: number]: Uint8Array };
  /** Judgment lists checked, by root (hex). */
  private rootMemo: BoundedMemo<Uint8Array>;
  /** Submissions held in open rounds, by digest (hex), so checking a block does not decode them again. */
  private byDigest: { [digest: string]: Submission };

  constructor(
    private readonly ctx: NodeContext,
    cfg: { judges?: Judges; rejectQuality?: number },
    private readonly need: RoundsNeed,
  ) {
    const m = ctx.manifest;
    this.manifest = m;
    this.hash = ctx.hash;
    this.n = ctx.n;
    this.selfIndex = ctx.selfIndex;
    this.self = ctx.self;
    this.isVoter = ctx.isVoter;
    this.quorum = ctx.quorum;
    this.leaderMode = ctx.leaderMode;
    this.judges = cfg.judges ?? defaultJudges();
    this.base = baseJudge(cfg.rejectQuality ?? DEFAULT_REJECT_QUALITY);
    this.maxRounds = Math.max(8 * m.params.blockRounds, 64);
    this.rounds = {};
    this.openRounds = [];
    this.nextRound = 0;
    this.heldBack = false;
    this.memory = [];
    for (let i = 0; i < this.n; i++) this.memory.push({ lastSeq: -1 });
    this.subMark = -1;
    this.voteMark = -1;
    this.voteRecord = undefined;
    this.resendVote = undefined;
    this.ownSubmissions = {};
    this.rootMemo = new BoundedMemo(512);
    this.byDigest = {};
  }

  // ---- what the node asks ----

  /** The earliest time a tick has something to do for the rounds. */
  wakeAt(): number {
    // Held back at the window's end (tick), the next round's deadline lies in the past and would wake the node at once,
    // in a loop: only a block moves the window, and once one has brought the current round inside it, the next tick
    // resumes the rounds.
    let at = !this.heldBack ? this.ctx.voteDeadline(this.nextRound) : roundOf(this.manifest, this.ctx.now) <= this.windowEnd() ? this.ctx.now : NEVER;
    for (const r of this.openRounds) {
      const rs = this.rounds[r]!;
      if (!rs.voted) at = Math.min(at, this.ctx.voteDeadline(r));
      else if (!rs.closed) {
        at = Math.min(at, this.ctx.closeAt(r));
        // Only deadlines tick() still acts on: one it has already acted on (a fallback sent) or never will (a node
        // that holds no vote of its own) would lie in the past and wake the node again at once, in a loop.
        if (this.leaderMode && !rs.certSent && !rs.certSeen) {
          if (this.ctx.leaderOf(r) === this.selfIndex) at = Math.min(at, this.ctx.certAt(r));
          else if (this.isVoter && !rs.fallbackSent && rs.myVote) at = Math.min(at, this.ctx.fallbackAt(r));
        }
      }
    }
    return at;
  }

  /** The node's first step, at `now`: rounds are taken up from the current one. */
  start(now: number): void {
    const r = roundOf(this.manifest, now);
    if (this.nextRound < r) this.nextRound = r < 0 ? 0 : r;
    // Restarted while its last voted round is still open: take that round up again to re-send the recorded vote.
    const last = this.voteRecord;
    if (last && now < this.ctx.closeAt(last.round) && last.round < this.nextRound) this.nextRound = last.round;
    for (const round of this.openRounds) this.reopenRestored(this.rounds[round]!);
  }

  /** The last round of a restored tip (of this epoch; rounds start again at 0 in a new one) is the last one done. */
  restoreTip(epoch: number, last: number): void {
    this.nextRound = epoch === this.manifest.epoch ? last + 1 : 0;
  }

  /** Takes up a record of the rounds: an own submission, a vote, a round record. */
  restoreRecord(rec: PersistRecord): void {
    if (rec.kind === 'submission') {
      this.subMark = Math.max(this.subMark, rec.round);
      this.ownSubmissions[rec.round] = rec.bytes;
    } else if (rec.kind === 'vote') {
      if (rec.round > this.voteMark) {
        this.voteMark = rec.round;
        this.voteRecord = rec;
      }
    } else if (rec.kind === 'round') {
      this.restoreRound(rec);
    }
  }

  /** Once every record is taken up: its own submissions of rounds no committed block covers are held again in those
   * rounds (placeOwn). */
  restored(): void {
    const covered = this.need.tipHeight() >= 0 ? this.ctx.lastRoundOf(this.need.tipHeight()) : -1;
    for (const k of Object.keys(this.ownSubmissions)) {
      const r = Number(k);
      if (r <= covered) delete this.ownSubmissions[r];
      else if (this.rounds[r]) this.placeOwn(this.rounds[r]!);
    }
  }

  /** A voter of `round` was caught equivocating in it: its votes no longer count there (exclude). */
  excludeVoter(round: number, voter: number): void {
    const rs = this.rounds[round];
    if (rs) rs.exclude(voter);
  }

  // ---- what block agreement reads (RoundsView) ----

  /** The votes held for a round (without voters excluded), if the round is held here. */
  heldVotesOf(round: number): HeldVote[] | undefined {
    const rs = this.rounds[round];
    return rs ? rs.heldVotes() : undefined;
  }

  /** The submission of `member` in `round` with `digest`, if held. */
  submissionOf(round: number, member: number, digest: Uint8Array): Submission | undefined {
    const rs = this.rounds[round];
    return rs ? rs.submission(member, digest) : undefined;
  }

  /** A submission held in an open round, by digest. */
  heldSubmission(digest: Uint8Array): Submission | undefined {
    return this.byDigest[hexKey(digest)];
  }

  knownSubmission(): (digest: Uint8Array) => Submission | undefined {
    return (digest) => this.byDigest[hexKey(digest)];
  }

  /** Whether every round up to `last` is closed here: by this node's clock, and in its state. */
  roundsClosed(last: number): boolean {
    if (this.ctx.now < this.ctx.closeAt(last)) return false;
    for (const r of this.openRounds) if (r <= last && !this.rounds[r]!.closed) return false;
    return true;
  }

  /**
   * The readings this node holds an acceptance certificate for (t accept votes it holds for one digest, without the
   * voters it knows equivocated and those the block's evidence names) and the submission of, in the block's rounds,
   * that the block leaves out. A certificate without its submission is not one: this node cannot hand the reading
   * over, and if no member holds it any more (lost in a power cut of every node) no block could hold it and refusing
   * would stall the cluster for good (docs/protocol.md §10).
   */
  missingAccepted(block: CheckedBlock): { round: number; member: number; digest: Uint8Array }[] {
    const inBlock: { [slot: string]: string } = {};
    for (const s of block.submissions) inBlock[`${s.round}:${s.index}`] = hexKey(s.digest);
    const excluded = excludedVoters(block.evidence);
    const missing: { round: number; member: number; digest: Uint8Array }[] = [];
    for (let r = block.header.first; r <= block.header.last; r++) {
      const rs = this.rounds[r];
      if (!rs) continue;
      let tally = rs.tally;
      const ex = excluded[r];
      if (ex) {
        const votes: HeldVote[] = [];
        for (const v of rs.heldVotes()) if (!ex[v.voter]) votes.push(v);
        tally = votes.length > 0 ? tallyCertificate(this.n, buildRoundCertificate(r, votes), undefined) : emptyTally(this.n);
      }
      for (let i = 0; i < this.n; i++) {
        if (tally[i]!.length === 0) continue;
        const o = this.quorum.outcome(tally[i]!);
        if (o.outcome !== 'accepted') continue;
        if (inBlock[`${r}:${i}`] !== hexKey(o.digest) && rs.submission(i, o.digest)) missing.push({ round: r, member: i, digest: o.digest });
      }
    }
    return missing;
  }

  /**
   * A block shows the votes and submissions its proposer holds: one that differs from what this node holds for the
   * same voter or member and round was signed twice, which no one node could see before.
   */
  compareWithBlock(block: CheckedBlock): void {
    for (let i = 0; i < block.body.certs.length; i++) {
      const c = block.body.certs[i]!;
      const rs = this.rounds[c.round];
      if (!rs) continue;
      for (const v of c.votes) {
        const held = rs.votes[v.voter];
        if (!held) continue;
        const root = block.certRoots[i]![v.list]!;
        if (equalBytes(root, held.root)) continue;
        const body = voteBodyFor(this.manifest, c.round, this.manifest.members[v.voter]!.address, root);
        this.need.recordEvidence('vote', voteEnvelope(held.body, held.sig), voteEnvelope(body, v.sig));
      }
    }
    for (const sub of block.submissions) {
      const rs = this.rounds[sub.round];
      const slot = rs ? rs.subs[sub.index] : undefined;
      if (slot && !equalBytes(slot.sub.digest, sub.digest) && !slot.other) {
        slot.other = sub;
        this.need.recordEvidence('submission', slot.sub.bytes, sub.bytes);
      }
    }
  }

  /**
   * The outcomes of certificates that completed after their round's close time (decide), now that `block`, covering
   * their rounds, is committed: `accepted` for a reading it holds, `too-late` for one it does not.
   */
  reportLate(block: CheckedBlock): void {
    const header = block.header;
    let inBlock: { [slot: string]: Submission } | undefined;
    for (let r = header.first; r <= header.last; r++) {
      const rs = this.rounds[r];
      if (!rs || rs.lateAccepted.length === 0) continue;
      if (!inBlock) {
        inBlock = {};
        for (const s of block.submissions) inBlock[`${s.round}:${s.index}`] = s;
      }
      for (const x of rs.lateAccepted) {
        const member = this.manifest.members[x.member]!.address;
        const s = inBlock[`${r}:${x.member}`];
        if (s && equalBytes(s.digest, x.digest)) this.ctx.emit({ type: 'accepted', round: r, member, digest: x.digest, submission: s.bytes });
        else this.ctx.emit({ type: 'too-late', round: r, member, digest: x.digest });
      }
      rs.lateAccepted = [];
    }
  }

  /** Forgets the rounds a committed block covers (the window keeps the others bounded: windowEnd). */
  pruneRounds(): void {
    const lastCommitted = this.need.tipHeight() >= 0 ? this.ctx.lastRoundOf(this.need.tipHeight()) : -1;
    for (const k of Object.keys(this.ownSubmissions)) if (Number(k) <= lastCommitted) delete this.ownSubmissions[Number(k)];
    while (this.openRounds.length > 0) {
      const r = this.openRounds[0]!;
      const rs = this.rounds[r]!;
      if (r > lastCommitted) break;
      // An outcome taken back in a round that a block covers before it closed: the node's last word is not that one.
      for (const k of Object.keys(rs.takenBack)) rs.report(Number(k), UNDECIDED, rs.takenBack[Number(k)]!.digest, 0);
      for (const slot of rs.subs) if (slot) delete this.byDigest[hexKey(slot.sub.digest)];
      delete this.rounds[r];
      this.openRounds.shift();
    }
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
    rs.certSent = false;
    rs.certSeen = false;
    rs.fallbackSent = false;
    rs.voted = rs.round <= this.voteMark;
    if (rs.voted && this.voteRecord && this.voteRecord.round === rs.round && this.isVoter) {
      rs.myVote = this.voteRecord.bytes;
      this.resendVote = rs;
    }
  }

  /**
   * Takes a round up again from its record, closed, as the node held it: its certificate's votes (tallied, the
   * outcomes decided as they stand) and the accepted submissions. The node then refuses blocks that leave them out
   * and can hand them over (docs/protocol.md §10), as before the restart. The record is the node's own, written
   * after the signatures in it were checked: they are not checked again. A round the tip covers, or of another epoch,
   * is left out.
   */
  private restoreRound(rec: PersistRecord): void {
    const d = decodeRoundRecord(rec.bytes, this.n);
    if (!d.ok) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: ${d.reason}`);
    const o = d.value;
    if (o.cluster !== this.manifest.cluster || o.epoch !== this.manifest.epoch) return;
    const cert = roundCertificateFromCbor(o.cert);
    if (cert.round !== rec.round) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: the record holds round ${cert.round}`);
    if (this.need.tipHeight() >= 0 && cert.round <= this.ctx.lastRoundOf(this.need.tipHeight())) return;
    const s = certificateSignatures(this.manifest, cert, this.hash, this.ctx.rootOf);
    if (!s.ok) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: ${s.reason}`);
    const rs = new Round(this.ctx, cert.round);
    rs.voted = true;
    rs.closed = true;
    rs.certSent = true;
    rs.certSeen = true;
    rs.fallbackSent = true;
    rs.restored = true;
    for (let k = 0; k < cert.votes.length; k++) {
      const v = cert.votes[k]!;
      const body = s.checks[k]!.message.subarray(Domain.VOTE.length + 1);
      rs.votes[v.voter] = { voter: v.voter, records: cert.lists[v.list]!, root: s.roots[v.list]!, sig: v.sig, body };
      rs.tallyVote(cert.lists[v.list]!, s.roots[v.list]!);
    }
    for (const bytes of o.subs) {
      const opened = openSubmission(this.manifest, bytes, this.hash);
      if (!opened.ok || opened.submission.round !== rs.round || rs.subs[opened.submission.index]) continue;
      const sub = opened.submission;
      rs.subs[sub.index] = { sub, reason: 0, late: true };
      this.byDigest[hexKey(sub.digest)] = sub;
      rs.received++;
    }
    for (let i = 0; i < this.n; i++) {
      const outcome = this.quorum.outcome(rs.tally[i]!);
      if (outcome.outcome === 'accepted') {
        rs.decided[i] = ACCEPTED;
        rs.decidedDigest[i] = outcome.digest;
        rs.recorded.accepted++;
        if (rs.submission(i, outcome.digest)) rs.recorded.subs++;
      } else if (outcome.outcome === 'rejected') {
        rs.decided[i] = REJECTED;
        rs.decidedDigest[i] = outcome.digest;
      } else if (outcome.outcome !== 'none' || rs.subs[i]) rs.decided[i] = UNDECIDED;
    }
    if (!this.rounds[rs.round]) {
      let i = this.openRounds.length;
      while (i > 0 && this.openRounds[i - 1]! > rs.round) i--;
      this.openRounds.splice(i, 0, rs.round);
    }
    this.rounds[rs.round] = rs;
  }

  /**
   * Holds this node's own submission of the round again, as restored from its signing records: after a power cut of
   * every node it may be the only copy left, and the votes re-sent after the restart may accept it.
   */
  private placeOwn(rs: Round): boolean {
    const bytes = this.ownSubmissions[rs.round];
    if (!bytes) return false;
    delete this.ownSubmissions[rs.round];
    if (rs.subs[this.selfIndex]) return false;
    const o = openSubmission(this.manifest, bytes, this.hash);
    if (!o.ok || o.submission.round !== rs.round || o.submission.index !== this.selfIndex) return false;
    rs.subs[this.selfIndex] = { sub: o.submission, reason: 0, late: rs.voted };
    this.byDigest[hexKey(o.submission.digest)] = o.submission;
    rs.received++;
    return true;
  }

  // ---- rounds ----

  private checkedRecords(records: Uint8Array, root: Uint8Array): Uint8Array | undefined {
    const key = hexKey(root);
    const hit = this.rootMemo.get(key);
    if (hit && equalBytes(hit, records)) return hit;
    if (judgmentsProblem(records, this.n) !== '') return undefined;
    if (!equalBytes(this.ctx.rootOf(records), root)) return undefined;
    this.rootMemo.set(key, records);
    return records;
  }

  private roundState(r: number, create: boolean): Round | undefined {
    const have = this.rounds[r];
    if (have || !create) return have;
    const current = roundOf(this.manifest, this.ctx.now);
    if (r < this.nextRound) {
      // Older than the oldest round this node took up (rounds restored from their records do not count: the rounds
      // between them were not taken up).
      let oldest = -1;
      for (const x of this.openRounds) {
        if (this.rounds[x]!.restored) continue;
        oldest = x;
        break;
      }
      if (oldest >= 0 && r < oldest) return undefined;
    }
    if (r > current + 2) return undefined;
    if (r <= this.ctx.lastRoundOf(this.need.tipHeight()) && this.need.tipHeight() >= 0) return undefined;
    if (r > this.windowEnd()) return undefined;
    const rs = new Round(this.ctx, r);
    // Taken up after every honest member's vote deadline (a restart, a lag): what it gathers now may complete
    // certificates the others, closing on time, never could (decideClosed).
    if (this.ctx.now > this.ctx.voteDeadline(r) + this.manifest.params.skewMs) rs.lateHere = true;
    // Its own submission restored after a restart, in a round still open: sent again (the same signed bytes), as the
    // recorded vote is below: it may never have left, and after a power cut of every node no one else holds it.
    if (this.placeOwn(rs) && this.ctx.now < this.ctx.closeAt(r)) this.ctx.publish('submission', rs.subs[this.selfIndex]!.sub.bytes);
    if (r <= this.voteMark) {
      // Voted before a restart: never sign this round again; re-send the recorded vote if it is this round's.
      rs.voted = true;
      if (this.voteRecord && this.voteRecord.round === r && this.isVoter) {
        rs.myVote = this.voteRecord.bytes;
        this.publishVote(rs, this.voteRecord.bytes);
      }
    }
    this.rounds[r] = rs;
    let i = this.openRounds.length;
    while (i > 0 && this.openRounds[i - 1]! > r) i--;
    this.openRounds.splice(i, 0, r);
    return rs;
  }

  /**
   * The last round this node may open, vote or submit in: `maxRounds` past the last round of its last committed block
   * (back-pressure, docs/protocol.md §10 "Round window"). Rounds no committed block covers are kept, with their
   * certificates, until a block covers them; the window is what bounds them, not forgetting.
   */
  private windowEnd(): number {
    return firstRoundOf(this.manifest, this.need.tipHeight() + 1, this.ctx.epochStart) - 1 + this.maxRounds;
  }

  /** Takes up the rounds that have come, casts the votes due, sends or falls back on certificates, closes rounds. */
  tick(): void {
    const resend = this.resendVote;
    if (resend) {
      this.resendVote = undefined;
      const own = resend.subs[this.selfIndex];
      if (!resend.closed && own) this.ctx.publish('submission', own.sub.bytes);
      if (!resend.closed && resend.myVote) this.publishVote(resend, resend.myVote);
    }
    const current = roundOf(this.manifest, this.ctx.now);
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
    const list = this.openRounds.slice(0);
    let allVoted = true;
    for (const r of list) {
      const rs = this.rounds[r];
      if (!rs) continue;
      if (!rs.voted && allVoted && this.ctx.now >= this.ctx.voteDeadline(r)) this.castVote(rs);
      if (!rs.voted) allVoted = false;
      if (rs.voted && this.leaderMode && !rs.closed) {
        if (this.ctx.leaderOf(r) === this.selfIndex) {
          if (!rs.certSent && this.ctx.now >= this.ctx.certAt(r)) this.publishCertificate(rs);
        } else if (this.isVoter && !rs.certSeen && !rs.fallbackSent && rs.myVote && this.ctx.now >= this.ctx.fallbackAt(r)) {
          // The leader is silent: fall back to broadcasting the same vote (no new signature).
          rs.fallbackSent = true;
          this.ctx.publishOwnVote('vote', rs.myVote, r);
        }
      }
      if (rs.voted && !rs.closed && this.ctx.now >= this.ctx.closeAt(r)) rs.close();
    }
  }

  ownReading(reading: Reading): void {
    const r = roundOf(this.manifest, reading.ts);
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
    this.ctx.persistThenPublish({ kind: 'submission', round: r, height: -1, view: -1, bytes }, 'submission', bytes);
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
    const bytes = signBatch(batch, this.ctx.signer, () => this.self);
    this.subMark = r;
    this.ctx.persistThenPublish({ kind: 'submission', round: r, height: -1, view: -1, bytes }, 'submission', bytes);
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
    const shared = this.ctx.shared;
    // Another node of the process opened these very bytes and found them validly signed: take its submission.
    const known = shared ? shared.openedSubmission(this.ctx.manifestKey, bytes) : undefined;
    if (known) this.ctx.stats.recalled++;
    // Opened from a copy when shared: what is remembered must not be a view into the transport's larger buffer.
    const o = known ? undefined : openSubmission(this.manifest, shared ? new Uint8Array(bytes) : bytes, this.hash);
    if (o && !o.ok) {
      // Not attributable to a member and round (malformed, wrong cluster, not a member): nothing to judge.
      this.ctx.drop('unattributable');
      return;
    }
    const s = known ?? o!.submission;
    const rs = this.roundState(s.round, true);
    if (!rs || (rs.closed && !rs.acceptedUnheld(s))) {
      // A closed round's outcomes are final: a submission that comes after it is not worth a verification (a node
      // working off a backlog sheds it here instead of falling further behind), unless it is one the round accepted
      // and this node lacks (handed over by a member that refused a block without it: the node may propose next).
      this.ctx.drop('round-not-open');
      return;
    }
    const i = s.index;
    if (!known) {
      const msg = signingInput(submissionDomain(s.kind), s.envelope.body);
      if (!this.ctx.verify(s.member.publicKey, msg, s.envelope.sig)) {
        // Anyone can forge a bad signature in a member's name: remember it only in case nothing valid comes.
        if (!rs.subs[i]) rs.badSig[i] = s.digest;
        return;
      }
      if (shared) shared.rememberSubmission(this.ctx.manifestKey, s);
    }
    const slot = rs.subs[i];
    if (!slot) {
      let reason = 0;
      if (s.reading && s.reading.ts > this.ctx.now + this.manifest.params.skewMs) reason = Reason.FUTURE;
      rs.subs[i] = { sub: s, reason, late: rs.voted };
      this.byDigest[hexKey(s.digest)] = s;
      rs.received++;
      // An accepted member's submission that came after its certificate: the round record gets it too.
      if (rs.recorded.accepted > 0 || rs.closed) rs.persist(true);
      if (!rs.voted && rs.received === this.n) this.voteEarly(rs);
      return;
    }
    if (equalBytes(slot.sub.digest, s.digest) || slot.other) return;
    slot.other = s;
    this.need.recordEvidence('submission', slot.sub.bytes, bytes);
  }

  /** Votes as soon as every member's submission is in, if every earlier round is voted (judging runs in order). */
  private voteEarly(rs: Round): void {
    for (const r of this.openRounds) {
      if (r >= rs.round) break;
      if (!this.rounds[r]!.voted) return;
    }
    this.castVote(rs);
    const next = this.rounds[rs.round + 1];
    if (next && !next.voted && next.received === this.n) this.voteEarly(next);
  }

  /** Judges every member's submission of the round (docs/protocol.md, "Judging"). */
  private judge(rs: Round): Uint8Array {
    const records = emptyJudgments(this.n);
    const passing: Submission[] = [];
    const verdicts: number[] = [];
    for (let i = 0; i < this.n; i++) {
      verdicts.push(0);
      const slot = rs.subs[i];
      if (!slot) {
        const bad = rs.badSig[i];
        if (bad) setJudgment(records, i, Verdict.REJECT, Reason.BAD_SIGNATURE, bad);
        continue;
      }
      const s = slot.sub;
      const memory = this.memory[i]!;
      let reason: number = slot.other || this.flaggedFor(i, rs.round) ? Reason.EQUIVOCATION : slot.reason;
      if (reason === 0) reason = this.base(s, memory);
      for (let j = 0; j < this.judges.submission.length && reason === 0; j++) reason = this.judges.submission[j]!(s, memory);
      if (s.seq > memory.lastSeq) memory.lastSeq = s.seq;
      if (reason !== 0) setJudgment(records, i, Verdict.REJECT, reason, s.digest);
      else passing.push(s);
    }
    for (const judge of this.judges.round) {
      const found = judge(passing);
      for (const f of found) verdicts[f.index] = f.reason === 0 ? Reason.CROSS_CHECK : f.reason;
    }
    for (const s of passing) {
      const reason = verdicts[s.index]!;
      if (reason !== 0) setJudgment(records, s.index, Verdict.REJECT, reason, s.digest);
      else {
        setJudgment(records, s.index, Verdict.ACCEPT, Reason.OK, s.digest);
        if (s.reading) this.memory[s.index]!.lastReading = s.reading;
      }
    }
    return records;
  }

  private flaggedFor(member: number, round: number): boolean {
    return this.need.knownEvidence(`submission:${toHex(this.manifest.members[member]!.address)}:${round}`);
  }

  private castVote(rs: Round): void {
    rs.voted = true;
    if (!this.isVoter) return;
    if (this.ctx.now > this.ctx.voteDeadline(rs.round) + this.manifest.params.skewMs) rs.lateHere = true;
    if (rs.round <= this.voteMark) {
      if (this.voteRecord && this.voteRecord.round === rs.round) {
        rs.myVote = this.voteRecord.bytes;
        this.publishVote(rs, this.voteRecord.bytes);
      }
      return;
    }
    const records = this.judge(rs);
    const v = signVote(this.manifest, rs.round, this.ctx.signer, this.self, records, this.hash);
    this.voteMark = rs.round;
    this.ctx.stats.votesCast++;
    rs.myVote = v.bytes;
    this.ctx.emit({ type: 'persist', record: { kind: 'vote', round: rs.round, height: -1, view: -1, bytes: v.bytes } });
    this.publishVote(rs, v.bytes);
    this.addVote(rs, this.selfIndex, records, v.root, v.sig, v.body);
  }

  private publishVote(rs: Round, bytes: Uint8Array): void {
    if (!this.leaderMode) this.ctx.publishOwnVote('vote', bytes, rs.round);
    else {
      const leader = this.ctx.leaderOf(rs.round);
      if (leader !== this.selfIndex) this.ctx.publishOwnVote('vote', bytes, rs.round, this.manifest.members[leader]!.address);
    }
  }

  /** The broker acknowledged the frame carrying this node's vote of `round` (confirmOwnVotes). */
  onSent(round: number): void {
    const rs = this.rounds[round];
    if (!rs) return;
    rs.ownVoteSent(this.ctx.now <= this.ctx.voteDeadline(round) + this.manifest.params.skewMs);
  }

  onVote(bytes: Uint8Array): void {
    const d = decodeVoteMessage(bytes);
    if (!d.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const m = d.message;
    const v = m.vote;
    if (v.cluster !== this.manifest.cluster || v.epoch !== this.manifest.epoch || v.n !== this.n) {
      this.ctx.drop('foreign');
      return;
    }
    const voter = memberIndex(this.manifest, v.voter);
    if (voter < 0 || this.manifest.members[voter]!.role !== 'full') {
      this.ctx.drop('not-a-voter');
      return;
    }
    const rs = this.roundState(v.round, true);
    if (!rs || rs.closed) {
      this.ctx.drop('round-not-open');
      return;
    }
    const held = rs.votes[voter];
    if (held && equalBytes(held.body, m.body)) return;
    if (this.leaderMode && !held && rs.allDecided()) {
      // Leader mode, every member this round's votes name decided: a further vote (one that reached the leader late,
      // or a fallback broadcast) changes no outcome, and the held votes already make the deciding certificate every
      // member holds, so it is dropped unverified. An equivocation hidden in it goes unreported. (In broadcast mode
      // every vote is kept: a block's certificates are built from its proposer's votes, and members that had dropped
      // different ones would verify them at block time, in the block's burst.)
      this.ctx.stats.surplusVotes++;
      return;
    }
    const records = this.checkedRecords(m.judgments, v.root);
    if (!records) {
      this.ctx.drop('bad-judgments');
      return;
    }
    if (!this.ctx.verify(this.manifest.members[voter]!.publicKey, voteSigningInput(m.body), m.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    this.addVote(rs, voter, records, v.root, m.sig, m.body);
  }

  private addVote(rs: Round, voter: number, records: Uint8Array, root: Uint8Array, sig: Uint8Array, body: Uint8Array): void {
    const held = rs.votes[voter];
    if (held) {
      if (equalBytes(held.body, body)) return;
      this.need.recordEvidence('vote', voteEnvelope(held.body, held.sig), voteEnvelope(body, sig));
      return;
    }
    rs.votes[voter] = { voter, records, root, sig, body };
    if (rs.excluded[voter]) return;
    rs.tallyVote(records, root);
    // A closed round's outcomes are final, but a certificate handed over for it counts in what blocks must hold.
    if (rs.closed) rs.persist(true);
    rs.decide();
    if (this.leaderMode && !rs.certSent && this.ctx.leaderOf(rs.round) === this.selfIndex && rs.voted) {
      // The certificate goes out once it decides the round: every voter's vote is in, or every member the votes
      // name is accepted or rejected (a late voter cannot change that, and waiting for it would hold up everyone).
      let all = true;
      for (const x of this.ctx.voterIndexes) if (!rs.votes[x] && !rs.excluded[x]) all = false;
      if (all || rs.allDecided()) this.publishCertificate(rs);
    }
  }

  private publishCertificate(rs: Round): void {
    rs.certSent = true;
    const votes = rs.heldVotes();
    if (votes.length === 0) return;
    const bytes = encodeRoundCertificate(buildRoundCertificate(rs.round, votes));
    // The leader's own vote leaves in its certificate.
    if (rs.votes[this.selfIndex]) this.ctx.publishOwnVote('certificate', bytes, rs.round);
    else this.ctx.publish('certificate', bytes);
  }

  onCertificate(bytes: Uint8Array): void {
    const d = decodeRoundCertificate(bytes);
    if (!d.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const cert = d.cert;
    const rs = this.roundState(cert.round, true);
    if (!rs) {
      this.ctx.drop('outside-window');
      return;
    }
    const s = certificateSignatures(this.manifest, cert, this.hash, this.ctx.rootOf);
    if (!s.ok) {
      this.ctx.drop('bad-certificate');
      return;
    }
    for (const c of s.checks) {
      if (!this.ctx.verify(c.publicKey, c.message, c.signature)) {
        this.ctx.drop('bad-signature');
        return;
      }
    }
    rs.certSeen = true;
    for (let k = 0; k < cert.votes.length; k++) {
      const v = cert.votes[k]!;
      const root = s.roots[v.list]!;
      const body = s.checks[k]!.message.subarray(Domain.VOTE.length + 1);
      this.addVote(rs, v.voter, cert.lists[v.list]!, root, v.sig, body);
    }
  }
}

// One voting round (docs/protocol.md §6–§7): the submissions and votes a node holds for it, their tally, each member's
// outcome (reported once, or taken back and corrected when a voter it rested on is caught equivocating), and the round
// record persisted before an outcome that rests on it. The round machine (rounds.ts) feeds it and decides when.
import { encode, equalBytes } from '@meterchain/core';
import { buildRoundCertificate, emptyTally, roundCertificateToCbor, tallyAddAgain, tallyAddRemembering, type HeldVote, type RoundTally } from './certificate.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { Effect } from './effects.ts';
import type { Submission } from './submission.ts';
import { Verdict } from './codes.ts';
import { judgmentAt } from './vote.ts';

/** What a round reads of the node: the manifest, the quorum, the time, its close time, and where its outcomes go. */
export type RoundContext = Pick<NodeContext, 'manifest' | 'n' | 'selfIndex' | 'quorum' | 'confirmOwnVotes' | 'now' | 'closeAt' | 'emit'>;

export const ACCEPTED = 1;
export const REJECTED = 2;
export const UNDECIDED = 3;

export interface SubSlot {
  sub: Submission;
  /** Reason found on arrival (FUTURE), else 0. */
  reason: number;
  /** Arrived after this node voted the round: kept for blocks, not judged. */
  late: boolean;
  /** A second, different signed submission of the same member and round. */
  other?: Submission;
}

export interface Held extends HeldVote {
  body: Uint8Array;
}

export class Round {
  subs: (SubSlot | undefined)[];
  badSig: (Uint8Array | undefined)[];
  received: number;
  votes: (Held | undefined)[];
  excluded: { [voter: number]: boolean };
  tally: RoundTally;
  /** Where each distinct list (by root) landed in the tally: honest voters send the same list. */
  placed: { [root: string]: Int32Array };
  voted: boolean;
  myVote?: Uint8Array;
  decided: number[];
  /** The digest each member was reported accepted or rejected with (what an exclusion checks). */
  decidedDigest: (Uint8Array | undefined)[];
  /** Outcomes reported and then taken back by an exclusion, not reported again yet, by member. */
  takenBack: { [member: number]: { outcome: 'accepted' | 'rejected'; digest: Uint8Array } };
  closed: boolean;
  certSent: boolean;
  certSeen: boolean;
  fallbackSent: boolean;
  /** Accepted members, and submissions of theirs held, in the last round record persisted (persist). */
  recorded: { accepted: number; subs: number };
  /** Members whose acceptance certificate completed only after the round's close time here: reported when the block
   * covering the round commits, `accepted` if it holds the reading, else `too-late` (reportLate). */
  lateAccepted: { member: number; digest: Uint8Array; untilSent?: boolean }[];
  /** With confirmOwnVotes: the broker acknowledged this node's vote of the round by `vote + skewMs`. Until then an
   * acceptance that needs that vote to reach t is held in lateAccepted (`untilSent`): its vote may never have left. */
  ownSent: boolean;
  /** Taken up from its round record after a restart (restoreRound), not lived through since. */
  restored: boolean;
  /** This node took the round up, or cast its vote, after every honest member's vote deadline (a restart, a lag): the
   * others may close the round before its vote reaches them, and it may count votes they no longer do, so its
   * certificates in the round are reported only when the block covering the round commits (decideClosed). */
  lateHere: boolean;
  /** Counts every change to what the round holds (submissions, the tally, closing): a reader that derived something
   * from the round knows it still holds while this is unchanged (RoundsForBlocks.missingAccepted). */
  changes: number;

  constructor(
    private readonly ctx: RoundContext,
    readonly round: number,
  ) {
    this.subs = [];
    this.badSig = [];
    this.received = 0;
    this.votes = [];
    this.excluded = {};
    this.tally = emptyTally(ctx.n);
    this.placed = {};
    this.voted = false;
    this.decided = [];
    this.decidedDigest = [];
    this.takenBack = {};
    this.closed = false;
    this.certSent = false;
    this.certSeen = false;
    this.fallbackSent = false;
    this.recorded = { accepted: 0, subs: 0 };
    this.lateAccepted = [];
    this.lateHere = false;
    this.ownSent = false;
    this.restored = false;
    this.changes = 0;
  }

  /** Adds a vote's judgment list to the tally; a list seen before (by root) lands where it landed. */
  tallyVote(records: Uint8Array, root: Uint8Array): void {
    this.changes++;
    const key = hexKey(root);
    const where = this.placed[key];
    if (where) tallyAddAgain(this.tally, where, records);
    else {
      const w = new Int32Array(this.ctx.n);
      tallyAddRemembering(this.tally, records, w);
      this.placed[key] = w;
    }
  }

  /**
   * Drops a voter's votes from a round's tally (it was caught equivocating), and decides again the members whose
   * reported outcome rested on them: a block counts no vote of a voter caught equivocating in that round (§9), so an
   * `accepted` that needed the voter would stand for a reading no block may hold. Each such outcome is taken back and
   * reported again, naming what it corrects: at once if the round is closed, else when the tally reaches an outcome
   * or the round closes (docs/protocol.md §7).
   */
  exclude(voter: number): void {
    if (this.excluded[voter]) return;
    this.excluded[voter] = true;
    this.changes++;
    this.tally = emptyTally(this.ctx.n);
    this.placed = {};
    for (const v of this.votes) if (v && !this.excluded[v.voter]) this.tallyVote(v.records, v.root);
    let changed = false;
    for (let i = 0; i < this.ctx.n; i++) {
      const d = this.decided[i];
      if (d !== ACCEPTED && d !== REJECTED) continue;
      const digest = this.decidedDigest[i]!;
      const o = this.tally[i]!.length > 0 ? this.ctx.quorum.outcome(this.tally[i]!) : undefined;
      const kind = d === ACCEPTED ? 'accepted' : 'rejected';
      // Rejected stands while the rejects still reach t (whichever digest has the most); accepted, for the same digest.
      if (o && o.outcome === kind && (kind === 'rejected' || equalBytes((o as { digest: Uint8Array }).digest, digest))) continue;
      this.decided[i] = 0;
      this.decidedDigest[i] = undefined;
      changed = true;
      // An acceptance not reported yet (it completed after the round closed, and waits for its block): nothing to take
      // back, it is simply not reported.
      const late = this.lateAccepted.findIndex((x) => x.member === i);
      if (late >= 0) {
        this.lateAccepted.splice(late, 1);
        continue;
      }
      this.takenBack[i] = { outcome: kind, digest };
    }
    if (!changed) return;
    // The round record follows: without the voter, before the corrected outcomes.
    this.persist(false);
    if (!this.closed) {
      this.decide();
      return;
    }
    // A closed round takes no more votes: what the tally no longer reaches is not-enough-votes now.
    this.decideClosed();
    for (const k of Object.keys(this.takenBack)) {
      const i = Number(k);
      if (this.decided[i]) continue;
      this.report(i, UNDECIDED, this.takenBack[i]!.digest, 0);
    }
  }

  decide(): void {
    if (this.closed) return;
    this.decideClosed();
  }

  /**
   * Reports every member the tally now accepts or rejects and that is not decided yet. New acceptances are persisted
   * first (the round record). One that completes at or after the round's close time (a restarted or lagging node taking
   * up votes the others no longer count), or in a round this node took up or voted in after every honest member's vote
   * deadline, is held like any, but its outcome waits for the block covering the round (reportLate): that block may be
   * committed without it (docs/protocol.md §7).
   */
  decideClosed(): void {
    const late = this.ctx.now >= this.ctx.closeAt(this.round) || this.lateHere;
    const found: { i: number; decided: number; digest: Uint8Array; reason: number }[] = [];
    let accepted = false;
    for (let i = 0; i < this.ctx.n; i++) {
      if (this.decided[i]) continue;
      const cands = this.tally[i]!;
      if (cands.length === 0) continue;
      const o = this.ctx.quorum.outcome(cands);
      if (o.outcome === 'accepted') {
        found.push({ i, decided: ACCEPTED, digest: o.digest, reason: 0 });
        accepted = true;
      } else if (o.outcome === 'rejected') found.push({ i, decided: REJECTED, digest: o.digest, reason: o.reason });
    }
    if (accepted) this.persist(false);
    for (const f of found) {
      const untilSent = f.decided === ACCEPTED && !late && this.restsOnUnsentVote(f.i, f.digest);
      if (f.decided === ACCEPTED && (late || untilSent) && !this.takenBack[f.i]) {
        this.decided[f.i] = ACCEPTED;
        this.decidedDigest[f.i] = f.digest;
        this.lateAccepted.push(untilSent ? { member: f.i, digest: f.digest, untilSent } : { member: f.i, digest: f.digest });
        continue;
      }
      this.report(f.i, f.decided, f.digest, f.reason);
    }
  }

  /**
   * Whether member i's acceptance with `digest` needs this node's own vote to reach t while the broker has not
   * acknowledged that vote (confirmOwnVotes): the others count only the votes that reach them by their deadline, and a
   * vote held back (a full disk delaying its persist, a broker outage) may reach them late or never.
   */
  private restsOnUnsentVote(i: number, digest: Uint8Array): boolean {
    if (!this.ctx.confirmOwnVotes || this.ownSent) return false;
    const self = this.ctx.selfIndex;
    const mine = this.votes[self];
    if (!mine || this.excluded[self]) return false;
    const j = judgmentAt(mine.records, i);
    if (j.verdict !== Verdict.ACCEPT || !equalBytes(j.digest, digest)) return false;
    for (const c of this.tally[i]!) if (equalBytes(c.digest, digest)) return !this.ctx.quorum.reached(c.accept - 1);
    return false;
  }

  /** The broker acknowledged this node's vote of the round, `inTime` if by `vote + skewMs`: what waited for it is
   * reported now; a late one leaves it to the block covering the round, as for a round taken up late. */
  ownVoteSent(inTime: boolean): void {
    if (!inTime) {
      this.lateHere = true;
      return;
    }
    this.ownSent = true;
    const waiting = this.lateAccepted.filter((x) => x.untilSent);
    if (waiting.length === 0) return;
    this.lateAccepted = this.lateAccepted.filter((x) => !x.untilSent);
    for (const x of waiting) this.report(x.member, ACCEPTED, x.digest, 0);
  }

  /**
   * Persists the round record (ROUND_RECORD_SCHEMA): the votes held (without excluded voters) and the submissions of
   * the members they accept. With `onlyIfGrown`, only when it would hold more accepted members or submissions than the
   * last one. Rounds no committed block covers only: a covered round has no state here.
   */
  persist(onlyIfGrown: boolean): void {
    const subs: Uint8Array[] = [];
    let accepted = 0;
    for (let i = 0; i < this.ctx.n; i++) {
      if (this.tally[i]!.length === 0) continue;
      const o = this.ctx.quorum.outcome(this.tally[i]!);
      if (o.outcome !== 'accepted') continue;
      accepted++;
      const s = this.submission(i, o.digest);
      if (s) subs.push(s.bytes);
    }
    // None accepted: nothing to hold, unless a record written before must be replaced (an exclusion took it back).
    if (accepted === 0 && this.recorded.accepted === 0) return;
    if (onlyIfGrown && accepted <= this.recorded.accepted && subs.length <= this.recorded.subs) return;
    this.recorded = { accepted, subs: subs.length };
    const cert = roundCertificateToCbor(buildRoundCertificate(this.round, this.heldVotes()));
    const bytes = encode({ cluster: this.ctx.manifest.cluster, epoch: this.ctx.manifest.epoch, cert, subs });
    this.ctx.emit({ type: 'persist', record: { kind: 'round', round: this.round, height: -1, view: -1, bytes } });
  }

  /**
   * Records and emits a member's outcome. After an outcome was taken back (exclude), the new one names it in
   * `corrects`, unless it is the same outcome for the same digest again (still true: nothing to report).
   */
  report(i: number, decided: number, digest: Uint8Array | undefined, reason: number): void {
    this.decided[i] = decided;
    if (decided !== UNDECIDED) this.decidedDigest[i] = digest;
    const back = this.takenBack[i];
    delete this.takenBack[i];
    const kind = decided === ACCEPTED ? 'accepted' : decided === REJECTED ? 'rejected' : 'not-enough-votes';
    if (back && back.outcome === kind && (kind === 'rejected' || (digest !== undefined && equalBytes(back.digest, digest)))) return;
    const member = this.ctx.manifest.members[i]!.address;
    let e: Effect;
    if (decided === ACCEPTED) {
      e = { type: 'accepted', round: this.round, member, digest: digest! };
      const sub = this.submission(i, digest!);
      if (sub) e.submission = sub.bytes;
    } else if (decided === REJECTED) e = { type: 'rejected', round: this.round, member, digest: digest!, reason };
    else {
      e = { type: 'not-enough-votes', round: this.round, member };
      if (digest) e.digest = digest;
    }
    if (back) e.corrects = back.outcome;
    this.ctx.emit(e);
  }

  /** The submission of member `i` held with `digest`: its first or, after an equivocation, its second. */
  submission(i: number, digest: Uint8Array): Submission | undefined {
    const slot = this.subs[i];
    if (!slot) return undefined;
    if (equalBytes(slot.sub.digest, digest)) return slot.sub;
    if (slot.other && equalBytes(slot.other.digest, digest)) return slot.other;
    return undefined;
  }

  /** Closes the round (its close time has come): a member the tally does not decide is not-enough-votes. */
  close(): void {
    this.decide();
    this.closed = true;
    this.changes++;
    for (let i = 0; i < this.ctx.n; i++) {
      if (this.decided[i]) continue;
      const o = this.ctx.quorum.outcome(this.tally[i]!);
      const slot = this.subs[i];
      const back = this.takenBack[i];
      if (o.outcome === 'none' && !slot && !back) continue;
      const digest = o.outcome !== 'none' ? (o as { digest: Uint8Array }).digest : slot ? slot.sub.digest : back!.digest;
      this.report(i, UNDECIDED, digest, 0);
    }
  }

  /** The votes held, without those of voters excluded. */
  heldVotes(): HeldVote[] {
    const out: HeldVote[] = [];
    for (const v of this.votes) if (v && !this.excluded[v.voter]) out.push(v);
    return out;
  }

  /** Whether every member with a candidate in the round's tally is accepted or rejected (and at least one is). */
  allDecided(): boolean {
    let any = false;
    for (let i = 0; i < this.ctx.n; i++) {
      if (this.tally[i]!.length === 0) continue;
      if (this.decided[i] !== ACCEPTED && this.decided[i] !== REJECTED) return false;
      any = true;
    }
    return any;
  }

  /** Whether the votes held here accept exactly this submission of a member whose submission is not held. */
  acceptedUnheld(s: Submission): boolean {
    if (this.subs[s.index] || this.tally[s.index]!.length === 0) return false;
    const o = this.ctx.quorum.outcome(this.tally[s.index]!);
    return o.outcome === 'accepted' && equalBytes(o.digest, s.digest);
  }
}

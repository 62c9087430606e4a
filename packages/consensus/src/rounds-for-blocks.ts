// What the round machine shows block agreement (RoundsView, rounds-view.ts): the votes and submissions its rounds
// hold, whether they are closed, which accepted readings a block leaves out, what a block shows that differs from them
// (evidence), and what a committed block settles: the late outcomes it decides and the rounds it lets go of.
import { equalBytes } from '@meterchain/core';
import { buildRoundCertificate, emptyTally, tallyCertificate, type HeldVote } from './certificate.ts';
import { excludedVoters, type CheckedBlock } from './chain.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { EvidenceKind } from './evidence.ts';
import { UNDECIDED, type Round } from './round.ts';
import type { RoundTable } from './round-table.ts';
import type { Missing, RoundsView } from './rounds-view.ts';
import type { Submission } from './submission.ts';
import { voteBodyFor, voteEnvelope } from './vote.ts';

type ForBlocksContext = Pick<NodeContext, 'manifest' | 'n' | 'quorum' | 'now' | 'closeAt' | 'lastRoundOf' | 'emit'>;

/** What the rounds' side facing block agreement reads of the rest of the node. */
export interface ForBlocksNeed {
  /** Height of the last committed block (−1 before the first). */
  tipHeight(): number;
  /** Two different signed messages of a member for one slot (a submission, a vote): evidence. */
  recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void;
  /** Forgets this node's own restored submissions of rounds up to `last` (a committed block covers them). */
  forgetOwnThrough(last: number): void;
}

/** missingAccepted's last answer, with each of the block's rounds (and its change count) it was read from. */
interface MissingMemo {
  block: CheckedBlock;
  rounds: (Round | undefined)[];
  changes: number[];
  missing: readonly Missing[];
}

export class RoundsForBlocks implements RoundsView {
  private memo?: MissingMemo;

  constructor(
    private readonly ctx: ForBlocksContext,
    private readonly table: RoundTable,
    private readonly need: ForBlocksNeed,
  ) {}

  /** The votes held for a round (without voters excluded), if the round is held here. */
  heldVotesOf(round: number): HeldVote[] | undefined {
    const rs = this.table.get(round);
    return rs ? rs.heldVotes() : undefined;
  }

  /** The submission of `member` in `round` with `digest`, if held. */
  submissionOf(round: number, member: number, digest: Uint8Array): Submission | undefined {
    const rs = this.table.get(round);
    return rs ? rs.submission(member, digest) : undefined;
  }

  /** A submission held in an open round, by digest. */
  heldSubmission(digest: Uint8Array): Submission | undefined {
    return this.table.submission(digest);
  }

  knownSubmission(): (digest: Uint8Array) => Submission | undefined {
    return (digest) => this.table.submission(digest);
  }

  /** Whether every round up to `last` is closed here: by this node's clock, and in its state. */
  roundsClosed(last: number): boolean {
    if (this.ctx.now < this.ctx.closeAt(last)) return false;
    for (const r of this.table.held) if (r <= last && !this.table.get(r)!.closed) return false;
    return true;
  }

  /**
   * The readings this node holds an acceptance certificate for (t accept votes it holds for one digest, without the
   * voters it knows equivocated and those the block's evidence names) and the submission of, in the block's rounds,
   * that the block leaves out. A certificate without its submission is not one: this node cannot hand the reading
   * over, and if no member holds it any more (lost in a power cut of every node) no block could hold it and refusing
   * would stall the cluster for good (docs/protocol.md §10).
   */
  missingAccepted(block: CheckedBlock): readonly Missing[] {
    // Asked again for the same block while its rounds hold what they held (a member that prepared the view's proposal
    // asks at every submission it receives: docs/protocol.md §10 step 5), the answer is the one given: at 64 members a
    // block of 640 readings took a scan of every slot per received submission.
    const memo = this.memo;
    if (memo && memo.block === block && this.sameRounds(block, memo)) return memo.missing;
    const missing = this.scanMissing(block);
    const rounds: (Round | undefined)[] = [];
    const changes: number[] = [];
    for (let r = block.header.first; r <= block.header.last; r++) {
      const rs = this.table.get(r);
      rounds.push(rs);
      changes.push(rs ? rs.changes : 0);
    }
    this.memo = { block, rounds, changes, missing };
    return missing;
  }

  private sameRounds(block: CheckedBlock, memo: MissingMemo): boolean {
    for (let r = block.header.first, k = 0; r <= block.header.last; r++, k++) {
      const rs = this.table.get(r);
      if (rs !== memo.rounds[k] || (rs && rs.changes !== memo.changes[k])) return false;
    }
    return true;
  }

  private scanMissing(block: CheckedBlock): Missing[] {
    const n = this.ctx.n;
    const inBlock: { [slot: string]: string } = {};
    for (const s of block.submissions) inBlock[`${s.round}:${s.index}`] = hexKey(s.digest);
    const excluded = excludedVoters(block.evidence);
    const missing: Missing[] = [];
    for (let r = block.header.first; r <= block.header.last; r++) {
      const rs = this.table.get(r);
      if (!rs) continue;
      let tally = rs.tally;
      const ex = excluded[r];
      if (ex) {
        const votes: HeldVote[] = [];
        for (const v of rs.heldVotes()) if (!ex[v.voter]) votes.push(v);
        tally = votes.length > 0 ? tallyCertificate(n, buildRoundCertificate(r, votes), undefined) : emptyTally(n);
      }
      for (let i = 0; i < n; i++) {
        if (tally[i]!.length === 0) continue;
        const o = this.ctx.quorum.outcome(tally[i]!);
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
    const m = this.ctx.manifest;
    for (let i = 0; i < block.body.certs.length; i++) {
      const c = block.body.certs[i]!;
      const rs = this.table.get(c.round);
      if (!rs) continue;
      for (const v of c.votes) {
        const held = rs.votes[v.voter];
        if (!held) continue;
        const root = block.certRoots[i]![v.list]!;
        if (equalBytes(root, held.root)) continue;
        const body = voteBodyFor(m, c.round, m.members[v.voter]!.address, root);
        this.need.recordEvidence('vote', voteEnvelope(held.body, held.sig), voteEnvelope(body, v.sig));
      }
    }
    for (const sub of block.submissions) {
      const rs = this.table.get(sub.round);
      const slot = rs ? rs.subs[sub.index] : undefined;
      if (slot && !equalBytes(slot.sub.digest, sub.digest) && !slot.other) {
        slot.other = sub;
        rs!.changes++;
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
      const rs = this.table.get(r);
      if (!rs || rs.lateAccepted.length === 0) continue;
      if (!inBlock) {
        inBlock = {};
        for (const s of block.submissions) inBlock[`${s.round}:${s.index}`] = s;
      }
      for (const x of rs.lateAccepted) {
        const member = this.ctx.manifest.members[x.member]!.address;
        const s = inBlock[`${r}:${x.member}`];
        if (s && equalBytes(s.digest, x.digest)) this.ctx.emit({ type: 'accepted', round: r, member, digest: x.digest, submission: s.bytes });
        else this.ctx.emit({ type: 'too-late', round: r, member, digest: x.digest });
      }
      rs.lateAccepted = [];
    }
  }

  /** Forgets the rounds a committed block covers (the window keeps the others bounded: windowEnd). */
  pruneRounds(): void {
    const tip = this.need.tipHeight();
    const lastCommitted = tip >= 0 ? this.ctx.lastRoundOf(tip) : -1;
    this.need.forgetOwnThrough(lastCommitted);
    while (this.table.held.length > 0) {
      const r = this.table.held[0]!;
      const rs = this.table.get(r)!;
      if (r > lastCommitted) break;
      // An outcome taken back in a round that a block covers before it closed: the node's last word is not that one.
      for (const k of Object.keys(rs.takenBack)) rs.report(Number(k), UNDECIDED, rs.takenBack[Number(k)]!.digest, 0);
      this.table.dropOldest();
    }
  }
}

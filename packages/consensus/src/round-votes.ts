// Round votes and certificates (docs/protocol.md §6–§7): a voter's one signed vote per round (never two, across
// restarts: its mark and its last vote are persisted), sent to everyone or, in leader mode, to the round's leader;
// the votes of others checked and counted into their round; the round certificate the leader sends (or a voter falls
// back to broadcasting its vote when the leader is silent) and those received. Two different votes of one voter for
// one round become evidence.
import { Domain, equalBytes } from '@meterchain/core';
import { buildRoundCertificate, certificateSignatures, decodeRoundCertificate, encodeRoundCertificate } from './certificate.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { EvidenceKind } from './evidence.ts';
import { BoundedMemo } from './memo.ts';
import type { Round } from './round.ts';
import { memberIndex } from './submission.ts';
import { decodeVoteMessage, judgmentsProblem, signVote, voteEnvelope, voteSigningInput } from './vote.ts';

type VotesContext = Pick<
  NodeContext,
  'manifest' | 'hash' | 'n' | 'selfIndex' | 'self' | 'isVoter' | 'leaderMode' | 'voterIndexes' | 'signer' | 'stats' | 'now' | 'voteDeadline' | 'leaderOf' | 'verify' | 'rootOf' | 'emit' | 'publish' | 'publishOwnVote' | 'drop'
>;

/** What round votes need of the rest of the node. */
export interface RoundVotesNeed {
  /** The round `r` held here, taken up if it may be; undefined if it is outside what this node holds. */
  roundState(r: number): Round | undefined;
  /** This node's judgment list of the round's submissions. */
  judge(rs: Round): Uint8Array;
  /** Two different signed votes of a voter for one round: evidence. */
  recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void;
}

export class RoundVotes {
  /** The last round this node voted in, and its vote's record. */
  private mark: number;
  private record: PersistRecord | undefined;
  /** Judgment lists checked, by root (hex). */
  private rootMemo: BoundedMemo<Uint8Array>;

  constructor(
    private readonly ctx: VotesContext,
    private readonly need: RoundVotesNeed,
  ) {
    this.mark = -1;
    this.record = undefined;
    this.rootMemo = new BoundedMemo(512);
  }

  /** Takes up a vote this node persisted. */
  restoreRecord(rec: PersistRecord): void {
    if (rec.round > this.mark) {
      this.mark = rec.round;
      this.record = rec;
    }
  }

  /** Whether this node has voted in round `r` or a later one (it never signs `r` again). */
  votedThrough(r: number): boolean {
    return r <= this.mark;
  }

  /** The last vote this node persisted. */
  get last(): PersistRecord | undefined {
    return this.record;
  }

  /** The vote this node persisted for round `r`, if its last vote is that round's. */
  recorded(r: number): Uint8Array | undefined {
    return this.record && this.record.round === r ? this.record.bytes : undefined;
  }

  /** A round taken up that this node voted in before a restart: never signed again; the recorded vote re-sent if it
   * is this round's. */
  takeUpVoted(rs: Round): void {
    if (rs.round > this.mark) return;
    rs.voted = true;
    const bytes = this.recorded(rs.round);
    if (bytes && this.ctx.isVoter) {
      rs.myVote = bytes;
      this.publish(rs, bytes);
    }
  }

  /** Judges the round and signs, persists, sends and counts this node's vote (once per round, across restarts). */
  cast(rs: Round): void {
    rs.voted = true;
    if (!this.ctx.isVoter) return;
    if (this.ctx.now > this.ctx.voteDeadline(rs.round) + this.ctx.manifest.params.skewMs) rs.lateHere = true;
    if (rs.round <= this.mark) {
      const bytes = this.recorded(rs.round);
      if (bytes) {
        rs.myVote = bytes;
        this.publish(rs, bytes);
      }
      return;
    }
    const records = this.need.judge(rs);
    const v = signVote(this.ctx.manifest, rs.round, this.ctx.signer, this.ctx.self, records, this.ctx.hash);
    this.mark = rs.round;
    this.ctx.stats.votesCast++;
    rs.myVote = v.bytes;
    this.ctx.emit({ type: 'persist', record: { kind: 'vote', round: rs.round, height: -1, view: -1, bytes: v.bytes } });
    this.publish(rs, v.bytes);
    this.add(rs, this.ctx.selfIndex, records, v.root, v.sig, v.body);
  }

  /** Sends a vote: to everyone, or in leader mode to the round's leader. */
  publish(rs: Round, bytes: Uint8Array): void {
    if (!this.ctx.leaderMode) this.ctx.publishOwnVote('vote', bytes, rs.round);
    else {
      const leader = this.ctx.leaderOf(rs.round);
      if (leader !== this.ctx.selfIndex) this.ctx.publishOwnVote('vote', bytes, rs.round, this.ctx.manifest.members[leader]!.address);
    }
  }

  onVote(bytes: Uint8Array): void {
    const d = decodeVoteMessage(bytes);
    if (!d.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const manifest = this.ctx.manifest;
    const m = d.message;
    const v = m.vote;
    if (v.cluster !== manifest.cluster || v.epoch !== manifest.epoch || v.n !== this.ctx.n) {
      this.ctx.drop('foreign');
      return;
    }
    const voter = memberIndex(manifest, v.voter);
    if (voter < 0 || manifest.members[voter]!.role !== 'full') {
      this.ctx.drop('not-a-voter');
      return;
    }
    const rs = this.need.roundState(v.round);
    if (!rs || rs.closed) {
      this.ctx.drop('round-not-open');
      return;
    }
    const held = rs.votes[voter];
    if (held && equalBytes(held.body, m.body)) return;
    if (this.ctx.leaderMode && !held && rs.allDecided()) {
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
    if (!this.ctx.verify(manifest.members[voter]!.publicKey, voteSigningInput(m.body), m.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    this.add(rs, voter, records, v.root, m.sig, m.body);
  }

  private add(rs: Round, voter: number, records: Uint8Array, root: Uint8Array, sig: Uint8Array, body: Uint8Array): void {
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
    if (this.ctx.leaderMode && !rs.certSent && this.ctx.leaderOf(rs.round) === this.ctx.selfIndex && rs.voted) {
      // The certificate goes out once it decides the round: every voter's vote is in, or every member the votes
      // name is accepted or rejected (a late voter cannot change that, and waiting for it would hold up everyone).
      let all = true;
      for (const x of this.ctx.voterIndexes) if (!rs.votes[x] && !rs.excluded[x]) all = false;
      if (all || rs.allDecided()) this.publishCertificate(rs);
    }
  }

  /** Sends the round's certificate (leader mode: the leader, once it decides the round, or at its certificate time). */
  publishCertificate(rs: Round): void {
    rs.certSent = true;
    const votes = rs.heldVotes();
    if (votes.length === 0) return;
    const bytes = encodeRoundCertificate(buildRoundCertificate(rs.round, votes));
    // The leader's own vote leaves in its certificate.
    if (rs.votes[this.ctx.selfIndex]) this.ctx.publishOwnVote('certificate', bytes, rs.round);
    else this.ctx.publish('certificate', bytes);
  }

  onCertificate(bytes: Uint8Array): void {
    const d = decodeRoundCertificate(bytes);
    if (!d.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const cert = d.cert;
    const rs = this.need.roundState(cert.round);
    if (!rs) {
      this.ctx.drop('outside-window');
      return;
    }
    const s = certificateSignatures(this.ctx.manifest, cert, this.ctx.hash, this.ctx.rootOf);
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
      this.add(rs, v.voter, cert.lists[v.list]!, root, v.sig, body);
    }
  }

  private checkedRecords(records: Uint8Array, root: Uint8Array): Uint8Array | undefined {
    const key = hexKey(root);
    const hit = this.rootMemo.get(key);
    if (hit && equalBytes(hit, records)) return hit;
    if (judgmentsProblem(records, this.ctx.n) !== '') return undefined;
    if (!equalBytes(this.ctx.rootOf(records), root)) return undefined;
    this.rootMemo.set(key, records);
    return records;
  }
}

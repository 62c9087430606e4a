// What a restarted node takes up of its rounds (docs/protocol.md §11): the rounds its round records hold, closed as
// they were, and its own submissions, held again in their rounds (after a power cut of every node the only copy
// left may be its own).
import { Domain } from '@meterchain/core';
import { certificateSignatures, roundCertificateFromCbor } from './certificate.ts';
import { consensusError } from './codes.ts';
import type { NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import { ACCEPTED, REJECTED, Round, UNDECIDED, type RoundContext } from './round.ts';
import type { RoundTable } from './round-table.ts';
import { openSubmission } from './submission.ts';
import { decodeRoundRecord } from './wire/records.ts';

type RestoreContext = RoundContext & Pick<NodeContext, 'hash' | 'rootOf' | 'lastRoundOf'>;

/** This node's own submissions restored from its signing records, by round, until a round holds them. */
export class OwnSubmissions {
  private byRound: { [round: number]: Uint8Array } = {};

  constructor(
    private readonly ctx: Pick<NodeContext, 'manifest' | 'hash' | 'selfIndex'>,
    private readonly table: RoundTable,
  ) {}

  restore(round: number, bytes: Uint8Array): void {
    this.byRound[round] = bytes;
  }

  /** The rounds of the submissions restored (as numbers). */
  rounds(): number[] {
    const out: number[] = [];
    for (const k of Object.keys(this.byRound)) out.push(Number(k));
    return out;
  }

  /** Forgets those of rounds up to `last` (a committed block covers them). */
  forgetThrough(last: number): void {
    for (const k of Object.keys(this.byRound)) if (Number(k) <= last) delete this.byRound[Number(k)];
  }

  forget(round: number): void {
    delete this.byRound[round];
  }

  /**
   * Holds this node's own submission of the round again, as restored from its signing records: after a power cut of
   * every node it may be the only copy left, and the votes re-sent after the restart may accept it.
   */
  place(rs: Round): boolean {
    const bytes = this.byRound[rs.round];
    if (!bytes) return false;
    delete this.byRound[rs.round];
    const self = this.ctx.selfIndex;
    if (rs.subs[self]) return false;
    const o = openSubmission(this.ctx.manifest, bytes, this.ctx.hash);
    if (!o.ok || o.submission.round !== rs.round || o.submission.index !== self) return false;
    rs.subs[self] = { sub: o.submission, reason: 0, late: rs.voted };
    rs.changes++;
    this.table.index(o.submission);
    rs.received++;
    return true;
  }
}

/**
 * Takes a round up again from its record, closed, as the node held it: its certificate's votes (tallied, the
 * outcomes decided as they stand) and the accepted submissions. The node then refuses blocks that leave them out
 * and can hand them over (docs/protocol.md §10), as before the restart. The record is the node's own, written
 * after the signatures in it were checked: they are not checked again. A round the tip covers (`tipHeight`), or of
 * another epoch, is left out.
 */
export function restoreRound(ctx: RestoreContext, table: RoundTable, rec: PersistRecord, tipHeight: number): void {
  const m = ctx.manifest;
  const d = decodeRoundRecord(rec.bytes, ctx.n);
  if (!d.ok) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: ${d.reason}`);
  const o = d.value;
  if (o.cluster !== m.cluster || o.epoch !== m.epoch) return;
  const cert = roundCertificateFromCbor(o.cert);
  if (cert.round !== rec.round) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: the record holds round ${cert.round}`);
  if (tipHeight >= 0 && cert.round <= ctx.lastRoundOf(tipHeight)) return;
  const s = certificateSignatures(m, cert, ctx.hash, ctx.rootOf);
  if (!s.ok) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: ${s.reason}`);
  const rs = new Round(ctx, cert.round);
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
    const opened = openSubmission(m, bytes, ctx.hash);
    if (!opened.ok || opened.submission.round !== rs.round || rs.subs[opened.submission.index]) continue;
    const sub = opened.submission;
    rs.subs[sub.index] = { sub, reason: 0, late: true };
    rs.changes++;
    table.index(sub);
    rs.received++;
  }
  for (let i = 0; i < ctx.n; i++) {
    const outcome = ctx.quorum.outcome(rs.tally[i]!);
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
  table.put(rs);
}

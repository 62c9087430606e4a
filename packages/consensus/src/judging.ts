// Judging (docs/protocol.md §5): a voter's verdict on every member's submission of a round, in round order. A
// submission is rejected for a bad signature, an equivocation, a timestamp in the future, the base checks (quality,
// sequence), the submission judges (limits, energy) or the round judges (cross-checks against the other members'
// readings); each member's last sequence number and last accepted reading are remembered for the next round.
import { toHex } from '@meterchain/core';
import { Reason, Verdict } from './codes.ts';
import type { NodeContext } from './context.ts';
import { baseJudge, defaultJudges, DEFAULT_REJECT_QUALITY, type Judges, type MemberMemory } from './judge.ts';
import type { Round } from './round.ts';
import type { Submission } from './submission.ts';
import { emptyJudgments, setJudgment } from './vote.ts';

export class Judging {
  private readonly judges: Judges;
  private readonly base: (s: Submission, m: MemberMemory) => number;
  private readonly memory: MemberMemory[];

  constructor(
    private readonly ctx: Pick<NodeContext, 'manifest' | 'n'>,
    cfg: { judges?: Judges; rejectQuality?: number },
    /** Whether evidence with this claim key is known. */
    private readonly knownEvidence: (key: string) => boolean,
  ) {
    this.judges = cfg.judges ?? defaultJudges();
    this.base = baseJudge(cfg.rejectQuality ?? DEFAULT_REJECT_QUALITY);
    this.memory = [];
    for (let i = 0; i < ctx.n; i++) this.memory.push({ lastSeq: -1 });
  }

  /** Judges every member's submission of the round (docs/protocol.md, "Judging"): the vote's judgment list. */
  judge(rs: Round): Uint8Array {
    const n = this.ctx.n;
    const records = emptyJudgments(n);
    const passing: Submission[] = [];
    const verdicts: number[] = [];
    for (let i = 0; i < n; i++) {
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

  /** Whether evidence of a second submission of `member` in `round` is known. */
  private flaggedFor(member: number, round: number): boolean {
    return this.knownEvidence(`submission:${toHex(this.ctx.manifest.members[member]!.address)}:${round}`);
  }
}

// Byzantine members' rewrites of what their nodes publish (simulator.ts): a vote that accepts invalid submissions
// or two different votes (equivocation), a proposal forked under a second header, and a forking member's co-signing
// of every block it sees. Each side of a split goes to one half of the honest members.
import { decode, encode, toHex, type CborValue, type Hash, type Manifest, type Signer } from '@meterchain/core';
import { Phase, Verdict, decodeHeader, decodeVoteMessage, encodeHeader, setJudgment, signVote, type Topic } from '../index.ts';
import { blockVoteBodyFor } from './forge.ts';
import { concat0 } from './report.ts';
import type { Behaviour } from './options.ts';

/** What the rewrites read of a member. */
export interface RewritingMember {
  index: number;
  signer: Signer;
  byzantine: Set<Behaviour>;
  /** Submissions the member has seen, by round then member index. */
  seen: Map<number, Map<number, Uint8Array[]>>;
  /** An equivocating member's second submission, by round. */
  twins: Map<number, Uint8Array>;
  previousEnvelopes: Uint8Array[];
}

/** Sends a frame from a member to the members named (to everyone else when undefined). */
export type Send = (from: RewritingMember, topic: Topic, bytes: Uint8Array, to: number[] | undefined, now: number) => void;

export class ByzantineRewrites {
  private readonly forkSigned = new Set<string>();
  private readonly forkSide = new Map<string, boolean>();

  constructor(
    private readonly manifest: Manifest,
    private readonly sha256: Hash,
    private readonly members: readonly RewritingMember[],
    /** The honest half one side of a split goes to. */
    private readonly groupA: Set<number>,
    /** Digests of submissions known to be invalid (the simulator's oracle). */
    private readonly invalid: Set<string>,
    private readonly send: Send,
  ) {}

  vote(m: RewritingMember, bytes: Uint8Array, now: number, to: number[] | undefined): void {
    const d = decodeVoteMessage(bytes);
    if (!d.ok) return;
    const round = d.message.vote.round;
    let records = d.message.judgments;
    if (m.byzantine.has('vote-invalid')) {
      records = records.slice();
      const seen = m.seen.get(round) ?? new Map<number, Uint8Array[]>();
      for (const [i, list] of seen) {
        const pick = list.find((b) => this.invalid.has(toHex(this.sha256(concat0(b))))) ?? list[0]!;
        setJudgment(records, i, Verdict.ACCEPT, 0, this.sha256(concat0(pick)));
      }
      const v = signVote(this.manifest, round, m.signer, this.manifest.members[m.index]!.address, records, this.sha256);
      bytes = v.bytes;
    }
    if (m.byzantine.has('equivocate')) {
      // The second vote rejects what the first accepts, and accepts the member's own twin submission: each half of
      // the cluster sees one vote, and under majority each half may accept a different twin.
      const other = records.slice();
      for (let i = 0; i < this.manifest.members.length; i++) if (other[i * 34] === Verdict.ACCEPT) other[i * 34] = Verdict.REJECT;
      const twin = m.twins.get(round);
      if (twin) {
        setJudgment(other, m.index, Verdict.ACCEPT, 0, this.sha256(concat0(twin)));
        setJudgment(records, m.index, Verdict.ACCEPT, 0, this.sha256(concat0(m.previousEnvelopes[m.previousEnvelopes.length - 1]!)));
        bytes = signVote(this.manifest, round, m.signer, this.manifest.members[m.index]!.address, records, this.sha256).bytes;
      }
      if (other.every((x, i) => x === records[i])) other[m.index * 34] = Verdict.REJECT;
      const v2 = signVote(this.manifest, round, m.signer, this.manifest.members[m.index]!.address, fixAbsent(other), this.sha256);
      if (to) {
        this.send(m, 'vote', bytes, to, now);
        this.send(m, 'vote', v2.bytes, to, now);
      } else {
        this.send(m, 'vote', bytes, this.splitTargets(m, true), now);
        this.send(m, 'vote', v2.bytes, this.splitTargets(m, false), now);
      }
      return;
    }
    this.send(m, 'vote', bytes, to, now);
  }

  splitTargets(m: RewritingMember, a: boolean): number[] {
    return this.members.filter((x) => x.index !== m.index && (x.byzantine.size > 0 || this.groupA.has(x.index) === a)).map((x) => x.index);
  }

  forkProposal(m: RewritingMember, bytes: Uint8Array, now: number): void {
    const d = decode(bytes, undefined, { maxBytes: 1 << 26 });
    if (!d.ok) return;
    const p = d.value as { header: Uint8Array; body?: Uint8Array; compact?: Uint8Array; view: number; vote: Uint8Array; timeouts: unknown; lock: unknown };
    const h = decodeHeader(p.header);
    if (!h.ok) return;
    // The second block holds the same readings (members refuse one that leaves out readings they hold certificates
    // for) under another header: it names another full member as its proposer, which no check ties to the view.
    const other = this.manifest.members.find((x, i) => i !== m.index && x.role === 'full');
    if (!other) return;
    const headerB = encodeHeader({ ...h.header, proposer: other.address });
    const hashB = this.sha256(headerB);
    const voteB = blockVoteBodyFor(this.manifest, m.signer, h.header.height, p.view, Phase.PREPARE, hashB);
    const rest: { [key: string]: CborValue } = p.body ? { body: p.body } : { compact: p.compact! };
    const proposalB = encode({ header: headerB, ...rest, view: p.view, vote: voteB, timeouts: p.timeouts as never, lock: p.lock as never });
    this.forkSide.set(toHex(this.sha256(p.header)), true);
    this.forkSide.set(toHex(hashB), false);
    this.send(m, 'proposal', bytes, this.splitTargets(m, true), now);
    this.send(m, 'proposal', proposalB, this.splitTargets(m, false), now);
    this.forkCosign(m, proposalB, now);
  }

  /** A forking member co-signs every block it sees, prepare and commit, at every height and view. */
  forkCosign(m: RewritingMember, proposalBytes: Uint8Array, now: number): void {
    const d = decode(proposalBytes, undefined, { maxBytes: 1 << 26 });
    if (!d.ok) return;
    const p = d.value as { header: Uint8Array; view: number };
    const h = decodeHeader(p.header);
    if (!h.ok) return;
    const hash = this.sha256(p.header);
    const key = `${h.header.height}:${p.view}:${toHex(hash)}`;
    if (this.forkSigned.has(`${m.index}:${key}`)) return;
    this.forkSigned.add(`${m.index}:${key}`);
    // Votes for each side of a fork go to that side only, so that neither side sees the other's double signature.
    const side = this.forkSide.get(toHex(hash));
    const targets = side === undefined ? undefined : this.splitTargets(m, side);
    for (const phase of [Phase.PREPARE, Phase.COMMIT]) {
      this.send(m, 'block-vote', blockVoteBodyFor(this.manifest, m.signer, h.header.height, p.view, phase, hash), targets, now);
    }
  }
}

/** Absent records must be all zero; a flipped verdict on an absent record is put back. */
function fixAbsent(records: Uint8Array): Uint8Array {
  for (let i = 0; i < records.length; i += 34) {
    let zero = true;
    for (let j = i + 2; j < i + 34; j++) if (records[j] !== 0) zero = false;
    if (zero) records[i] = 0;
  }
  return records;
}

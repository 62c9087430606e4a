// What block agreement reads of the round machine (rounds.ts), and the few things a block tells it: the narrow
// interface between the two machines (docs/protocol.md §10: a block holds the closed rounds' certificates).
import type { HeldVote } from './certificate.ts';
import type { CheckedBlock } from './chain.ts';
import type { Submission } from './submission.ts';

/** An accepted reading a block leaves out. */
export interface Missing {
  round: number;
  member: number;
  digest: Uint8Array;
}

export interface RoundsView {
  /** Whether every round up to `last` is closed here: by this node's clock, and in its state. */
  roundsClosed(last: number): boolean;
  /** The votes held for a round (without voters excluded), if the round is held here. */
  heldVotesOf(round: number): HeldVote[] | undefined;
  /** The submission of `member` in `round` with `digest`, if held. */
  submissionOf(round: number, member: number, digest: Uint8Array): Submission | undefined;
  /** A submission held in an open round, by digest. */
  heldSubmission(digest: Uint8Array): Submission | undefined;
  knownSubmission(): (digest: Uint8Array) => Submission | undefined;
  /** The accepted readings held here that a block of these rounds leaves out. */
  missingAccepted(block: CheckedBlock): readonly Missing[];
  /** Compares a block's votes and submissions with those held: a difference is evidence. */
  compareWithBlock(block: CheckedBlock): void;
  /** A block covering these rounds is committed: the outcomes that waited for it. */
  reportLate(block: CheckedBlock): void;
  /** Forgets the rounds the last committed block covers. */
  pruneRounds(): void;
}

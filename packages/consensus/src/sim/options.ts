// What a simulation is asked to run (simulate's options) and the crypto it runs on, apart from the simulator so that
// its parts (report.ts, byzantine.ts, members.ts) read them without importing the simulator back.
import type { Hash, ManifestParams, Signer, Verifier, VoteMode, VotingRule } from '@meterchain/core';
import type { Effect } from '../index.ts';

export const BEHAVIOURS = ['forge', 'bad-signature', 'replay', 'equivocate', 'vote-invalid', 'silent', 'withhold', 'fork'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** Members in different groups cannot reach each other from `from` to `to` (ms after genesis). */
export interface Partition {
  from: number;
  to: number;
  groups: number[][];
}

export interface NetworkOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that one delivery is lost. */
  loss: number;
  partitions: Partition[];
}

/** A member down from `at` (ms after genesis) for `downMs`, then restarted from what it persisted. */
export interface Restart {
  member: number;
  at: number;
  downMs: number;
}

export interface SimOptions {
  meters: number;
  rounds: number;
  rule?: VotingRule;
  voteMode?: VoteMode;
  byzantine?: number;
  behaviours?: Behaviour[];
  seed?: number;
  network?: Partial<NetworkOptions>;
  params?: Partial<ManifestParams>;
  /** Which members (by index in the manifest) are byzantine; default: `byzantine` of them chosen by the seed. */
  byzantineIndexes?: number[];
  /** Stop after this much simulated time past the last round even if blocks are still missing (default 30 timeouts). */
  drainMs?: number;
  /** Which committed chains to verify at the end: every honest member's (default), or only the longest. */
  verifyChains?: 'all' | 'longest';
  /** Committed blocks a node keeps in memory to answer sync requests (default 1, as the Linux runtime runs it); older
   * ones are answered from the member's store. */
  keepBlocks?: number;
  /** Honest members that go down and restart (a byzantine member named here does not). */
  restarts?: Restart[];
  /** Called with the effects of every step of every member, in simulation order (the tests hash this stream). */
  trace?: (member: number, effects: readonly Effect[]) => void;
}

/**
 * The crypto a simulated cluster runs on, supplied by the host (on Node: @meterchain/crypto's node SHA-256 and
 * @meterchain/crypto/sim's keys from seed texts and memoising verifier), so this package stays free of Node crypto.
 */
export interface SimCrypto {
  /** The signer of a seed text: the same text gives the same key, so a seed replays a cluster. */
  signerFrom(seedText: string): Signer;
  sha256: Hash;
  /** A verifier for one run, shared by its members: `counting()` gives each member a view that counts its calls. */
  sharedVerifier(): Verifier & { counting(): Verifier & { count: number } };
}

// What a simulated run ends with (simulator.ts): the report the property suites check (conflicting commits and
// acceptances, chains that verify, invalid submissions accepted, honest readings accepted) and the longest honest
// chain, worked out from what the members committed and what the simulator's oracle knows.
import { toHex, type Hash, type Manifest, type Verifier, type VoteMode, type VotingRule } from '@meterchain/core';
import { decodeBody, decodeHeader, decodeStoredBlock, verifyChain } from '../index.ts';
import type { Behaviour, SimOptions } from './options.ts';

export interface SimReport {
  meters: number;
  rounds: number;
  rule: VotingRule;
  voteMode: VoteMode;
  seed: number;
  threshold: number;
  byzantine: { index: number; address: string; behaviours: Behaviour[] }[];
  /** Outcomes in the committed chain (the longest honest one). */
  accepted: number;
  rejected: number;
  notEnoughVotes: number;
  /** Distinct evidence (kind, member, slot) known to honest members, and who it accuses. */
  evidence: number;
  accused: string[];
  blocksCommitted: number;
  blocksExpected: number;
  invalidSubmissionsAccepted: number;
  /** Heights where honest members committed different blocks. */
  conflictingCommits: number;
  /** (member, round) slots for which honest members saw two different digests accepted. */
  conflictingAcceptances: number;
  honestReadings: number;
  honestAccepted: number;
  honestAcceptedRatio: number;
  /** Every honest member's committed chain verifies from the manifest alone. */
  chainsVerify: boolean;
  chainError?: string;
  verificationsPerMemberPerRound: number;
  messages: { published: number; delivered: number; lost: number };
  simulatedMs: number;
}

export interface SimResult {
  report: SimReport;
  manifest: Uint8Array;
  /** The longest honest chain, stored blocks in height order. */
  blocks: Uint8Array[];
  /** Member keys (seed text) by manifest index, so proofs and replays can be made from a run. */
  keys: { address: string; seedText: string }[];
}

/** What the report reads of a member. */
export interface EndMember {
  index: number;
  seedText: string;
  byzantine: Set<Behaviour>;
  committed: Map<number, { hash: string; block: Uint8Array }>;
  verifier: { count: number };
}

/** A run as it ended: its options and manifest, its members, and what the simulator's oracle noted on the way. */
export interface RunEnd {
  opts: SimOptions;
  manifest: Manifest;
  manifestBytes: Uint8Array;
  /** The manifest's digest (the first block's prev). */
  digest: Uint8Array;
  verifier: Verifier;
  sha256: Hash;
  threshold: number;
  /** Blocks the rounds with readings fill. */
  heights: number;
  members: EndMember[];
  /** Digests of submissions the simulator knows are invalid, and of honest readings. */
  invalid: Set<string>;
  honestDigests: Set<string>;
  /** Digests honest members reported accepted, by member and round. */
  acceptedBy: Map<string, Set<string>>;
  /** Evidence honest members learnt, by claim key: the accused (hex). */
  evidenceKeys: Map<string, string>;
  stats: { published: number; delivered: number; lost: number };
  honestReadings: number;
  simulatedMs: number;
}

export function reportRun(run: RunEnd): SimResult {
  const { opts, manifest, sha256, acceptedBy, evidenceKeys, invalid, honestDigests, honestReadings, heights } = run;
  const honest = run.members.filter((m) => m.byzantine.size === 0);
  const byzantine = run.members.filter((m) => m.byzantine.size > 0);
  // Conflicts between honest members' commits.
  const byHeight = new Map<number, Set<string>>();
  for (const h of honest) for (const [height, c] of h.committed) {
    const s = byHeight.get(height) ?? new Set<string>();
    s.add(c.hash);
    byHeight.set(height, s);
  }
  let conflictingCommits = 0;
  for (const s of byHeight.values()) if (s.size > 1) conflictingCommits++;
  let conflictingAcceptances = 0;
  for (const s of acceptedBy.values()) if (s.size > 1) conflictingAcceptances++;

  // The reference chain: the longest contiguous honest chain.
  let reference: EndMember | undefined;
  let best = -1;
  for (const h of honest) {
    let len = 0;
    while (h.committed.has(len)) len++;
    if (len > best) {
      best = len;
      reference = h;
    }
  }
  const blocks: Uint8Array[] = [];
  if (reference) for (let i = 0; i < best; i++) blocks.push(reference.committed.get(i)!.block);

  // Every honest chain verifies from the manifest alone (the shared memory makes this cheap).
  let chainsVerify = true;
  let chainError: string | undefined;
  for (const h of opts.verifyChains === 'longest' ? (reference ? [reference] : []) : honest) {
    const chain: Uint8Array[] = [];
    while (h.committed.has(chain.length)) chain.push(h.committed.get(chain.length)!.block);
    const v = verifyChain([{ manifest, digest: run.digest }], chain, run.verifier, sha256);
    if (!v.ok) {
      chainsVerify = false;
      chainError = `member ${h.index}, block ${v.index}: ${v.fault}: ${v.reason}`;
    }
  }

  let accepted = 0;
  let rejected = 0;
  let undecided = 0;
  let invalidAccepted = 0;
  let honestAccepted = 0;
  for (const bytes of blocks) {
    const s = decodeStoredBlock(bytes);
    if (!s.ok) continue;
    const h = decodeHeader(s.block.header);
    const b = decodeBody(s.block.body);
    if (!h.ok || !b.ok) continue;
    for (const r of h.header.rounds) {
      rejected += r.rejected;
      undecided += r.undecided;
    }
    for (const sub of b.body.submissions) {
      accepted++;
      const d = toHex(sha256(concat0(sub)));
      if (invalid.has(d)) invalidAccepted++;
      if (honestDigests.has(d)) honestAccepted++;
    }
  }
  const roundsRun = Math.max(1, Math.ceil(run.simulatedMs / manifest.params.roundMs));
  let verifications = 0;
  for (const h of honest) verifications += h.verifier.count;
  const accused = [...new Set(evidenceKeys.values())].sort().map((hex) => 'mc' + hex);
  const report: SimReport = {
    meters: manifest.members.length,
    rounds: opts.rounds,
    rule: manifest.rule,
    voteMode: manifest.voteMode,
    seed: opts.seed ?? 1,
    threshold: run.threshold,
    byzantine: byzantine.map((b) => ({ index: b.index, address: 'mc' + toHex(manifest.members[b.index]!.address), behaviours: [...b.byzantine] })),
    accepted,
    rejected,
    notEnoughVotes: undecided,
    evidence: evidenceKeys.size,
    accused,
    blocksCommitted: blocks.length,
    blocksExpected: heights,
    invalidSubmissionsAccepted: invalidAccepted,
    conflictingCommits,
    conflictingAcceptances,
    honestReadings,
    honestAccepted,
    honestAcceptedRatio: honestReadings === 0 ? 1 : honestAccepted / honestReadings,
    chainsVerify,
    verificationsPerMemberPerRound: honest.length === 0 ? 0 : verifications / honest.length / roundsRun,
    messages: run.stats,
    simulatedMs: run.simulatedMs,
  };
  if (chainError) report.chainError = chainError;
  return { report, manifest: run.manifestBytes, blocks, keys: run.members.map((m) => ({ address: 'mc' + toHex(manifest.members[m.index]!.address), seedText: m.seedText })) };
}

/** 0x00 || bytes: the RFC 6962 leaf input, whose hash is a submission's digest. */
export function concat0(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes, 1);
  return out;
}

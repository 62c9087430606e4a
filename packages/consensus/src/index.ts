// @meterchain/consensus: voting rounds, blocks, certificates, evidence and chain verification as pure state machines
// and functions (docs/protocol.md). Portable: runs wherever @meterchain/core runs.
export { ConsensusDomain, Verdict, Reason, reasonName } from './codes.ts';
export { threshold, bftFaults, faultBounds } from './threshold.ts';
export { HASH_LENGTH, leafHash, nodeHash, merkleRoot, rootOfLeafHashes, inclusionProof, rootFromInclusion, verifyInclusion } from './merkle.ts';
export type { Batch, BatchSummary, Submission, SubmissionResult } from './submission.ts';
export { MAX_BATCH_ITEMS, BATCH_VERSION, BATCH_SCHEMA, BATCH_SUMMARY_SCHEMA, encodeBatch, signBatch, roundOf, roundStart, memberIndex, openSubmission, submissionDomain, checkSubmissionSignature } from './submission.ts';
export type { Judgment, VoteBody, VoteMessage } from './vote.ts';
export {
  JUDGMENT_LENGTH,
  emptyJudgments,
  setJudgment,
  judgmentAt,
  judgmentRecord,
  judgmentsRoot,
  judgmentLeaves,
  voteBodyFor,
  voteSigningInput,
  signVote,
  decodeVoteMessage,
  decodeVoteBody,
} from './vote.ts';
export type { CertVote, RoundCertificate, HeldVote, SignatureCheck, Candidate, RoundTally } from './certificate.ts';
export { memberOutcome, Quorum, QuorumCounts, type MemberOutcome } from './quorum.ts';
export {
  buildRoundCertificate,
  encodeRoundCertificate,
  decodeRoundCertificate,
  roundCertificateFromCbor,
  certificateSignatures,
  tallyCertificate,
} from './certificate.ts';
export type { BlockHeader, BlockBody, RoundSummary, BlockVote, BlockCertificate, StoredBlock, Timeout } from './block.ts';
export {
  BLOCK_VERSION,
  Phase,
  encodeHeader,
  decodeHeader,
  encodeBody,
  decodeBody,
  blockHash,
  blockVoteBody,
  decodeBlockVote,
  decodeSigned,
  encodeBlockCertificate,
  decodeBlockCertificate,
  encodeStoredBlock,
  decodeStoredBlock,
  timeoutBody,
} from './block.ts';
export type { Evidence, EvidenceKind, EvidenceClaim, EvidenceResult } from './evidence.ts';
export { makeEvidence, openEvidence } from './evidence.ts';
export type { MemberMemory, SubmissionJudge, RoundJudge, Judges, Limits } from './judge.ts';
export { DEFAULT_REJECT_QUALITY, DEFAULT_LIMITS, baseJudge, limitsJudge, energyJudge, defaultJudges } from './judge.ts';
export type { BlockFault, BlockExpectation, CheckedBlock, BlockVerdict, SignatureOracle } from './chain.ts';
export { inspectBlock, checkBlockCertificate, proposerOf, firstRoundOf, countCertificates, excludedVoters } from './chain.ts';
export type { EpochManifest, ChainVerdict } from './chain-verify.ts';
export { ChainChecker, verifyChain } from './chain-verify.ts';
export type { Topic } from './topics.ts';
export type { NodeEvent, Effect, PersistRecord, NodeRestore, NodeConfig, NodeStats, StepResult, StepEntry, Publish, Outcome, Committed, SyncRequest, Dropped } from './effects.ts';
export { effectsOf } from './effects.ts';
export type { DropReason } from './drops.ts';
export type { Machine } from './lanes.ts';
export { machineOfTopic, machineOfEffect } from './lanes.ts';
export { SharedChecks } from './shared.ts';
export { ConsensusNode, submissionDigest } from './node.ts';
export { roundRecordLimit } from './wire/records.ts';
export type { RedundantGroup, Feeder } from './cross.ts';
export { redundancyJudge, feederJudge } from './cross.ts';
export type { PmuJudgeOptions } from './pmu-judge.ts';
export { PMU_JUDGE_DEFAULTS, batchSummaryJudge, pmuIslandJudge } from './pmu-judge.ts';

// @meterchain/ledger: durable storage for a full node on Linux — the block store (append-only log with an index by
// height and by reading), the node state that keeps a restarted node from signing twice for one slot — and the
// offline tools over a stored chain: parallel verification, inclusion proofs, summaries and export.
export { BlockStore, BLOCKS_FILE, INDEX_FILE, META_FILE } from './block-store.ts';
export type { BlockStoreOptions, KeysOf, Located, ReadingKey, RecordKeys, StoreRecovery } from './block-store.ts';
export { ChainStore, storedBlockKeys } from './chain-store.ts';
export type { ChainStoreOptions } from './chain-store.ts';
export { NodeState, STATE_FILE, nodeStateLimits } from './node-state.ts';
export type { NodeStateBounds, NodeStateLimits, NodeStateOptions, NodeStateRepair, PendingReading, SignDecision, Slot } from './node-state.ts';
export { RecordLog, LOG_MAGIC } from './record-log.ts';
export type { Appended, RecordLogOptions, Recovery, SyncPolicy } from './record-log.ts';
export { LedgerError, REPAIR_COMMAND } from './errors.ts';
export type { LedgerErrorCode } from './errors.ts';
export { replaceFileAtomically, fsyncDirectory, FRAME_HEADER_LENGTH, MAX_PAYLOAD_LENGTH } from '@meterchain/storage';
export { verifyBlocks } from './chain-verify.ts';
export { ChainWalker } from './chain-walker.ts';
export type { VerifyOptions } from './chain-verify.ts';
export type { BlockSource, ChainFault, ChainReport } from './chain-walker.ts';
export { openChain, blockFileName, BLOCKS_DIR } from './chain-source.ts';
export type { OpenedChain } from './chain-source.ts';
export { makeProof, verifyProof, PROOF_TYPE, PROOF_VERSION } from './proof.ts';
export type { ProofFault, ProofResult, ProofVerdict, ProvenFrame, ProvenReading } from './proof.ts';
export { FrameStore, FRAME_RECORD_SCHEMA, MAX_BATCH_FRAMES } from './frame-store.ts';
export type { FrameRecord, FrameStoreOptions } from './frame-store.ts';
export { summarizeBlock, readingsOf, csvField, csvRow, channelColumn, CSV_FIXED_COLUMNS } from './inspect.ts';
export type { BlockSummary, EvidenceSummary, ReadingRow } from './inspect.ts';
export { nodeSha256 } from '@meterchain/crypto';

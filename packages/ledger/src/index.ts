// @meterchain/ledger: durable storage for a full node on Linux — the block store (append-only log with an index by
// height and by reading) and the node state that keeps a restarted node from signing twice for one slot.
export { BlockStore, BLOCKS_FILE, INDEX_FILE, META_FILE } from './block-store.ts';
export type { BlockStoreOptions, KeysOf, Located, ReadingKey, RecordKeys, StoreRecovery } from './block-store.ts';
export { NodeState, STATE_FILE } from './node-state.ts';
export type { NodeStateOptions, PendingReading, SignDecision, Slot } from './node-state.ts';
export { RecordLog, LOG_MAGIC } from './record-log.ts';
export type { Appended, RecordLogOptions, Recovery, SyncPolicy } from './record-log.ts';
export { LedgerError } from './errors.ts';
export type { LedgerErrorCode } from './errors.ts';
export { replaceFileAtomically, fsyncDirectory } from './files.ts';
export { FRAME_HEADER_LENGTH, MAX_PAYLOAD_LENGTH } from './frame.ts';

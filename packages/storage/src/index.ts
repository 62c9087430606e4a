// @meterchain/storage: the durable-file layer under the ledger and the transport spool: an append-only record log
// of checked frames with group commit and crash recovery, atomic replacement of small files, directory fsync, and
// pid lock files. Node on Linux.
export { fsyncDirectory, replaceFileAtomically, readIfExists } from './files.ts';
export { takePidLock, type PidLock, type PidLockOptions, type PidLockResult } from './lock.ts';
export { encodeFrame, frameLength, frameIsIntact, FRAME_HEADER_LENGTH, CHECK_LENGTH, MAX_PAYLOAD_LENGTH } from './frame.ts';
export {
  RecordLog, LogError, LOG_MAGIC, findIntactFrame, salvageFrames,
  type Appended, type LogErrorCode, type LogErrors, type RecordLogOptions, type Recovery, type SyncPolicy,
} from './record-log.ts';

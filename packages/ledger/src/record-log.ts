// The ledger's record logs (block log, reading index, node journal) are the storage layer's (@meterchain/storage),
// opened so that their failures are LedgerErrors and damage to durable records names the repair command.
import { RecordLog as StorageRecordLog, type LogErrors, type RecordLogOptions, type Recovery } from '@meterchain/storage';
import { LedgerError, REPAIR_HINT } from './errors.ts';

export { LOG_MAGIC, findIntactFrame, salvageFrames, type Appended, type RecordLogOptions, type Recovery, type SyncPolicy } from '@meterchain/storage';

const LEDGER_ERRORS: LogErrors = { make: (code, message) => new LedgerError(code, message), repairHint: REPAIR_HINT };

export type RecordLog = StorageRecordLog;

export const RecordLog = {
  /** Opens (creating when missing, unless read-only) and recovers a log, the ledger's way. */
  open(path: string, opts: RecordLogOptions = {}): Promise<{ log: RecordLog; recovery: Recovery }> {
    return StorageRecordLog.open(path, { ...opts, errors: LEDGER_ERRORS });
  },
};

// The ledger's one error class; `code` says which failure it is, so callers branch on it, not on message text.

export type LedgerErrorCode =
  /** A record that was once durable is damaged (a bad check before the durable mark), or a file is not ours. */
  | 'corrupt'
  /** A write or fsync failed: what reached the disk is unknown, so the handle refuses all further writes. */
  | 'io-failed'
  /** The handle was closed. */
  | 'closed'
  /** Another live process holds the directory. */
  | 'locked'
  /** A record does not follow the stored chain (wrong height or previous hash). */
  | 'out-of-order'
  /** A block that does not decode as a stored block. */
  | 'malformed'
  /** Neither a block store nor a directory of block files, or nothing there to read. */
  | 'unusable'
  /** A reading was looked up in a store opened without the reading index. */
  | 'no-reading-index'
  /** The node's signing records are missing though the node ran before: it must be repaired (fenced) first. */
  | 'needs-repair';

/**
 * The command that repairs a node's data directory (chain and node state), named in every error that calls for it.
 * `<node.yaml>` stands for the node's configuration file; the node puts its own path in.
 */
export const REPAIR_COMMAND = 'meterchain node repair --config <node.yaml>';
export const REPAIR_HINT = `repair with \`${REPAIR_COMMAND}\``;

export class LedgerError extends Error {
  override name = 'LedgerError';
  readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

// What a node persists (docs/protocol.md §11) and reads back when it restarts: round records and lock records. Each
// schema is written once; decoding returns its type (core's decodeAs).
import { decodeAs, type DecodedAs, type Schema } from '@meterchain/core';
import { BLOCK_CERTIFICATE_SCHEMA } from '../block.ts';
import { ROUND_CERTIFICATE_SCHEMA } from '../certificate.ts';
import { JUDGMENT_LENGTH } from '../vote.ts';
import { PROPOSAL_MAX_BYTES } from './block-agreement.ts';

/**
 * A round record (PersistRecord kind `round`): the certificate of the votes a node holds for a round (its held votes,
 * voters caught equivocating left out) and the submissions of the members they accept that it holds. The cluster and
 * epoch say which rounds these are (each epoch numbers its rounds from its own genesis).
 */
export const ROUND_RECORD_SCHEMA = {
  map: { cluster: { text: { max: 64 } }, epoch: 'uint', cert: ROUND_CERTIFICATE_SCHEMA, subs: { array: 'bytes', max: 1024 } },
} as const satisfies Schema;

/** A lock record (PersistRecord kind `lock`): the prepare certificate and the block it locks, header and body. */
export const LOCK_RECORD_SCHEMA = { map: { cert: BLOCK_CERTIFICATE_SCHEMA, header: 'bytes', body: 'bytes' } } as const satisfies Schema;

/** Largest signed submission a member takes (openEnvelope's limit). */
const SUBMISSION_MAX = 65536;

/**
 * The largest round record a node of a cluster of `members` members writes, in bytes: a certificate with every
 * member's vote and its own judgment list (34 bytes per member each), and every member's submission at the envelope
 * limit. What the node state reads back is bounded by it (nodeStateLimits in @meterchain/ledger).
 */
export function roundRecordLimit(members: number): number {
  const lists = members * (members * JUDGMENT_LENGTH + 9);
  const votes = members * 80;
  const subs = members * (SUBMISSION_MAX + 9);
  return 256 + lists + votes + subs;
}

export function decodeRoundRecord(bytes: Uint8Array, members: number): DecodedAs<typeof ROUND_RECORD_SCHEMA> {
  return decodeAs(bytes, ROUND_RECORD_SCHEMA, { maxBytes: roundRecordLimit(members) });
}

export function decodeLockRecord(bytes: Uint8Array): DecodedAs<typeof LOCK_RECORD_SCHEMA> {
  return decodeAs(bytes, LOCK_RECORD_SCHEMA, { maxBytes: PROPOSAL_MAX_BYTES });
}

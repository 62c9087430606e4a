// Wire formats of block agreement (docs/protocol.md §10) that the node reads: proposals (whole or compact), timeout
// messages, commit notices and sync requests. Each schema is written once; decoding returns its type (core's
// decodeAs), so no interface is written beside it. Block votes, block certificates, timeouts' bodies and stored blocks
// are in block.ts.
import { decodeAs, type DecodedAs, type Schema } from '@meterchain/core';
import { BLOCK_CERTIFICATE_SCHEMA } from '../block.ts';
import { ROUND_CERTIFICATE_SCHEMA } from '../certificate.ts';

/** Largest proposal, compact body or lock record a node decodes (64 MiB). */
export const PROPOSAL_MAX_BYTES = 67108864;

/** A proposal carries the block's body (`body`), or (`compact`) the body with each submission named by its digest:
 * members hold the submissions already (each was broadcast in its round) and put the body together themselves.
 * `timeouts` are the t timeouts of the view before, [voter, lock view | null, lock hash | null, signature]. */
export const PROPOSAL_SCHEMA = {
  map: {
    header: 'bytes',
    body: 'bytes',
    compact: 'bytes',
    view: 'uint',
    vote: 'bytes',
    timeouts: { array: { tuple: ['uint', { oneOf: ['uint', 'null'] }, { oneOf: [{ bytes: 32 }, 'null'] }, { bytes: 64 }] }, max: 1024 },
    lock: { oneOf: [BLOCK_CERTIFICATE_SCHEMA, 'null'] },
  },
  optional: ['body', 'compact'],
} as const satisfies Schema;

/** A compact body: the block body with each submission named by its digest. */
export const COMPACT_BODY_SCHEMA = {
  map: { v: 'uint', subs: { array: { bytes: 32 }, max: 1048576 }, certs: { array: ROUND_CERTIFICATE_SCHEMA, max: 100000 }, evidence: { array: 'bytes', max: 256 } },
} as const satisfies Schema;

/** What the proposer announces once a block is committed: its header and commit certificate. Members that hold the
 * proposal commit it; the others ask for the stored block (sync). */
export const COMMIT_NOTICE_SCHEMA = { map: { header: 'bytes', commit: BLOCK_CERTIFICATE_SCHEMA } } as const satisfies Schema;

/** A timeout message: the signed timeout body and, when it names a lock, the lock's prepare certificate. */
export const TIMEOUT_MESSAGE_SCHEMA = { map: { body: 'bytes', sig: { bytes: 64 }, cert: { oneOf: [BLOCK_CERTIFICATE_SCHEMA, 'null'] } } } as const satisfies Schema;

/** A request for the committed block at `height`, or, with `view`, for the proposal of that view with its body,
 * signed by the member that asks (`from`) under meterchain:sync:v1: it is answered to that member only, a few times
 * per timeoutMs. */
export const SYNC_SCHEMA = { map: { body: 'bytes', sig: { bytes: 64 } } } as const satisfies Schema;
export const SYNC_BODY_SCHEMA = { map: { cluster: { text: { max: 64 } }, epoch: 'uint', height: 'uint', from: { bytes: 20 }, view: 'uint' }, optional: ['view'] } as const satisfies Schema;

export function decodeProposalMessage(bytes: Uint8Array): DecodedAs<typeof PROPOSAL_SCHEMA> {
  return decodeAs(bytes, PROPOSAL_SCHEMA, { maxBytes: PROPOSAL_MAX_BYTES });
}

export function decodeCompactBody(bytes: Uint8Array): DecodedAs<typeof COMPACT_BODY_SCHEMA> {
  return decodeAs(bytes, COMPACT_BODY_SCHEMA, { maxBytes: PROPOSAL_MAX_BYTES });
}

export function decodeCommitNotice(bytes: Uint8Array): DecodedAs<typeof COMMIT_NOTICE_SCHEMA> {
  return decodeAs(bytes, COMMIT_NOTICE_SCHEMA);
}

export function decodeTimeoutMessage(bytes: Uint8Array): DecodedAs<typeof TIMEOUT_MESSAGE_SCHEMA> {
  return decodeAs(bytes, TIMEOUT_MESSAGE_SCHEMA);
}

export function decodeSyncMessage(bytes: Uint8Array): DecodedAs<typeof SYNC_SCHEMA> {
  return decodeAs(bytes, SYNC_SCHEMA);
}

export function decodeSyncBody(bytes: Uint8Array): DecodedAs<typeof SYNC_BODY_SCHEMA> {
  return decodeAs(bytes, SYNC_BODY_SCHEMA);
}

// Bulk verification (chain checks, catching up after a restart) and verdicts with a reason for reports.
import type { Verifier } from '@meterchain/core';
import { nodeVerifier, type BatchItem, type NodeVerifier } from './node.ts';
import { strictPrecheck, type StrictReason } from './strict.ts';

let shared: NodeVerifier | undefined;

/**
 * Verifies `items` on both cores with node:crypto's callback form (libuv's thread pool), under the strict rule;
 * verdicts in input order, never rejects. On the 2-core reference machine this matched two worker threads
 * (about 1.8x one core, docs/crypto.md) with no worker file to ship, so it is the one kept.
 */
export function verifyBatchParallel(items: readonly BatchItem[], verifier?: NodeVerifier): Promise<boolean[]> {
  if (!Array.isArray(items)) throw new TypeError('verifyBatchParallel: expected an array of {publicKey, message, signature}');
  shared ??= nodeVerifier();
  return (verifier ?? shared).verifyBatchParallel(items);
}

/** Why `verifier` rejects a signature (the strict rule's reason, or `bad-signature`), or undefined when it is valid. */
export function explainVerdict(verifier: Verifier, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): StrictReason | undefined {
  const reason = strictPrecheck(publicKey, message, signature);
  if (reason !== undefined) return reason;
  return verifier.verify(publicKey, message, signature) ? undefined : 'bad-signature';
}

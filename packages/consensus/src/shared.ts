// What the nodes of one process share. A gateway hosting several meters of one cluster receives every signed message
// once per meter, and each node would check it again: its signature, each submission's decoding and digest, the
// Merkle root of each judgment list a vote carries, and each proposed block. With one SharedChecks for the process,
// the first node to check a signature records it and the others recall it, a submission is opened once, a list's
// root is computed once, and a proposal is checked once. Only valid
// signatures are recorded, each with its key and message, so a recall answers exactly what a check would; a list's
// root is a function of the list alone; a block's verdict is kept only when it holds, under the place it was checked
// for (see inspectProposal in node.ts). Plain objects and BoundedMemo: it runs on Espruino too.
import { equalBytes } from '@meterchain/core';
import type { CheckedBlock } from './chain.ts';
import type { Submission } from './submission.ts';
import { BoundedMemo } from './memo.ts';

export class SharedChecks {
  private readonly signatures: BoundedMemo<{ publicKey: Uint8Array; message: Uint8Array }>;
  /** Judgment-list roots by the hash of the list. */
  readonly listRoots: BoundedMemo<Uint8Array>;
  /** Proposed blocks found valid, by manifest, place and block hash (a few: each holds a whole block). */
  readonly blocks: BoundedMemo<{ body: Uint8Array; block: CheckedBlock }>;
  /** Submissions opened and found validly signed, by manifest and a key of their bytes (see submissionKey): every
   * node of the process receives each one, and decoding and hashing it once is enough. */
  readonly submissions: BoundedMemo<Submission>;
  /** Signatures recorded so far. */
  recorded = 0;

  /** Keeps at most 2·signatures signatures and 2·lists list roots. */
  constructor(limits?: { signatures?: number; lists?: number; blocks?: number; submissions?: number }) {
    this.signatures = new BoundedMemo((limits && limits.signatures) || 16384);
    this.listRoots = new BoundedMemo((limits && limits.lists) || 4096);
    this.blocks = new BoundedMemo((limits && limits.blocks) || 4);
    this.submissions = new BoundedMemo((limits && limits.submissions) || 1024);
  }

  /** True when the signature (in hex, as the node keys its own memory) was found valid on this key and message. */
  recall(signatureHex: string, publicKey: Uint8Array, message: Uint8Array): boolean {
    const hit = this.signatures.get(signatureHex);
    return hit !== undefined && equalBytes(hit.publicKey, publicKey) && equalBytes(hit.message, message);
  }

  /** A submission another node opened and found validly signed: the same bytes, under the same manifest. */
  openedSubmission(manifestKey: string, bytes: Uint8Array): Submission | undefined {
    const hit = this.submissions.get(submissionKey(manifestKey, bytes));
    return hit !== undefined && equalBytes(hit.bytes, bytes) ? hit : undefined;
  }

  /** Records a submission opened and found validly signed. It is kept as it is: open it from bytes of its own (not a
   * view into a larger buffer), and no node may change it. */
  rememberSubmission(manifestKey: string, sub: Submission): void {
    this.submissions.set(submissionKey(manifestKey, sub.bytes), sub);
  }

  /** Records a signature found valid. The bytes are copied: the caller's buffers may be reused. */
  remember(signatureHex: string, publicKey: Uint8Array, message: Uint8Array): void {
    this.recorded++;
    this.signatures.set(signatureHex, { publicKey: new Uint8Array(publicKey), message: new Uint8Array(message) });
  }
}

/** A key for a submission's bytes: the manifest, the length and a 32-bit FNV-1a of the bytes. Two different
 * submissions under one key only replace each other (a hit is taken only for equal bytes). */
function submissionKey(manifestKey: string, bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    // h × 16777619 (the FNV prime) mod 2^32, in shifts and adds (no Math.imul on every target).
    h = (h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24)) >>> 0;
  }
  return manifestKey + ':' + bytes.length + ':' + h;
}

// Walks a chain block by block as the consensus ChainChecker does (epochs, expectations), in one pass: the walk
// every verifier shares, on the main thread (chain-verify.ts) and on worker threads (verify-worker.ts).
import type { Manifest } from '@meterchain/core';
import {
  decodeHeader,
  decodeStoredBlock,
  firstRoundOf,
  inspectBlock,
  type BlockExpectation,
  type BlockFault,
  type BlockVerdict,
  type CheckedBlock,
  type EpochManifest,
  type SignatureCheck,
  type SignatureOracle,
} from './consensus.ts';
import { nodeSha256 } from '@meterchain/crypto';

/** Blocks to check, in chain order, with a name for each place (a file, a record of the log). */
export interface BlockSource {
  readonly count: number;
  /** Bytes of blocks from..to-1; may throw (unreadable file). */
  read(from: number, to: number): Promise<Uint8Array[]>;
  /** Where block `index` lives, for reports: `blocks/00000012.cbor`, `blocks.log record 12 (byte 40960)`. */
  place(index: number): string;
  /** A fault the source found in its own framing (a damaged record, a missing file), at the first such place. */
  damage?: { index: number; fault: string; reason: string; place?: string };
}

export type ChainFault = BlockFault | 'storage' | 'missing';

export type ChainReport =
  | { ok: true; blocks: number; readings: number; signatures: number; height: number; tip: Uint8Array }
  | { ok: false; index: number; height: number; place: string; fault: ChainFault; reason: string; blocks: number };

/** Where a walk stands: what the next block must say, and which epoch it is in. */
export interface WalkerPosition {
  expect: BlockExpectation;
  epoch: number;
  epochStart: number;
  count: number;
}

export interface Step {
  index: number;
  manifest: Manifest;
  expect: BlockExpectation;
  verdict: BlockVerdict;
  checks: SignatureCheck[];
}

/**
 * Walks a chain block by block the way the consensus ChainChecker does (epochs, expectations), but in one pass: the
 * verdict of a block is computed with every signature taken as good, and its signature checks are handed back.
 */
export class ChainWalker {
  readonly #manifests: EpochManifest[];
  #epoch = 0;
  #epochStart = 0;
  #expect: BlockExpectation;
  count = 0;
  readings = 0;
  tip: Uint8Array;

  constructor(manifests: EpochManifest[], from?: WalkerPosition) {
    if (manifests.length === 0) throw new RangeError('chain: expected at least one manifest');
    for (let i = 1; i < manifests.length; i++) {
      if (manifests[i]!.manifest.epoch !== manifests[0]!.manifest.epoch + i) throw new RangeError('chain: manifests must be consecutive epochs in order');
    }
    this.#manifests = manifests;
    this.#expect = from ? from.expect : { height: 0, prev: manifests[0]!.digest, first: 0 };
    this.#epoch = from ? from.epoch : 0;
    this.#epochStart = from ? from.epochStart : 0;
    this.count = from ? from.count : 0;
    this.tip = this.#expect.prev;
  }

  /** The walk's position, to start another walker (in a worker) at the next block. */
  get position(): WalkerPosition {
    return { expect: this.#expect, epoch: this.#epoch, epochStart: this.#epochStart, count: this.count };
  }

  /**
   * Moves past a block on the strength of its header alone (no check at all): how a dispatcher learns where the
   * following blocks must fit. False when the header does not decode or does not fit: nothing after it can be placed.
   */
  skip(bytes: Uint8Array): boolean {
    const s = decodeStoredBlock(bytes);
    if (!s.ok) return false;
    const h = decodeHeader(s.block.header);
    if (!h.ok || h.header.height !== this.#expect.height) return false;
    const cur = this.#manifests[this.#epoch]!;
    let manifest = cur.manifest;
    let newEpoch = false;
    if (h.header.epoch !== cur.manifest.epoch) {
      const next = this.#manifests[this.#epoch + 1];
      if (!next || h.header.epoch !== next.manifest.epoch || this.count === 0) return false;
      manifest = next.manifest;
      newEpoch = true;
    }
    if (newEpoch) {
      this.#epoch++;
      this.#epochStart = h.header.height;
    }
    this.count++;
    this.tip = nodeSha256(s.block.header);
    this.#expect = { height: h.header.height + 1, prev: this.tip, first: firstRoundOf(manifest, h.header.height + 1, this.#epochStart) };
    return true;
  }

  /** Where the next block must fit. */
  get next(): BlockExpectation {
    return this.#expect;
  }

  /**
   * Checks the next block; advances when it holds. Without `oracle`, every signature is taken as good and handed
   * back in `checks`; with one, signatures are judged by it.
   */
  step(index: number, bytes: Uint8Array, oracle?: SignatureOracle): Step {
    const checks: SignatureCheck[] = [];
    const collect =
      oracle ??
      ((c: SignatureCheck): boolean => {
        checks.push(c);
        return true;
      });
    const cur = this.#manifests[this.#epoch]!;
    const failed = (fault: BlockFault, reason: string): Step => ({ index, manifest: cur.manifest, expect: this.#expect, verdict: { ok: false, fault, reason }, checks });
    const s = decodeStoredBlock(bytes);
    if (!s.ok) return failed('malformed', s.reason);
    const h = decodeHeader(s.block.header);
    if (!h.ok) return failed('malformed', h.reason);
    let manifest = cur.manifest;
    let expect = this.#expect;
    let newEpoch = false;
    if (h.header.epoch !== cur.manifest.epoch) {
      const next = this.#manifests[this.#epoch + 1];
      if (!next || h.header.epoch !== next.manifest.epoch || this.count === 0) {
        return failed('epoch', `block of epoch ${h.header.epoch} where epoch ${cur.manifest.epoch} (or the next, with its manifest) is expected`);
      }
      manifest = next.manifest;
      expect = { height: expect.height, prev: expect.prev, first: 0 };
      newEpoch = true;
    }
    const verdict = inspectBlock(manifest, nodeSha256, s.block.header, s.block.body, s.block.commit, expect, collect);
    const step: Step = { index, manifest, expect, verdict, checks };
    if (verdict.ok) this.#advance(verdict.block, newEpoch, manifest);
    return step;
  }

  #advance(b: CheckedBlock, newEpoch: boolean, manifest: Manifest): void {
    if (newEpoch) {
      this.#epoch++;
      this.#epochStart = b.header.height;
    }
    this.count++;
    this.readings += b.submissions.length;
    this.tip = b.hash;
    this.#expect = { height: b.header.height + 1, prev: b.hash, first: firstRoundOf(manifest, b.header.height + 1, this.#epochStart) };
  }
}

// Offline chain verification on both cores: each block is checked once on the main thread with every signature
// taken as good (the consensus checks in order: epoch, height, link, rounds, certificates, Merkle root, summaries,
// commit), while its signatures are verified on libuv's thread pool. A block whose signatures all hold has the
// verdict of that one pass; for a block with a bad signature the check is run again with the real verdicts, so the
// reason named is the one a one-core verifier gives.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Verifier } from '@meterchain/core';
import { nodeVerifier, verifyBatchParallel, nodeSha256, type NodeVerifier } from '@meterchain/crypto';
import { decodeStoredBlock, inspectBlock, type BlockVerdict, type EpochManifest, type SignatureCheck } from './consensus.ts';
import { ChainWalker, type BlockSource, type ChainFault, type ChainReport, type Step } from './chain-walker.ts';

export interface VerifyOptions {
  /**
   * - `single`: one core, synchronous verification (the reference);
   * - `pool`: signatures on libuv's thread pool, everything else on this thread;
   * - `workers`: chunks of blocks checked completely on worker threads (about 0.3 s to start them);
   * - `auto` (default): `workers` for chains of at least 256 blocks, else `pool`.
   */
  mode?: 'single' | 'pool' | 'workers' | 'auto';
  verifier?: NodeVerifier;
  /** Blocks read from the source at once (default 64). */
  readAhead?: number;
}

/** Re-runs the check of one block with real signature verdicts, to name the first bad signature. */
function recheck(step: Step, bytes: Uint8Array, verdicts: boolean[]): BlockVerdict {
  const s = decodeStoredBlock(bytes);
  if (!s.ok) return { ok: false, fault: 'malformed', reason: s.reason };
  let i = 0;
  return inspectBlock(step.manifest, nodeSha256, s.block.header, s.block.body, s.block.commit, step.expect, () => verdicts[i++] === true);
}

interface Batch {
  steps: Step[];
  /** Checks of all steps, concatenated; `ends[k]` is where step k's checks end. */
  ends: number[];
  bytes: Uint8Array[];
  verdicts: Promise<boolean[]>;
}

// Signatures per thread-pool batch, and batches in flight: several batches keep the pool fed (each has its own
// window of in-flight callbacks) while the main thread checks the next blocks.
const BATCH_SIGNATURES = 1024;
const BATCHES_IN_FLIGHT = 6;

/** Verifies every block of `source` against the manifests; names the first bad block. Never throws on bad data. */
export async function verifyBlocks(manifests: EpochManifest[], source: BlockSource, opts: VerifyOptions = {}): Promise<ChainReport> {
  const mode = opts.mode ?? 'auto';
  if (mode === 'workers' || (mode === 'auto' && source.count >= 256)) {
    const { verifyBlocksOnWorkers } = await import('./chain-verify-workers.ts');
    try {
      return await verifyBlocksOnWorkers(manifests, source);
    } catch (e) {
      // Worker threads could not run here (e.g. no TypeScript loader): the thread pool needs nothing to start.
      if (mode === 'workers') throw e;
    }
  }
  const parallel = mode !== 'single';
  const verifier: Verifier = opts.verifier ?? nodeVerifier();
  const readAhead = opts.readAhead ?? 64;
  const walker = new ChainWalker(manifests);
  let signatures = 0;
  const limit = source.damage ? source.damage.index : source.count;
  const inFlight: Batch[] = [];
  let open: Batch = { steps: [], ends: [], bytes: [], verdicts: Promise.resolve([]) };
  let openChecks: SignatureCheck[] = [];
  let failure: ChainReport | undefined;

  const fail = (index: number, height: number, fault: ChainFault, reason: string): ChainReport => ({
    ok: false,
    index,
    height,
    place: source.place(index),
    fault,
    reason,
    blocks: index,
  });

  /** Settles the oldest batch; a bad signature becomes the failure (earlier blocks are all settled by then). */
  const settle = async (): Promise<void> => {
    const b = inFlight.shift()!;
    const verdicts = await b.verdicts;
    let from = 0;
    for (let k = 0; k < b.steps.length; k++) {
      const to = b.ends[k]!;
      for (let j = from; j < to; j++) {
        if (!verdicts[j]) {
          const step = b.steps[k]!;
          const v = recheck(step, b.bytes[k]!, verdicts.slice(from, to));
          const reason = v.ok ? 'a signature does not verify' : v.reason;
          failure = fail(step.index, step.expect.height, v.ok ? 'signature' : v.fault, reason);
          return;
        }
      }
      from = to;
    }
  };

  const launch = (): void => {
    if (open.steps.length === 0) return;
    const checks = openChecks;
    open.verdicts = parallel ? verifyBatchParallel(checks, opts.verifier) : Promise.resolve(checks.map((c) => verifier.verify(c.publicKey, c.message, c.signature)));
    inFlight.push(open);
    open = { steps: [], ends: [], bytes: [], verdicts: Promise.resolve([]) };
    openChecks = [];
  };

  for (let from = 0; from < limit && !failure; from += readAhead) {
    const to = Math.min(limit, from + readAhead);
    let blocks: Uint8Array[];
    try {
      blocks = await source.read(from, to);
    } catch (e) {
      launch();
      while (inFlight.length > 0 && !failure) await settle();
      return failure ?? fail(from, walker.next.height, 'storage', (e as Error).message);
    }
    for (let k = 0; k < blocks.length; k++) {
      const index = from + k;
      const step = walker.step(index, blocks[k]!);
      if (!step.verdict.ok) {
        // Blocks before this one may still hold a bad signature: they come first.
        launch();
        while (inFlight.length > 0 && !failure) await settle();
        return failure ?? fail(index, step.expect.height, step.verdict.fault, step.verdict.reason);
      }
      signatures += step.checks.length;
      open.steps.push(step);
      open.bytes.push(blocks[k]!);
      for (const c of step.checks) openChecks.push(c);
      open.ends.push(openChecks.length);
      if (openChecks.length >= BATCH_SIGNATURES) {
        launch();
        while (inFlight.length >= BATCHES_IN_FLIGHT && !failure) await settle();
        if (failure) break;
      }
      // Let thread-pool completions launch their next verifications while this thread keeps checking.
      if (parallel) await yieldToLoop();
    }
  }
  launch();
  while (inFlight.length > 0 && !failure) await settle();
  if (failure) return failure;
  if (source.damage) {
    const d = source.damage;
    return { ...fail(d.index, walker.next.height, d.fault as ChainFault, d.reason), place: d.place ?? source.place(d.index) } as ChainReport;
  }
  return { ok: true, blocks: walker.count, readings: walker.readings, signatures, height: walker.count - 1, tip: walker.tip };
}

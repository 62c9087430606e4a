// A chain-verification worker: checks chunks of consecutive blocks completely (signatures included, one core),
// starting from the position the dispatcher computed from the headers before them (chain-verify-workers.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { nodeVerifier } from '@meterchain/crypto';
import { ChainWalker, type WalkerPosition } from './chain-walker.ts';
import type { EpochManifest, SignatureCheck } from './consensus.ts';

export interface ChunkJob {
  id: number;
  /** Index of the chunk's first block in the chain. */
  start: number;
  from: WalkerPosition;
  /** The blocks' bytes back to back, and each one's length. */
  bytes: ArrayBuffer;
  lengths: number[];
}

export type ChunkResult =
  | { id: number; ok: true; blocks: number; readings: number; signatures: number }
  | { id: number; ok: false; index: number; height: number; fault: string; reason: string; readings: number; signatures: number };

const manifests = (workerData as { manifests: EpochManifest[] }).manifests;
const verifier = nodeVerifier();

parentPort!.on('message', (job: ChunkJob) => {
  const walker = new ChainWalker(manifests, job.from);
  let readings = 0;
  let signatures = 0;
  const oracle = (c: SignatureCheck): boolean => {
    signatures++;
    return verifier.verify(c.publicKey, c.message, c.signature);
  };
  let at = 0;
  for (let k = 0; k < job.lengths.length; k++) {
    const block = new Uint8Array(job.bytes, at, job.lengths[k]!);
    at += job.lengths[k]!;
    const step = walker.step(job.start + k, block, oracle);
    if (!step.verdict.ok) {
      const result: ChunkResult = { id: job.id, ok: false, index: job.start + k, height: step.expect.height, fault: step.verdict.fault, reason: step.verdict.reason, readings, signatures };
      parentPort!.postMessage(result);
      return;
    }
    readings += step.verdict.block.submissions.length;
  }
  const done: ChunkResult = { id: job.id, ok: true, blocks: job.lengths.length, readings, signatures };
  parentPort!.postMessage(done);
});

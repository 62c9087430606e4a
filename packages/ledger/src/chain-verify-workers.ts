// Chain verification on worker threads: the main thread reads the blocks and places each one from its header alone
// (height, epoch, hash for the next block's link), and hands chunks of consecutive blocks with their starting
// position to workers that check them completely. The first bad block in chain order is reported, with the reason a
// one-core verifier gives. Starting a worker costs about 0.3 s (it loads the sources), so this pays on long chains.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChainWalker, type BlockSource, type ChainFault, type ChainReport, type WalkerPosition } from './chain-walker.ts';
import type { EpochManifest } from './consensus.ts';
import type { ChunkJob, ChunkResult } from './verify-worker.ts';

export interface WorkerVerifyOptions {
  /** Worker threads (default: the machine's available parallelism, at least 2). */
  workers?: number;
  /** Blocks per chunk (default 16). */
  chunk?: number;
}

const READ_AHEAD = 64;

/** Verifies like verifyBlocks; throws when a worker cannot start or dies (the caller may fall back to the pool). */
export async function verifyBlocksOnWorkers(manifests: EpochManifest[], source: BlockSource, opts: WorkerVerifyOptions = {}): Promise<ChainReport> {
  const count = Math.max(2, opts.workers ?? availableParallelism());
  const chunkSize = opts.chunk ?? 16;
  const workers: Worker[] = [];
  const outstanding: number[] = [];
  const waiting = new Map<number, (r: ChunkResult) => void>();
  let workerError: Error | undefined;
  for (let i = 0; i < count; i++) {
    const w = new Worker(new URL('./verify-worker.mjs', import.meta.url), { workerData: { manifests } });
    w.on('message', (r: ChunkResult) => {
      outstanding[i]!--;
      const resolve = waiting.get(r.id);
      waiting.delete(r.id);
      resolve?.(r);
    });
    w.on('error', (e) => {
      workerError ??= e;
      for (const resolve of waiting.values()) resolve({ id: -1, ok: false, index: -1, height: -1, fault: 'storage', reason: e.message, readings: 0, signatures: 0 });
      waiting.clear();
    });
    workers.push(w);
    outstanding.push(0);
  }

  const results: Promise<ChunkResult>[] = [];
  const dispatch = (start: number, from: WalkerPosition, blocks: Uint8Array[]): void => {
    let total = 0;
    for (const b of blocks) total += b.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const b of blocks) {
      bytes.set(b, at);
      at += b.length;
    }
    let pick = 0;
    for (let i = 1; i < workers.length; i++) if (outstanding[i]! < outstanding[pick]!) pick = i;
    const job: ChunkJob = { id: results.length, start, from, bytes: bytes.buffer, lengths: blocks.map((b) => b.length) };
    results.push(new Promise((resolve) => waiting.set(job.id, resolve)));
    outstanding[pick]!++;
    workers[pick]!.postMessage(job, [bytes.buffer]);
  };

  const placer = new ChainWalker(manifests);
  const limit = source.damage ? source.damage.index : source.count;
  let settled = 0;
  let readings = 0;
  let signatures = 0;
  let failure: ChainReport | undefined;
  const fail = (index: number, height: number, fault: ChainFault, reason: string): ChainReport => ({ ok: false, index, height, place: source.place(index), fault, reason, blocks: index });

  /** Takes the oldest chunk's result: sums it, or keeps its failure (every earlier chunk was good). */
  const settle = async (): Promise<void> => {
    const r = await results[settled++]!;
    readings += r.readings;
    signatures += r.signatures;
    if (workerError) throw workerError;
    if (!r.ok) failure = fail(r.index, r.height, r.fault as ChainFault, r.reason);
  };

  let stoppedAt = -1;
  try {
    let chunk: Uint8Array[] = [];
    let chunkStart = 0;
    let chunkFrom = placer.position;
    for (let from = 0; from < limit && stoppedAt < 0 && !failure; from += READ_AHEAD) {
      let blocks: Uint8Array[];
      try {
        blocks = await source.read(from, Math.min(limit, from + READ_AHEAD));
      } catch (e) {
        if (chunk.length > 0) dispatch(chunkStart, chunkFrom, chunk);
        chunk = [];
        while (settled < results.length && !failure) await settle();
        return failure ?? fail(from, placer.next.height, 'storage', (e as Error).message);
      }
      for (let k = 0; k < blocks.length; k++) {
        chunk.push(blocks[k]!);
        // A block whose header does not fit ends the dispatch: its chunk's worker names what is wrong with it.
        if (!placer.skip(blocks[k]!)) stoppedAt = from + k;
        if (chunk.length === chunkSize || stoppedAt >= 0) {
          dispatch(chunkStart, chunkFrom, chunk);
          chunk = [];
          chunkStart = from + k + 1;
          chunkFrom = placer.position;
          while (results.length - settled >= 2 * workers.length && !failure) await settle();
        }
        if (stoppedAt >= 0 || failure) break;
      }
    }
    if (chunk.length > 0 && !failure) dispatch(chunkStart, chunkFrom, chunk);
    while (settled < results.length && !failure) await settle();
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (workerError) throw workerError;
  if (failure) return failure;
  if (stoppedAt >= 0) return fail(stoppedAt, placer.next.height, 'malformed', 'the block header does not fit the chain');
  if (source.damage) {
    const d = source.damage;
    return { ...fail(d.index, placer.next.height, d.fault as ChainFault, d.reason), place: d.place ?? source.place(d.index) } as ChainReport;
  }
  return { ok: true, blocks: placer.count, readings, signatures, height: placer.count - 1, tip: placer.tip };
}

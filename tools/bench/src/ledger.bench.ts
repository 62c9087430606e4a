// The ledger's figures next to the raw limits measured in the same run:
// - offline chain verification (readings/s) on one core and on the thread pool, on a chain the simulator committed
//   (≥ 100,000 readings in a full run; cached under .cache/bench), against raw node:crypto verifications/s;
// - appends/s to the block store with fdatasync per append, alone and with overlapping appends (group commit),
//   against a raw write + fdatasync loop of the same bytes;
// - bytes on disk per accepted reading.
import { closeSync, existsSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createPublicKey, verify as rawVerify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Domain, signingInput, verifyManifest } from '@meterchain/core';
import { createNodeSigner, nodeVerifier, verifyBatchParallel } from '@meterchain/crypto';
import { BLOCKS_FILE, BlockStore, ChainStore, INDEX_FILE, META_FILE, blockFileName, openChain, verifyBlocks } from '@meterchain/ledger';
import { generateChain, writeChainFiles } from '@meterchain/ledger/testing';
import { simulate } from '@meterchain/testkit';
import { opsPerSecond, opsPerSecondAsync, ratioRow, type BenchOptions, type BenchRow } from './harness.ts';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The chain to verify: the simulator's (7 meters, bft) in a full run, a generated one in a quick run. Cached. */
async function benchChain(quick: boolean): Promise<{ dir: string; made: string }> {
  const rounds = 15000;
  const dir = resolve('.cache', 'bench', quick ? 'ledger-generated-7x800' : `ledger-sim-7x${rounds}`);
  if (existsSync(join(dir, 'complete'))) return { dir, made: 'cached' };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'blocks'), { recursive: true });
  if (quick) {
    writeChainFiles(dir, generateChain({ blocks: 80, members: 7, rule: 'bft', blockRounds: 10, seed: 3 }));
  } else {
    // What `meterchain sim --meters 7 --rounds 15000 --rule bft --out DIR` writes.
    const result = simulate({ meters: 7, rounds, rule: 'bft', seed: 1 });
    writeFileSync(join(dir, 'manifest.cbor'), result.manifest);
    result.blocks.forEach((b, h) => writeFileSync(join(dir, 'blocks', blockFileName(h)), b));
  }
  writeFileSync(join(dir, 'complete'), '');
  return { dir, made: 'generated now' };
}

async function verifyRate(dir: string, manifests: Parameters<typeof verifyBlocks>[0], mode: 'single' | 'pool' | 'workers'): Promise<{ readings: number; signatures: number; seconds: number }> {
  const chain = await openChain(dir);
  const started = performance.now();
  const r = await verifyBlocks(manifests, chain.source, { mode });
  const seconds = (performance.now() - started) / 1000;
  await chain.close();
  if (!r.ok) throw new Error(`ledger bench: the bench chain does not verify: ${r.place}: ${r.reason}`);
  return { readings: r.readings, signatures: r.signatures, seconds };
}

function dirBytes(dir: string, names: string[]): number {
  let total = 0;
  for (const n of names) if (existsSync(join(dir, n))) total += statSync(join(dir, n)).size;
  return total;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { dir, made } = await benchChain(opts.quick);
  const manifestBytes = new Uint8Array(readFileSync(join(dir, 'manifest.cbor')));
  const mv = verifyManifest(manifestBytes, nodeVerifier());
  if (!mv.ok) throw new Error(`ledger bench: ${mv.reason}`);
  const manifests = [{ manifest: mv.manifest, digest: mv.digest }];
  const probe = await openChain(dir);
  const blockCount = probe.source.count;
  await probe.close();

  // Raw limits: node:crypto verify with a cached KeyObject on a vote-sized message, on one core and on the thread
  // pool (how much parallelism the machine gives right now: on a shared machine another tenant can take a core).
  const signer = createNodeSigner(new Uint8Array(32).fill(9));
  const message = signingInput(Domain.VOTE, new Uint8Array(120).fill(7));
  const signature = signer.sign(message);
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, signer.publicKey]), format: 'der', type: 'spki' });
  const batch = Array.from({ length: 2048 }, () => ({ publicKey: signer.publicKey, message, signature }));
  const rawMs = opts.quick ? 300 : 1000;

  // Chain verification: one core, thread pool and worker threads in turn, each round after fresh raw limits; every
  // figure keeps its best round, so a burst of load from elsewhere cannot land on one side only.
  const best = { single: { readings: 0, signatures: 0, seconds: Infinity }, pool: { readings: 0, signatures: 0, seconds: Infinity }, workers: { readings: 0, signatures: 0, seconds: Infinity } };
  let rawVerifyRate = 0;
  let rawPoolRate = 0;
  const rounds = 2;
  for (let i = 0; i < rounds; i++) {
    rawVerifyRate = Math.max(rawVerifyRate, opsPerSecond(() => rawVerify(null, message, key, signature), rawMs));
    rawPoolRate = Math.max(rawPoolRate, await opsPerSecondAsync(() => verifyBatchParallel(batch), rawMs, batch.length));
    for (const mode of ['single', 'pool', 'workers'] as const) {
      const r = await verifyRate(dir, manifests, mode);
      if (r.seconds < best[mode].seconds) best[mode] = r;
    }
  }
  const rate = (m: keyof typeof best): number => best[m].readings / best[m].seconds;
  const single = best.single;
  rows.push({ name: 'raw node:crypto Ed25519 verify, one core', value: rawVerifyRate, unit: 'verifications/s' });
  rows.push(ratioRow('raw node:crypto Ed25519 verify, thread pool (all cores)', rawPoolRate, 'verifications/s', 'raw verify, one core', rawVerifyRate, undefined, 'the parallelism the machine gave in this run'));
  const chainNote = `${single.readings.toLocaleString('en-US')} readings, ${(single.signatures / single.readings).toFixed(2)} signatures per reading, ${opts.quick ? 'generated' : 'simulator'} chain (${made})`;
  rows.push(ratioRow('chain verify, one core', rate('single'), 'readings/s', 'raw verify, one core (in signatures/s)', rawVerifyRate, undefined, chainNote));
  // The target applies to the mode `chain verify` picks for this chain (workers from 256 blocks, else the pool).
  const auto = blockCount >= 256 ? 'workers' : 'pool';
  rows.push(ratioRow('chain verify, thread pool for signatures (used below 256 blocks)', rate('pool'), 'readings/s', 'chain verify, one core', rate('single'), auto === 'pool' ? 1.5 : undefined, `best of ${rounds} runs each`));
  rows.push(ratioRow('chain verify, worker threads (used from 256 blocks)', rate('workers'), 'readings/s', 'chain verify, one core', rate('single'), auto === 'workers' ? 1.5 : undefined, `best of ${rounds} runs each, worker start-up included`));
  rows.push(ratioRow('chain verify, worker threads: signatures checked', best.workers.signatures / best.workers.seconds, 'signatures/s', 'raw verify, thread pool', rawPoolRate));

  // Appends with fdatasync per append, on blocks of the bench chain.
  const chain = await openChain(dir);
  const sample = await chain.source.read(0, Math.min(chain.source.count, 400));
  await chain.close();
  const work = mkdtempSync(join(tmpdir(), 'meterchain-bench-ledger-'));
  const ms = opts.quick ? 400 : 1500;
  try {
    const rawFile = join(work, 'raw.bin');
    const fd = openSync(rawFile, 'w');
    let k = 0;
    const rawRate = opsPerSecond(() => {
      writeSync(fd, sample[k++ % sample.length]!);
      fdatasyncSync(fd);
    }, ms);
    closeSync(fd);

    const { store } = await BlockStore.open(join(work, 'seq'));
    let appended = 0;
    let started = performance.now();
    while (performance.now() - started < ms) await store.append(sample[appended++ % sample.length]!);
    const seqRate = (appended * 1000) / (performance.now() - started);
    appended = 0;
    started = performance.now();
    while (performance.now() - started < ms) {
      await Promise.all(sample.slice(0, 8).map((b) => store.append(b)));
      appended += 8;
    }
    const groupRate = (appended * 1000) / (performance.now() - started);
    await store.close();
    rows.push({ name: 'raw write + fdatasync of one block', value: rawRate, unit: 'writes/s', note: `mean block ${Math.round(sample.reduce((a, b) => a + b.length, 0) / sample.length)} B` });
    rows.push(ratioRow('block store append, fdatasync per append', seqRate, 'appends/s', 'raw write + fdatasync', rawRate, undefined, 'one append at a time: each resolves after its own fdatasync'));
    rows.push(ratioRow('block store append, 8 overlapping (group commit)', groupRate, 'appends/s', 'raw write + fdatasync', rawRate, undefined, 'appends made during a sync share the next one'));

    // Bytes on disk per accepted reading: the whole chain in a store, against the block bytes themselves.
    const storeDir = join(work, 'chain');
    const full = await openChain(dir);
    const { store: chainStore } = await ChainStore.open(storeDir, { genesis: mv.digest });
    let blockBytes = 0;
    for (let from = 0; from < full.source.count; from += 64) {
      const blocks = await full.source.read(from, Math.min(full.source.count, from + 64));
      for (const b of blocks) blockBytes += b.length;
      await Promise.all(blocks.map((b) => chainStore.append(b)));
    }
    await full.close();
    await chainStore.close();
    const onDisk = dirBytes(storeDir, [BLOCKS_FILE, INDEX_FILE, META_FILE]);
    const index = dirBytes(storeDir, [INDEX_FILE]);
    rows.push(ratioRow('bytes on disk per accepted reading', onDisk / single.readings, 'B', 'block bytes per reading', blockBytes / single.readings, undefined, `log framing 12 B/block, index ${(index / single.readings).toFixed(1)} B/reading; lower is better`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

// The long tamper sweep: `npx tsx packages/ledger/scripts/flip-sweep.ts [--blocks 6]`. Flips every byte of one block
// file and every byte of a whole block store (each with two masks, 0x01 and 0xff) and checks that `chain verify`
// fails every time and names the damaged block. Prints the figures as JSON; exits 1 on any miss.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyManifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { BLOCKS_FILE, openChain, verifyBlocks, type ChainReport } from '../src/index.ts';
import { generateChain, writeChainFiles, writeChainStore } from '../src/testing/index.ts';

const { values } = parseArgs({ options: { blocks: { type: 'string' } } });
const chain = generateChain({ blocks: Number(values.blocks ?? 6), members: 4, rule: 'bft', blockRounds: 2, seed: 21, rejectEvery: 7, evidenceAt: [1] });
const v = verifyManifest(chain.manifest, nodeVerifier());
if (!v.ok) throw new Error(v.reason);
const manifests = [{ manifest: v.manifest, digest: v.digest }];
const work = mkdtempSync(join(tmpdir(), 'meterchain-sweep-'));

async function verify(dir: string): Promise<ChainReport> {
  const c = await openChain(dir);
  try {
    return await verifyBlocks(manifests, c.source, { mode: 'pool' });
  } finally {
    await c.close();
  }
}

async function sweep(file: string, dir: string, placeOk: (place: string) => boolean): Promise<{ positions: number; flips: number; missed: string[] }> {
  const original = readFileSync(file);
  const missed: string[] = [];
  let flips = 0;
  for (let p = 0; p < original.length; p++) {
    for (const mask of [0x01, 0xff]) {
      const bytes = Buffer.from(original);
      bytes[p]! ^= mask;
      writeFileSync(file, bytes);
      const r = await verify(dir);
      flips++;
      if (r.ok || !placeOk(r.place)) missed.push(`byte ${p} ^ ${mask}: ${r.ok ? 'verified' : r.place}`);
    }
  }
  writeFileSync(file, original);
  return { positions: original.length, flips, missed };
}

const started = performance.now();
const filesDir = join(work, 'files');
writeChainFiles(filesDir, chain);
const target = 'blocks/00000002.cbor';
const files = await sweep(join(filesDir, target), filesDir, (place) => place === target);
const storeDir = join(work, 'store');
await writeChainStore(storeDir, chain);
const store = await sweep(join(storeDir, BLOCKS_FILE), storeDir, (place) => /^blocks\.log (record \d+ \(byte \d+\)|header)/.test(place));
const untouched = await verify(storeDir);
rmSync(work, { recursive: true, force: true });
const result = {
  blockFile: { file: target, ...files, missed: files.missed.slice(0, 20), missedCount: files.missed.length },
  store: { file: BLOCKS_FILE, blocks: chain.blocks.length, ...store, missed: store.missed.slice(0, 20), missedCount: store.missed.length },
  untouchedVerifies: untouched.ok,
  seconds: (performance.now() - started) / 1000,
};
console.log(JSON.stringify(result, null, 2));
process.exitCode = files.missed.length === 0 && store.missed.length === 0 && untouched.ok ? 0 : 1;

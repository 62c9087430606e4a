import { afterAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCKS_FILE, ChainStore, RecordLog, openChain, storedBlockKeys, verifyBlocks, type ChainReport } from '@meterchain/ledger';
import { writeChainFiles, writeChainStore } from '@meterchain/ledger/testing';
import { nodeVerifier } from '@meterchain/crypto';
import { decodeStoredBlock, verifyChain } from '../src/consensus.ts';
import { nodeSha256 } from '@meterchain/crypto';
import { manifestsOf, smallChain } from './support/chain.ts';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

async function verifyDir(dir: string, mode: 'single' | 'pool' | 'workers' = 'pool'): Promise<ChainReport> {
  const chain = await openChain(dir);
  try {
    return await verifyBlocks(manifestsOf(smallChain()), chain.source, { mode });
  } finally {
    await chain.close();
  }
}

function filesDir(): string {
  const dir = tempDir('files');
  writeChainFiles(dir, smallChain());
  return dir;
}

async function storeDir(): Promise<string> {
  const dir = tempDir('store');
  await writeChainStore(dir, smallChain());
  return dir;
}

/** Positions spread over a file: both ends, every `step`-th byte, and a few seeded ones. */
function samplePositions(length: number, count: number): number[] {
  const out = new Set<number>([0, 1, length - 1, length - 2]);
  const step = Math.max(1, Math.floor(length / count));
  for (let i = 0; i < length; i += step) out.add(i);
  let x = 12345;
  for (let i = 0; i < 16; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.add(x % length);
  }
  return [...out].sort((a, b) => a - b);
}

describe('verifyBlocks on untouched chains', () => {
  test('a directory of block files verifies, with every reading and signature counted', async () => {
    const r = await verifyDir(filesDir());
    expect(r).toMatchObject({ ok: true, blocks: 12, height: 11, readings: smallChain().readings });
  });

  test('a block store holding the same chain verifies with the same figures', async () => {
    const a = await verifyDir(filesDir());
    const b = await verifyDir(await storeDir());
    expect(b).toEqual(a);
  });

  test('one core, the thread pool and worker threads give the same report', async () => {
    const dir = filesDir();
    const one = await verifyDir(dir, 'single');
    expect(await verifyDir(dir, 'pool')).toEqual(one);
    expect(await verifyDir(dir, 'workers')).toEqual(one);
  });

  test('a directory that holds no chain is unusable input', async () => {
    await expect(openChain(tempDir('empty'))).rejects.toMatchObject({ code: 'unusable' });
  });
});

describe('verifyBlocks names the first bad block', () => {
  test('flipping any sampled byte of a block file fails at that file', async () => {
    const dir = filesDir();
    const file = join(dir, 'blocks', '00000005.cbor');
    const original = readFileSync(file);
    const positions = samplePositions(original.length, 80);
    const missed: number[] = [];
    for (const p of positions) {
      const bytes = Buffer.from(original);
      bytes[p]! ^= 0x01;
      writeFileSync(file, bytes);
      const r = await verifyDir(dir);
      if (r.ok || r.place !== 'blocks/00000005.cbor') missed.push(p);
    }
    writeFileSync(file, original);
    expect(missed).toEqual([]);
    expect(positions.length).toBeGreaterThan(80);
  });

  test('flipping any sampled byte of a block store fails and names the record', async () => {
    const dir = await storeDir();
    const file = join(dir, BLOCKS_FILE);
    const original = readFileSync(file);
    const missed: number[] = [];
    for (const p of samplePositions(original.length, 100)) {
      const bytes = Buffer.from(original);
      bytes[p]! ^= 0x80;
      writeFileSync(file, bytes);
      const r = await verifyDir(dir);
      if (r.ok || !/^blocks\.log (record \d+ \(byte \d+\)|header \(bytes 0\.\.15\))$/.test(r.place)) missed.push(p);
    }
    writeFileSync(file, original);
    expect(missed).toEqual([]);
  });

  test('a deleted block file is named as missing', async () => {
    const dir = filesDir();
    rmSync(join(dir, 'blocks', '00000004.cbor'));
    const r = await verifyDir(dir);
    expect(r).toMatchObject({ ok: false, index: 4, fault: 'missing', place: 'blocks/00000004.cbor', blocks: 4 });
  });

  test('two block files swapped fail at the first of them', async () => {
    const dir = filesDir();
    const a = join(dir, 'blocks', '00000006.cbor');
    const b = join(dir, 'blocks', '00000007.cbor');
    renameSync(a, `${a}.tmp`);
    renameSync(b, a);
    renameSync(`${a}.tmp`, b);
    const r = await verifyDir(dir);
    expect(r).toMatchObject({ ok: false, index: 6, fault: 'height', place: 'blocks/00000006.cbor' });
  });

  test('a block removed from the middle of a store fails at its place', async () => {
    const dir = await storeDir();
    const { log } = await RecordLog.open(join(dir, BLOCKS_FILE), { readOnly: true });
    const blocks = await log.readRange(0, log.count);
    await log.close();
    rmSync(join(dir, BLOCKS_FILE));
    rmSync(join(dir, 'index.log'));
    const { log: rewritten } = await RecordLog.open(join(dir, BLOCKS_FILE));
    await rewritten.appendMany(blocks.filter((_, i) => i !== 3));
    await rewritten.close();
    const r = await verifyDir(dir);
    expect(r).toMatchObject({ ok: false, index: 3, height: 3, fault: 'height' });
    expect(r.ok ? '' : r.place).toMatch(/^blocks\.log record 3 /);
  });

  test('two blocks of a store swapped fail at the first of them', async () => {
    const dir = await storeDir();
    const { log } = await RecordLog.open(join(dir, BLOCKS_FILE), { readOnly: true });
    const blocks = await log.readRange(0, log.count);
    await log.close();
    [blocks[8], blocks[9]] = [blocks[9]!, blocks[8]!];
    rmSync(join(dir, BLOCKS_FILE));
    const { log: rewritten } = await RecordLog.open(join(dir, BLOCKS_FILE));
    await rewritten.appendMany(blocks);
    await rewritten.close();
    expect(await verifyDir(dir)).toMatchObject({ ok: false, index: 8, fault: 'height' });
  });

  test('a store that lost its last blocks fails against its durable mark', async () => {
    const dir = await storeDir();
    const { log } = await RecordLog.open(join(dir, BLOCKS_FILE), { readOnly: true });
    const blocks = await log.readRange(0, log.count);
    await log.close();
    rmSync(join(dir, BLOCKS_FILE));
    const { log: rewritten } = await RecordLog.open(join(dir, BLOCKS_FILE));
    await rewritten.appendMany(blocks.slice(0, 10));
    await rewritten.close();
    expect(await verifyDir(dir)).toMatchObject({ ok: false, index: 10, fault: 'missing' });
  });

  test('a bad signature is named the same way on one core, the thread pool and worker threads', async () => {
    const dir = filesDir();
    const file = join(dir, 'blocks', '00000002.cbor');
    const bytes = readFileSync(file);
    const stored = decodeStoredBlock(new Uint8Array(bytes));
    if (!stored.ok) throw new Error(stored.reason);
    bytes[bytes.indexOf(Buffer.from(stored.block.commit.votes[1]!.sig)) + 10]! ^= 0x04;
    writeFileSync(file, bytes);
    const one = await verifyDir(dir, 'single');
    const pool = await verifyDir(dir, 'pool');
    expect(pool).toEqual(one);
    expect(await verifyDir(dir, 'workers')).toEqual(one);
    expect(pool).toMatchObject({ ok: false, index: 2, fault: 'commit', reason: `signature of voter ${stored.block.commit.votes[1]!.voter} does not verify` });
  });
});

describe('verifyBlocks agrees with the consensus verifyChain', () => {
  test('on the untouched chain and on blocks damaged at sampled places, fault and reason included', async () => {
    const chain = smallChain();
    const manifests = manifestsOf(chain);
    const verifier = nodeVerifier();
    const cases: Uint8Array[][] = [chain.blocks];
    for (const [height, at] of [[0, 40], [3, 700], [5, 1500], [7, 3000], [11, 100]] as const) {
      const blocks = chain.blocks.slice();
      const b = blocks[height]!.slice();
      b[Math.min(at, b.length - 1)]! ^= 0x10;
      blocks[height] = b;
      cases.push(blocks);
    }
    for (const blocks of cases) {
      const expected = verifyChain(manifests, blocks, verifier, nodeSha256);
      const source = { count: blocks.length, read: async (f: number, t: number) => blocks.slice(f, t), place: (i: number) => `#${i}` };
      for (const mode of ['single', 'pool', 'workers'] as const) {
        const r = await verifyBlocks(manifests, source, { mode });
        if (expected.ok) expect(r).toMatchObject({ ok: true, blocks: expected.blocks, readings: expected.readings, tip: expected.tip });
        else expect(r).toMatchObject({ ok: false, index: expected.index, height: expected.height, fault: expected.fault, reason: expected.reason });
      }
    }
  });
});

describe('ChainStore', () => {
  test('refuses a block that does not link to the stored tip', async () => {
    const chain = smallChain();
    const dir = tempDir('store');
    const { store } = await ChainStore.open(dir);
    await store.append(chain.blocks[0]!);
    await expect(store.append(chain.blocks[2]!)).rejects.toMatchObject({ code: 'out-of-order' });
    await store.append(chain.blocks[1]!);
    expect(store.nextHeight).toBe(2);
    await store.close();
  });

  test('a block appended with the readings its committer names is indexed as one whose readings are read from it, and survives reopening', async () => {
    const chain = smallChain();
    const manifest = manifestsOf(chain)[0]!.manifest;
    const dir = tempDir('given-keys');
    const { store } = await ChainStore.open(dir);
    for (const block of chain.blocks) await store.append(block, storedBlockKeys(block).readings);
    const read = await ChainStore.open(await storeDir());
    const lookups = (st: ChainStore) => manifest.members.flatMap((m) => Array.from({ length: 30 }, (_, seq) => st.locate(m.address, seq)));
    expect(lookups(store)).toEqual(lookups(read.store));
    expect(lookups(store).filter(Boolean).length).toBeGreaterThan(20);
    await store.close();
    await read.store.close();
    const reopened = await ChainStore.open(dir);
    expect(lookups(reopened.store)).toEqual(lookups(store));
    await reopened.store.close();
  });

  test('finds a committed reading by meter and sequence number', async () => {
    const dir = await storeDir();
    const { store } = await ChainStore.open(dir);
    const manifest = manifestsOf(smallChain())[0]!.manifest;
    const at = store.locate(manifest.members[1]!.address, 9);
    expect(at?.height).toBe(4);
    expect(store.locate(manifest.members[1]!.address, 999)).toBeUndefined();
    await store.close();
    expect(readdirSync(dir)).toContain('index.log');
  });
});

import { afterAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from '@meterchain/core';
import { BLOCKS_FILE, BlockStore, INDEX_FILE, type KeysOf } from '@meterchain/ledger';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

const METER_A = new Uint8Array(20).fill(0xaa);
const METER_B = new Uint8Array(20).fill(0xbb);

/** A stand-in block: its height and the (meter, seq) of its readings, as CBOR. */
function block(height: number, seqs: number[]): Uint8Array {
  return encode({ h: height, r: seqs.map((s) => [s % 2 === 0 ? METER_A : METER_B, s]) });
}

const keysOf: KeysOf = (record) => {
  const d = decode(record);
  if (!d.ok) throw new Error(d.reason);
  const v = d.value as { h: number; r: [Uint8Array, number][] };
  return { height: v.h, readings: v.r.map(([meter, seq]) => ({ meter, seq })) };
};

async function storeWith(blocks: number, firstHeight = 1): Promise<string> {
  const dir = tempDir('store');
  const { store } = await BlockStore.open(dir, { keysOf });
  for (let i = 0; i < blocks; i++) await store.append(block(firstHeight + i, [3 * i, 3 * i + 1, 3 * i + 2]));
  await store.close();
  return dir;
}

describe('BlockStore', () => {
  test('blocks are found by height after reopening', async () => {
    const dir = await storeWith(4);
    const { store, recovery } = await BlockStore.open(dir, { keysOf });
    expect(recovery.index).toBe('loaded');
    expect([store.firstHeight, store.lastHeight, store.count]).toEqual([1, 4, 4]);
    expect(await store.get(3)).toEqual(block(3, [6, 7, 8]));
    expect(await store.get(0)).toBeUndefined();
    expect(await store.get(5)).toBeUndefined();
    await store.close();
  });

  test('a reading is located by meter address and sequence number', async () => {
    const dir = await storeWith(3);
    const { store } = await BlockStore.open(dir, { keysOf });
    expect(store.locate(METER_B, 7)).toEqual({ height: 3, leaf: 1 });
    expect(store.locate(METER_A, 7)).toBeUndefined();
    expect(store.readingCount).toBe(9);
    await store.close();
  });

  test('a block whose height does not follow is refused with code out-of-order', async () => {
    const dir = tempDir('store');
    const { store } = await BlockStore.open(dir, { keysOf });
    await store.append(block(10, []));
    await expect(store.append(block(12, []))).rejects.toMatchObject({ code: 'out-of-order' });
    await expect(store.append(block(10, []))).rejects.toMatchObject({ code: 'out-of-order' });
    await store.append(block(11, []));
    expect(store.lastHeight).toBe(11);
    await store.close();
  });

  test('a deleted index is rebuilt from the log', async () => {
    const dir = await storeWith(3);
    rmSync(join(dir, INDEX_FILE));
    const { store, recovery } = await BlockStore.open(dir, { keysOf });
    expect(recovery.index).toBe('rebuilt');
    expect(store.locate(METER_A, 8)).toEqual({ height: 3, leaf: 2 });
    await store.close();
    const again = await BlockStore.open(dir, { keysOf });
    expect(again.recovery.index).toBe('loaded');
    await again.store.close();
  });

  test('an index that lost its tail is extended by scanning only the rest of the log', async () => {
    const dir = await storeWith(5);
    const index = readFileSync(join(dir, INDEX_FILE));
    writeFileSync(join(dir, INDEX_FILE), index.subarray(0, Math.floor(index.length / 2)));
    const { store, recovery } = await BlockStore.open(dir, { keysOf });
    expect(recovery.index).toBe('extended');
    expect(recovery.scanned).toBeLessThan(5);
    expect(recovery.scanned).toBeGreaterThan(0);
    expect(store.locate(METER_A, 14)).toEqual({ height: 5, leaf: 2 });
    await store.close();
  });

  test('an index that names offsets the log does not hold is discarded and rebuilt', async () => {
    const dir = await storeWith(3);
    const other = await storeWith(6);
    writeFileSync(join(dir, INDEX_FILE), readFileSync(join(other, INDEX_FILE)));
    const { store, recovery } = await BlockStore.open(dir, { keysOf });
    expect(recovery.index).toBe('rebuilt');
    expect(store.count).toBe(3);
    expect(store.locate(METER_A, 14)).toBeUndefined();
    await store.close();
  });

  test('opened without the reading index, a store holds none in memory, still writes index.log, and says so on a lookup', async () => {
    const dir = await storeWith(2);
    const { store } = await BlockStore.open(dir, { keysOf, indexReadings: false });
    await store.append(block(3, [6, 7, 8]));
    expect(() => store.locate(METER_A, 6)).toThrow(expect.objectContaining({ code: 'no-reading-index' }));
    expect(() => store.readingCount).toThrow(/opened without the reading index/);
    await store.close();
    // Whoever opens it later with the index finds the readings appended without it.
    const again = await BlockStore.open(dir, { keysOf });
    expect(again.recovery.index).toBe('loaded');
    expect(again.store.locate(METER_B, 7)).toEqual({ height: 3, leaf: 1 });
    expect(again.store.readingCount).toBe(9);
    await again.store.close();
  });

  test('a torn tail after the durable mark is cut off and the store goes on from there', async () => {
    const dir = await storeWith(2);
    appendFileSync(join(dir, BLOCKS_FILE), Buffer.from([0, 0, 0, 50, 7, 7, 7]));
    const { store, recovery } = await BlockStore.open(dir, { keysOf });
    expect(recovery).toMatchObject({ records: 2, cutBytes: 7 });
    await store.append(block(3, [100]));
    await store.close();
    const again = await BlockStore.open(dir, { keysOf });
    expect(again.store.locate(METER_A, 100)).toEqual({ height: 3, leaf: 0 });
    await again.store.close();
  });

  test('a damaged block below the durable mark refuses a full-scan open with code corrupt', async () => {
    const dir = await storeWith(3);
    const bytes = readFileSync(join(dir, BLOCKS_FILE));
    bytes[30]! ^= 1;
    writeFileSync(join(dir, BLOCKS_FILE), bytes);
    await expect(BlockStore.open(dir, { keysOf, scan: 'full' })).rejects.toMatchObject({ code: 'corrupt' });
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });

  test('a damaged block the index covers is found when it is read', async () => {
    const dir = await storeWith(3);
    const bytes = readFileSync(join(dir, BLOCKS_FILE));
    bytes[30]! ^= 1;
    writeFileSync(join(dir, BLOCKS_FILE), bytes);
    const { store } = await BlockStore.open(dir, { keysOf });
    await expect(store.get(1)).rejects.toMatchObject({ code: 'corrupt' });
    expect(await store.get(2)).toEqual(block(2, [3, 4, 5]));
    await store.close();
  });

  test('a second process-level open of a held directory is refused with code locked', async () => {
    const dir = await storeWith(1);
    const { store } = await BlockStore.open(dir, { keysOf });
    writeFileSync(join(dir, 'LOCK'), '1\n'); // pid 1 is always alive
    await expect(BlockStore.open(dir, { keysOf })).rejects.toMatchObject({ code: 'locked' });
    await store.close();
  });

  test('a lock left by a process that no longer runs is taken over', async () => {
    const dir = await storeWith(1);
    writeFileSync(join(dir, 'LOCK'), '2147483646\n');
    const { store } = await BlockStore.open(dir, { keysOf });
    expect(store.count).toBe(1);
    await store.close();
  });

  test('read-only opening neither locks nor writes', async () => {
    const dir = await storeWith(2);
    appendFileSync(join(dir, BLOCKS_FILE), Buffer.from([0, 0]));
    const size = statSync(join(dir, BLOCKS_FILE)).size;
    const { store } = await BlockStore.open(dir, { keysOf, readOnly: true });
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    expect(store.count).toBe(2);
    await store.close();
    expect(statSync(join(dir, BLOCKS_FILE)).size).toBe(size);
  });
});

// The on-disk spool: order, acknowledgement, survival across close and crash, torn tails, locking, limits.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from '@meterchain/core';
import { Spool, type SpoolOptions } from '../src/index.ts';

let dir: string;
let open: Spool[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meterchain-spool-'));
});
afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
  await rm(dir, { recursive: true, force: true });
});

async function spool(options: Partial<SpoolOptions> = {}): Promise<Spool> {
  const s = await Spool.open({ dir, ...options });
  open.push(s);
  return s;
}

async function closeAll(): Promise<void> {
  await Promise.all(open.map((s) => s.close()));
  open = [];
}

const payload = (n: number, size = 3): Uint8Array => new Uint8Array(size).fill(n);
const summary = (records: Array<{ topic: string; payload: Uint8Array }>): Array<[string, number]> => records.map((r) => [r.topic, r.payload[0]!]);

describe('Spool', () => {
  test('hands out appended records in order, with their topics and payloads', async () => {
    const s = await spool();
    await Promise.all([s.append('t/a', payload(1)), s.append('t/b', payload(2)), s.append('t/a', payload(3))]);
    expect(summary(await s.take(10))).toEqual([['t/a', 1], ['t/b', 2], ['t/a', 3]]);
    expect(await s.take(10)).toEqual([]);
  });

  test('a record keeps its expiry across a reopen; records without one read as before', async () => {
    const s = await spool();
    await s.append('t/a', payload(1), 1_700_000_000_123);
    await s.append('t/b', payload(2));
    await s.append('t/c', payload(3), 0);
    await closeAll();
    const again = await spool();
    expect(again.queued).toBe(3);
    expect((await again.take(10)).map((r) => [r.topic, r.payload[0], r.expiresAt])).toEqual([['t/a', 1, 1_700_000_000_123], ['t/b', 2, undefined], ['t/c', 3, 0]]);
    expect(() => again.append('t', payload(4), 2 ** 48)).toThrow(/expiresAt/);
  });

  test('take(max) hands out at most max records, the rest on the next call', async () => {
    const s = await spool();
    for (let i = 0; i < 5; i++) await s.append('t', payload(i));
    expect(summary(await s.take(2))).toEqual([['t', 0], ['t', 1]]);
    expect(summary(await s.take(10))).toEqual([['t', 2], ['t', 3], ['t', 4]]);
  });

  test('unacknowledged records survive close() and are handed out again, in order, by the next open', async () => {
    const s = await spool();
    for (let i = 0; i < 4; i++) await s.append('t', payload(i));
    const taken = await s.take(10);
    s.ack(taken[0]!.offset);
    s.ack(taken[1]!.offset);
    await closeAll();
    const again = await spool();
    expect(again.queued).toBe(2);
    expect(summary(await again.take(10))).toEqual([['t', 2], ['t', 3]]);
  });

  test('an acknowledgement out of order holds the acknowledgement point until the gap is acknowledged', async () => {
    const s = await spool();
    for (let i = 0; i < 3; i++) await s.append('t', payload(i));
    const taken = await s.take(10);
    s.ack(taken[1]!.offset);
    expect(s.queued).toBe(3);
    s.ack(taken[0]!.offset);
    expect(s.queued).toBe(1);
  });

  test('rewind() hands out everything unacknowledged again, from the first such record', async () => {
    const s = await spool();
    for (let i = 0; i < 3; i++) await s.append('t', payload(i));
    const taken = await s.take(10);
    s.ack(taken[0]!.offset);
    s.rewind();
    expect(summary(await s.take(10))).toEqual([['t', 1], ['t', 2]]);
  });

  test('a torn record at the tail (a crash mid-write) is cut off; the records before it survive', async () => {
    const s = await spool();
    await s.append('t', payload(1));
    await s.append('t', payload(2));
    await closeAll();
    await appendFile(join(dir, 'spool.log'), Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5]));
    const again = await spool();
    expect(summary(await again.take(10))).toEqual([['t', 1], ['t', 2]]);
    await again.append('t', payload(3));
    expect(summary(await again.take(10))).toEqual([['t', 3]]);
  });

  test('a spool of the earlier format (CRC-32 records, no header) is migrated: its unacknowledged records go out, in order', async () => {
    // The earlier format, as it was written: u32 bodyLength | u32 CRC-32(body) | u8 topicLength | topic | payload.
    const legacy = (topic: string, body: Uint8Array): Buffer => {
      const b = Buffer.concat([Buffer.from([topic.length]), Buffer.from(topic, 'latin1'), body]);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(b.length, 0);
      head.writeUInt32BE(crc32(b), 4);
      return Buffer.concat([head, b]);
    };
    const records = [legacy('t/a', payload(1)), legacy('t/b', payload(2, 70_000)), legacy('t/a', payload(3))];
    // The first record acknowledged; a torn fourth one at the tail.
    await writeFile(join(dir, 'spool.log'), Buffer.concat([...records, Buffer.from([0, 0, 0, 40, 1, 2])]));
    const ack = Buffer.alloc(12);
    ack.writeUInt32BE(records[0]!.length, 4);
    ack.writeUInt32BE(crc32(ack.subarray(0, 8)), 8);
    await writeFile(join(dir, 'spool.ack'), ack);

    const s = await spool();
    const taken = await s.take(10);
    expect(summary(taken)).toEqual([['t/b', 2], ['t/a', 3]]);
    expect(taken[0]!.payload.length).toBe(70_000);
    expect((await readFile(join(dir, 'spool.log'))).subarray(0, 16).toString('latin1')).toBe('meterchain.log.1');
    s.ack(taken[0]!.offset);
    await closeAll();
    const again = await spool();
    expect(summary(await again.take(10))).toEqual([['t/a', 3]]);
  });

  test('a spool whose header a crash cut short is taken as empty', async () => {
    await writeFile(join(dir, 'spool.log'), Buffer.from('meterchain.l', 'latin1'));
    const s = await spool();
    expect(await s.take(10)).toEqual([]);
    await s.append('t', payload(4));
    await closeAll();
    expect(summary(await (await spool()).take(10))).toEqual([['t', 4]]);
  });

  test('a damaged acknowledgement file makes every record go out again (duplicates, never loss)', async () => {
    const s = await spool();
    await s.append('t', payload(1));
    await s.append('t', payload(2));
    const taken = await s.take(10);
    s.ack(taken[0]!.offset);
    await closeAll();
    await writeFile(join(dir, 'spool.ack'), Buffer.from('garbage-garbage'));
    const again = await spool();
    expect(summary(await again.take(10))).toEqual([['t', 1], ['t', 2]]);
  });

  test('the incarnation rises on every open and is at least the clock in seconds', async () => {
    const first = await spool({ now: () => 5_000_000 });
    expect(first.incarnation).toBe(5000);
    await closeAll();
    const second = await spool({ now: () => 5_000_000 });
    expect(second.incarnation).toBe(5001);
    await closeAll();
    const third = await spool({ now: () => 9_000_000 });
    expect(third.incarnation).toBe(9000);
  });

  test('a second open of a held spool is refused', async () => {
    await spool();
    await expect(Spool.open({ dir })).rejects.toMatchObject({ code: 'SPOOL_LOCKED' });
  });

  test('the lock of a process that died is taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(join(dir, 'spool.lock'), String(dead));
    const s = await spool();
    await s.append('t', payload(1));
    expect(s.queued).toBe(1);
  });

  test('past maxBytes of unacknowledged records, append is refused and nothing is taken', async () => {
    const s = await spool({ maxBytes: 1024 });
    await s.append('t', payload(1, 500));
    await expect(s.append('t', payload(2, 600))).rejects.toMatchObject({ code: 'SPOOL_FULL' });
    expect(s.queued).toBe(1);
  });

  test('once everything is acknowledged and the file is past compactBytes, it is emptied before the next write', async () => {
    const s = await spool({ compactBytes: 1024 });
    for (let i = 0; i < 4; i++) await s.append('t', payload(i, 400));
    for (const r of await s.take(10)) s.ack(r.offset);
    await s.append('t', payload(9));
    expect((await stat(join(dir, 'spool.log'))).size).toBeLessThan(100);
    expect(summary(await s.take(10))).toEqual([['t', 9]]);
    await closeAll();
    const again = await spool();
    expect(summary(await again.take(10))).toEqual([['t', 9]]);
  });

  test("a handed-out payload is never overwritten by later reads (mqtt.js may still hold it)", async () => {
    const s = await spool();
    await s.append('t', payload(1, 64));
    const [first] = await s.take(1);
    const copy = Buffer.from(first!.payload);
    for (let i = 2; i < 50; i++) await s.append('t', payload(i, 64));
    await s.take(100);
    s.rewind();
    await s.take(100);
    expect(first!.payload.equals(copy)).toBe(true);
  });

  test("a record larger than the read chunk is handed out whole", async () => {
    const s = await spool();
    const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
    await s.append('t/big', big);
    await s.append('t/small', payload(7));
    const records = await s.take(10);
    expect(records.map((r) => r.payload.length)).toEqual([200_000, 3]);
    expect(Buffer.from(records[0]!.payload).equals(Buffer.from(big))).toBe(true);
  });

  test("under fsync 'interval' records are written at once and survive a reopen", async () => {
    const s = await spool({ fsync: 'interval', fsyncIntervalMs: 50 });
    await s.append('t', payload(1));
    await closeAll();
    const again = await spool();
    expect(summary(await again.take(10))).toEqual([['t', 1]]);
  });

  test('a topic that is not printable ASCII is a programmer mistake', async () => {
    const s = await spool();
    expect(() => s.append('t with space', payload(1))).toThrow(/printable ASCII topic/);
  });
});

import { afterAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_MAGIC, LedgerError, RecordLog } from '@meterchain/ledger';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

function payload(i: number, size = 40): Uint8Array {
  const p = new Uint8Array(size);
  for (let k = 0; k < size; k++) p[k] = (i * 31 + k) & 0xff;
  return p;
}

async function logWith(n: number): Promise<string> {
  const path = join(tempDir(), 'test.log');
  const { log } = await RecordLog.open(path);
  for (let i = 0; i < n; i++) await log.append(payload(i));
  await log.close();
  return path;
}

describe('RecordLog', () => {
  test('records appended are read back after reopening, in order', async () => {
    const path = await logWith(5);
    const { log, recovery } = await RecordLog.open(path);
    expect(recovery).toMatchObject({ records: 5, cutBytes: 0 });
    expect(await log.readRange(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => payload(i)));
    await log.close();
  });

  test('a new log starts with the format header', async () => {
    const path = await logWith(0);
    expect(readFileSync(path).equals(LOG_MAGIC)).toBe(true);
  });

  test('concurrent appends get consecutive positions and all become durable', async () => {
    const path = join(tempDir(), 'test.log');
    const { log } = await RecordLog.open(path);
    const results = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => log.append(payload(i))));
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(log.count).toBe(8);
    expect(log.durableBytes).toBe(statSync(path).size);
    await log.close();
  });

  test('a torn tail (half a record) is cut off on open and kept in a side file', async () => {
    const path = await logWith(3);
    const sizeBefore = statSync(path).size;
    appendFileSync(path, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9]));
    const { log, recovery } = await RecordLog.open(path);
    expect(recovery).toMatchObject({ records: 3, cutAt: sizeBefore, cutBytes: 15, cutReason: 'short payload' });
    expect(statSync(path).size).toBe(sizeBefore);
    expect(readFileSync(recovery.quarantined!).length).toBe(15);
    expect(await log.read(2)).toEqual(payload(2));
    await log.close();
  });

  test('a zero-filled tail (a grown file whose data never reached the disk) is cut without a side file', async () => {
    const path = await logWith(2);
    appendFileSync(path, Buffer.alloc(4096));
    const { log, recovery } = await RecordLog.open(path);
    expect(recovery).toMatchObject({ records: 2, cutBytes: 4096, cutReason: 'bad length' });
    expect(recovery.quarantined).toBeUndefined();
    await log.close();
  });

  test('a record whose bytes changed is cut with the rest of the tail when above the durable floor', async () => {
    const path = await logWith(4);
    const { log: probe } = await RecordLog.open(path);
    const third = probe.offsetOf(2);
    await probe.close();
    const bytes = readFileSync(path);
    bytes[third + 20]! ^= 0x01;
    writeFileSync(path, bytes);
    const { log, recovery } = await RecordLog.open(path);
    expect(recovery).toMatchObject({ records: 2, cutAt: third, cutReason: 'bad check' });
    await log.close();
  });

  test('a damaged record below the durable floor refuses to open, and repair cuts it', async () => {
    const path = await logWith(4);
    const size = statSync(path).size;
    const bytes = readFileSync(path);
    bytes[LOG_MAGIC.length + 20]! ^= 0x80;
    writeFileSync(path, bytes);
    await expect(RecordLog.open(path, { durableFloor: size })).rejects.toMatchObject({ code: 'corrupt' });
    const { log, recovery } = await RecordLog.open(path, { durableFloor: size, repair: true });
    expect(recovery.records).toBe(0);
    await log.close();
  });

  test('reading a record that rotted after opening fails with code corrupt', async () => {
    const path = await logWith(2);
    const { log } = await RecordLog.open(path);
    const bytes = readFileSync(path);
    bytes[log.offsetOf(1) + 14]! ^= 0xff;
    writeFileSync(path, bytes);
    await expect(log.read(1)).rejects.toBeInstanceOf(LedgerError);
    await expect(log.read(1)).rejects.toMatchObject({ code: 'corrupt' });
    expect(await log.read(0)).toEqual(payload(0));
    await log.close();
  });

  test('a file cut inside its header (a crash while creating it) is started again', async () => {
    const path = join(tempDir(), 'test.log');
    writeFileSync(path, LOG_MAGIC.subarray(0, 7));
    const { log, recovery } = await RecordLog.open(path);
    expect(recovery.records).toBe(0);
    await log.append(payload(1));
    await log.close();
    expect(readFileSync(path).subarray(0, 16).equals(LOG_MAGIC)).toBe(true);
  });

  test('a file that is not a log is refused with code corrupt', async () => {
    const path = join(tempDir(), 'test.log');
    writeFileSync(path, 'this is some other file, longer than the header');
    await expect(RecordLog.open(path)).rejects.toMatchObject({ code: 'corrupt' });
  });

  test('read-only opening reports a torn tail and leaves it in place', async () => {
    const path = await logWith(2);
    appendFileSync(path, Buffer.from([0, 0, 0, 9, 1]));
    const size = statSync(path).size;
    const { log, recovery } = await RecordLog.open(path, { readOnly: true });
    expect(recovery).toMatchObject({ records: 2, cutBytes: 5 });
    expect(statSync(path).size).toBe(size);
    expect(existsSync(`${path}.torn-${recovery.cutAt}`)).toBe(false);
    await expect(log.append(payload(9))).rejects.toThrow(/read-only/);
    await log.close();
  });

  test('known offsets that do not match the file are ignored and the file is scanned', async () => {
    const path = await logWith(3);
    const { log, recovery } = await RecordLog.open(path, { knownOffsets: [16, 20, 9999] });
    expect(recovery).toMatchObject({ records: 3, scanned: 3 });
    await log.close();
  });

  test('empty and oversized payloads are refused as caller mistakes', async () => {
    const path = join(tempDir(), 'test.log');
    const { log } = await RecordLog.open(path);
    await expect(log.append(new Uint8Array(0))).rejects.toThrow(RangeError);
    await log.close();
  });
});

import { afterAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NodeState } from '@meterchain/ledger';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

const METER = new Uint8Array(20).fill(7);

function digest(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

describe('NodeState signing guard', () => {
  test('a fresh slot is granted once; the same digest again is granted as a re-send', async () => {
    const state = await NodeState.open(tempDir('state'));
    expect(await state.beforeSign({ kind: 'vote', index: 5 }, digest(1))).toEqual({ ok: true, fresh: true });
    expect(await state.beforeSign({ kind: 'vote', index: 5 }, digest(1))).toEqual({ ok: true, fresh: false });
    await state.close();
  });

  test('a different digest for a signed slot is refused as a conflict naming the signed digest', async () => {
    const state = await NodeState.open(tempDir('state'));
    await state.beforeSign({ kind: 'submission', index: 9 }, digest(1));
    const d = await state.beforeSign({ kind: 'submission', index: 9 }, digest(2));
    expect(d).toMatchObject({ ok: false, code: 'conflict', digest: digest(1) });
    await state.close();
  });

  test('slots of different kinds are independent', async () => {
    const state = await NodeState.open(tempDir('state'));
    await state.beforeSign({ kind: 'vote', index: 3 }, digest(1));
    expect(await state.beforeSign({ kind: 'block', index: 3 }, digest(2))).toMatchObject({ ok: true, fresh: true });
    await state.close();
  });

  test('what was signed survives a reopen: a restarted node is refused a different digest', async () => {
    const dir = tempDir('state');
    const first = await NodeState.open(dir);
    await first.beforeSign({ kind: 'vote', index: 42 }, digest(1));
    await first.close();
    const second = await NodeState.open(dir);
    expect(await second.beforeSign({ kind: 'vote', index: 42 }, digest(9))).toMatchObject({ ok: false, code: 'conflict' });
    expect(second.lastSigned('vote')).toEqual({ index: 42, view: 0, digest: digest(1) });
    await second.close();
  });

  test('a recorded signed message is handed back for re-sending after a reopen', async () => {
    const dir = tempDir('state');
    const first = await NodeState.open(dir);
    const message = new Uint8Array([1, 2, 3, 4]);
    await first.beforeSign({ kind: 'vote', index: 1 }, digest(1));
    await first.recordSigned({ kind: 'vote', index: 1 }, message);
    await first.close();
    const second = await NodeState.open(dir);
    expect(await second.beforeSign({ kind: 'vote', index: 1 }, digest(1))).toEqual({ ok: true, fresh: false, message });
    expect(await second.beforeSign({ kind: 'vote', index: 1 }, digest(2))).toMatchObject({ code: 'conflict', message });
    await second.close();
  });

  test('recording a message for a slot that was never granted is a caller mistake', async () => {
    const state = await NodeState.open(tempDir('state'));
    await expect(state.recordSigned({ kind: 'vote', index: 1 }, new Uint8Array([1]))).rejects.toThrow(/not granted/);
    await state.close();
  });

  test('two concurrent requests for one slot with different digests: exactly one is granted', async () => {
    const state = await NodeState.open(tempDir('state'));
    const [a, b] = await Promise.all([state.beforeSign({ kind: 'vote', index: 7 }, digest(1)), state.beforeSign({ kind: 'vote', index: 7 }, digest(2))]);
    expect([a.ok, b.ok]).toEqual([true, false]);
    await state.close();
  });

  test('slots older than the remembered window are refused as too-old', async () => {
    const state = await NodeState.open(tempDir('state'), { window: 3 });
    for (let i = 10; i < 15; i++) await state.beforeSign({ kind: 'vote', index: i }, digest(i));
    expect(await state.beforeSign({ kind: 'vote', index: 11 }, digest(11))).toMatchObject({ ok: false, code: 'too-old' });
    expect(await state.beforeSign({ kind: 'vote', index: 5 }, digest(5))).toMatchObject({ ok: false, code: 'too-old' });
    expect(await state.beforeSign({ kind: 'vote', index: 12 }, digest(12))).toMatchObject({ ok: true, fresh: false });
    await state.close();
  });

  test('compaction keeps every slot and pending reading, and leaves one journal', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { compactEvery: 5 });
    for (let i = 0; i < 23; i++) await state.beforeSign({ kind: 'vote', index: i }, digest(i));
    await state.addPending({ meter: METER, seq: 1, bytes: new Uint8Array([1]) });
    await state.close();
    expect(readdirSync(dir).filter((n) => n.startsWith('journal-'))).toHaveLength(1);
    const again = await NodeState.open(dir, { compactEvery: 5 });
    for (let i = 0; i < 23; i++) expect(again.signedFor({ kind: 'vote', index: i })?.digest).toEqual(digest(i));
    expect(again.pending().map((p) => p.seq)).toEqual([1]);
    await again.close();
  });

  test('a torn journal tail loses only the entry that was being written', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir);
    await state.beforeSign({ kind: 'vote', index: 1 }, digest(1));
    await state.close();
    appendFileSync(join(dir, 'journal-0.log'), Buffer.from([0, 0, 0, 60, 1, 2, 3]));
    const again = await NodeState.open(dir);
    expect(again.signedFor({ kind: 'vote', index: 1 })?.digest).toEqual(digest(1));
    await again.close();
  });

  test('malformed slots are caller mistakes', async () => {
    const state = await NodeState.open(tempDir('state'));
    await expect(state.beforeSign({ kind: '', index: 1 }, digest(1))).rejects.toThrow(RangeError);
    await expect(state.beforeSign({ kind: 'vote', index: -1 }, digest(1))).rejects.toThrow(RangeError);
    await expect(state.beforeSign({ kind: 'vote', index: 1 }, new Uint8Array(0))).rejects.toThrow(RangeError);
    await state.close();
  });
});

describe('NodeState with consensus persist records', () => {
  const commit = (height: number, view: number, fill: number) => ({ kind: 'commit' as const, round: -1, height, view, bytes: new Uint8Array(40).fill(fill) });

  test('a record is granted once; the same record again is a re-publication', async () => {
    const state = await NodeState.open(tempDir('state'));
    expect(await state.persist(commit(5, 0, 1))).toEqual({ ok: true, fresh: true });
    expect(await state.persist(commit(5, 0, 1))).toEqual({ ok: true, fresh: false, message: commit(5, 0, 1).bytes });
    await state.close();
  });

  test('a different record for one (height, view) is refused after a restart, with the recorded bytes', async () => {
    const dir = tempDir('state');
    const first = await NodeState.open(dir);
    await first.persist(commit(5, 2, 1));
    await first.close();
    const second = await NodeState.open(dir);
    expect(await second.persist(commit(5, 2, 9))).toMatchObject({ ok: false, code: 'conflict', message: commit(5, 2, 1).bytes });
    await second.close();
  });

  test('a later view at one height is a different slot', async () => {
    const state = await NodeState.open(tempDir('state'));
    await state.persist(commit(5, 0, 1));
    expect(await state.persist(commit(5, 1, 2))).toMatchObject({ ok: true, fresh: true });
    await state.close();
  });

  test('the last record of each kind, the lock included, survives for the restore', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { compactEvery: 3 });
    await state.persist({ kind: 'vote', round: 7, height: -1, view: -1, bytes: new Uint8Array([7]) });
    await state.persist({ kind: 'vote', round: 8, height: -1, view: -1, bytes: new Uint8Array([8]) });
    await state.persist(commit(3, 0, 3));
    await state.persist(commit(4, 1, 4));
    await state.persist({ kind: 'lock', round: -1, height: 4, view: 1, bytes: new Uint8Array([44]) });
    await state.close();
    const again = await NodeState.open(dir);
    expect(again.lastRecords()).toEqual([
      { kind: 'vote', round: 8, height: -1, view: -1, bytes: new Uint8Array([8]) },
      { kind: 'commit', round: -1, height: 4, view: 1, bytes: commit(4, 1, 4).bytes },
      { kind: 'lock', round: -1, height: 4, view: 1, bytes: new Uint8Array([44]) },
    ]);
    await again.close();
  });
});

describe('NodeState pending readings', () => {
  test('pending readings survive a reopen in the order they were added', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir);
    for (const seq of [4, 2, 9]) await state.addPending({ meter: METER, seq, bytes: new Uint8Array([seq]) });
    await state.close();
    const again = await NodeState.open(dir);
    expect(again.pending().map((p) => [p.seq, p.bytes[0]])).toEqual([
      [4, 4],
      [2, 2],
      [9, 9],
    ]);
    await again.close();
  });

  test('settled readings are gone after a reopen', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir);
    for (const seq of [1, 2, 3]) await state.addPending({ meter: METER, seq, bytes: new Uint8Array([seq]) });
    await state.settle(METER, [1, 3, 77]);
    await state.close();
    const again = await NodeState.open(dir);
    expect(again.pending().map((p) => p.seq)).toEqual([2]);
    await again.close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});

describe('NodeState round records', () => {
  const record = (round: number, fill: number, length = 100) => ({ kind: 'round' as const, round, height: -1, view: -1, bytes: new Uint8Array(length).fill(fill) });
  const rounds = (state: NodeState) => state.lastRecords().filter((r) => r.kind === 'round').map((r) => [r.round, r.bytes[0]]);

  test('the newest record of each round is kept and handed back for the restore after a reopen, oldest round first', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir);
    await state.persist(record(7, 1));
    await state.persist(record(5, 2));
    await state.persist(record(7, 3));
    await state.close();
    const again = await NodeState.open(dir);
    expect(rounds(again)).toEqual([
      [5, 2],
      [7, 3],
    ]);
    await again.close();
  });

  test('a committed block forgets the records of the rounds it covers, also after a reopen and a compaction', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { compactEvery: 3 });
    for (const r of [3, 4, 5, 6]) await state.persist(record(r, r));
    await state.committed(1, 4);
    expect(rounds(state)).toEqual([
      [5, 5],
      [6, 6],
    ]);
    // A record for a covered round (a lane behind the block's) is not kept.
    expect(await state.persist(record(4, 9))).toEqual({ ok: true, fresh: false });
    await state.close();
    const again = await NodeState.open(dir);
    expect(rounds(again)).toEqual([
      [5, 5],
      [6, 6],
    ]);
    expect(again.roundRecords()).toEqual([5, 6]);
    await again.close();
  });

  test('at most limits.rounds rounds are kept: the window below the newest round', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { limits: { rounds: 4 } });
    for (let r = 0; r < 10; r++) await state.persist(record(r, r));
    expect(state.roundRecords()).toEqual([6, 7, 8, 9]);
    await state.persist(record(2, 1)); // below the window: not kept
    expect(state.roundRecords()).toEqual([6, 7, 8, 9]);
    await state.close();
    const again = await NodeState.open(dir, { limits: { rounds: 4 } });
    expect(again.roundRecords()).toEqual([6, 7, 8, 9]);
    await again.close();
  });

  test('a record larger than limits.roundBytes is refused, and one at the limit is read back within it', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { limits: { roundBytes: 2000, messageBytes: 1000, lockBytes: 1000 } });
    await expect(state.persist(record(1, 1, 2001))).rejects.toThrow(/record\.bytes must be 1\.\.2000 bytes/);
    await state.persist(record(1, 1, 2000));
    await state.close();
    const again = await NodeState.open(dir, { limits: { roundBytes: 2000, messageBytes: 1000, lockBytes: 1000 } });
    expect(again.lastRecords().find((r) => r.kind === 'round')?.bytes.length).toBe(2000);
    await again.close();
    // Read with a smaller limit than it was written with, the entry is refused as damage, not read unbounded.
    await expect(NodeState.open(dir, { limits: { roundBytes: 1000, messageBytes: 1000, lockBytes: 1000 } })).rejects.toThrow(/entry 0/);
  });
});

// Damage to the node state's journal: a torn tail (an unfinished last record, as a power cut leaves) is cut and
// reported; any other damage refuses to open, naming the file, the offset and the repair command; repair keeps every
// intact entry and fences the slots whose records may have been lost (docs/ledger.md §4).
import { afterAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeState } from '@meterchain/ledger';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

const METER = new Uint8Array(20).fill(7);
const vote = (round: number, fill: number) => ({ kind: 'vote' as const, round, height: -1, view: -1, bytes: new Uint8Array(100).fill(fill) });

/** A journal with votes for rounds 1..5 and pending readings 1..5, one entry each, in that order. */
async function journalOf(dir: string): Promise<Buffer> {
  const state = await NodeState.open(dir);
  for (let r = 1; r <= 5; r++) {
    await state.persist(vote(r, r));
    await state.addPending({ meter: METER, seq: r, bytes: new Uint8Array(50).fill(r) });
  }
  await state.close();
  return readFileSync(join(dir, 'journal-0.log'));
}

describe('node state journal damage', () => {
  test('a byte flipped inside the journal refuses to open, naming the file, the offset and the repair command', async () => {
    const dir = tempDir('state');
    const journal = await journalOf(dir);
    journal[300] ^= 0x01; // inside the third entry; seven intact entries follow
    writeFileSync(join(dir, 'journal-0.log'), journal);
    const opened = NodeState.open(dir);
    await expect(opened).rejects.toThrow(/journal-0\.log: record \d+ at byte \d+ is damaged \(bad check\) and an intact record follows at byte \d+: not a torn tail; repair with `meterchain node repair --config <node\.yaml>`/);
    await expect(opened).rejects.toMatchObject({ code: 'corrupt' });
    // Nothing was cut: the journal is as it was.
    expect(readFileSync(join(dir, 'journal-0.log'))).toEqual(journal);
  });

  test('a cut inside the journal (bytes missing, records after it) is refused too', async () => {
    const dir = tempDir('state');
    const journal = await journalOf(dir);
    writeFileSync(join(dir, 'journal-0.log'), Buffer.concat([journal.subarray(0, 250), journal.subarray(330)]));
    await expect(NodeState.open(dir)).rejects.toThrow(/not a torn tail; repair with `meterchain node repair/);
  });

  test('a torn tail (the last record unfinished) is cut and reported, everything before it kept', async () => {
    const dir = tempDir('state');
    const journal = await journalOf(dir);
    writeFileSync(join(dir, 'journal-0.log'), journal.subarray(0, journal.length - 20));
    const state = await NodeState.open(dir);
    expect(state.recovery).toMatchObject({ cutReason: 'short payload', records: 9 });
    expect(state.recovery.cutBytes).toBeGreaterThan(0);
    expect(state.pending().map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    expect(state.lastSigned('vote')?.index).toBe(5);
    await state.close();
    // A garbled length in the last record is a torn tail as well.
    appendFileSync(join(dir, 'journal-0.log'), Buffer.from([0xff, 0xff, 0, 60, 1, 2, 3]));
    const again = await NodeState.open(dir);
    expect(again.recovery.cutAt).toBeGreaterThan(0);
    await again.close();
  });

  test('a damaged snapshot refuses to open with the repair command', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { compactEvery: 4 });
    for (let r = 1; r <= 5; r++) await state.persist(vote(r, r));
    await state.close();
    const snapshot = readFileSync(join(dir, 'state.log'));
    snapshot[snapshot.length - 10] ^= 0xff;
    writeFileSync(join(dir, 'state.log'), snapshot);
    await expect(NodeState.open(dir)).rejects.toThrow(/state\.log: record \d+ at byte \d+ is damaged \(bad check\); repair with `meterchain node repair/);
  });
});

describe('NodeState.repair', () => {
  test('keeps every intact entry on both sides of the damage, fences the rest, and the state opens again', async () => {
    const dir = tempDir('state');
    const journal = await journalOf(dir);
    journal[300] ^= 0x01;
    writeFileSync(join(dir, 'journal-0.log'), journal);
    const report = await NodeState.repair(dir, { round: 7, height: 3 });
    expect(report.kept).toBe(9); // ten entries, one damaged
    expect(report.damaged).toHaveLength(1);
    expect(report.damaged[0]!.file).toMatch(/journal-0\.log$/);
    expect(readdirSync(report.movedTo!)).toEqual(['journal-0.log']);
    const state = await NodeState.open(dir);
    // Entries after the damage are kept (the fifth vote, readings 4 and 5).
    expect(state.pending().map((p) => p.seq)).toEqual(expect.arrayContaining([4, 5]));
    // Fenced: no vote or submission for rounds up to 7, no block vote or timeout up to height 3, whatever was lost.
    expect(await state.persist(vote(6, 9))).toMatchObject({ ok: false, code: 'too-old' });
    expect(await state.persist({ kind: 'submission', round: 7, height: -1, view: -1, bytes: new Uint8Array([1]) })).toMatchObject({ ok: false, code: 'too-old' });
    expect(await state.persist({ kind: 'timeout', round: -1, height: 3, view: 9, bytes: new Uint8Array([1]) })).toMatchObject({ ok: false, code: 'too-old' });
    expect(await state.persist(vote(8, 8))).toEqual({ ok: true, fresh: true });
    expect(await state.persist({ kind: 'commit', round: -1, height: 4, view: 0, bytes: new Uint8Array([4]) })).toEqual({ ok: true, fresh: true });
    await state.close();
  });

  test('on a deleted state it writes a fenced, empty state', async () => {
    const dir = tempDir('state');
    await journalOf(dir);
    rmSync(dir, { recursive: true });
    expect(await NodeState.exists(dir)).toBe(false);
    const report = await NodeState.repair(dir, { round: 100, height: 12 });
    expect(report.kept).toBe(0);
    expect(existsSync(join(dir, 'state.log'))).toBe(true);
    expect(await NodeState.exists(dir)).toBe(true);
    const state = await NodeState.open(dir);
    expect(await state.persist(vote(100, 1))).toMatchObject({ ok: false, code: 'too-old' });
    expect(await state.persist(vote(101, 1))).toEqual({ ok: true, fresh: true });
    await state.close();
  });
});

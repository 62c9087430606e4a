// The node state stays bounded by what the node can still be asked to sign (docs/ledger.md §4): a node that ran for
// thousands of rounds restarts, and its files stay within the bound derived from its limits.
import { afterAll, describe, expect, test } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { roundRecordLimit } from '@meterchain/consensus';
import { NodeState, nodeStateLimits, type NodeStateLimits } from '@meterchain/ledger';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

const METER = new Uint8Array(20).fill(7);
const BLOCK_ROUNDS = 10;
// A 5-member cluster's messages as the issue measured them: ~830-byte submissions, ~370-byte votes.
const SUBMISSION = 830;
const VOTE = 370;
const BLOCK_VOTE = 200;
// A round record of that cluster: five accepted submissions and a certificate of five votes sharing one list.
const ROUND_RECORD = 4700;

function bytes(n: number, fill: number): Uint8Array {
  const b = new Uint8Array(n).fill(fill & 255);
  b[0] = fill >>> 8; // distinct per round
  return b;
}

function fileSizes(dir: string): { snapshot: number; journal: number } {
  let snapshot = 0;
  let journal = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'state.log') snapshot = statSync(join(dir, name)).size;
    else if (/^journal-\d+\.log$/.test(name)) journal += statSync(join(dir, name)).size;
  }
  return { snapshot, journal };
}

describe('NodeState bounds', () => {
  test('limits follow the manifest: the consensus round window plus a block period, one pending reading per round kept', () => {
    const limits = nodeStateLimits({ params: { blockRounds: 10 }, members: new Array(5) });
    expect(limits).toMatchObject({ rounds: 90, views: 16, pending: 90, messageBytes: 65536 });
    expect(nodeStateLimits({ params: { blockRounds: 1 }, members: new Array(5) }).rounds).toBe(65);
  });

  test('the largest round record follows the member count: every vote with its own list, every submission at the envelope limit', () => {
    const at = (n: number) => nodeStateLimits({ params: { blockRounds: 8 }, members: new Array(n) }).roundBytes;
    expect(at(4)).toBe(roundRecordLimit(4));
    expect(at(4)).toBeGreaterThan(4 * 65536);
    expect(at(4)).toBeLessThan(4 * 65536 + 4096);
    expect(at(64)).toBe(roundRecordLimit(64));
    expect(at(64)).toBeGreaterThan(64 * 65536 + 64 * 64 * 34);
    // Past about 730 members the bound is what one frame of the journal carries.
    expect(at(1024)).toBe(nodeStateLimits({ params: { blockRounds: 8 }, members: new Array(1024) }).lockBytes);
  });

  test('4,000 rounds with a block every 10 rounds: every restart opens, and the files stay within the derived bound', async () => {
    const dir = tempDir('state');
    // The derived limits of a 5-member cluster, with the message sizes this run signs (the bound's figures).
    const limits: NodeStateLimits = { ...nodeStateLimits({ params: { blockRounds: BLOCK_ROUNDS }, members: new Array(5) }), messageBytes: SUBMISSION, lockBytes: SUBMISSION, roundBytes: ROUND_RECORD };
    const bound = NodeState.bounds(limits);
    let state = await NodeState.open(dir, { limits });
    let restarts = 0;
    let maxSnapshot = 0;
    let maxJournal = 0;
    for (let r = 0; r < 4000; r++) {
      await Promise.all([
        state.persist({ kind: 'submission', round: r, height: -1, view: -1, bytes: bytes(SUBMISSION, r) }),
        state.addPending({ meter: METER, seq: r, bytes: bytes(SUBMISSION, r) }),
      ]);
      expect(await state.persist({ kind: 'vote', round: r, height: -1, view: -1, bytes: bytes(VOTE, r) })).toMatchObject({ ok: true });
      expect(await state.persist({ kind: 'round', round: r, height: -1, view: -1, bytes: bytes(ROUND_RECORD, r) })).toMatchObject({ ok: true });
      // The block covering rounds r-19..r-10 commits two block periods later (agreement runs behind the rounds).
      if (r % BLOCK_ROUNDS === BLOCK_ROUNDS - 1 && r >= 2 * BLOCK_ROUNDS) {
        const height = Math.floor(r / BLOCK_ROUNDS) - 2;
        const last = (height + 1) * BLOCK_ROUNDS - 1;
        await state.persist({ kind: 'prepare', round: -1, height, view: 0, bytes: bytes(BLOCK_VOTE, height) });
        await state.persist({ kind: 'commit', round: -1, height, view: 0, bytes: bytes(BLOCK_VOTE, height + 1) });
        await state.committed(height, last);
        const seqs: number[] = [];
        for (let q = last - BLOCK_ROUNDS + 1; q <= last; q++) seqs.push(q);
        await state.settle(METER, seqs);
      }
      const sizes = fileSizes(dir);
      maxSnapshot = Math.max(maxSnapshot, sizes.snapshot);
      maxJournal = Math.max(maxJournal, sizes.journal);
      if (r % 400 === 399) {
        await state.close();
        state = await NodeState.open(dir, { limits });
        restarts++;
        // What a restarted node needs: its last vote and submission, its pending readings since the last block.
        const last = state.lastRecords();
        expect(last.find((x) => x.kind === 'vote')?.round).toBe(r);
        // Every own submission of a round no committed block covers (the window keeps more), the newest last.
        const submissions = last.filter((x) => x.kind === 'submission').map((x) => x.round);
        expect(submissions[submissions.length - 1]).toBe(r);
        expect(submissions.length).toBeLessThanOrEqual(limits.rounds);
        expect(state.pending().length).toBeLessThanOrEqual(3 * BLOCK_ROUNDS);
        // And the round records of every round no committed block covers, none older.
        const covered = Math.floor((r + 1) / BLOCK_ROUNDS - 2) * BLOCK_ROUNDS - 1;
        const records = last.filter((x) => x.kind === 'round').map((x) => x.round);
        expect(records).toEqual(Array.from({ length: r - covered }, (_, k) => covered + 1 + k));
        expect(await state.persist({ kind: 'vote', round: r, height: -1, view: -1, bytes: bytes(VOTE, r + 1) })).toMatchObject({ ok: false, code: 'conflict' });
        const counts = state.slotCounts();
        for (const kind of ['submission', 'vote']) expect(counts[kind]!).toBeLessThanOrEqual(limits.rounds);
        for (const kind of ['prepare', 'commit']) expect(counts[kind]!).toBeLessThanOrEqual(limits.views);
      }
    }
    await state.close();
    expect(restarts).toBe(10);
    expect(maxSnapshot).toBeGreaterThan(0);
    expect(maxSnapshot).toBeLessThanOrEqual(bound.snapshotBytes);
    expect(maxJournal).toBeLessThanOrEqual(bound.journalBytes);
    // The figures, for docs/ledger.md.
    process.stdout.write(`node state after 4,000 rounds: snapshot max ${maxSnapshot} B (bound ${bound.snapshotBytes}), journal max ${maxJournal} B (bound ${bound.journalBytes}), entries bound ${bound.entries}\n`);
  }, 180000);

  test('2,100 rounds of submissions and votes with the default limits, then a restart: it opens (it failed with input too large)', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir);
    for (let r = 0; r < 2100; r++) {
      await Promise.all([
        state.persist({ kind: 'submission', round: r, height: -1, view: -1, bytes: bytes(SUBMISSION, r) }),
        state.persist({ kind: 'vote', round: r, height: -1, view: -1, bytes: bytes(VOTE, r) }),
      ]);
    }
    await state.close();
    const again = await NodeState.open(dir);
    const last = again.lastRecords();
    expect(last.filter((x) => x.kind === 'vote').map((x) => x.round)).toEqual([2099]);
    const submissions = last.filter((x) => x.kind === 'submission').map((x) => x.round);
    expect(submissions).toEqual(Array.from({ length: submissions.length }, (_, k) => 2099 - submissions.length + 1 + k));
    expect(submissions.length).toBe(again.limits.rounds);
    await again.close();
  }, 120000);

  test('slots of committed rounds and heights are refused after a restart, newer ones are granted', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir);
    await state.persist({ kind: 'vote', round: 25, height: -1, view: -1, bytes: bytes(VOTE, 25) });
    await state.committed(2, 29);
    await state.close();
    const again = await NodeState.open(dir);
    expect(await again.persist({ kind: 'vote', round: 29, height: -1, view: -1, bytes: bytes(VOTE, 1) })).toMatchObject({ ok: false, code: 'too-old' });
    expect(await again.persist({ kind: 'commit', round: -1, height: 2, view: 3, bytes: bytes(BLOCK_VOTE, 1) })).toMatchObject({ ok: false, code: 'too-old' });
    expect(await again.persist({ kind: 'vote', round: 30, height: -1, view: -1, bytes: bytes(VOTE, 30) })).toEqual({ ok: true, fresh: true });
    expect(await again.persist({ kind: 'commit', round: -1, height: 3, view: 0, bytes: bytes(BLOCK_VOTE, 3) })).toEqual({ ok: true, fresh: true });
    await again.close();
  });

  test('pending readings past the limit are refused, never dropped', async () => {
    const dir = tempDir('state');
    const state = await NodeState.open(dir, { limits: { pending: 3 } });
    for (const seq of [1, 2, 3]) await state.addPending({ meter: METER, seq, bytes: bytes(10, seq) });
    await expect(state.addPending({ meter: METER, seq: 4, bytes: bytes(10, 4) })).rejects.toThrow(/give the oldest up/);
    expect(state.pending().map((p) => p.seq)).toEqual([1, 2, 3]);
    await state.settle(METER, [1]);
    await state.addPending({ meter: METER, seq: 4, bytes: bytes(10, 4) });
    await state.close();
  });
});

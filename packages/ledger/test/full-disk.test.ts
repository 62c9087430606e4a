// A full disk that frees up again: the node state and the block store write again by themselves, nothing written
// twice or lost, and what waits on a write (a signature) waits until it is durable. A real small tmpfs, filled with
// a file and then freed (root needed: CI runs as root; elsewhere the test is skipped with a note).
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BlockStore, NodeState } from '@meterchain/ledger';
import { removeTempDirs, tempDir } from './support/tmp.ts';

let mount: string | undefined;

function tryMount(): string | undefined {
  const dir = tempDir('tmpfs');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`full-disk test: cannot mount a tmpfs (${(e as Error).message.split('\n')[0]}): CI must run it as root`);
    process.stderr.write('full-disk test skipped: mounting a tmpfs needs root\n');
    return undefined;
  }
}

beforeAll(() => {
  mount = tryMount();
});
afterAll(() => {
  if (mount) execFileSync('umount', ['-l', mount]);
  removeTempDirs();
});

/** Fills the file system holding `dir` to the last byte; returns the filler's path. */
let fillers: string[] = [];
function fill(dir: string): string {
  const path = join(dir, 'filler');
  fillers.push(path);
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return path;
}

const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return done;
};

// Larger than a page: a write cannot fit in the slack of a file's last page on the full tmpfs.
const vote = (round: number, fill: number) => ({ kind: 'vote' as const, round, height: -1, view: -1, bytes: new Uint8Array(6000).fill(fill) });

describe('a full disk that frees up', () => {
  afterEach(() => {
    for (const f of fillers) rmSync(f, { force: true });
    fillers = [];
  });

  test('the node state waits, retries and writes once there is room; the vote is durable and granted once', async () => {
    if (!mount) return;
    const dir = join(mount, 'state');
    mkdirSync(dir);
    const errors: string[] = [];
    const state = await NodeState.open(dir, { onWriteError: (e) => errors.push(e.message) });
    expect(await state.persist(vote(1, 1))).toEqual({ ok: true, fresh: true });
    const filler = fill(mount);
    const waiting = state.persist(vote(2, 2));
    const pending = state.addPending({ meter: new Uint8Array(20).fill(3), seq: 2, bytes: new Uint8Array(5000).fill(2) });
    // While the disk is full the vote is not granted (it must not be published), and the failure is reported.
    expect(await settledWithin(waiting, 500)).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/ENOSPC/);
    // A different vote for the same round is still refused: the slot is taken, durable or not.
    const other = state.persist(vote(2, 9));
    rmSync(filler);
    expect(await waiting).toEqual({ ok: true, fresh: true });
    expect(await other).toMatchObject({ ok: false, code: 'conflict' });
    await pending;
    // Writes go on as before.
    expect(await state.persist(vote(3, 3))).toEqual({ ok: true, fresh: true });
    await state.close();
    const again = await NodeState.open(dir);
    expect(again.lastSigned('vote')?.index).toBe(3);
    expect(again.signedFor({ kind: 'vote', index: 2 })).toBeDefined();
    expect(again.pending().map((p) => p.seq)).toEqual([2]);
    expect(again.recovery.cutAt).toBeUndefined();
    await again.close();
    rmSync(dir, { recursive: true });
  }, 30000);

  test('a compaction that meets a full disk goes on with the old journal and folds later', async () => {
    if (!mount) return;
    const dir = join(mount, 'state-compact');
    mkdirSync(dir);
    const state = await NodeState.open(dir, { compactEvery: 8 });
    for (let r = 1; r <= 6; r++) await state.persist(vote(r, r));
    const filler = fill(mount);
    const waiting = Promise.all([7, 8, 9].map((r) => state.persist(vote(r, r))));
    expect(await settledWithin(waiting, 500)).toBe(false);
    rmSync(filler);
    await waiting;
    for (let r = 10; r <= 30; r++) await state.persist(vote(r, r));
    await state.close();
    const again = await NodeState.open(dir);
    for (let r = 1; r <= 30; r++) expect(again.signedFor({ kind: 'vote', index: r })?.digest).toBeDefined();
    await again.close();
    rmSync(dir, { recursive: true });
  }, 30000);

  test('the block store: a failed append is made again after recover(), stored once, the log intact', async () => {
    if (!mount) return;
    const dir = join(mount, 'blocks');
    const { store } = await BlockStore.open(dir, { keysOf: (r) => ({ height: r[0]! }) });
    const block = (h: number) => new Uint8Array(20000).fill(h);
    for (let h = 0; h < 5; h++) await store.append(block(h));
    const filler = fill(mount);
    await expect(store.append(block(5))).rejects.toMatchObject({ code: 'io-failed' });
    // Before recover() the store refuses; recover() on a full disk may succeed (it only cuts), appends still fail.
    await store.recover();
    await expect(store.append(block(5))).rejects.toMatchObject({ code: 'io-failed' });
    rmSync(filler);
    await store.recover();
    expect(store.count).toBe(5);
    expect(await store.append(block(5))).toMatchObject({ height: 5 });
    expect(await store.append(block(6))).toMatchObject({ height: 6 });
    await store.close();
    const { store: again, recovery } = await BlockStore.open(dir, { keysOf: (r) => ({ height: r[0]! }), scan: 'full' });
    expect(again.count).toBe(7);
    expect(recovery.cutAt).toBeUndefined();
    for (let h = 0; h < 7; h++) expect((await again.get(h))![0]).toBe(h);
    await again.close();
  }, 30000);
});

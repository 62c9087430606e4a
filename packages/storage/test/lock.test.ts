import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takePidLock } from '../src/index.ts';

// A pid far above any real one on Linux (pid_max is at most 2^22): no process has it.
const DEAD_PID = 2147483646;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-storage-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pid lock files', () => {
  test('a free lock is taken: the file names this process, and release removes it', async () => {
    const path = join(dir, 'LOCK');
    const taken = await takePidLock(path);
    if (!taken.ok) throw new Error('lock not taken');
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    await taken.lock.release();
    expect(existsSync(path)).toBe(false);
  });

  test('a lock held by a live process is refused with its pid', async () => {
    const path = join(dir, 'LOCK');
    writeFileSync(path, '1\n'); // pid 1 always runs
    expect(await takePidLock(path)).toEqual({ ok: false, heldBy: 1 });
    expect(readFileSync(path, 'utf8')).toBe('1\n');
  });

  test('a lock left by a process that is gone is taken over, with or without a final newline', async () => {
    for (const text of [`${DEAD_PID}\n`, String(DEAD_PID)]) {
      const path = join(dir, 'LOCK');
      writeFileSync(path, text);
      const taken = await takePidLock(path);
      expect(taken.ok).toBe(true);
      if (taken.ok) await taken.lock.release();
    }
  });

  test('an unreadable lock (garbage, empty) is stale', async () => {
    const path = join(dir, 'LOCK');
    writeFileSync(path, 'not a pid');
    expect((await takePidLock(path)).ok).toBe(true);
  });

  test("this process's own lock is taken over by default and refused with ownPid 'refuse'", async () => {
    const path = join(dir, 'LOCK');
    const first = await takePidLock(path);
    expect(first.ok).toBe(true);
    expect(await takePidLock(path, { ownPid: 'refuse' })).toEqual({ ok: false, heldBy: process.pid });
    expect((await takePidLock(path)).ok).toBe(true);
  });

  test('a missing directory is the file system failing, thrown as it is', async () => {
    await expect(takePidLock(join(dir, 'missing', 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

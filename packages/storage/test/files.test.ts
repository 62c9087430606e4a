import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIfExists, replaceFileAtomically } from '../src/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-storage-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic replacement', () => {
  test('replaces a file with bytes or text and leaves no temporary file behind', async () => {
    const path = join(dir, 'state');
    writeFileSync(path, 'old');
    await replaceFileAtomically(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await replaceFileAtomically(path, '{"incarnation":7}');
    expect(readFileSync(path, 'utf8')).toBe('{"incarnation":7}');
    expect(readdirSync(dir)).toEqual(['state']);
  });
});

describe('readIfExists', () => {
  test('gives the bytes of a file, and undefined for one that does not exist', async () => {
    writeFileSync(join(dir, 'a'), 'x');
    expect(await readIfExists(join(dir, 'a'))).toEqual(new Uint8Array([0x78]));
    expect(await readIfExists(join(dir, 'b'))).toBeUndefined();
  });
});

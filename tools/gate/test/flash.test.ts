// How the gate runs a program as a board does: written to flash piece by piece through the console, each piece
// after the previous one's answer (the console's input buffer is small), then booted with load().
import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFromFlash } from '../src/index.ts';

const fake = fileURLToPath(new URL('./support/fake-espruino.mjs', import.meta.url));
chmodSync(fake, 0o755);

describe('runFromFlash', () => {
  test('saves a program of many pieces, with non-ASCII text, boots it and reads its output and memory', async () => {
    const program = `var s = ''; for (var i = 0; i < 300; i++) s += 'x'; print('ran', s.length, '≥ 1 µs');` + '\n// ' + 'y'.repeat(3000);
    const result = await runFromFlash(fake, program, mkdtempSync(join(tmpdir(), 'gate-flash-test-')), 20_000);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.output).toContain('ran 300 ≥ 1 µs');
    expect(result.memory).toEqual({ used: 42, total: 2630 });
  }, 30_000);

  test('a program that throws when booted fails with the uncaught error', async () => {
    const result = await runFromFlash(fake, `throw new Error('out of variables');`, mkdtempSync(join(tmpdir(), 'gate-flash-test-')), 20_000);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Uncaught out of variables/);
  }, 30_000);
});

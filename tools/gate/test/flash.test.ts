// How the gate runs a program as a board does: written to flash piece by piece through the console, each piece
// after the previous one's answer (the console's input buffer is small), then booted with load().
import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageTarget, runFromFlash, runGate } from '../src/index.ts';

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

// With --espruino the gate tells which bundles fit the interpreter's board (by its heap: 2,630 variables is a Puck.js,
// 12,000 a Bangle.js 2 or Jolt.js) and fails only on a board a bundle claims (package.json meterchain fits).
describe('boards a bundle fits', () => {
  const fixture = fileURLToPath(new URL('./fixtures/portable', import.meta.url));
  const outDir = mkdtempSync(join(tmpdir(), 'gate-fits-'));
  /** The stand-in with a heap and a boot mode (a wrapper script: the test's process.env does not reach children). */
  function interpreter(env: { heap?: number; boot?: string }): string {
    const bin = join(outDir, `espruino-${env.heap ?? 2630}-${env.boot ?? 'runs'}`);
    writeFileSync(bin, `#!/bin/sh\nFAKE_ESPRUINO_HEAP=${env.heap ?? 2630} FAKE_ESPRUINO_BOOT=${env.boot ?? ''} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(fake)} "$@"\n`, { mode: 0o755 });
    return bin;
  }
  function gate(fits: string[], env: { heap?: number; boot?: string }) {
    return runGate({ targets: [packageTarget('fixture portable', fixture, fits)], outDir, espruino: interpreter(env) });
  }

  test('out of memory on a board the bundle claims fails the gate; on one it does not claim it is reported, not failed', async () => {
    const claimed = await gate(['puck', 'bangle2'], { boot: 'oom' });
    expect(claimed.board).toEqual({ name: 'puck', variables: 2630 });
    expect(claimed.ok).toBe(false);
    expect(claimed.findings.map((f) => [f.rule, f.message])).toEqual([['espruino', expect.stringMatching(/^does not fit puck, which it claims .*LOW_MEMORY/)]]);
    expect(claimed.targets[0]!.fit).toEqual({ board: 'puck', fits: false, claimed: true });
    const unclaimed = await gate(['bangle2'], { boot: 'oom' });
    expect(unclaimed.ok).toBe(true);
    expect(unclaimed.targets[0]!.fit).toEqual({ board: 'puck', fits: false, claimed: false });
    expect(unclaimed.targets[0]!.espruino!.outOfMemory).toBe(true);
    const bangle = await gate(['bangle2'], { heap: 12000, boot: 'oom' });
    expect(bangle.board).toEqual({ name: 'bangle2', variables: 12000 });
    expect(bangle.ok).toBe(false);
    const fits = await gate(['bangle2'], { heap: 12000 });
    expect(fits.ok).toBe(true);
    expect(fits.targets[0]!.fit).toEqual({ board: 'bangle2', fits: true, claimed: true });
  }, 60_000);

  test('an error that is not memory fails on any board; an unknown board in fits is a finding; an unknown heap is named by its size', async () => {
    const odd = await runGate({ targets: [packageTarget('fixture smoke-throws', fileURLToPath(new URL('./fixtures/smoke-throws', import.meta.url)), ['puck'])], outDir, espruino: interpreter({ heap: 5000 }), smoke: false });
    expect(odd.board).toEqual({ name: '5000 variables', variables: 5000 });
    expect(odd.targets[0]!.fit).toMatchObject({ board: '5000 variables', fits: false, claimed: false });
    expect(odd.findings.filter((f) => f.rule === 'espruino').map((f) => f.message)).toEqual([expect.stringMatching(/Uncaught/)]);
    const unknown = await gate(['pixl'], {});
    expect(unknown.findings.map((f) => f.message)).toEqual([expect.stringMatching(/fits: unknown board 'pixl'/)]);
  }, 60_000);
});

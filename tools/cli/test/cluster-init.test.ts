import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-cluster-init-'));
const params = (out: string) => JSON.parse(meterchain(['cluster', 'show', '--manifest', join(out, 'manifest.cbor'), '--json']).stdout).params;

describe('meterchain cluster init: timing options', () => {
  test('a small cluster gets a skew of 250 ms by default (not 2 s past every round with a silent member)', () => {
    const r = meterchain(['cluster', 'init', '--name', 'f', '--members', '4', '--rule', 'bft', '--out', join(dir, 'a')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rounds of 1000 ms, skew 250 ms');
    expect(params(join(dir, 'a'))).toEqual({ roundMs: 1000, blockRounds: 10, skewMs: 250, timeoutMs: 3000 });
  });

  test('--skew-ms and --timeout-ms go into the signed manifest', () => {
    const out = join(dir, 'b');
    const r = meterchain(['cluster', 'init', '--name', 'f', '--members', '4', '--rule', 'bft', '--out', out, '--round-ms', '2000', '--block-rounds', '5', '--skew-ms', '800', '--timeout-ms', '5000']);
    expect(r.code).toBe(0);
    expect(params(out)).toEqual({ roundMs: 2000, blockRounds: 5, skewMs: 800, timeoutMs: 5000 });
  });

  test('a skew or timeout that is not a whole number in range is one line and exit 2', () => {
    for (const bad of [['--skew-ms', 'abc'], ['--skew-ms', '-1'], ['--skew-ms', '60001'], ['--timeout-ms', '0']]) {
      const r = meterchain(['cluster', 'init', '--name', 'f', '--members', '4', '--rule', 'bft', '--out', join(dir, 'c'), ...bad]);
      expect(r.code).toBe(2);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toContain(bad[0]);
    }
  });
});

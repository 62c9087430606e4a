// `meterchain node repair`: the command every node-state and chain damage message names (docs/ledger.md §4).
import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-cli-repair-'));
const config = join(dir, 'node.yaml');

beforeAll(() => {
  expect(meterchain(['cluster', 'init', '--name', 'feeder-1', '--members', '4', '--rule', 'bft', '--out', join(dir, 'c')]).code).toBe(0);
  writeFileSync(
    config,
    ['cluster:', `  manifest: ${join(dir, 'c/manifest.cbor')}`, `key: ${join(dir, 'c/members/m01/meter.key')}`, `dataDir: ${join(dir, 'data')}`, 'broker:', '  url: mqtt://127.0.0.1:1', 'sensor:', '  type: simulated', ''].join('\n'),
  );
}, 60_000);

describe('meterchain node repair', () => {
  test('is described in the usage of meterchain node', () => {
    const r = meterchain(['node', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('meterchain node repair --config node.yaml [--above-height H]');
  });

  test('without --config: one line, exit 2', () => {
    const r = meterchain(['node', 'repair']);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain('missing required option --config');
  });

  test('an empty chain: the heights the node may have voted at are unknown, so --above-height is required', () => {
    const r = meterchain(['node', 'repair', '--config', config]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/the chain is empty, so the heights this node may have voted at are unknown: give --above-height H/);
    expect(existsSync(join(dir, 'data/state/state.log'))).toBe(false);
  });

  test('with --above-height: writes a fenced node state and says where the fence is', () => {
    const r = meterchain(['node', 'repair', '--config', config, '--above-height', '41']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^chain: 0 blocks$/m);
    expect(r.stdout).toMatch(/^node state: 0 entries kept, 0 damaged ranges left out/m);
    expect(r.stdout).toMatch(/^fence: no submission or vote for rounds up to \d+, no block vote or timeout at heights up to 41$/m);
    expect(existsSync(join(dir, 'data/state/state.log'))).toBe(true);
  });

  test('--above-height must be a whole number', () => {
    const r = meterchain(['node', 'repair', '--config', config, '--above-height', 'x']);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  });
});

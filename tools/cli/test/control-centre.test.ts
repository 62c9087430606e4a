// `meterchain control-centre`, run as a user runs it: --once loads and verifies the chains and prints the totals;
// served, the API answers on the printed address and SIGTERM ends it cleanly; bad input is one line and exit 2.
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockFileName } from '@meterchain/ledger';
import { generateChain, writeChainFiles } from '@meterchain/ledger/testing';
import { dropSchema, requirePostgres, scratchSchema, TEST_POSTGRES_URL } from '@meterchain/testkit/postgres';
import { nodeVerifier } from '@meterchain/crypto';
import { runWideArea } from '@meterchain/widearea/testing';
import { isOneLineError, meterchain, repoRoot } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-cc-cli-'));
const east = generateChain({ blocks: 3, seed: 3, cluster: 'east' });
const west = generateChain({ blocks: 2, seed: 4, cluster: 'west', rejectEvery: 6 });
writeChainFiles(join(dir, 'east'), east);
writeChainFiles(join(dir, 'west'), west);
writeFileSync(join(dir, 'west.manifest'), west.manifest);
const wide = runWideArea({ regions: [east, west], verifier: nodeVerifier(), rounds: 4 });
writeChainFiles(join(dir, 'wide'), { manifest: wide.manifestBytes, blocks: wide.blocks, readings: 0 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('meterchain control-centre', () => {
  test('--once verifies and loads every region and the wide-area chain, prints the totals (embedded database)', () => {
    const r = meterchain(['control-centre', '--region', join(dir, 'east'), '--region', `${join(dir, 'west')},${join(dir, 'west.manifest')}`, '--widearea', join(dir, 'wide'), '--once'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`east: 3 blocks verified and loaded, height 2, ${east.readings} readings`));
    expect(r.stdout).toMatch(new RegExp(`west: 2 blocks verified and loaded, height 1, ${west.readings} readings`));
    expect(r.stdout).toMatch(new RegExp(`wide-area chain: height ${wide.blocks.length - 1}, 5 loaded blocks anchored, 0 split views`));
  }, 150_000);

  test('--once against PostgreSQL in a schema of its own', async () => {
    if (!(await requirePostgres('control-centre --database'))) return;
    const schema = scratchSchema('mc_cc_cli');
    try {
      const r = meterchain(['control-centre', '--region', join(dir, 'east'), '--database', TEST_POSTGRES_URL, '--schema', schema, '--once'], { timeoutMs: 120_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/east: 3 blocks verified and loaded/);
    } finally {
      await dropSchema(schema);
    }
  }, 150_000);

  test('a forged block: the region stops there, the fault on stderr, exit 1', () => {
    const forged = join(dir, 'forged');
    writeChainFiles(forged, east);
    writeFileSync(join(forged, 'blocks', blockFileName(1)), east.blocks[2]!);
    const r = meterchain(['control-centre', '--region', forged, '--once'], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/east: 1 block verified and loaded, height 0, .*stopped: block 1 .*height/);
    expect(r.stderr).toMatch(/region east stopped: block 1/);
  }, 150_000);

  test('serves the API on the printed address until SIGTERM', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'tools', 'cli', 'bin', 'meterchain.js'), 'control-centre', '--region', join(dir, 'east'), '--port', '0', '--poll-ms', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /control centre: (http:\/\/\S+)\/api\/regions/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    // Loaded by the first poll: wait for the height, not a fixed time.
    let regions: any[] = [];
    for (let i = 0; i < 200 && !(regions[0] && regions[0].height === 2); i++) {
      regions = (await (await fetch(`${url}/api/regions`)).json()) as any[];
      if (regions[0]?.height !== 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(regions[0]).toMatchObject({ region: 'east', height: 2, readings: east.readings });
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(err).toBe('');
  }, 150_000);

  test('bad input: one line on stderr, exit 2', () => {
    const cases = [
      ['control-centre'],
      ['control-centre', '--region', join(dir, 'nowhere')],
      ['control-centre', '--region', join(dir, 'east'), '--database', 'mysql://x'],
      ['control-centre', '--region', `${join(dir, 'east')},${join(dir, 'west.missing')}`],
      ['control-centre', '--region', join(dir, 'east'), '--port', '70000'],
      ['control-centre', '--region', join(dir, 'east'), '--schema', 'Bad-Name'],
      ['control-centre', '--region', join(dir, 'east'), '--database', 'postgres://nobody@127.0.0.1:1/none', '--once'],
    ];
    for (const args of cases) {
      const r = meterchain(args, { timeoutMs: 60_000 });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(isOneLineError(r)).toBe(true);
    }
  }, 200_000);
});

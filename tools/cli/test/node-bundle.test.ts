// The single-file node a device runs (scripts/build-node.ts): built into a temporary directory, it answers as
// `meterchain node` does, and four of them agree and commit blocks through a real Mosquitto.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster } from '../../../firmware/linux/test/support/cluster.ts';
import { buildNodeBundle, type NodeBundle } from '../scripts/build-node.ts';
import { isOneLineError, meterchain, type Run } from './run.ts';

let dir: string;
let bundle: NodeBundle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-node-bundle-'));
  bundle = await buildNodeBundle({ outfile: join(dir, 'meterchain-node.mjs') });
}, 30_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runBundle(args: string[]): Run {
  const r = spawnSync(process.execPath, [bundle.outfile, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, MC_DEBUG: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('the bundle builds in seconds, without warnings, into one file', () => {
  expect(bundle.warnings).toEqual([]);
  expect(bundle.ms).toBeLessThan(15_000);
  expect(bundle.bytes).toBeGreaterThan(100_000);
});

describe('the bundled node answers as `meterchain node`', () => {
  const cases: [string, () => string[]][] = [
    ['no arguments', () => []],
    ['a configuration file that does not exist', () => ['--config', join(dir, 'missing.yaml')]],
    ['a configuration with a schema error', () => ['--config', join(dir, 'bad.yaml')]],
    ['an unknown option', () => ['--config', join(dir, 'bad.yaml'), '--colour']],
  ];

  beforeAll(() => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      ['cluster:', '  manifest: manifest.cbor', 'key: meter.key', 'dataDir: data', 'broker:', '  url: mqtt://127.0.0.1:9', 'sensor:', '  type: teleport', ''].join('\n'),
    );
  });

  test.each(cases)('%s: one line on stderr, exit 2, no stack trace', (_what, args) => {
    const bundled = runBundle(args());
    expect(bundled.code).toBe(2);
    expect(bundled.stdout).toBe('');
    expect(isOneLineError(bundled)).toBe(true);
    expect(bundled.stderr).toMatch(/^meterchain node: /);
    expect(meterchain(['node', ...args()], { cwd: dir })).toEqual(bundled);
  });

  test('the schema error names the key', () => {
    expect(runBundle(['--config', join(dir, 'bad.yaml')]).stderr).toMatch(/sensor\.type: must be one of/);
  });

  test('--help prints the usage and exits 0', () => {
    const bundled = runBundle(['--help']);
    expect(bundled.code).toBe(0);
    expect(bundled.stderr).toBe('');
    expect(bundled.stdout).toMatch(/^usage: meterchain node --config node\.yaml\n/);
    expect(meterchain(['node', '--help'])).toEqual(bundled);
  });
});

const withMosquitto = requireMosquitto('the bundled 4-node cluster test') ? describe : describe.skip;

withMosquitto('four bundled nodes over Mosquitto', () => {
  interface Proc {
    child: ChildProcess;
    logs: Record<string, unknown>[];
    stderr: string;
    exit: Promise<number | null>;
  }
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  const procs: Proc[] = [];

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4, genesisMs: Math.ceil((Date.now() + 3000) / 500) * 500 });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    for (const m of cluster.members) {
      cluster.configure(m);
      const child = spawn(process.execPath, [bundle.outfile, '--config', m.config], { cwd: m.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const p: Proc = { child, logs: [], stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
      createInterface({ input: child.stdout! }).on('line', (line) => p.logs.push(JSON.parse(line) as Record<string, unknown>));
      child.stderr!.on('data', (chunk: Buffer) => (p.stderr += chunk.toString('utf8')));
      procs.push(p);
    }
  }, 20_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exit));
    await broker?.close();
    if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  });

  test('each commits a block, stops on SIGTERM with exit 0, and its chain verifies', async () => {
    const committed = (p: Proc) => p.logs.some((l) => l['msg'] === 'block committed');
    await waitFor('a committed block on every bundled node', () => procs.every(committed) || procs.some((p) => p.child.exitCode !== null), 25_000);
    expect(procs.map((p) => p.stderr)).toEqual(procs.map(() => ''));
    expect(procs.every(committed)).toBe(true);
    for (const p of procs) p.child.kill('SIGTERM');
    expect(await Promise.all(procs.map((p) => p.exit))).toEqual([0, 0, 0, 0]);
    for (const p of procs) expect(p.stderr).toBe('meterchain node: SIGTERM: stopping\n');
    for (const m of cluster.members) {
      const report = await cluster.verify(m);
      expect(report.ok).toBe(true);
      if (report.ok) expect(report.blocks).toBeGreaterThanOrEqual(1);
    }
  }, 35_000);
});

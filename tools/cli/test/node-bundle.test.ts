// The single-file node a device runs (scripts/build-node.ts): built into a temporary directory, it answers as
// `meterchain node` does, refuses to run two nodes of one process on one key or data directory, and four meters (two
// of them in one process) agree and commit blocks through a real Mosquitto.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster, type TestMember } from '../../../firmware/linux/test/support/cluster.ts';
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
    expect(bundled.stdout).toMatch(/^usage: meterchain node --config node\.yaml \[--config other\.yaml \.\.\.\] \[--check-each\]\n/);
    expect(meterchain(['node', '--help'])).toEqual(bundled);
  });
});

describe('several meters in one process', () => {
  let cluster: TestCluster;

  beforeAll(() => {
    // Round 0 is an hour away and no broker listens: the nodes that start sign nothing and publish nothing.
    cluster = createTestCluster({ members: 4, brokerUrl: () => 'mqtt://127.0.0.1:9', genesisMs: Math.ceil((Date.now() + 3_600_000) / 500) * 500 });
    for (const m of cluster.members) cluster.configure(m);
  });

  afterAll(() => {
    if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  });

  /** A copy of a member's configuration with a different data directory. */
  const variant = (i: number, file: string, dataDir: string): string => {
    const m = cluster.members[i]!;
    const path = join(m.dir, file);
    writeFileSync(path, readFileSync(m.config, 'utf8').replace('dataDir: data\n', `dataDir: ${dataDir}\n`));
    return path;
  };

  test('a second node on the same key is refused: one line naming both files, exit 2, the first node stopped', () => {
    const [a, b] = [cluster.members[0]!.config, variant(0, 'again.yaml', 'data-again')];
    const r = runBundle(['--config', a, '--config', b]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toBe(`meterchain node: ${b}: key: meter ${cluster.members[0]!.address} is already run by ${a}\n`);
  });

  test('a second node on the same data directory is refused', () => {
    const a = cluster.members[1]!.config;
    const b = variant(2, 'shared.yaml', '../m02/data');
    const r = runBundle(['--config', a, '--config', b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`meterchain node: ${b}: dataDir: ${join(cluster.members[1]!.dir, 'data')} is already run by ${a}\n`);
  });

  test('a bad configuration among several names its file', () => {
    const r = runBundle(['--config', cluster.members[3]!.config, '--config', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`^meterchain node: ${join(dir, 'bad.yaml')}: sensor\\.type: must be one of`));
  });

  test('--receiver: a password file without a login, or one that cannot be read, is one line and exit 2', () => {
    const config = cluster.members[3]!.config;
    expect(runBundle(['--config', config, '--receiver-password-file', join(dir, 'none.pass')])).toEqual({ code: 2, stdout: '', stderr: 'meterchain node: --receiver-password-file needs --receiver LOGIN\n' });
    const unreadable = runBundle(['--config', config, '--receiver', 'rx-gateway', '--receiver-password-file', join(dir, 'none.pass')]);
    expect(unreadable).toEqual({ code: 2, stdout: '', stderr: `meterchain node: --receiver-password-file: cannot read ${join(dir, 'none.pass')}: ENOENT\n` });
  });

  test('the same file named twice is a usage error', () => {
    const r = runBundle(['--config', cluster.members[3]!.config, '--config', cluster.members[3]!.config]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'meterchain node: --config: the same file is named twice\n' });
  });
});

const withMosquitto = requireMosquitto('the bundled 4-node cluster test') ? describe : describe.skip;

withMosquitto('four bundled meters over Mosquitto, two to a process', () => {
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
    broker = await startMosquitto({ users: [...cluster.members.map((m) => ({ username: m.address, password: m.password })), { username: 'rx-gateway', password: 'pw-rx-gateway' }] });
    for (const m of cluster.members) cluster.configure(m);
    const [m1, m2, m3, m4] = cluster.members as [TestMember, TestMember, TestMember, TestMember];
    // The first process receives the cluster's broadcast frames over one connection of its own login (--receiver);
    // the second checks every signature in each of its nodes (--check-each).
    const receiverPass = join(cluster.dir, 'rx-gateway.pass');
    writeFileSync(receiverPass, 'pw-rx-gateway\n');
    for (const [hosted, extra] of [[[m1, m2], ['--receiver', 'rx-gateway', '--receiver-password-file', receiverPass]], [[m3, m4], ['--check-each']]] as const) {
      const configs = [...hosted.flatMap((m) => ['--config', m.config]), ...extra];
      const child = spawn(process.execPath, [bundle.outfile, ...configs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
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

  test('each meter commits a block, each process stops on SIGTERM with exit 0, and every chain verifies', async () => {
    // Every log line of a node names its meter: the process running two meters commits for both.
    const committed = (m: TestMember) => procs.some((p) => p.logs.some((l) => l['msg'] === 'block committed' && l['meter'] === m.address));
    await waitFor('a committed block on every bundled meter', () => cluster.members.every(committed) || procs.some((p) => p.child.exitCode !== null), 25_000);
    expect(procs.map((p) => p.stderr)).toEqual(procs.map(() => ''));
    expect(cluster.members.filter((m) => !committed(m)).map((m) => m.name)).toEqual([]);
    expect(procs[0]!.logs.some((l) => l['meter'] === cluster.members[1]!.address)).toBe(true);
    // The two meters of the first process share what they have checked: signatures one found valid, the other
    // recalls. Those of the second (--check-each) check everything themselves.
    const recalled = (p: Proc, m: TestMember) => p.logs.filter((l) => l['msg'] === 'status' && l['meter'] === m.address).at(-1)?.['recalled'];
    const [m1, m2, m3, m4] = cluster.members as [TestMember, TestMember, TestMember, TestMember];
    expect((recalled(procs[0]!, m1) as number) + (recalled(procs[0]!, m2) as number)).toBeGreaterThan(0);
    expect([recalled(procs[1]!, m3), recalled(procs[1]!, m4)]).toEqual([0, 0]);
    // The first process's receiver logged in once, for both its meters.
    expect(broker.log().match(/New client connected .* as rx-gateway /g)?.length).toBe(1);
    for (const p of procs) p.child.kill('SIGTERM');
    expect(await Promise.all(procs.map((p) => p.exit))).toEqual([0, 0]);
    for (const p of procs) expect(p.stderr).toBe('meterchain node: SIGTERM: stopping\n');
    for (const m of cluster.members) {
      const report = await cluster.verify(m);
      expect(report.ok).toBe(true);
      if (report.ok) expect(report.blocks).toBeGreaterThanOrEqual(1);
    }
  }, 35_000);

  test('a receiver login the broker refuses is logged as such, and the node still stops cleanly', async () => {
    const wrong = join(cluster.dir, 'rx-wrong.pass');
    writeFileSync(wrong, 'not-the-password\n');
    const child = spawn(process.execPath, [bundle.outfile, '--config', cluster.members[0]!.config, '--receiver', 'rx-gateway', '--receiver-password-file', wrong], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const refused = () => logs.find((l) => l['msg'] === 'shared receiver: broker error');
    await waitFor('the refused receiver login in the log', () => refused() !== undefined || child.exitCode !== null, 15_000);
    expect(refused()).toMatchObject({ level: 'warn', login: 'rx-gateway' });
    expect(String((refused()!['error'] as { message?: string }).message ?? refused()!['error'])).toMatch(/[Bb]ad user name or password|[Nn]ot authori[sz]ed/);
    // Its own connection is fine: it starts (the broadcast subscriptions wait for the receiver), and stops on SIGTERM.
    await waitFor('the node started', () => logs.some((l) => l['msg'] === 'node started') || child.exitCode !== null, 15_000);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);
});

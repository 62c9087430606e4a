// A node whose signing records are damaged or missing does not start: one line names the file (and offset) and the
// repair command; `meterchain node repair` keeps what is intact and fences what the node may have signed, and the
// node then runs on with its cluster without equivocating (docs/ledger.md §4). Real Mosquitto, real processes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, heightOf, waitFor, type TestCluster, type TestMember } from './support/cluster.ts';

const run = requireMosquitto('the node state repair test') ? describe : describe.skip;
const bin = fileURLToPath(new URL('../../../tools/cli/bin/meterchain.js', import.meta.url));

function meterchain(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MC_DEBUG: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A node started on a refused data directory: it must exit at once, never run. */
function refusedStart(m: TestMember): { code: number; stderr: string } {
  const r = meterchain(['node', '--config', m.config]);
  return { code: r.code, stderr: r.stderr };
}

run('node state damage and repair', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 2, genesisMs: Math.ceil((Date.now() + 3000) / 500) * 500 });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await broker?.close();
  });

  const evidence = () => cluster.members.flatMap((m) => m.logs.filter((l) => l['msg'] === 'equivocation evidence'));

  test('a byte flipped in the journal: refused with file, offset and command; repaired; the node runs on', async () => {
    const victim = cluster.members[0]!;
    await waitFor('two blocks', () => heightOf(victim) >= 1, 40_000);
    await cluster.stop(victim);
    const stateDir = join(victim.dir, 'data', 'state');
    const journal = readdirSync(stateDir).find((n) => /^journal-\d+\.log$/.test(n))!;
    const bytes = readFileSync(join(stateDir, journal));
    expect(bytes.length).toBeGreaterThan(2000);
    bytes[Math.floor(bytes.length / 3)] ^= 0x01;
    writeFileSync(join(stateDir, journal), bytes);

    const refused = refusedStart(victim);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`${journal}: record `);
    expect(refused.stderr).toMatch(/at byte \d+ is damaged/);
    expect(refused.stderr).toContain(`repair with \`meterchain node repair --config ${victim.config}\``);

    const repaired = meterchain(['node', 'repair', '--config', victim.config]);
    expect(repaired.stderr).toBe('');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/node state: \d+ entries kept, 1 damaged ranges left out/);
    expect(repaired.stdout).toMatch(/fence: no submission or vote for rounds up to \d+, no block vote or timeout at heights up to \d+/);

    const before = Math.max(...cluster.members.slice(1).map(heightOf));
    await cluster.start(victim);
    await waitFor('the repaired node to commit two more blocks', () => heightOf(victim) >= before + 2, 40_000);
    expect(evidence()).toEqual([]);
    expect((await cluster.verify(victim)).ok).toBe(true);
  }, 120_000);

  test('a damaged stored block: refused naming the command; repaired (cut, with the height a peer holds); the node runs on', async () => {
    const victim = cluster.members[2]!;
    await cluster.stop(victim);
    const log = join(victim.dir, 'data', 'chain', 'blocks.log');
    const bytes = readFileSync(log);
    bytes[bytes.length - 100] ^= 0x01; // inside the last block, below the durable mark written on close
    writeFileSync(log, bytes);

    const refused = refusedStart(victim);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/blocks\.log: record \d+ at byte \d+ (is damaged \(bad check\) below the durable mark|fails its check)/);
    expect(refused.stderr).toContain(`repair with \`meterchain node repair --config ${victim.config}\``);

    // The chain loses blocks: the heights the node may have voted at are not known from its own files.
    const asks = meterchain(['node', 'repair', '--config', victim.config]);
    expect(asks.code).toBe(2);
    expect(asks.stderr).toMatch(/bytes of the chain were cut off, so the heights this node may have voted at are unknown: give --above-height H/);
    const peerHeight = Math.max(...cluster.members.filter((m) => m !== victim).map(heightOf));
    const repaired = meterchain(['node', 'repair', '--config', victim.config, '--above-height', String(peerHeight)]);
    expect(repaired.stderr).toBe('');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`no block vote or timeout at heights up to ${peerHeight}`);

    await cluster.start(victim);
    await waitFor('the repaired node to commit two more blocks', () => heightOf(victim) >= peerHeight + 2, 60_000);
    expect(evidence()).toEqual([]);
    expect((await cluster.verify(victim)).ok).toBe(true);
  }, 150_000);

  test('a deleted state folder: refused naming the command; repaired with a fence; the node runs on', async () => {
    const victim = cluster.members[1]!;
    await cluster.stop(victim);
    rmSync(join(victim.dir, 'data', 'state'), { recursive: true });

    const refused = refusedStart(victim);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/state: no signing records, but this node ran before \(its chain holds \d+ blocks\)/);
    expect(refused.stderr).toContain(`repair with \`meterchain node repair --config ${victim.config}\``);

    const repaired = meterchain(['node', 'repair', '--config', victim.config]);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/node state: 0 entries kept/);

    const before = Math.max(...cluster.members.filter((m) => m !== victim).map(heightOf));
    await cluster.start(victim);
    await waitFor('the repaired node to commit two more blocks', () => heightOf(victim) >= before + 2, 40_000);
    expect(evidence()).toEqual([]);
    expect((await cluster.verify(victim)).ok).toBe(true);
  }, 120_000);
});

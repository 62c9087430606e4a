// A meter process is killed with SIGKILL (a power cut) in the middle of a run and started again on the same data
// directory: it resumes without ever signing a second, different message for a slot (no peer catches it
// equivocating), its chain verifies, and none of its readings is lost.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { account } from './support/accounting.ts';
import { createTestCluster, heightOf, waitFor, type TestCluster, type TestMember } from './support/cluster.ts';

const run = requireMosquitto('the power cut test') ? describe : describe.skip;
const bin = fileURLToPath(new URL('../../../tools/cli/bin/meterchain.js', import.meta.url));

function startProcess(m: TestMember, state: { height: number }): ChildProcess {
  const proc = spawn(process.execPath, [bin, 'node', '--config', m.config], { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const rec = JSON.parse(line) as Record<string, unknown>;
    m.logs.push(rec);
    if (rec['msg'] === 'block committed') state.height = rec['height'] as number;
  });
  proc.stderr!.resume();
  return proc;
}

run('a power cut on one meter', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  let proc: ChildProcess | undefined;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4, genesisMs: Math.ceil((Date.now() + 4000) / 500) * 500 });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    // The other three run in this process; the first is a real `meterchain node` process.
    cluster.configure(cluster.members[0]!);
    await Promise.all(cluster.members.slice(1).map((m) => cluster.start(m)));
  }, 30_000);

  afterAll(async () => {
    proc?.kill('SIGKILL');
    await cluster?.stopAll();
    await broker?.close();
  });

  test('resumes without equivocating, and keeps every reading', async () => {
    const [victim, ...others] = cluster.members as [TestMember, ...TestMember[]];
    const seen = { height: -1 };
    proc = startProcess(victim, seen);
    await waitFor('a first block on the meter process', () => seen.height >= 0, 30_000);
    await new Promise((r) => setTimeout(r, 700)); // somewhere inside a round, between signatures
    proc.kill('SIGKILL');
    await new Promise((r) => proc!.once('exit', r));
    const before = Math.max(...others.map(heightOf));
    proc = startProcess(victim, seen);
    await waitFor('the restarted meter to commit two more blocks', () => seen.height >= before + 2, 45_000);
    proc.kill('SIGTERM');
    await new Promise((r) => proc!.once('exit', r));
    proc = undefined;
    await cluster.stopAll();

    for (const m of others) expect(m.logs.filter((l) => l['msg'] === 'equivocation evidence')).toEqual([]);
    expect(victim.logs.filter((l) => l['level'] === 'error')).toEqual([]);
    expect(victim.logs.filter((l) => l['msg'] === 'node started').length).toBe(2);
    expect((await cluster.verify(victim)).ok).toBe(true);
    const a = await account(cluster, victim);
    expect(a.lost).toEqual([]);
    expect(a.inChain.length).toBeGreaterThan(4);
  }, 120_000);
});

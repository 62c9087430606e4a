// CI's fault campaigns: `npm run campaign -- --minutes 3 --json [--receiver]` (rounds of 250 ms: over 700 rounds), a
// real cluster of bundled nodes and a real Mosquitto under every kind of fault, judged from what the nodes stored.
// Each of the five counters that must be 0 is its own assertion, so a failure names it. In CI a missing Mosquitto is
// a failure.
// Each loads both cores for about four minutes: tools/jest/run.js runs them alone, after the rest of the suite.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireMosquitto } from '@meterchain/testkit/mosquitto';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const run = requireMosquitto('the fault campaign') ? describe : describe.skip;

interface Result {
  forks: number;
  acceptedMissing: number;
  ownLost: number;
  restartsFailed: number;
  stallsOverLimit: number;
  maxRssMiB: number;
  maxDiskMiB: number;
  faults: Record<string, number>;
  rounds: number;
  blocks: number;
}

// Twice: nodes on their own connections, and each node with a receiving connection of its own (--receiver: the
// cluster's broadcast frames over a second login, through the same proxy), which must ride out the same faults.
run.each([
  ['a 3-minute fault campaign', []],
  ['a 3-minute fault campaign, each node receiving over a shared receiver (--receiver)', ['--receiver']],
])('%s', (_title: string, extra: string[]) => {
  let result: Result;
  let stderr = '';

  beforeAll(async () => {
    const seed = process.env.MC_CAMPAIGN_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
    const child = spawn('npm', ['run', '--silent', 'campaign', '--', '--minutes', '3', '--json', '--seed', seed, ...extra], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      process.stderr.write(c);
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (!line) throw new Error(`campaign printed no result (exit ${code}):\n${stderr.slice(-4000)}`);
    result = JSON.parse(line) as Result;
  }, 12 * 60_000);

  test('no fork between honest nodes', () => expect(result.forks).toBe(0));
  test('no accepted reading missing from the chain', () => expect(result.acceptedMissing).toBe(0));
  test('no own reading lost', () => expect(result.ownLost).toBe(0));
  test('every restart came up', () => expect(result.restartsFailed).toBe(0));
  test('no stall over the limit with faults healed', () => expect(result.stallsOverLimit).toBe(0));
  test('it spanned several hundred rounds, every fault kind, and committed blocks', () => {
    expect(result.rounds).toBeGreaterThanOrEqual(600);
    for (const kind of ['kill', 'power-cut', 'broker', 'cut-off', 'clock-skew', 'disk-full', 'censor', 'equivocate', 'flood', 'forge-header']) {
      expect({ kind, injected: (result.faults[kind] ?? 0) >= 1 }).toEqual({ kind, injected: true });
    }
    expect(result.blocks).toBeGreaterThan(result.rounds / 8 / 2);
  });
});

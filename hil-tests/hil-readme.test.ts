// hil-tests/README.md, run: its sh blocks in order in an empty directory, each standing in the project's simulators
// for the lab's device (Modbus TCP, an RS-485 line on a pty pair, an optical probe), and its yaml block checked as a
// scenario. What the reader is told to expect is what the commands print.
import { afterAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../tools/cli/src/hil/scenario.ts';
import { freePort } from './support/net.ts';
import { repoRoot } from './support/paths.ts';
import { requirePrograms } from './support/programs.ts';
import { tempDir } from './support/pty.ts';

const README = join(repoRoot, 'hil-tests', 'README.md');
const ready = requirePrograms('socat');
const dir = tempDir('hil-readme');
afterAll(() => dir.remove());

function blocks(lang: string): { text: string; line: number }[] {
  const text = readFileSync(README, 'utf8');
  const out: { text: string; line: number }[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    if (m[1] === lang) out.push({ text: m[2]!, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

test('the scenario the README shows is a valid scenario', () => {
  const [yaml] = blocks('yaml');
  const file = join(dir.path, 'readme-scenario.yaml');
  writeFileSync(file, yaml!.text);
  const scenario = loadScenario(file);
  expect(scenario.faults.map((f) => f.kind)).toEqual(['delay', 'delay']);
  expect(scenario.pass.minGaps).toBe(1);
});

test('the README lists every shipped scenario, and only those', () => {
  const text = readFileSync(README, 'utf8');
  const section = /^## The shipped scenarios\n([\s\S]*?)^Older suites/m.exec(text)?.[1] ?? '';
  const listed = [...section.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!).sort();
  const shipped = readdirSync(join(repoRoot, 'hil-tests', 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  expect(listed).toEqual(shipped);
});

(ready ? test : test.skip)('every shell command of the README runs against the simulators and prints what the README says', async () => {
  const sh = blocks('sh');
  expect(sh.length).toBeGreaterThanOrEqual(10);
  const script = ['set -euo pipefail', ...sh.map((b) => `echo "== README block at line ${b.line}" >&2\n${b.text}`)].join('\n');
  const env: NodeJS.ProcessEnv = { ...process.env, MC: repoRoot, MODBUS_PORT: String(await freePort()) };
  delete env.METER;
  delete env.RS485;
  delete env.PROBE;
  // Its own process group, so the stand-in devices and socat it leaves running end with it.
  const child = spawn('bash', ['-c', script], { cwd: dir.path, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 240_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(limit);
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // all gone already
  }
  if (code !== 0) throw new Error(`the README's commands failed (exit ${code}):\n${stderr.split('\n').slice(-20).join('\n')}\n${stdout.slice(-3000)}`);
  expect(stdout).toMatch(/^usage: meterchain hil run/m);
  expect(stdout).toMatch(/^1-0:32\.7\.0\s+230\.51 V$/m);
  for (const name of ['clean-baseline', 'replug', 'crc-errors-flagged', 'iec62056-readout', 'cluster-faulty-member']) expect(stdout).toContain(`  PASS ${name} (`);
  // The stated values pass, clean and under noise at 1e-2; the wrong statement fails and the report names it.
  expect(stdout.match(/ {2}PASS sdm630-stated-values \(/g)).toHaveLength(2);
  expect(stdout).toContain('  FAIL sdm630-stated-values (');
  expect(stdout).toMatch(/^1-0:32\.7\.0 = 230\.51 V, expected 240 V ± 0\.5$/m);
  expect(stdout).not.toContain('expected a failure');
  expect(stdout).toMatch(/^junit\.xml\nreport\.html$/m);
  expect(stdout).toMatch(/^2\nfailures="0"\n<h1>meterchain lab report: sdm630<\/h1>$/m);
}, 300_000);

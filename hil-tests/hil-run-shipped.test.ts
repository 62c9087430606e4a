// Every shipped lab scenario, run as a lab runs them (`meterchain hil run` with no --scenario: all that fit the
// profile) against the project's simulators: the SDM630 for the Modbus scenarios, the IEC 62056-21 meter for the
// readout ones. Each must pass; its verdict is read back from the JUnit report the run writes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { meterchainBin, repoRoot } from './support/paths.ts';
import { runProgram } from './support/process.ts';
import { requirePrograms } from './support/programs.ts';
import { tempDir } from './support/pty.ts';

const ready = requirePrograms('socat');
const scenarioDir = join(repoRoot, 'hil-tests', 'scenarios');
const files = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml')).sort();
const names = files.map((f) => f.replace(/\.yaml$/, ''));
const out = tempDir('hil-shipped');
const runs: { [profile: string]: { code: number | string; output: string; junit: string } } = {};

/** The simulator profile a shipped scenario runs on in CI: the SDM630 for Modbus scenarios, else the readout. */
function profileOf(name: string): string {
  const doc = parse(readFileSync(join(scenarioDir, `${name}.yaml`), 'utf8')) as { profiles: string[] };
  return doc.profiles.includes('sdm630') ? 'sdm630' : doc.profiles[0]!;
}

beforeAll(async () => {
  if (!ready) return;
  for (const profile of new Set(names.map(profileOf))) {
    const dir = join(out.path, profile);
    const run = await runProgram(process.execPath, [meterchainBin, 'hil', 'run', '--profile', profile, '--out', dir], 240_000);
    runs[profile] = { ...run, junit: readFileSync(join(dir, 'junit.xml'), 'utf8') };
  }
}, 300_000);

afterAll(() => out.remove());

test('the shipped scenarios cover each behaviour the issue names', () => {
  const behaviours = ['clean-baseline', 'noise-1e-4', 'noise-1e-2', 'device-reset', 'replug', 'slow-device', 'wrong-unit', 'clock-jump', 'cluster-faulty-member'];
  // The earlier hil-tests suites' behaviours, as scenarios.
  behaviours.push('exception-codes', 'sparse-register-map', 'late-reply-rtu', 'reply-mismatch');
  for (const name of behaviours) {
    expect(names).toContain(name);
  }
});

(ready ? describe : describe.skip)('meterchain hil run, shipped scenarios on the simulators', () => {
  test('each run exits 0 and ran every shipped scenario of its profile', () => {
    for (const [profile, run] of Object.entries(runs)) {
      expect({ profile, code: run.code, failures: /failures="(\d+)"/.exec(run.junit)?.[1] }).toEqual({ profile, code: 0, failures: '0' });
    }
    const ran = Object.values(runs).flatMap((r) => [...r.junit.matchAll(/<testcase [^>]*name="([^"]+)"/g)].map((m) => m[1]));
    expect(ran.sort()).toEqual(names);
  });

  // The scenarios whose fault is easy to miss (a sparse map, a reply rewritten): the node's bus counted what the
  // scenario is about, so a pass is not a run in which the fault never happened.
  test.each([
    ['exception-codes', 'exceptions', 1, Infinity],
    ['sparse-register-map', 'exceptions', 1, 4],
    ['reply-mismatch', 'mismatches', 1, Infinity],
    ['late-reply-rtu', 'lateReplies', 1, Infinity],
  ])('%s: the node counted %s', (name, counter, min, max) => {
    const html = readFileSync(join(out.path, profileOf(name), 'report.html'), 'utf8');
    const section = html.split('<section id="scenario-').find((s) => s.includes(`${name} <span class="verdict">`)) ?? '';
    const count = Number(new RegExp(`<tr><td>node \\(bus\\)</td><td>${counter}</td><td>(\\d+)</td>`).exec(section)?.[1]);
    expect(count).toBeGreaterThanOrEqual(min);
    expect(count).toBeLessThanOrEqual(max);
  });

  test.each(names)('%s passes, no wrong value accepted unflagged', (name) => {
    const run = runs[profileOf(name)]!;
    const testcase = new RegExp(`<testcase [^>]*name="${name}"[^>]*>([\\s\\S]*?)</testcase>`).exec(run.junit)?.[1] ?? '';
    expect(testcase).toContain('ok   no wrong value accepted unflagged');
    expect(testcase).not.toContain('<failure');
  });
});

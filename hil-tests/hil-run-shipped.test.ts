// Every shipped lab scenario, run as a lab runs it (`meterchain hil run`) against the project's simulators: each
// must pass, and its verdict is read back from the JUnit report the run writes.
import { afterAll, describe, expect, test } from '@jest/globals';
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
const out = tempDir('hil-shipped');

afterAll(() => out.remove());

/** The simulator profile a shipped scenario runs on in CI: the SDM630 for Modbus scenarios, else the readout. */
function profileOf(file: string): string {
  const doc = parse(readFileSync(join(scenarioDir, file), 'utf8')) as { profiles: string[] };
  return doc.profiles.includes('sdm630') ? 'sdm630' : doc.profiles[0]!;
}

test('the shipped scenarios cover each behaviour the issue names', () => {
  const names = files.map((f) => f.replace(/\.yaml$/, ''));
  for (const name of ['clean-baseline', 'noise-1e-4', 'noise-1e-2', 'device-reset', 'replug', 'slow-device', 'wrong-unit', 'clock-jump', 'cluster-faulty-member']) {
    expect(names).toContain(name);
  }
});

(ready ? describe : describe.skip)('meterchain hil run, shipped scenarios on the simulators', () => {
  test.each(files)('%s passes', async (file) => {
    const dir = join(out.path, file);
    const run = await runProgram(process.execPath, [meterchainBin, 'hil', 'run', '--scenario', join(scenarioDir, file), '--profile', profileOf(file), '--out', dir], 90_000);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect({ code: run.code, failures: /failures="(\d+)"/.exec(junit)?.[1] }).toEqual({ code: 0, failures: '0' });
    expect(junit).toContain(`name="${file.replace(/\.yaml$/, '')}"`);
    expect(run.output).toMatch(/ok {3}no wrong value accepted unflagged: \d+ readings/);
  }, 100_000);
});

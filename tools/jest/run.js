#!/usr/bin/env node
// Runs the whole test suite with Jest in ESM mode and ends with the runner's own count: "N passed, N failed".
// With no arguments, the suites that must run alone (ALONE below, and the 3-minute fault campaign, tools/campaign/ci,
// both cores for about four minutes: docs/reliability.md, "CI"; MC_CAMPAIGN=0 leaves it out) run after the rest, one
// at a time, and their tests count in the same line and in
// .cache/jest-results.json; with arguments, Jest runs once with them.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const jestBin = join(require.resolve('jest/package.json'), '..', 'bin', 'jest.js');
const outDir = join(process.cwd(), '.cache');
mkdirSync(outDir, { recursive: true });
const resultFile = join(outDir, 'jest-results.json');

function jest(args, outputFile) {
  const run = spawnSync(
    process.execPath,
    ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jestBin, '--json', `--outputFile=${outputFile}`, ...args],
    { stdio: 'inherit' },
  );
  let results;
  try {
    results = JSON.parse(readFileSync(outputFile, 'utf8'));
  } catch {
    results = undefined;
  }
  return { status: run.status, results };
}

// Suites whose timing is the wire's: a simulated RS-485 line paced at its baud rate, a bus master answering within
// its response timeout. In the full run they go after the rest, alone, so that another suite's load on the same
// cores does not stretch their line (at load average 30-40 a member's late answer collided with the next poll).
const ALONE = ['firmware/linux/test/rs485-', 'packages/transport/test/modbus-rtu', 'packages/transport/test/rtu-late-answer'];

const args = process.argv.slice(2);
const full = args.length === 0;
const runs = [jest(full ? ALONE.map((p) => `--testPathIgnorePatterns=${p}`).concat(['--testPathIgnorePatterns=/node_modules/', '--testPathIgnorePatterns=/tools/campaign/ci/']) : args, resultFile)];
const second = full ? [...ALONE, ...(process.env.MC_CAMPAIGN === '0' ? [] : ['tools/campaign/ci/'])] : [];
if (second.length > 0) runs.push(jest(['--testPathIgnorePatterns=/node_modules/', '--runInBand', '--', ...second], join(outDir, 'jest-results-alone.json')));
let summary = { passed: 0, failed: 0, skipped: 0 };
for (const { results } of runs) {
  if (!results) {
    summary.failed++;
    continue;
  }
  summary.passed += results.numPassedTests;
  summary.failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
  summary.skipped += results.numPendingTests + results.numTodoTests;
}
if (runs.length === 2) {
  // One results file for both runs, as CI reads it.
  const [all, alone] = runs.map((r) => r.results);
  if (all && alone) {
    for (const k of ['numPassedTests', 'numFailedTests', 'numRuntimeErrorTestSuites', 'numPendingTests', 'numTodoTests', 'numTotalTests', 'numPassedTestSuites', 'numFailedTestSuites', 'numTotalTestSuites']) {
      all[k] = (all[k] ?? 0) + (alone[k] ?? 0);
    }
    all.success = all.success && alone.success;
    all.testResults = [...(all.testResults ?? []), ...(alone.testResults ?? [])];
    writeFileSync(resultFile, JSON.stringify(all));
  } else if (all) {
    // The second run left no results: count it as a failure where CI looks.
    all.numRuntimeErrorTestSuites = (all.numRuntimeErrorTestSuites ?? 0) + 1;
    writeFileSync(resultFile, JSON.stringify(all));
  }
}

const line = `${summary.passed} passed, ${summary.failed} failed` + (summary.skipped ? `, ${summary.skipped} skipped` : '');
console.log(line);
process.exit(runs.every((r) => r.status === 0) && summary.failed === 0 ? 0 : 1);

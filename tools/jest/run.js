#!/usr/bin/env node
// Runs the whole test suite with Jest in ESM mode and ends with the runner's own count: "N passed, N failed".
// With no arguments and MC_CAMPAIGN=1 the fault campaign (tools/campaign/ci, both cores for about four minutes) runs
// after the rest, alone, and its tests count in the same line and in .cache/jest-results.json (docs/reliability.md,
// "CI": not by default until it passes every seed); with arguments, Jest runs once with them (the campaign only when
// they name it).
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

const args = process.argv.slice(2);
const runs = [jest(args, resultFile)];
if (args.length === 0 && process.env.MC_CAMPAIGN === '1') {
  const campaignFile = join(outDir, 'jest-results-campaign.json');
  runs.push(jest(['--testPathIgnorePatterns=/node_modules/', '--', 'tools/campaign/ci/'], campaignFile));
}
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
  const [all, campaign] = runs.map((r) => r.results);
  if (all && campaign) {
    for (const k of ['numPassedTests', 'numFailedTests', 'numRuntimeErrorTestSuites', 'numPendingTests', 'numTodoTests', 'numTotalTests', 'numPassedTestSuites', 'numFailedTestSuites', 'numTotalTestSuites']) {
      all[k] = (all[k] ?? 0) + (campaign[k] ?? 0);
    }
    all.success = all.success && campaign.success;
    all.testResults = [...(all.testResults ?? []), ...(campaign.testResults ?? [])];
    writeFileSync(resultFile, JSON.stringify(all));
  } else if (all) {
    // The campaign's run left no results: count it as a failure where CI looks.
    all.numRuntimeErrorTestSuites = (all.numRuntimeErrorTestSuites ?? 0) + 1;
    writeFileSync(resultFile, JSON.stringify(all));
  }
}

const line = `${summary.passed} passed, ${summary.failed} failed` + (summary.skipped ? `, ${summary.skipped} skipped` : '');
console.log(line);
process.exit(runs.every((r) => r.status === 0) && summary.failed === 0 ? 0 : 1);

#!/usr/bin/env node
// Runs the whole test suite with Jest in ESM mode and ends with the runner's own count: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const jestBin = join(require.resolve('jest/package.json'), '..', 'bin', 'jest.js');
const outDir = join(process.cwd(), '.cache');
mkdirSync(outDir, { recursive: true });
const resultFile = join(outDir, 'jest-results.json');

const run = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jestBin, '--json', `--outputFile=${resultFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

let summary;
try {
  const results = JSON.parse(readFileSync(resultFile, 'utf8'));
  const failedSuites = results.numRuntimeErrorTestSuites ?? 0;
  summary = { passed: results.numPassedTests, failed: results.numFailedTests + failedSuites, skipped: results.numPendingTests + results.numTodoTests };
} catch {
  summary = { passed: 0, failed: 1, skipped: 0 };
}
const line = `${summary.passed} passed, ${summary.failed} failed` + (summary.skipped ? `, ${summary.skipped} skipped` : '');
console.log(line);
process.exit(run.status === 0 && summary.failed === 0 ? 0 : 1);

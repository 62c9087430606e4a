// The long crash run: `npx tsx packages/ledger/scripts/crash-run.ts [--kills 2000] [--seed 1] [--blocks 3000]`.
// Kills the writer at that many seeded random moments (with emulated power cuts) and prints the figures as JSON;
// exits 1 when any promise the writer made was broken.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashTest } from '../src/testing/crash.ts';

const { values } = parseArgs({ options: { kills: { type: 'string' }, seed: { type: 'string' }, blocks: { type: 'string' }, 'max-run-ms': { type: 'string' } } });
const result = await runCrashTest({
  kills: Number(values.kills ?? 2000),
  seed: Number(values.seed ?? 1),
  blocks: Number(values.blocks ?? 3000),
  maxRunMs: Number(values['max-run-ms'] ?? 120),
  cacheDir: resolve('.cache', 'ledger'),
  log: (line) => console.error(line),
});
console.log(JSON.stringify(result, null, 2));
process.exitCode = result.violations.length === 0 ? 0 : 1;

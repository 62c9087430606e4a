// The long property run: many more seeds than CI, larger clusters and more rounds, both rules. Prints progress and
// every violation; exits 1 if any seed broke a property or honest acceptance fell below 99 %.
//   npx tsx packages/consensus/scripts/long-property.ts [--seeds N] [--from S] [--max-meters M] [--rounds R]
import { parseArgs } from 'node:util';
import { simCrypto } from '@meterchain/crypto/sim';
import { propertyCase, simulate, violations } from '../src/sim/index.ts';

const { values } = parseArgs({
  options: { seeds: { type: 'string' }, from: { type: 'string' }, 'max-meters': { type: 'string' }, rounds: { type: 'string' } },
});
const seeds = Number(values.seeds ?? 5000);
const from = Number(values.from ?? 1001);
const maxMeters = Number(values['max-meters'] ?? 10);
const rounds = Number(values.rounds ?? 12);
let failures = 0;
const started = Date.now();
for (const rule of ['bft', 'majority'] as const) {
  let honest = 0;
  let accepted = 0;
  for (let seed = from; seed < from + seeds; seed++) {
    const c = propertyCase(rule, seed, { maxMeters, rounds });
    const { report } = simulate(c.options, simCrypto);
    const broken = violations(rule, c, report);
    if (c.live) {
      honest += report.honestReadings;
      accepted += report.honestAccepted;
    }
    if (broken.length > 0) {
      failures++;
      console.log(`FAIL ${rule} seed ${seed}: ${broken.join('; ')} ${JSON.stringify(c.options)}`);
    }
    if ((seed - from + 1) % 500 === 0) console.log(`${rule}: ${seed - from + 1} seeds, ${failures} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const ratio = accepted / Math.max(1, honest);
  console.log(`${rule}: honest readings accepted while connected ${accepted} of ${honest} (${(100 * ratio).toFixed(3)} %)`);
  if (ratio < 0.99) failures++;
}
console.log(failures === 0 ? `long property run passed: ${2 * seeds} seeds` : `long property run FAILED: ${failures} failures`);
process.exitCode = failures === 0 ? 0 : 1;

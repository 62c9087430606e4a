// `npm run campaign -- --minutes M [--seed S] [--json] [--round-ms 250] [--meters 4] [--keep DIR] [--control]
// [--receiver]`: the fault campaign (src/run.ts); --control runs the same cluster without any fault; --receiver runs
// each node with a receiving connection of its own (meterchain node --receiver). Prints the ten figures (as one JSON
// line with --json), and exits 0 only when forks, acceptedMissing, ownLost, restartsFailed and stallsOverLimit are all
// 0; otherwise 1, naming them. Bad options: one line and exit 2.
import { parseArgs } from 'node:util';
import { runCampaign } from '../src/run.ts';

function fail(message: string): never {
  process.stderr.write(`campaign: ${message}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      'round-ms': { type: 'string' },
      meters: { type: 'string' },
      keep: { type: 'string' },
      control: { type: 'boolean' },
      receiver: { type: 'boolean' },
    },
  }));
} catch (e) {
  fail((e as Error).message.split('\n')[0]!);
}
const minutes = Number(values.minutes ?? 3);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const roundMs = Number(values['round-ms'] ?? 250);
const meters = Number(values.meters ?? 4);
if (!(minutes > 0 && minutes <= 24 * 60)) fail('--minutes: expected a number of minutes above 0, at most 1440');
if (!Number.isInteger(seed) || seed < 0) fail('--seed: expected a non-negative integer');
if (!Number.isInteger(roundMs) || roundMs < 100 || roundMs > 5000) fail('--round-ms: expected an integer from 100 to 5000');
if (!Number.isInteger(meters) || meters < 4 || meters > 16) fail('--meters: expected an integer from 4 to 16');

const progress = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
// Bounded whatever happens: the run's length plus time to build, start, stop and check.
const limitMs = minutes * 60_000 + 5 * 60_000 + minutes * 2000;
const watchdog = setTimeout(() => {
  process.stderr.write(`campaign: did not finish within ${Math.round(limitMs / 1000)} s; stopping\n`);
  process.kill(process.pid, 'SIGTERM');
}, limitMs);
watchdog.unref();

let report;
try {
  report = await runCampaign({ minutes, seed, roundMs, meters, progress, control: values.control ?? false, receiver: values.receiver ?? false, ...(values.keep ? { keepDir: values.keep } : {}) });
} catch (e) {
  process.stderr.write(`campaign: ${(e as Error).message.split('\n')[0]}\n`);
  process.exit(2);
}
clearTimeout(watchdog);
for (const f of report.findings) process.stderr.write(`campaign: found: ${f}\n`);
const r = report.result;
if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
else {
  const lines = [
    `forks            ${r.forks}`,
    `acceptedMissing  ${r.acceptedMissing}`,
    `ownLost          ${r.ownLost}`,
    `restartsFailed   ${r.restartsFailed}`,
    `stallsOverLimit  ${r.stallsOverLimit}`,
    `maxRssMiB        ${r.maxRssMiB}`,
    `maxDiskMiB       ${r.maxDiskMiB}`,
    `faults           ${Object.entries(r.faults).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `rounds           ${r.rounds}`,
    `blocks           ${r.blocks}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
process.stderr.write(`campaign: seed ${seed}, ${report.restarts} node restarts${report.dir ? `, files kept in ${report.dir}` : ''}\n`);
if (report.failed.length > 0) {
  process.stderr.write(`campaign: FAILED: ${report.failed.map((k) => `${k} ${r[k]}`).join(', ')}\n`);
  process.exit(1);
}
process.stderr.write('campaign: passed: no fork, no accepted or own reading lost, every restart came up, no stall\n');

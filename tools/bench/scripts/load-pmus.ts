// PMU load benchmark (a script, not a test; `npm run bench:load -- --pmus 16 --fps 60`): N PMU members in one cluster,
// each its own process running the bundled node, its own key, data directory and MQTT client, against one real
// Mosquitto, fed by the PMU simulator (one C37.118.2 stream of N stations at --fps frames/s, as a substation PDC sends)
// for a bounded time. Reports the time from a batch's round end to its acceptance (p50/p99, and p99 against the 1.5 s
// limit of issue 17), frames lost (frames the simulator sent in the measured rounds that are not in a batch in the
// chain: must be 0), and CPU and memory per PMU node.
//
//   npm run bench:load -- --pmus 16 [--fps 60] [--minutes 10] [--warmup 20] [--rule bft|majority] [--out DIR] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createManifest, equalBytes, addressFromText, verifyManifest, type VotingRule } from '@meterchain/core';
import { decodeBody, decodeStoredBlock, openSubmission, roundOf } from '@meterchain/consensus';
import { createNodeSigner, generateSeed, nodeSha256, nodeVerifier, writeKeyPair } from '@meterchain/crypto';
import { openChain, verifyBlocks } from '@meterchain/ledger';
import { PmuSimulator } from '@meterchain/pmu/sim';
import { startMosquitto } from '@meterchain/testkit/mosquitto';
import { buildNodeBundle } from '../../cli/scripts/build-node.ts';
import { clockTicks, quantile, rssKiB } from '../src/proc.ts';

const LIMIT_MS = 1500;

const { values } = parseArgs({
  options: { pmus: { type: 'string' }, fps: { type: 'string' }, minutes: { type: 'string' }, warmup: { type: 'string' }, rule: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
});
const n = Number(values.pmus ?? 16);
const fps = Number(values.fps ?? 60);
const minutes = Number(values.minutes ?? 10);
const warmupMs = Number(values.warmup ?? 20) * 1000;
if (!(Number.isInteger(n) && n >= 4 && n <= 64)) throw new Error('--pmus 4..64');
if (fps !== 50 && fps !== 60) throw new Error('--fps 50 or 60 (a PMU at its nominal frequency)');
if (!(minutes > 0 && minutes <= 60) || !(warmupMs >= 0 && warmupMs <= 300_000)) throw new Error('--minutes up to 60, --warmup up to 300');
const rule: VotingRule = values.rule === 'majority' ? 'majority' : 'bft';
if (values.rule !== undefined && values.rule !== 'bft' && values.rule !== 'majority') throw new Error('--rule bft or majority');

const dir = resolve(values.out ?? mkdtempSync(join(tmpdir(), 'mc-load-pmus-')));
mkdirSync(dir, { recursive: true });
const bundle = await buildNodeBundle({ outfile: join(dir, 'meterchain-node.mjs') });
for (const w of bundle.warnings) process.stderr.write(`load: bundle warning: ${w}\n`);

const members = Array.from({ length: n }, (_, i) => {
  const name = `p${String(i + 1).padStart(3, '0')}`;
  const mdir = join(dir, name);
  mkdirSync(mdir, { recursive: true });
  const pair = writeKeyPair(mdir, generateSeed());
  return { name, dir: mdir, address: pair.address, password: `pw-${i}-${pair.address.slice(2, 12)}`, publicKey: pair.publicKey };
});
const roundMs = 1000;
const blockRounds = 10;
const genesisMs = Math.ceil((Date.now() + 6000 + 500 * n) / 1000) * 1000;
const manifestBytes = createManifest(
  // Batches are signed 80 ms after their round ends; the vote deadline (round end + skewMs) leaves a slow member 700 ms
  // for that, and every member votes at once when all batches are in (so the deadline costs nothing when none is late).
  { cluster: 'load-pmus', rule, members: members.map((m) => ({ publicKey: m.publicKey, name: m.name })), params: { roundMs, blockRounds, skewMs: 700, timeoutMs: 4000 }, genesisMs },
  createNodeSigner(generateSeed()),
);
const manifestPath = join(dir, 'manifest.cbor');
writeFileSync(manifestPath, manifestBytes);
const checked = verifyManifest(manifestBytes, nodeVerifier());
if (!checked.ok) throw new Error(checked.reason);
const manifest = checked.manifest;

const broker = await startMosquitto({ users: members.map((m) => ({ username: m.address, password: m.password })), settings: { max_queued_messages: 20000 } });
const sim = new PmuSimulator({ idcode: 7, stations: n, nominalHz: fps, dataRate: fps });
const simPort = await sim.listen(0);

interface Pmu {
  latencies: number[];
  /** Frames in each batch made, by round. */
  made: Map<number, number>;
  missing: number;
  proc?: ChildProcess;
  ticks0?: { user: number; system: number };
  ticks1?: { user: number; system: number };
  rss: number[];
  latencyRounds: number[];
  started: boolean;
}
const pmus: Pmu[] = members.map(() => ({ latencies: [], made: new Map(), missing: 0, rss: [], latencyRounds: [], started: false }));
members.forEach((m, i) => {
  writeFileSync(join(m.dir, 'broker.pass'), m.password + '\n');
  writeFileSync(
    join(m.dir, 'node.yaml'),
    [
      'cluster:',
      `  manifest: ${manifestPath}`,
      'key: meter.key',
      'dataDir: data',
      'broker:',
      `  url: ${broker.url}`,
      '  passwordFile: broker.pass',
      'sensor:',
      '  type: pmu',
      '  host: 127.0.0.1',
      `  port: ${simPort}`,
      '  idcode: 7',
      `  station: ${100 + i}`,
      'pmu:',
      `  fps: ${fps}`,
      `  nominalHz: ${fps}`,
      'metrics:',
      '  listen: "off"',
      'log:',
      '  level: info',
      '',
    ].join('\n'),
  );
  const proc = spawn(process.execPath, [bundle.outfile, '--config', join(m.dir, 'node.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
  pmus[i]!.proc = proc;
  // Each node's log (JSON lines) in its directory: a few lines a round.
  const log = createWriteStream(join(m.dir, 'node.log'));
  proc.on('exit', () => log.end());
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    log.write(line + '\n');
    if (line.includes('"msg":"node started"')) pmus[i]!.started = true;
    else if (line.includes('"own batch accepted"')) {
      const rec = JSON.parse(line) as { latencyMs: number; round: number };
      pmus[i]!.latencies.push(rec.latencyMs);
      pmus[i]!.latencyRounds.push(rec.round);
    } else if (line.includes('"batch made"')) {
      const rec = JSON.parse(line) as { round: number; frames: number };
      pmus[i]!.made.set(rec.round, rec.frames);
    } else if (line.includes('"PMU frames missing"')) pmus[i]!.missing += (JSON.parse(line) as { missing: number }).missing;
  });
});

const runMs = minutes * 60_000;
// The window starts after genesis and once every node has started (on a loaded machine that can take longer than the
// start-up margin), plus the warm-up.
await new Promise((r) => setTimeout(r, Math.max(0, genesisMs - Date.now())));
const startBy = Date.now() + 120_000;
while (!pmus.every((p) => p.started) && Date.now() < startBy) await new Promise((r) => setTimeout(r, 200));
if (!pmus.every((p) => p.started)) process.stderr.write(`load: ${pmus.filter((p) => !p.started).length} nodes not started after 2 minutes; measuring anyway\n`);
await new Promise((r) => setTimeout(r, warmupMs));
const measureFrom = Date.now();
const simTicks0 = process.cpuUsage();
const brokerTicks0 = clockTicks(broker.pid!);
for (const p of pmus) p.ticks0 = clockTicks(p.proc!.pid!);
const sampler = setInterval(() => {
  for (const p of pmus) p.rss.push(rssKiB(p.proc!.pid!));
}, 10_000);
const progress = setInterval(() => {
  const done = Math.round((Date.now() - measureFrom) / 1000);
  process.stderr.write(`load: ${done}/${runMs / 1000} s, ${pmus.reduce((a, p) => a + p.latencies.length, 0)} batches accepted so far\n`);
}, 30_000);
await new Promise((r) => setTimeout(r, runMs));
const measuredS = (Date.now() - measureFrom) / 1000;
for (const p of pmus) p.ticks1 = clockTicks(p.proc!.pid!);
const brokerTicks1 = clockTicks(broker.pid!);
const simCpu = process.cpuUsage(simTicks0);
// The measured rounds: the whole rounds inside the window. The nodes run on until blocks cover them.
const firstRound = roundOf(manifest, measureFrom) + 1;
const lastRound = roundOf(manifest, measureFrom + measuredS * 1000) - 1;
await new Promise((r) => setTimeout(r, (2 * blockRounds + 2) * roundMs));
clearInterval(sampler);
clearInterval(progress);
for (const p of pmus) p.proc!.kill('SIGTERM');
await Promise.all(pmus.map((p) => new Promise((r) => (p.proc!.exitCode !== null ? r(null) : p.proc!.once('exit', r)))));
await sim.close();
await broker.close();

// Frames: what each PMU's batches of the measured rounds hold in the chain, against what the simulator sent.
const opened = await openChain(join(members[0]!.dir, 'data', 'chain'));
const blocks = await opened.source.read(0, opened.source.count);
const verified = (await verifyBlocks([{ manifest, digest: checked.digest }], opened.source)).ok;
await opened.close();
const inChain = members.map(() => new Map<number, number>());
for (const b of blocks) {
  const s = decodeStoredBlock(b);
  if (!s.ok) continue;
  const body = decodeBody(s.block.body);
  if (!body.ok) continue;
  for (const bytes of body.body.submissions) {
    const o = openSubmission(manifest, bytes, nodeSha256);
    if (!o.ok || !o.submission.batch) continue;
    const i = members.findIndex((m) => equalBytes(addressFromText(m.address), o.submission.member.address));
    if (i >= 0) inChain[i]!.set(o.submission.round, o.submission.batch.count);
  }
}
const rounds = lastRound - firstRound + 1;
const sentPerPmu = rounds * fps;
let framesInChain = 0;
let framesBatched = 0;
let batchesNotInChain = 0;
for (let i = 0; i < n; i++) {
  for (let r = firstRound; r <= lastRound; r++) {
    framesInChain += inChain[i]!.get(r) ?? 0;
    framesBatched += pmus[i]!.made.get(r) ?? 0;
    if (pmus[i]!.made.has(r) && !inChain[i]!.has(r)) batchesNotInChain++;
  }
}
const lost = sentPerPmu * n - framesInChain;
const latencies = pmus.flatMap((p) => p.latencies.filter((_, j) => p.latencyRounds[j]! >= firstRound && p.latencyRounds[j]! <= lastRound)).sort((a, b) => a - b);
const percent = (ticks: number) => (ticks / 100 / measuredS) * 100;
const cpu = pmus.map((p) => percent(p.ticks1!.user - p.ticks0!.user + p.ticks1!.system - p.ticks0!.system));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rss = pmus.map((p) => Math.max(...p.rss, 0) / 1024);
const p99 = quantile(latencies, 0.99);
const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const result = {
  pmus: n,
  fps,
  rule,
  minutes,
  measuredSeconds: Math.round(measuredS),
  rounds,
  batches: { accepted: latencies.length, expected: rounds * n, notInChain: batchesNotInChain },
  roundEndToAcceptanceMs: { p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), p99, max: latencies[latencies.length - 1], limit: LIMIT_MS, p99Ratio: p99 / LIMIT_MS },
  frames: { sent: sentPerPmu * n, batched: framesBatched, inChain: framesInChain, lost, reportedMissingByPdcClients: pmus.reduce((a, p) => a + p.missing, 0) },
  chainVerifies: verified,
  cpuPercentPerPmuNode: { mean: mean(cpu), max: Math.max(...cpu) },
  rssMiBPerPmuNode: { mean: mean(rss), max: Math.max(...rss) },
  simulatorAndBenchCpuPercent: ((simCpu.user + simCpu.system) / 1e6 / measuredS) * 100,
  mosquittoCpuPercent: percent(brokerTicks1.user + brokerTicks1.system - brokerTicks0.user - brokerTicks0.system),
  loadAverageAtEnd: loadAverage,
  dataDir: dir,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`PMUs ${n} at ${fps} frames/s in one cluster (rule ${rule}), measured ${result.measuredSeconds} s (${rounds} rounds) after ${warmupMs / 1000} s warm-up; load average at the end ${loadAverage.join(' ')}`);
  console.log(`batch round end -> acceptance: p50 ${result.roundEndToAcceptanceMs.p50} ms, p90 ${result.roundEndToAcceptanceMs.p90} ms, p99 ${p99} ms = ${(p99 / LIMIT_MS).toFixed(2)} of the ${LIMIT_MS} ms limit, max ${result.roundEndToAcceptanceMs.max} ms (${latencies.length} of ${rounds * n} batches accepted)`);
  console.log(`frames sent ${result.frames.sent}: batched ${framesBatched}, in the chain ${framesInChain}, LOST ${lost} (PDC clients reported ${result.frames.reportedMissingByPdcClients} missing; ${batchesNotInChain} batches made but not in the chain)`);
  console.log(`chain verifies: ${verified}`);
  console.log(`per PMU node: CPU ${result.cpuPercentPerPmuNode.mean.toFixed(1)} % of a core mean (max ${result.cpuPercentPerPmuNode.max.toFixed(1)} %), RSS ${result.rssMiBPerPmuNode.mean.toFixed(0)} MiB mean (max ${result.rssMiBPerPmuNode.max.toFixed(0)} MiB)`);
  console.log(`simulator (in the bench process) ${result.simulatorAndBenchCpuPercent.toFixed(1)} %, mosquitto ${result.mosquittoCpuPercent.toFixed(1)} % of a core`);
}
process.exit(lost === 0 && verified && p99 <= LIMIT_MS ? 0 : 1);

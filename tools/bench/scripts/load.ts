// Load benchmark (a script, not a test): N meters at one round per second, each its own MQTT client, key, data
// directory and node, against one real Mosquitto on this machine, for a bounded time. Reports the time from a round's
// end to the acceptance of each meter's reading (p50/p99), readings lost (must be 0), and CPU (user and system) and
// memory per meter. The meters run the bundled node (npm run build:node), built into the output directory first: what
// a device runs, without a TypeScript loader in each process. By default each meter is its own process;
// `--per-process K` runs K meters in each process (`meterchain node --config a.yaml --config b.yaml ...`), as a
// gateway hosting several meters would, and reports each process's CPU and memory divided by K; the meters of a
// process share what they have checked (each signature is checked once per process) unless `--check-each`.
// `--clusters C` splits
// the meters into C regional clusters of N/C members each (their own manifests and topics) sharing the one broker, as
// DESIGN §3 splits large clusters.
//
//   npx tsx tools/bench/scripts/load.ts [--meters 64] [--minutes 10] [--warmup 30] [--skew-ms 50] [--per-process 1]
//   npx tsx tools/bench/scripts/load.ts --pmus 16 [--fps 60] [--minutes 10] ...: PMU members (load-pmus.ts)
//   npx tsx tools/bench/scripts/load.ts --regions 4 --meters 64 ...: both tiers (load-regions.ts)
//     [--clusters 1] [--check-each] [--receiver]
//     [--vote-mode broadcast|leader] [--rule bft|majority] [--out DIR] [--json]
//   MC_LOG_FIRST=FILE keeps the first meter's debug log (and its process's lines that name no meter);
//   MC_CPU_PROFILE=DIR writes the first process's V8 CPU profile; MC_NODE_ARGS='--trace-gc' passes options to its node.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { addressFromText, createManifest, verifyManifest } from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, writeKeyPair } from '@meterchain/crypto';
import { openChain, verifyBlocks } from '@meterchain/ledger';
import { startMosquitto } from '@meterchain/testkit/mosquitto';
import { buildNodeBundle } from '../../cli/scripts/build-node.ts';
import { rawVerifyRate } from '../src/harness.ts';
import { clockTicks, quantile, rssKiB, type Ticks } from '../src/proc.ts';
import { tallySigned } from '../src/signed.ts';

// `--pmus N`: the PMU cluster benchmark instead (load-pmus.ts), which ends the process itself.
if (process.argv.slice(2).includes('--pmus')) await import('./load-pmus.ts');
// `--regions R`: the two-tier benchmark (load-regions.ts): regions, their gates, substations, the control centre.
if (process.argv.slice(2).includes('--regions')) await import('./load-regions.ts');

const { values } = parseArgs({
  options: { meters: { type: 'string' }, minutes: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'vote-mode': { type: 'string' }, warmup: { type: 'string' }, 'skew-ms': { type: 'string' }, rule: { type: 'string' }, 'per-process': { type: 'string' }, clusters: { type: 'string' }, 'check-each': { type: 'boolean' }, receiver: { type: 'boolean' } },
});
const n = Number(values.meters ?? 64);
const minutes = Number(values.minutes ?? 10);
if (!(n >= 4 && n <= 256) || !(minutes > 0 && minutes <= 60)) throw new Error('--meters 4..256 and --minutes up to 60');
const rule = values.rule ?? 'bft';
if (rule !== 'bft' && rule !== 'majority') throw new Error('--rule bft or majority');
const perProcess = Number(values['per-process'] ?? 1);
if (!(Number.isInteger(perProcess) && perProcess >= 1 && perProcess <= n)) throw new Error('--per-process 1..meters');
const clusterCount = Number(values.clusters ?? 1);
if (!(Number.isInteger(clusterCount) && clusterCount >= 1 && n % clusterCount === 0 && n / clusterCount >= 4)) throw new Error('--clusters C: C divides --meters, and each cluster has at least 4 members');
const clusterSize = n / clusterCount;

// The limit this machine puts on signature checks, measured before the meters start: raw node:crypto Ed25519
// verifications per second on one core (a cached public key).
const verifyPerSecond = rawVerifyRate(1500);
const dir = resolve(values.out ?? mkdtempSync(join(tmpdir(), 'mc-load-')));
mkdirSync(dir, { recursive: true });
const bundle = await buildNodeBundle({ outfile: join(dir, 'meterchain-node.mjs') });
for (const w of bundle.warnings) process.stderr.write(`load: bundle warning: ${w}\n`);
process.stderr.write(`load: built ${bundle.outfile} in ${bundle.ms} ms\n`);


// The clusters: keys, passwords, manifests (bft unless --rule, rounds of 1 s, blocks of 10 rounds).
const members: { name: string; dir: string; address: string; password: string; publicKey: Uint8Array }[] = [];
for (let i = 0; i < n; i++) {
  const name = `m${String(i + 1).padStart(3, '0')}`;
  const mdir = join(dir, name);
  mkdirSync(mdir, { recursive: true });
  const pair = writeKeyPair(mdir, generateSeed());
  members.push({ name, dir: mdir, address: pair.address, password: `pw-${i}-${pair.address.slice(2, 12)}`, publicKey: pair.publicKey });
}
const roundMs = 1000;
const startupMs = 5000 + 250 * n;
const genesisMs = Math.ceil((Date.now() + startupMs) / 1000) * 1000;
/** Cluster k: members k·size .. (k+1)·size − 1. */
const clusters = Array.from({ length: clusterCount }, (_, k) => {
  const name = clusterCount === 1 ? 'load' : `load-${k + 1}`;
  const bytes = createManifest(
    {
      cluster: name,
      rule,
      members: members.slice(k * clusterSize, (k + 1) * clusterSize).map((m) => ({ publicKey: m.publicKey, name: m.name })),
      voteMode: values['vote-mode'] === 'leader' ? 'leader' : 'broadcast',
      // The vote deadline is the round's end + skewMs: members that wait for a slow peer's submission wait until then.
      // Readings are submitted early in the round (runtime look-ahead at roundMs/8), so a short window costs nothing
      // when every member keeps up, and one late member holds the round up for less.
      params: { roundMs, blockRounds: 10, skewMs: Number(values['skew-ms'] ?? 50), timeoutMs: 4000 },
      genesisMs,
    },
    createNodeSigner(generateSeed()),
  );
  const path = join(dir, clusterCount === 1 ? 'manifest.cbor' : `manifest-${k + 1}.cbor`);
  writeFileSync(path, bytes);
  const checked = verifyManifest(bytes, nodeVerifier());
  if (!checked.ok) throw new Error(checked.reason);
  return { path, manifest: checked.manifest, digest: checked.digest };
});
const clusterOf = (i: number) => clusters[Math.floor(i / clusterSize)]!;

// Queues sized for the cluster: each subscriber gets 2·N messages a round (DESIGN §4: past max_queued_messages
// Mosquitto drops QoS 1 messages silently).
// `--receiver`: each process receives its cluster's broadcast frames over one connection of its own login (meterchain
// node --receiver), which the lab ACL lets read the clusters; one login a process (the broker takes the client id
// from the login).
const receiverOf = (first: number) => ({ username: `rx-${members[first]!.name}`, password: `pw-rx-${first}`, file: join(dir, `rx-${members[first]!.name}.pass`) });
const receivers = values.receiver ? Array.from({ length: Math.ceil(n / perProcess) }, (_, p) => receiverOf(p * perProcess)) : [];
for (const r of receivers) writeFileSync(r.file, r.password + '\n', { mode: 0o600 });
const broker = await startMosquitto({ users: [...members, ...receivers].map((m) => ({ username: 'address' in m ? m.address : m.username, password: m.password })), settings: { max_queued_messages: 20000 } });
const mosquittoPid = broker.pid!;

/** One meter: what its log lines said. */
interface Meter {
  name: string;
  latencies: number[];
  rounds: number[];
  signed: number[];
  /** Longest event-loop hold-up in each round (from the status lines), ms. */
  loopDelays: number[];
  /** Signatures the meter's node verified since it started (from its status lines), and that count at the window's start. */
  verified: number;
  verified0?: number;
  /** Signatures it recalled from its process's shared memory (found valid by another meter of the process). */
  recalled: number;
  recalled0?: number;
}
/** One process, running `perProcess` meters. */
interface Proc {
  proc: ChildProcess;
  meters: number;
  ticks0?: Ticks;
  ticks1?: Ticks;
  rss: number[];
}
const meters: Meter[] = members.map((m) => ({ name: m.name, latencies: [], rounds: [], signed: [], loopDelays: [], verified: 0, recalled: 0 }));
const meterByAddress = new Map(members.map((m, i) => [m.address, meters[i]!]));
members.forEach((m, i) => {
  writeFileSync(join(m.dir, 'broker.pass'), m.password + '\n');
  writeFileSync(
    join(m.dir, 'node.yaml'),
    `cluster:\n  manifest: ${clusterOf(i).path}\nkey: meter.key\ndataDir: data\nbroker:\n  url: ${broker.url}\n  passwordFile: broker.pass\nsensor:\n  type: simulated\n  seed: ${i + 1}\nmetrics:\n  listen: "off"\nlog:\n  level: ${i === 0 && process.env.MC_LOG_FIRST ? 'debug' : 'info'}\n`,
  );
});
const procs: Proc[] = [];
for (let first = 0; first < n; first += perProcess) {
  const hosted = members.slice(first, first + perProcess);
  // MC_CPU_PROFILE=DIR writes a V8 CPU profile of the first process (to see where a node's time goes).
  const profile = first === 0 && process.env.MC_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MC_CPU_PROFILE}`] : [];
  // MC_NODE_ARGS='--trace-gc ...' passes V8 and Node options to the first process (those NODE_OPTIONS refuses).
  if (first === 0 && process.env.MC_NODE_ARGS) profile.push(...process.env.MC_NODE_ARGS.split(' ').filter(Boolean));
  const receiver = values.receiver ? receiverOf(first) : undefined;
  const configs = [
    ...hosted.flatMap((m) => ['--config', join(m.dir, 'node.yaml')]),
    ...(values['check-each'] ? ['--check-each'] : []),
    ...(receiver ? ['--receiver', receiver.username, '--receiver-password-file', receiver.file] : []),
  ];
  const proc = spawn(process.execPath, [...profile, bundle.outfile, ...configs], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push({ proc, meters: hosted.length, rss: [] });
  const keep = first === 0 && process.env.MC_LOG_FIRST ? process.env.MC_LOG_FIRST : undefined;
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const p = meterByAddress.get(/"meter":"([^"]+)"/.exec(line)?.[1] ?? '');
    // The first meter's lines, and the first process's lines that name no meter (V8's --trace-gc, for one).
    if (keep && (p === meters[0] || !p)) appendFileSync(keep, line + '\n');
    if (!p) return;
    const delay = /"msg":"status".*"loopDelayMs":(\d+)/.exec(line);
    if (delay) p.loopDelays.push(Number(delay[1]));
    const checks = /"msg":"status".*"verified":(\d+)/.exec(line);
    if (checks) p.verified = Number(checks[1]);
    const recalled = /"msg":"status".*"recalled":(\d+)/.exec(line);
    if (recalled) p.recalled = Number(recalled[1]);
    if (!line.includes('"own reading accepted"') && !line.includes('"reading signed"')) return;
    const rec = JSON.parse(line) as { msg: string; latencyMs?: number; seq?: number; round?: number };
    if (rec.msg === 'own reading accepted') {
      p.latencies.push(rec.latencyMs!);
      p.rounds.push(rec.round!);
    }
    else p.signed.push(rec.seq!);
  });
}

const runMs = minutes * 60_000;
const warmupMs = Number(values.warmup ?? 20) * 1000;
await new Promise((r) => setTimeout(r, Math.max(0, genesisMs - Date.now()) + warmupMs));
const measureFrom = Date.now();
for (const p of procs) p.ticks0 = clockTicks(p.proc.pid!);
for (const m of meters) {
  m.verified0 = m.verified;
  m.recalled0 = m.recalled;
}
const brokerTicks0 = clockTicks(mosquittoPid);
const latencyFrom = meters.map((m) => m.latencies.length);
const delayFrom = meters.map((m) => m.loopDelays.length);
const sampler = setInterval(() => {
  for (const p of procs) p.rss.push(rssKiB(p.proc.pid!));
}, 10_000);
const progress = setInterval(() => {
  const done = Math.round((Date.now() - measureFrom) / 1000);
  const all = meters.flatMap((m, i) => m.latencies.slice(latencyFrom[i]));
  process.stderr.write(`load: ${done}/${runMs / 1000} s, ${all.length} acceptances so far\n`);
}, 30_000);
await new Promise((r) => setTimeout(r, runMs));
clearInterval(sampler);
clearInterval(progress);
const measuredS = (Date.now() - measureFrom) / 1000;
for (const p of procs) p.ticks1 = clockTicks(p.proc.pid!);
const brokerTicks1 = clockTicks(mosquittoPid);

for (const p of procs) p.proc.kill('SIGTERM');
await Promise.all(procs.map((p) => new Promise((r) => (p.proc.exitCode !== null ? r(null) : p.proc.once('exit', r)))));
await broker.close();

// Accounting: every signed reading is in the chain, in the unaccepted log, or pending for rounds not yet in a block.
let lost = 0;
let inChainTotal = 0;
let unacceptedTotal = 0;
let pendingTotal = 0;
let staleTotal = 0;
let verified = true;
for (const [i, m] of members.entries()) {
  const me = addressFromText(m.address);
  const opened = await openChain(join(m.dir, 'data', 'chain'));
  const blocks = await opened.source.read(0, opened.source.count);
  const { manifest, digest } = clusterOf(i);
  // The first meter of each cluster: its chain checked from the manifest alone.
  if (i % clusterSize === 0) verified &&= (await verifyBlocks([{ manifest, digest }], opened.source)).ok;
  await opened.close();
  const tally = await tallySigned(blocks, manifest, me, join(m.dir, 'data'), meters[i]!.signed);
  inChainTotal += tally.inChain;
  unacceptedTotal += tally.unaccepted;
  pendingTotal += tally.pending;
  staleTotal += tally.stale;
  lost += tally.lost;
  if (tally.lost > 0) process.stderr.write(`load: ${m.name}: readings lost, seq ${tally.lostSeqs.join(' ')} (MC_LOG_FIRST=FILE keeps the first meter's log)\n`);
}

const latencies = meters.flatMap((m, i) => m.latencies.slice(latencyFrom[i])).sort((a, b) => a - b);
// How late the meters' timers fired: each meter's longest event-loop hold-up per round, over all meters and rounds.
const loopDelays = meters.flatMap((m, i) => m.loopDelays.slice(delayFrom[i])).sort((a, b) => a - b);
// Where in the block period the late acceptances fall (a block is proposed after the last round of each period).
const lateByPosition = new Array(10).fill(0);
meters.forEach((m, i) => m.latencies.forEach((l, j) => j >= latencyFrom[i]! && l > 0 && lateByPosition[m.rounds[j]! % 10]++));
// CPU % of one core over the measured window, from clock ticks (100 Hz), per meter: a process's share divided by the
// meters it runs.
const percent = (ticks: number) => (ticks / 100 / measuredS) * 100;
const cpuUser = procs.map((p) => percent(p.ticks1!.user - p.ticks0!.user) / p.meters);
const cpuSystem = procs.map((p) => percent(p.ticks1!.system - p.ticks0!.system) / p.meters);
const cpu = procs.map((_, i) => cpuUser[i]! + cpuSystem[i]!);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rssProcess = procs.map((p) => Math.max(...p.rss) / 1024);
const rss = procs.map((p, i) => rssProcess[i]! / p.meters);
// Signature checks: per meter and round, and the share of this machine's cores they alone take at the raw rate.
const rounds = (measuredS * 1000) / roundMs;
const verifiedPerRound = mean(meters.map((m) => (m.verified - m.verified0!) / rounds));
const recalledPerRound = mean(meters.map((m) => (m.recalled - m.recalled0!) / rounds));
const cores = availableParallelism();
const signatureCores = (n * verifiedPerRound * (1000 / roundMs)) / verifyPerSecond;
const result = {
  meters: n,
  clusters: clusterCount,
  metersPerProcess: perProcess,
  sharedSignatureMemory: perProcess > 1 && !values['check-each'],
  processes: procs.length,
  rule,
  minutes,
  measuredSeconds: Math.round(measuredS),
  rounds: Math.round(measuredS * 1000 / roundMs),
  acceptances: latencies.length,
  expectedAcceptances: Math.round((measuredS * 1000 / roundMs) * n),
  roundEndToAcceptanceMs: { p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), p99: quantile(latencies, 0.99), max: latencies[latencies.length - 1] },
  acceptedBeforeRoundEnd: latencies.filter((l) => l <= 0).length / Math.max(1, latencies.length),
  lateByRoundInBlock: lateByPosition,
  readings: { signed: meters.reduce((s, m) => s + m.signed.length, 0), inChain: inChainTotal, unaccepted: unacceptedTotal, pending: pendingTotal, stale: staleTotal, lost },
  chainVerifies: verified,
  cpuPercentPerMeter: { mean: mean(cpu), max: Math.max(...cpu), user: { mean: mean(cpuUser), max: Math.max(...cpuUser) }, system: { mean: mean(cpuSystem), max: Math.max(...cpuSystem) } },
  rssMiBPerMeter: { mean: mean(rss), max: Math.max(...rss) },
  rssMiBPerProcess: { mean: mean(rssProcess), max: Math.max(...rssProcess) },
  eventLoopDelayMsPerRound: { p50: quantile(loopDelays, 0.5), p99: quantile(loopDelays, 0.99), max: loopDelays[loopDelays.length - 1] },
  signatures: {
    verifiedPerMeterPerRound: verifiedPerRound,
    recalledPerMeterPerRound: recalledPerRound,
    rawVerifyPerSecondOneCore: Math.round(verifyPerSecond),
    coresForSignatureChecks: signatureCores,
    shareOfCores: signatureCores / cores,
  },
  mosquittoCpuPercent: percent(brokerTicks1.user + brokerTicks1.system - brokerTicks0.user - brokerTicks0.system),
  nodeBundle: bundle.outfile,
  dataDir: dir,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`meters ${n}${clusterCount > 1 ? ` in ${clusterCount} clusters of ${clusterSize}` : ''}, ${procs.length} processes (rule ${rule}, ${values['vote-mode'] === 'leader' ? 'leader certificates' : 'broadcast votes'}), measured ${result.measuredSeconds} s (${result.rounds} rounds) after ${warmupMs / 1000} s warm-up`);
  console.log(`accepted before the round ended: ${(result.acceptedBeforeRoundEnd * 100).toFixed(1)} %; late acceptances by round within the block period: ${lateByPosition.join(' ')}`);
  console.log(`round end -> acceptance (negative: before the end): p50 ${result.roundEndToAcceptanceMs.p50} ms, p90 ${result.roundEndToAcceptanceMs.p90} ms, p99 ${result.roundEndToAcceptanceMs.p99} ms, max ${result.roundEndToAcceptanceMs.max} ms (${latencies.length} of ~${result.expectedAcceptances} readings accepted in the window)`);
  console.log(`readings signed ${result.readings.signed}: in chain ${inChainTotal}, unaccepted (reported) ${unacceptedTotal}, pending ${pendingTotal}, pending for rounds the chain covers ${staleTotal}, LOST ${lost}`);
  console.log(`chain verifies: ${verified}${clusterCount > 1 ? ' (first meter of each cluster)' : ''}`);
  const c = result.cpuPercentPerMeter;
  console.log(`per meter${perProcess > 1 ? ` (a process's share divided by the ${perProcess} meters it runs; RSS per process ${result.rssMiBPerProcess.mean.toFixed(0)} MiB mean)` : ' process'}: CPU ${c.mean.toFixed(1)} % mean (max ${c.max.toFixed(1)} %; user ${c.user.mean.toFixed(1)} % mean, max ${c.user.max.toFixed(1)} %; system ${c.system.mean.toFixed(1)} % mean, max ${c.system.max.toFixed(1)} %), RSS ${result.rssMiBPerMeter.mean.toFixed(0)} MiB mean (max ${result.rssMiBPerMeter.max.toFixed(0)} MiB)`);
  console.log(`event-loop hold-up per meter and round: p50 ${result.eventLoopDelayMsPerRound.p50} ms, p99 ${result.eventLoopDelayMsPerRound.p99} ms, max ${result.eventLoopDelayMsPerRound.max} ms`);
  console.log(`mosquitto CPU ${result.mosquittoCpuPercent.toFixed(1)} %`);
  const recall = result.sharedSignatureMemory ? ` (and ${recalledPerRound.toFixed(1)} recalled: checked by another meter of the process)` : '';
  console.log(`signature checks: ${verifiedPerRound.toFixed(1)} per meter per round${recall}; raw verify ${Math.round(verifyPerSecond)}/s on one core here, so the checks alone take ${signatureCores.toFixed(2)} cores (${((signatureCores / cores) * 100).toFixed(0)} % of ${cores})`);
}
process.exit(lost === 0 && verified && result.roundEndToAcceptanceMs.p99 < 250 ? 0 : 1);

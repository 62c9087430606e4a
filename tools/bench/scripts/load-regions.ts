// Two-tier load benchmark (a script, not a test), `npm run bench:load -- --regions R --meters M`: R regional clusters
// of M meters at one round a second, each region on its own Mosquitto bridged to the wide-area broker, its first
// member the cluster gate; a wide-area chain of S substations (each its own process) anchoring every regional block;
// the control centre (in this process) loading everything into PostgreSQL. Bounded: a warm-up, a measured window, then
// the meters stop and the substations get a bounded time to anchor the last blocks. Reports per region the time from
// a round's end to each reading's acceptance (p50/p99), the time from a regional block's commit (its gate's log) to
// its anchoring (the first substation's log), readings lost (must be 0), regional blocks anchored, CPU and memory per
// meter and per substation, the brokers' CPU, and the database's ingest rate with the control centre's lag.
//
//   npm run bench:load -- --regions 4 --meters 64 [--substations 4] [--minutes 2] [--warmup 30] [--per-process 16] [--receiver]
//     [--out DIR] [--json]        (PostgreSQL: MC_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test)
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { addressFromText, createManifest, verifyManifest, type Manifest } from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, writeKeyPair } from '@meterchain/crypto';
import { openChain, verifyBlocks } from '@meterchain/ledger';
import { ControlCentre } from '@meterchain/control-centre';
import { SHIPPED_MOSQUITTO_ACL, SHIPPED_MOSQUITTO_CONF, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { dropSchema, requirePostgres, scratchSchema, TEST_POSTGRES_URL } from '@meterchain/testkit/postgres';
import { bridgeConfig, wideAreaBridgeAcl } from '@meterchain/transport';
import { buildNodeBundle } from '../../cli/scripts/build-node.ts';
import { rawVerifyRate } from '../src/harness.ts';
import { clockTicks, quantile, rssKiB, type Ticks } from '../src/proc.ts';
import { tallySigned } from '../src/signed.ts';

const { values } = parseArgs({
  options: {
    regions: { type: 'string' },
    meters: { type: 'string' },
    substations: { type: 'string' },
    minutes: { type: 'string' },
    warmup: { type: 'string' },
    'per-process': { type: 'string' },
    receiver: { type: 'boolean' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const R = Number(values.regions ?? 4);
const M = Number(values.meters ?? 64);
const S = Number(values.substations ?? 4);
const minutes = Number(values.minutes ?? 2);
const perProcess = Number(values['per-process'] ?? Math.min(16, M));
const usage = (why: string): never => {
  process.stderr.write(`bench:load --regions: ${why}\n`);
  process.exit(2);
};
if (!(Number.isInteger(R) && R >= 1 && R <= 8)) usage('--regions 1..8');
if (!(Number.isInteger(M) && M >= 4 && M <= 64)) usage('--meters 4..64 (per region)');
if (!(Number.isInteger(S) && S >= 4 && S <= 16)) usage('--substations 4..16');
if (!(minutes > 0 && minutes <= 30)) usage('--minutes up to 30');
if (!(Number.isInteger(perProcess) && perProcess >= 1 && M % perProcess === 0)) usage('--per-process K: K divides --meters');
// The PostgreSQL server the tests use (MC_TEST_POSTGRES to name another), in a schema of its own dropped afterwards.
const databaseUrl = TEST_POSTGRES_URL;
if (!(await requirePostgres('bench:load --regions (the control centre loads PostgreSQL)'))) usage(`no PostgreSQL at ${databaseUrl}`);

const load0 = loadavg();
// The limit signature checks put on this machine, measured before anything starts: raw node:crypto Ed25519
// verifications per second on one core.
const verifyPerSecond = rawVerifyRate(1500);
const dir = resolve(values.out ?? mkdtempSync(join(tmpdir(), 'mc-load-regions-')));
mkdirSync(dir, { recursive: true });
const bundle = await buildNodeBundle({ outfile: join(dir, 'meterchain-node.mjs') });
process.stderr.write(`load: built ${bundle.outfile} in ${bundle.ms} ms\n`);

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

// ---- the clusters: keys, passwords, manifests ----
const roundMs = 1000;
const processes = R * (M / perProcess) + S;
const genesisMs = Math.ceil((Date.now() + 8000 + 60 * R * M + 1500 * processes) / 1000) * 1000;
const WIDE = 'grid-wide';
const regionNames = ['north', 'south', 'east', 'west', 'centre', 'coast', 'hills', 'valley'].slice(0, R);

interface Member {
  name: string;
  dir: string;
  address: string;
  password: string;
  publicKey: Uint8Array;
}
function makeMembers(prefix: string, count: number): Member[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${String(i + 1).padStart(3, '0')}`;
    const mdir = join(dir, name);
    mkdirSync(mdir, { recursive: true });
    const pair = writeKeyPair(mdir, generateSeed());
    return { name, dir: mdir, address: pair.address, password: `pw-${pair.address.slice(2, 14)}`, publicKey: pair.publicKey };
  });
}
function makeManifest(cluster: string, members: Member[], blockRounds: number): { path: string; manifest: Manifest; digest: Uint8Array; bytes: Uint8Array } {
  const bytes = createManifest(
    {
      cluster,
      rule: 'bft',
      members: members.map((m) => ({ publicKey: m.publicKey, name: m.name })),
      // As the one-cluster benchmark's reference runs (docs/benchmarks.md): leader certificates, a 50 ms window.
      voteMode: 'leader',
      params: { roundMs, blockRounds, skewMs: 50, timeoutMs: 4000 },
      genesisMs,
    },
    createNodeSigner(generateSeed()),
  );
  const path = join(dir, `${cluster}.manifest.cbor`);
  writeFileSync(path, bytes);
  const v = verifyManifest(bytes, nodeVerifier());
  if (!v.ok) throw new Error(v.reason);
  return { path, manifest: v.manifest, digest: v.digest, bytes };
}
const regions = regionNames.map((name) => {
  const members = makeMembers(name, M);
  return { name, members, ...makeManifest(name, members, 10) };
});
const substations = makeMembers(WIDE, S);
const wide = makeManifest(WIDE, substations, 2);

// ---- brokers: the wide-area one, then each region's with its bridge ----
const brokers: MosquittoBroker[] = [];
const shippedAcl = readFileSync(SHIPPED_MOSQUITTO_ACL, 'utf8');
const bridgeLogin = (region: string) => ({ username: `bridge-${region}`, password: `pw-bridge-${region}` });
const wideBroker = await startMosquitto({
  users: [...substations.map((m) => ({ username: m.address, password: m.password })), ...regionNames.map(bridgeLogin)],
  acl: [shippedAcl, ...regionNames.map((region) => wideAreaBridgeAcl({ region, widearea: WIDE, login: bridgeLogin(region).username }))].join('\n'),
  settings: { max_queued_messages: 20000 },
});
brokers.push(wideBroker);
const regionBroker: { [name: string]: MosquittoBroker } = {};
// `--receiver`: each meter process receives its region's broadcast frames over one connection (meterchain node
// --receiver) of a login of its own, which the lab ACL lets read; the broker takes the client id from the login.
const receiverOf = (region: string, first: number) => ({ username: `rx-${region}-${first + 1}`, password: `pw-rx-${region}-${first + 1}`, file: join(dir, `rx-${region}-${first + 1}.pass`) });
const receiversOf = (region: string) => (values.receiver ? Array.from({ length: M / perProcess }, (_, p) => receiverOf(region, p * perProcess)) : []);
for (const r of regions) for (const x of receiversOf(r.name)) writeFileSync(x.file, x.password + '\n', { mode: 0o600 });
for (const r of regions) {
  const template = readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8') + '\n' + bridgeConfig({ region: r.name, widearea: WIDE, host: wideBroker.host, port: wideBroker.port, login: bridgeLogin(r.name).username, password: bridgeLogin(r.name).password, retryMax: 2 });
  const users = [...r.members.map((m) => ({ username: m.address, password: m.password })), ...receiversOf(r.name).map((x) => ({ username: x.username, password: x.password }))];
  const b = await startMosquitto({ template, users, settings: { max_queued_messages: 20000 } });
  brokers.push(b);
  regionBroker[r.name] = b;
}

// ---- node processes ----
interface Meter {
  region: string;
  latencies: number[];
  signed: number[];
}
interface Proc {
  proc: ChildProcess;
  kind: 'meters' | 'substation';
  nodes: number;
  ticks0?: Ticks;
  ticks1?: Ticks;
  rss: number[];
}
const meterByAddress = new Map<string, Meter>();
/** Signatures each node (meter or substation) verified since it started, from its last status line. */
const verifiedBy = new Map<string, number>();
const noteVerified = (line: string) => {
  const v = /"msg":"status".*"verified":(\d+)/.exec(line);
  if (v) verifiedBy.set(/"meter":"([^"]+)"/.exec(line)?.[1] ?? '', Number(v[1]));
};
const procs: Proc[] = [];
/** When each gate logged a block committed, and when the first substation logged it anchored: region/height → ms. */
const committedAt = new Map<string, number>();
const anchoredAt = new Map<string, number>();
const stamp = (line: string) => Date.parse((/"ts":"([^"]+)"/.exec(line) ?? ['', ''])[1]!);

function writeYaml(m: Member, manifestPath: string, broker: MosquittoBroker, extra: string[]): string {
  writeFileSync(join(m.dir, 'broker.pass'), m.password + '\n');
  const path = join(m.dir, 'node.yaml');
  writeFileSync(path, [`cluster:`, `  manifest: ${manifestPath}`, 'key: meter.key', 'dataDir: data', 'broker:', `  url: ${broker.url}`, '  passwordFile: broker.pass', ...extra, 'metrics:', '  listen: "off"', 'log:', '  level: info', ''].join('\n'));
  return path;
}

for (const r of regions) {
  for (const m of r.members) meterByAddress.set(m.address, { region: r.name, latencies: [], signed: [] });
  const gate = r.members[0]!.address;
  for (let first = 0; first < M; first += perProcess) {
    const hosted = r.members.slice(first, first + perProcess);
    const configs = hosted.flatMap((m, k) => ['--config', writeYaml(m, r.path, regionBroker[r.name]!, ['sensor:', '  type: simulated', `  seed: ${first + k + 1}`, ...(m.address === gate ? ['gate: true'] : [])])]);
    const receiver = values.receiver ? receiverOf(r.name, first) : undefined;
    if (receiver) configs.push('--receiver', receiver.username, '--receiver-password-file', receiver.file);
    const proc = spawn(process.execPath, [bundle.outfile, ...configs], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push({ proc, kind: 'meters', nodes: hosted.length, rss: [] });
    // The process's log, kept in the output directory: where a reading the accounting misses can be looked up.
    const log = createWriteStream(join(dir, `${r.name}-${String(first + 1).padStart(3, '0')}.log`));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      log.write(line + '\n');
      const address = /"meter":"([^"]+)"/.exec(line)?.[1] ?? '';
      noteVerified(line);
      const p = meterByAddress.get(address);
      if (!p) return;
      if (address === gate && line.includes('"msg":"block committed"')) {
        const h = /"height":(\d+)/.exec(line)![1];
        committedAt.set(`${r.name}/${h}`, stamp(line));
        return;
      }
      if (line.includes('"own reading accepted"')) p.latencies.push(Number(/"latencyMs":(-?\d+)/.exec(line)![1]));
      else if (line.includes('"reading signed"')) p.signed.push(Number(/"seq":(\d+)/.exec(line)![1]));
    });
  }
}
const substationStatus = substations.map(() => ({ anchored: 0, waiting: 0 }));
substations.forEach((m, i) => {
  const config = writeYaml(m, wide.path, wideBroker, ['substation:', '  regions:', ...regions.map((r) => `    - manifest: ${r.path}`)]);
  const proc = spawn(process.execPath, [bundle.outfile, '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push({ proc, kind: 'substation', nodes: 1, rss: [] });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    noteVerified(line);
    if (line.includes('"msg":"status"')) {
      substationStatus[i]!.anchored = Number(/"anchored":(\d+)/.exec(line)?.[1] ?? 0);
      substationStatus[i]!.waiting = Number(/"anchorsWaiting":(\d+)/.exec(line)?.[1] ?? 0);
    }
    if (i !== 0 || !line.includes('"msg":"regional block anchored"')) return;
    const region = /"region":"([^"]+)"/.exec(line)![1];
    const h = /"height":(\d+)/.exec(line)![1];
    anchoredAt.set(`${region}/${h}`, stamp(line));
  });
});

// ---- the control centre, loading PostgreSQL ----
const schema = scratchSchema('mc_bench_regions');
const centre = await ControlCentre.open({
  url: databaseUrl,
  schema,
  regions: regions.map((r) => ({ dir: join(r.members[0]!.dir, 'data', 'chain'), manifests: [{ manifest: r.manifest, digest: r.digest }] })),
  widearea: { dir: join(substations[0]!.dir, 'data', 'chain'), manifests: [{ manifest: wide.manifest, digest: wide.digest }], trusted: regions.map((r) => ({ region: r.name, operator: r.manifest.operator })) },
  verifier: nodeVerifier(),
});
let centreBusyMs = 0;
let centreStop = false;
const centreLoop = (async () => {
  while (!centreStop) {
    const t = performance.now();
    await centre.pollOnce().catch((e: unknown) => process.stderr.write(`load: control centre: ${(e as Error).message}\n`));
    centreBusyMs += performance.now() - t;
    await new Promise((r) => setTimeout(r, 1000));
  }
})();
const readingsLoaded = async () => Number((await centre.db.query('SELECT COUNT(*) AS n FROM readings'))[0]!['n']);

// ---- warm-up, measured window ----
const warmupMs = Number(values.warmup ?? 30) * 1000;
await new Promise((r) => setTimeout(r, Math.max(0, genesisMs - Date.now()) + warmupMs));
const measureFrom = Date.now();
for (const p of procs) p.ticks0 = clockTicks(p.proc.pid!);
const brokerTicks0 = brokers.map((b) => clockTicks(b.pid!));
const latencyFrom = new Map([...meterByAddress].map(([a, m]) => [a, m.latencies.length]));
const loaded0 = await readingsLoaded();
const verified0 = [...verifiedBy.values()].reduce((a, b) => a + b, 0);
const centreBusy0 = centreBusyMs;
const cpu0 = process.cpuUsage();
const sampler = setInterval(() => {
  for (const p of procs) p.rss.push(rssKiB(p.proc.pid!));
}, 10_000);
const runMs = minutes * 60_000;
const progress = setInterval(() => {
  const acc = [...meterByAddress].reduce((a, [addr, m]) => a + m.latencies.length - latencyFrom.get(addr)!, 0);
  process.stderr.write(`load: ${Math.round((Date.now() - measureFrom) / 1000)}/${runMs / 1000} s, ${acc} acceptances, anchored ${substationStatus.map((s) => s.anchored).join('/')}, waiting ${substationStatus.map((s) => s.waiting).join('/')}, load ${loadavg()[0]!.toFixed(1)}\n`);
}, 30_000);
await new Promise((r) => setTimeout(r, runMs));
clearInterval(sampler);
clearInterval(progress);
const measuredS = (Date.now() - measureFrom) / 1000;
for (const p of procs) p.ticks1 = clockTicks(p.proc.pid!);
const brokerTicks1 = brokers.map((b) => clockTicks(b.pid!));
const loaded1 = await readingsLoaded();
const verified1 = [...verifiedBy.values()].reduce((a, b) => a + b, 0);
const centreBusy1 = centreBusyMs;
const cpu1 = process.cpuUsage(cpu0);
const load1 = loadavg();

// ---- the meters stop; the substations get a bounded time to anchor the last blocks ----
const meterProcs = procs.filter((p) => p.kind === 'meters');
const stopAll = async (ps: Proc[]) => {
  for (const p of ps) if (p.proc.exitCode === null) p.proc.kill('SIGTERM');
  await Promise.all(ps.map((p) => new Promise((r) => (p.proc.exitCode !== null ? r(null) : p.proc.once('exit', r)))));
};
await stopAll(meterProcs);
const gateHeights = new Map<string, number>();
for (const r of regions) {
  const opened = await openChain(join(r.members[0]!.dir, 'data', 'chain'));
  gateHeights.set(r.name, opened.source.count);
  await opened.close();
}
const anchorDeadline = Date.now() + 60_000;
const allAnchored = () => regions.every((r) => Array.from({ length: gateHeights.get(r.name)! }, (_, h) => anchoredAt.has(`${r.name}/${h}`)).every(Boolean));
while (!allAnchored() && Date.now() < anchorDeadline) await new Promise((r) => setTimeout(r, 1000));
await stopAll(procs);
centreStop = true;
await centreLoop;
await centre.catchUp();
const loadedFinal = await readingsLoaded();
await centre.close();
await dropSchema(schema);
await Promise.all(brokers.map((b) => b.close()));

// ---- accounting: every signed reading is in the chain, in the unaccepted log, or pending for rounds past the chain ----
let lost = 0;
let inChainTotal = 0;
let unacceptedTotal = 0;
let pendingTotal = 0;
let staleTotal = 0;
let verified = true;
let chainReadings = 0;
for (const r of regions) {
  for (const [i, m] of r.members.entries()) {
    const me = addressFromText(m.address);
    const opened = await openChain(join(m.dir, 'data', 'chain'));
    const blocks = await opened.source.read(0, opened.source.count);
    if (i === 0) {
      const report = await verifyBlocks([{ manifest: r.manifest, digest: r.digest }], opened.source);
      verified &&= report.ok;
      if (report.ok) chainReadings += report.readings;
    }
    await opened.close();
    const tally = await tallySigned(blocks, r.manifest, me, join(m.dir, 'data'), meterByAddress.get(m.address)!.signed);
    inChainTotal += tally.inChain;
    unacceptedTotal += tally.unaccepted;
    pendingTotal += tally.pending;
    staleTotal += tally.stale;
    lost += tally.lost;
    if (tally.lost > 0) process.stderr.write(`load: ${m.name} (${m.address}): readings lost, seq ${tally.lostSeqs.join(' ')} (its process's log is in ${dir})\n`);
  }
}
const wideOpened = await openChain(join(substations[0]!.dir, 'data', 'chain'));
const wideReport = await verifyBlocks([{ manifest: wide.manifest, digest: wide.digest }], wideOpened.source);
await wideOpened.close();

// ---- figures ----
const percent = (ticks: number) => (ticks / 100 / measuredS) * 100;
const perNode = (kind: Proc['kind']) => {
  const ps = procs.filter((p) => p.kind === kind);
  const cpu = ps.map((p) => percent(p.ticks1!.user + p.ticks1!.system - p.ticks0!.user - p.ticks0!.system) / p.nodes);
  const rss = ps.map((p) => Math.max(...p.rss, 0) / 1024 / p.nodes);
  return { cpuPercent: { mean: mean(cpu), max: Math.max(...cpu) }, rssMiB: { mean: mean(rss), max: Math.max(...rss) } };
};
const perRegion = regions.map((r) => {
  const lat = r.members.flatMap((m) => meterByAddress.get(m.address)!.latencies.slice(latencyFrom.get(m.address))).sort((a, b) => a - b);
  const lags: number[] = [];
  for (let h = 0; h < gateHeights.get(r.name)!; h++) {
    const c = committedAt.get(`${r.name}/${h}`);
    const a = anchoredAt.get(`${r.name}/${h}`);
    if (c !== undefined && a !== undefined) lags.push(a - c);
  }
  lags.sort((a, b) => a - b);
  const anchored = Array.from({ length: gateHeights.get(r.name)! }, (_, h) => anchoredAt.has(`${r.name}/${h}`)).filter(Boolean).length;
  return {
    region: r.name,
    acceptances: lat.length,
    expected: Math.round(measuredS) * M,
    roundEndToAcceptanceMs: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat[lat.length - 1] },
    commitToAnchorMs: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: lags[lags.length - 1], blocks: lags.length },
    blocks: gateHeights.get(r.name)!,
    anchored,
  };
});
const result = {
  regions: R,
  metersPerRegion: M,
  substations: S,
  metersPerProcess: perProcess,
  processes: procs.length,
  cores: availableParallelism(),
  loadAverage: { before: load0.map((x) => Number(x.toFixed(1))), after: load1.map((x) => Number(x.toFixed(1))) },
  measuredSeconds: Math.round(measuredS),
  signatures: {
    verifiedPerSecond: (verified1 - verified0) / measuredS,
    rawVerifyPerSecondOneCore: Math.round(verifyPerSecond),
    /** Cores the nodes' signature checks alone take at the raw rate measured in this run. */
    cores: (verified1 - verified0) / measuredS / verifyPerSecond,
  },
  perRegion,
  readings: { signed: inChainTotal + unacceptedTotal + pendingTotal + staleTotal + lost, inChain: inChainTotal, unaccepted: unacceptedTotal, pending: pendingTotal, stale: staleTotal, lost },
  chainsVerify: verified && wideReport.ok,
  wideAreaBlocks: wideReport.ok ? wideReport.blocks : -1,
  meters: perNode('meters'),
  substationNodes: perNode('substation'),
  brokersCpuPercent: brokers.map((_, i) => percent(brokerTicks1[i]!.user + brokerTicks1[i]!.system - brokerTicks0[i]!.user - brokerTicks0[i]!.system)),
  database: {
    url: databaseUrl.replace(/\/\/[^@]*@/, '//'),
    readingsLoadedInWindow: loaded1 - loaded0,
    readingsPerSecond: (loaded1 - loaded0) / measuredS,
    readingsAcceptedPerSecond: perRegion.reduce((a, x) => a + x.acceptances, 0) / measuredS,
    controlCentreBusyShare: (centreBusy1 - centreBusy0) / (measuredS * 1000),
    controlCentreCpuPercent: ((cpu1.user + cpu1.system) / 1000 / (measuredS * 1000)) * 100,
    loadedAtEnd: loadedFinal,
    chainReadings,
  },
  dataDir: dir,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`${R} regions × ${M} meters (${perProcess} per process), ${S} substations, ${procs.length} node processes + ${brokers.length} Mosquitto; measured ${result.measuredSeconds} s after ${warmupMs / 1000} s warm-up; load average ${result.loadAverage.before.join(' ')} before, ${result.loadAverage.after.join(' ')} at the end, ${result.cores} cores`);
  for (const x of perRegion) {
    console.log(`${x.region}: round end -> acceptance p50 ${x.roundEndToAcceptanceMs.p50} ms, p99 ${x.roundEndToAcceptanceMs.p99} ms, max ${x.roundEndToAcceptanceMs.max} ms (${x.acceptances} of ~${x.expected} accepted in the window); commit -> anchored p50 ${x.commitToAnchorMs.p50} ms, p99 ${x.commitToAnchorMs.p99} ms, max ${x.commitToAnchorMs.max} ms; ${x.anchored} of ${x.blocks} blocks anchored`);
  }
  console.log(`readings signed ${result.readings.signed}: in chain ${inChainTotal}, unaccepted (reported) ${unacceptedTotal}, pending ${pendingTotal}, pending for rounds the chain covers ${staleTotal}, LOST ${lost}; chains verify: ${result.chainsVerify} (wide-area ${result.wideAreaBlocks} blocks)`);
  const f = (x: ReturnType<typeof perNode>) => `CPU ${x.cpuPercent.mean.toFixed(1)} % mean (max ${x.cpuPercent.max.toFixed(1)} %), RSS ${x.rssMiB.mean.toFixed(0)} MiB mean (max ${x.rssMiB.max.toFixed(0)} MiB)`;
  console.log(`per meter (a process's share / ${perProcess}): ${f(result.meters)}`);
  console.log(`per substation: ${f(result.substationNodes)}`);
  console.log(`brokers CPU: wide-area ${result.brokersCpuPercent[0]!.toFixed(1)} %, regions ${result.brokersCpuPercent.slice(1).map((x) => x.toFixed(1)).join(', ')} %`);
  const g = result.signatures;
  console.log(`signature checks by all nodes: ${g.verifiedPerSecond.toFixed(0)}/s; raw verify ${g.rawVerifyPerSecondOneCore}/s on one core in this run, so the checks alone take ${g.cores.toFixed(2)} of the ${result.cores} cores`);
  const d = result.database;
  console.log(`PostgreSQL (${d.url}): ${d.readingsLoadedInWindow} readings loaded in the window, ${d.readingsPerSecond.toFixed(1)}/s against ${d.readingsAcceptedPerSecond.toFixed(1)}/s accepted; control centre busy ${(d.controlCentreBusyShare * 100).toFixed(0)} % of the window, this process's CPU ${d.controlCentreCpuPercent.toFixed(0)} %; at the end ${d.loadedAtEnd} loaded of ${d.chainReadings} in the gates' chains`);
}
const ok = lost === 0 && result.chainsVerify && perRegion.every((x) => x.anchored === x.blocks) && loadedFinal === chainReadings;
process.exit(ok ? 0 : 1);

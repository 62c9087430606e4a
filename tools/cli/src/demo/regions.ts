// `meterchain demo --regions R` (`npm start -- --regions 3`): both tiers on this machine. R regional clusters of
// simulated meters, each on its own broker, each meter its own `meterchain node` process; in each region the first
// member is the cluster gate (node.yaml `gate: true`) that publishes every committed block's anchor, which the
// region's broker bridges to the wide-area broker; a wide-area chain kept by S substations, each its own
// `meterchain node` process (node.yaml `substation`) submitting the anchors, judged against the regions' manifests;
// and the control centre in this process, on its embedded database, with its dashboard. After the regional rounds the
// meters stop, the substations go on until every regional block is anchored (or a deadline), and the demo checks
// and prints: every block anchored, the control centre's totals equal to the regional chains' readings, a cross-tier
// proof verified with the two manifests alone.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressToText, toHex } from '@meterchain/core';
import { roundOf } from '@meterchain/consensus';
import { nodeVerifier } from '@meterchain/crypto';
import { openChain, readingsOf, verifyBlocks } from '@meterchain/ledger';
import { ControlCentre, openDatabase } from '@meterchain/control-centre';
import { createCluster, type ClusterFiles } from '../cluster-files.ts';
import type { Io } from '../command.ts';
import { command as chainCommand } from '../commands/chain.ts';
import { command as proofCommand } from '../commands/proof.ts';
import { loadManifest } from '../files.ts';
import { startEmbeddedBroker } from './broker.ts';
import { findMosquitto, startDemoBrokers } from './mosquitto.ts';
import { startNode, stopProcesses } from './processes.ts';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meterchain.js');
export const REGION_NAMES = ['north', 'south', 'east', 'west', 'centre', 'coast', 'hills', 'valley'];
const WIDEAREA = 'grid-wide';

export interface RegionsDemoOptions {
  regions: number;
  /** Meters per region (rule bft: at least 4). */
  meters: number;
  substations: number;
  /** Regional rounds of one second. */
  rounds: number;
  out: string;
  /** 'mosquitto': a broker process per region and one for the wide-area chain, bridged; 'embedded': one broker in
   * this process for all (no bridges); 'auto': Mosquitto when installed. */
  brokers: 'auto' | 'mosquitto' | 'embedded';
  /** Port of the control centre's API and dashboard (0: any free one). */
  port: number;
  /** Seconds the substations get, after the meters stop, to anchor the last regional blocks. */
  anchorWaitS?: number;
}

/** One node process: a substation, a region's gate, or the other meters of a region (several nodes in one process,
 * each with its own key, data directory and broker connection, as a data concentrator hosts them). */
interface NodeView {
  tier: string;
  name: string;
  gate: boolean;
  proc: ChildProcess;
  nodes: number;
  /** Each node's stored height, by its address. */
  heights: Map<string, number>;
  /** Nodes connected to their broker. */
  connected: Set<string>;
  exited?: number | null;
  lastError?: string;
}

/** The lowest height of the process's nodes (−1 until each has stored a block), and the highest. */
const lowest = (v: NodeView) => (v.heights.size < v.nodes ? -1 : Math.min(...v.heights.values()));
const highest = (v: NodeView) => Math.max(-1, ...v.heights.values());

function spawnNodes(tier: string, name: string, configs: string[], gate = false): NodeView {
  const view: Omit<NodeView, 'proc'> = { tier, name, gate, nodes: configs.length, heights: new Map(), connected: new Set() };
  // The process's log beside its first configuration, for a look afterwards.
  const proc = startNode(bin, configs, join(dirname(configs[0]!), 'node.log'), view, (rec) => {
    const meter = String(rec['meter'] ?? '');
    if (rec['msg'] === 'status' || rec['msg'] === 'block committed') {
      view.heights.set(meter, Math.max(view.heights.get(meter) ?? -1, rec['height'] as number));
      if (rec['connected'] === true) view.connected.add(meter);
    } else if (rec['msg'] === 'broker connected') view.connected.add(meter);
  });
  return Object.assign(view, { proc });
}

function header(c: ClusterFiles, dir: string, what: string): string[] {
  return [`# ${what} (written by meterchain demo)`, 'cluster:', `  manifest: ${relative(dir, c.manifestPath)}`, `  operatorKey: ${relative(dir, join(c.dir, 'operator.pub'))}`, 'key: meter.key', 'dataDir: data'];
}

function meterYaml(c: ClusterFiles, m: ClusterFiles['members'][number], seed: number, broker: string, gate: boolean): string {
  return [
    ...header(c, m.dir, `meter ${m.name} of region ${c.manifest.cluster}${gate ? ', its cluster gate' : ''}`),
    'broker:',
    `  url: ${broker}`,
    'sensor:',
    '  type: simulated',
    `  seed: ${seed}`,
    ...(gate ? ['gate: true'] : []),
    'metrics:',
    '  listen: 127.0.0.1:0',
    '',
  ].join('\n');
}

function substationYaml(wide: ClusterFiles, m: ClusterFiles['members'][number], broker: string, regions: ClusterFiles[]): string {
  return [
    ...header(wide, m.dir, `substation ${m.name} of the wide-area chain ${wide.manifest.cluster}`),
    'broker:',
    `  url: ${broker}`,
    'substation:',
    '  regions:',
    ...regions.map((r) => `    - manifest: ${relative(m.dir, r.manifestPath)}`),
    'metrics:',
    '  listen: 127.0.0.1:0',
    '',
  ].join('\n');
}

async function runCommand(run: (argv: string[], io: Io) => Promise<number>, argv: string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    io.err(`meterchain: ${(e as Error).message}`);
    return 1;
  }
}

export async function runRegionsDemo(io: Io, o: RegionsDemoOptions): Promise<number> {
  const out = resolve(o.out);
  const roundMs = 1000;
  const blockRounds = 5;
  const names = REGION_NAMES.slice(0, o.regions);
  const nodes = o.regions * o.meters + o.substations;
  const processes = 2 * o.regions + o.substations;
  const binary = o.brokers === 'embedded' ? undefined : findMosquitto();
  if (o.brokers === 'mosquitto' && !binary) {
    io.err('demo: --brokers mosquitto: mosquitto not found (install the Debian package "mosquitto")');
    return 2;
  }
  // The embedded database first (starting PGlite took over a minute on a loaded 2-core machine): the rounds are timed
  // from when the nodes start.
  mkdirSync(join(out, 'control-centre'), { recursive: true });
  const database = await openDatabase({ dataDir: join(out, 'control-centre') });
  // Every node process starts on a small, shared machine before round 0: 12 of them took over 25 s beside other load.
  const genesisMs = Math.ceil((Date.now() + 8000 + 2500 * processes + 250 * nodes) / 1000) * 1000;
  const regions = names.map((name) =>
    createCluster(join(out, name), { name, members: o.meters, rule: 'bft', roundMs, blockRounds, skewMs: 1500, timeoutMs: 2 * roundMs, genesisMs }),
  );
  const wide = createCluster(join(out, WIDEAREA), { name: WIDEAREA, members: o.substations, rule: 'bft', roundMs, blockRounds: 2, skewMs: 1500, timeoutMs: 2 * roundMs, genesisMs });
  io.out(`${o.regions} regions (${names.join(', ')}) of ${o.meters} meters, rule bft, rounds of ${roundMs} ms, blocks of ${blockRounds} rounds; the first meter of each is its cluster gate`);
  io.out(`wide-area chain '${WIDEAREA}': ${o.substations} substations, rule bft, blocks of 2 rounds`);
  io.out(`data: ${out}`);

  let embedded: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
  let brokers: Awaited<ReturnType<typeof startDemoBrokers>> | undefined;
  try {
    embedded = binary ? undefined : await startEmbeddedBroker();
    brokers = binary ? await startDemoBrokers(binary, join(out, 'brokers'), WIDEAREA, names) : undefined;
  } catch (e) {
    await database.close();
    throw e;
  }
  const regionalUrl = (name: string) => (brokers ? brokers.regions[name]!.url : embedded!.url);
  const wideUrl = brokers ? brokers.wide.url : embedded!.url;
  if (brokers) {
    io.out(`brokers (Mosquitto): ${names.map((n) => `${n} ${brokers.regions[n]!.url}`).join(', ')}, bridged to ${WIDEAREA} ${wideUrl}`);
  } else {
    io.out(`broker: ${wideUrl} (embedded, one for both tiers: install mosquitto for a broker per region and bridges)`);
  }

  const meters: NodeView[] = [];
  const substations: NodeView[] = [];
  let centre: ControlCentre | undefined;
  try {
    regions.forEach((c, r) => {
      const configs = c.members.map((m, i) => {
        const config = join(m.dir, 'node.yaml');
        writeFileSync(config, meterYaml(c, m, 100 * r + i + 1, regionalUrl(c.manifest.cluster), i === 0));
        return config;
      });
      // The gate in a process of its own (it stops last), the region's other meters together in another.
      meters.push(spawnNodes(c.manifest.cluster, c.members[0]!.name, configs.slice(0, 1), true));
      meters.push(spawnNodes(c.manifest.cluster, c.members.slice(1).map((m) => m.name).join('+'), configs.slice(1)));
    });
    for (const m of wide.members) {
      const config = join(m.dir, 'node.yaml');
      writeFileSync(config, substationYaml(wide, m, wideUrl, regions));
      substations.push(spawnNodes(WIDEAREA, m.name, [config]));
    }
    const gateChain = (c: ClusterFiles) => join(c.members[0]!.dir, 'data', 'chain');
    const wideChain = join(wide.members[0]!.dir, 'data', 'chain');
    const verifier = nodeVerifier();
    const manifestOf = (c: ClusterFiles) => {
      const m = loadManifest(c.manifestPath);
      return { manifest: m.manifest, digest: m.digest, bytes: m.bytes };
    };
    centre = await ControlCentre.open({
      regions: regions.map((c) => {
        const m = manifestOf(c);
        return { dir: gateChain(c), manifests: [{ manifest: m.manifest, digest: m.digest }], manifestBytes: [m.bytes] };
      }),
      widearea: {
        dir: wideChain,
        manifests: [{ manifest: wide.manifest, digest: wide.digest }],
        trusted: regions.map((c) => ({ region: c.manifest.cluster, operator: c.manifest.operator })),
      },
      verifier,
      pollMs: 1000,
      database,
    });
    const address = await centre.start(o.port);
    io.out(`control centre: dashboard ${address.url}/  API ${address.url}/api/regions (embedded PGlite in ${join(out, 'control-centre')})`);

    const anchoredCount = async (): Promise<{ [region: string]: { blocks: number; anchored: number } }> => {
      const rows = await centre!.db.query('SELECT b.region AS region, COUNT(*) AS blocks, COUNT(a.hash) AS anchored FROM blocks b LEFT JOIN anchors a ON a.region = b.region AND a.height = b.height AND a.hash = b.hash GROUP BY b.region');
      const outRows: { [region: string]: { blocks: number; anchored: number } } = {};
      for (const r of rows) outRows[String(r['region'])] = { blocks: Number(r['blocks']), anchored: Number(r['anchored']) };
      return outRows;
    };
    const line = async (phase: string) => {
      const a = await anchoredCount().catch(() => ({}) as Awaited<ReturnType<typeof anchoredCount>>);
      const parts = names.map((n) => {
        const h = Math.max(-1, ...meters.filter((m) => m.tier === n).map(highest));
        const x = a[n];
        return `${n} h${h}${x ? ` ${x.anchored}/${x.blocks} anchored` : ''}`;
      });
      const wh = Math.max(-1, ...substations.map(highest));
      io.out(`${phase}   ${parts.join(', ')}   wide-area h${wh}`);
    };

    // Phase 1: the regional rounds.
    const lastHeight = Math.floor(o.rounds / blockRounds) - 1;
    const regionalEnd = genesisMs + (o.rounds + 4 * blockRounds) * roundMs + 30_000;
    const t = regions[0]!.manifest;
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const now = Date.now();
      if (now < genesisMs) {
        const up = [...meters, ...substations].reduce((a, v) => a + v.connected.size, 0);
        io.out(`starting ${nodes} nodes in ${processes} processes: ${up} connected, rounds begin in ${Math.ceil((genesisMs - now) / 1000)} s`);
        continue;
      }
      const round = Math.min(o.rounds, roundOf(t, now) + 1);
      await line(`round ${round}/${o.rounds}`);
      const dead = [...meters, ...substations].find((v) => v.exited !== undefined);
      if (dead) {
        io.err(`demo: ${dead.tier}/${dead.name} exited (${dead.exited}): ${dead.lastError ?? 'see its log'}`);
        break;
      }
      if ((meters.every((m) => lowest(m) >= lastHeight) && now > genesisMs + o.rounds * roundMs) || now > regionalEnd) break;
    }
    // The gates stop last: a block the other members committed reaches them before they go.
    await stopProcesses(meters.filter((m) => !m.gate));
    await stopProcesses(meters);

    // Phase 2: the substations anchor the last regional blocks (the gates' final anchors are with the brokers).
    const gateBlocks: { [region: string]: number } = {};
    for (const c of regions) {
      const opened = await openChain(gateChain(c));
      gateBlocks[c.manifest.cluster] = opened.source.count;
      await opened.close();
    }
    const anchorEnd = Date.now() + (o.anchorWaitS ?? 90) * 1000;
    let complete = false;
    while (Date.now() < anchorEnd && substations.every((s) => s.exited === undefined)) {
      // The control centre's own polls read the wide-area chain meanwhile.
      const rows = await centre.db.query('SELECT region, COUNT(*) AS n FROM anchors GROUP BY region');
      const anchors = (n: string) => Number(rows.find((r) => r['region'] === n)?.['n'] ?? 0);
      complete = names.every((n) => gateBlocks[n]! > 0 && anchors(n) >= gateBlocks[n]!);
      await line('anchoring');
      if (complete) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    await stopProcesses(substations);
    await centre.stopPolling();
    await centre.catchUp();

    // The checks.
    io.out('');
    let failed = 0;
    const fail = (text: string) => {
      failed++;
      io.err(`demo: ${text}`);
    };
    const totals = await centre.db.query('SELECT region, COUNT(*) AS blocks, COALESCE(SUM(readings), 0) AS readings FROM blocks GROUP BY region');
    const faults = await centre.db.query('SELECT region, fault FROM regions WHERE fault IS NOT NULL');
    for (const f of faults) fail(`control centre: region ${String(f['region'])} stopped: ${String(f['fault'])}`);
    if (centre.widearea?.fault) fail(`control centre: wide-area chain stopped: ${centre.widearea.fault}`);
    let chainSum = 0;
    let centreSum = 0;
    let allAnchored = true;
    const anchored = await anchoredCount();
    for (const c of regions) {
      const name = c.manifest.cluster;
      const epoch = [{ manifest: c.manifest, digest: c.digest }];
      let best = { blocks: 0, readings: 0, member: '' };
      for (const m of c.members) {
        const opened = await openChain(join(m.dir, 'data', 'chain'));
        const report = await verifyBlocks(epoch, opened.source);
        await opened.close();
        if (!report.ok) fail(`${name}/${m.name}: chain does not verify: block ${report.height}: ${report.fault}: ${report.reason}`);
        else if (report.blocks > best.blocks) best = { blocks: report.blocks, readings: report.readings, member: m.name };
      }
      const row = totals.find((r) => r['region'] === name);
      const loaded = row ? Number(row['readings']) : 0;
      const a = anchored[name] ?? { blocks: 0, anchored: 0 };
      chainSum += best.readings;
      centreSum += loaded;
      io.out(`${name}: chain ${best.blocks} blocks, ${best.readings} readings (verified, longest chain: ${best.member}); control centre ${a.blocks} blocks, ${loaded} readings; anchored ${a.anchored} of ${best.blocks}`);
      if (best.blocks === 0) fail(`${name}: no verified block`);
      if (a.anchored !== best.blocks || a.blocks !== best.blocks || best.blocks === 0) allAnchored = false;
      if (a.anchored !== best.blocks || a.blocks !== best.blocks) fail(`${name}: ${a.anchored} of ${best.blocks} regional blocks anchored (control centre holds ${a.blocks})`);
      if (loaded !== best.readings) fail(`${name}: the control centre holds ${loaded} readings, the chain ${best.readings}`);
    }
    const wideReport = await (async () => {
      const opened = await openChain(wideChain);
      try {
        return await verifyBlocks([{ manifest: wide.manifest, digest: wide.digest }], opened.source);
      } finally {
        await opened.close();
      }
    })();
    if (!wideReport.ok) fail(`wide-area chain does not verify: block ${wideReport.height}: ${wideReport.fault}: ${wideReport.reason}`);
    else io.out(`wide-area chain: ${wideReport.blocks} blocks verified against the substations' manifest, tip ${toHex(wideReport.tip).slice(0, 16)}`);
    io.out(`check: every regional block anchored by the wide-area chain: ${allAnchored ? 'yes' : 'NO'}`);
    io.out(`check: control centre total ${centreSum} readings = sum of the regional chains' readings ${chainSum}: ${centreSum === chainSum && chainSum > 0 ? 'yes' : 'NO'}`);
    if (centreSum !== chainSum || chainSum === 0) fail('the control centre\'s totals are not the regional chains\'');

    // A cross-tier proof: a reading of the first region that has one, through its regional block, to the wide-area
    // block that anchored it.
    let pick: { meter: string; seq: number } | undefined;
    let first = regions[0]!;
    for (const c of regions) {
      const opened = await openChain(gateChain(c));
      try {
        const blocks = await opened.source.read(0, opened.source.count);
        for (let h = blocks.length - 1; h >= 0 && !pick; h--) {
          const rows = readingsOf(blocks[h]!, (r) => roundOf(c.manifest, r.ts));
          if (!('reason' in rows) && rows.length > 0) pick = { meter: addressToText(rows[0]!.reading.meter), seq: rows[0]!.reading.seq };
        }
      } finally {
        await opened.close();
      }
      first = c;
      if (pick) break;
    }
    const shown = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
    let proofOk = false;
    if (!pick) fail('no region holds a reading to prove');
    else {
      const proofPath = join(out, 'cross-tier-proof.cbor');
      const proveArgs = ['prove', gateChain(first), '--meter', pick.meter, '--seq', String(pick.seq), '--out', proofPath, '--manifest', first.manifestPath, '--widearea', wideChain, '--widearea-manifest', wide.manifestPath];
      const verifyArgs = ['verify', proofPath, '--manifest', first.manifestPath, '--widearea-manifest', wide.manifestPath];
      io.out('');
      io.out(`$ meterchain chain ${proveArgs.map(shown).join(' ')}`);
      let code = await runCommand(chainCommand.run, proveArgs, io);
      if (code === 0) {
        io.out(`$ meterchain proof ${verifyArgs.map(shown).join(' ')}`);
        code = await runCommand(proofCommand.run, verifyArgs, io);
      }
      proofOk = code === 0;
      if (!proofOk) fail('the cross-tier proof did not verify');
    }
    io.out(`check: cross-tier proof verified with the two manifests: ${proofOk ? 'yes' : 'NO'}`);
    for (const v of [...meters, ...substations]) if (v.lastError) io.err(`${v.tier}/${v.name}: ${v.lastError}`);
    io.out('');
    io.out(`the data is in ${out}`);
    io.out(`follow it again: npx meterchain control-centre ${regions.map((c) => `--region ${shown(gateChain(c))},${shown(c.manifestPath)}`).join(' ')} --widearea ${shown(wideChain)},${shown(wide.manifestPath)}`);
    if (!complete) io.err(`demo: the substations were stopped ${o.anchorWaitS ?? 90} s after the meters, before every regional block was anchored`);
    return failed > 0 ? 1 : 0;
  } finally {
    await stopProcesses([...meters, ...substations]);
    await (centre ? centre.close() : database.close());
    await brokers?.stop();
    await embedded?.close();
  }
}

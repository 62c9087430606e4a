// `meterchain demo` (what `npm start` runs): a regional cluster of simulated three-phase meters on this machine, each
// meter its own process with its own key and data directory, over an MQTT broker (or, with --transport modbus-rtu, a
// simulated RS-485 line and its bus master); live progress; the chain verified.
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressToText, toHex } from '@meterchain/core';
import { roundOf } from '@meterchain/consensus';
import { openChain, readingsOf, summarizeBlock, verifyBlocks } from '@meterchain/ledger';
import { createCluster, type ClusterFiles } from '../cluster-files.ts';
import { intOption, parse, UsageError, type Command, type Io } from '../command.ts';
import { startEmbeddedBroker } from '../demo/broker.ts';
import { startLine } from '../demo/line.ts';
import { requireSocat, sensorYaml, startBoard, stopSensor, wireSensor, type DemoSensor } from '../demo/sensors.ts';
import { runPmuDemo } from '../demo/pmus.ts';
import { REGION_NAMES, runRegionsDemo } from '../demo/regions.ts';
import { startNode, stopProcesses } from '../demo/processes.ts';
import { provisionSensor } from '../sensor-files.ts';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meterchain.js');
const FAULTS = ['forge', 'bad-signature', 'silent'];

interface MeterView {
  name: string;
  proc: ChildProcess;
  fault: string;
  round: number;
  height: number;
  connected: boolean;
  accepted: number;
  rejected: number;
  ownAccepted: number;
  ownRefused: number;
  evidence: number;
  exited?: number | null;
  lastError?: string;
  /** The last refusal of a sensor node's frames, until frames are accepted again. */
  sensorIssue?: string;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}

function nodeYaml(c: ClusterFiles, m: ClusterFiles['members'][number], i: number, peers: string[], fault: string, sensors: DemoSensor[]): string {
  return [
    `# meter ${m.name} of cluster ${c.manifest.cluster} (written by meterchain demo)`,
    'cluster:',
    `  manifest: ${relative(m.dir, c.manifestPath)}`,
    `  operatorKey: ${relative(m.dir, join(c.dir, 'operator.pub'))}`,
    'key: meter.key',
    'dataDir: data',
    ...peers,
    'sensor:',
    '  type: simulated',
    `  seed: ${i + 1}`,
    'edge:',
    '  profile: three-phase',
    'metrics:',
    '  listen: 127.0.0.1:0',
    'log:',
    '  level: info',
    ...(fault !== 'none' ? [`fault: ${fault}`] : []),
    ...(sensors.length > 0 ? ['sensors:', ...sensors.flatMap(sensorYaml)] : []),
    '',
  ].join('\n');
}

/** What the chain holds, for the last status line (the live counts are each meter's own view, which may run ahead
 * of the last block). */
interface ChainCounts {
  blocks: number;
  accepted: number;
  /** Readings of each sensor node in the chain, by name. */
  sensors?: Record<string, number>;
}

function render(io: Io, meters: MeterView[], sensors: DemoSensor[], round: number, rounds: number, tty: boolean, first: boolean, startAt: number, reached: string, chain?: ChainCounts): void {
  const lines: string[] = [];
  const honest = meters.filter((m) => m.fault === 'none');
  const height = Math.max(-1, ...honest.map((m) => m.height));
  const accepted = Math.max(0, ...honest.map((m) => m.accepted));
  const rejected = Math.max(0, ...honest.map((m) => m.rejected));
  if (round < 0) {
    // Before round 0: the meters start (a few seconds for N processes on a small machine); say so, with a count.
    const connected = meters.filter((m) => m.connected).length;
    lines.push(`starting ${meters.length} meters: ${connected} ${reached}, rounds begin in ${Math.max(0, Math.ceil((startAt - Date.now()) / 1000))} s`);
  } else if (chain) {
    lines.push(`round ${rounds}/${rounds}   accepted ${chain.accepted}   rejected ${rejected}   blocks ${chain.blocks}   (accepted and blocks: in the chain; rejected: refused by the vote, kept out of it)`);
  } else {
    // Rounds count from 1 on screen: the last of 30 rounds is "round 30/30".
    lines.push(`round ${Math.min(rounds, round + 1)}/${rounds}   accepted ${accepted}   rejected ${rejected}   blocks ${height + 1}`);
  }
  for (const m of meters) {
    const state = m.exited !== undefined ? `exited ${m.exited}` : m.connected ? 'online' : 'offline';
    lines.push(
      `  ${m.name} ${state.padEnd(8)} height ${String(m.height).padStart(3)}  own accepted ${String(m.ownAccepted).padStart(3)}  refused ${String(m.ownRefused).padStart(3)}` +
        (m.fault !== 'none' ? `  [byzantine: ${m.fault}]` : '') +
        (m.evidence ? `  evidence ${m.evidence}` : ''),
    );
  }
  for (const x of sensors) {
    const state = x.exited !== undefined ? `exited ${x.exited}` : x.board ? 'running' : 'waiting';
    lines.push(`  ${x.name} ${state.padEnd(8)} sensor node (Espruino firmware) -> ${x.host}` + (chain?.sensors ? `  readings in the chain ${String(chain.sensors[x.name] ?? 0).padStart(3)}` : ''));
  }
  if (tty) {
    if (!first) process.stdout.write(`\x1b[${lines.length}A`);
    for (const l of lines) process.stdout.write(`\x1b[2K${l}\n`);
  } else {
    io.out(lines[0]!);
  }
}

export const command: Command = {
  name: 'demo',
  summary: 'run a regional cluster of simulated meters to a verified chain (npm start)',
  usage: `usage: meterchain demo [--meters N] [--rounds R] [--byzantine K] [--behaviour forge|bad-signature|silent]
                       [--rule bft|majority] [--broker URL] [--out DIR] [--sensors S [--espruino BIN]]
       meterchain demo --transport modbus-rtu [--baud B] [--meters N] [--rounds R] [--byzantine K] [--out DIR]
       meterchain demo --pmus N [--spoof K] [--rounds R] [--rule bft|majority] [--broker URL] [--out DIR]
       meterchain demo --regions R [--meters N] [--substations S] [--rounds R] [--brokers auto|mosquitto|embedded]
                       [--port P] [--out DIR]

Creates a cluster (operator key, member keys, signed manifest), starts one process per meter (each with its own
key, data directory and simulated three-phase meter on a daily load curve), lets them sample, check, sign, vote and
commit blocks over an MQTT broker for R rounds of one second, then stops them and verifies the chain.
Defaults: 7 meters, 30 rounds, no byzantine meters, rule bft, a broker embedded in this process, and
DIR = meterchain-demo/<time>. --byzantine K makes the first K meters misbehave (--behaviour, default forge).
--sensors S adds S sensor nodes (members with role sensor): each runs the Espruino firmware (in the portability
gate's stripped context, or on the Espruino interpreter BIN with --espruino), reads a simulated SDM630 over Modbus
RTU on a pty and sends its authenticated readings over a second pty (socat) to a full node, which submits them;
the demo checks that their readings reach the chain under their own addresses.
--transport modbus-rtu puts the meters on one simulated RS-485 line instead of a broker (socat ptys, paced at
--baud, default 115200, 8E1), with this process as the concentrator running the Modbus bus master; rounds are as
long as the line needs (3 s for the default 5 meters at 115200), 20 of them by default; the demo prints the line's
figures (bytes, frames, retries, wire use) and writes its capture (line.pcap, readable by tshark).
--pmus N runs a cluster of N PMU members instead, fed by the PMU simulator (one C37.118.2 stream of N stations at
60 frames/s): each member batches its station's frames a round (docs/pmu.md); --spoof K lets the first K stations'
clocks drift 20 µs/s (a spoofed GPS receiver), and the cluster refuses their batches for angle drift. The demo ends by
proving one frame with \`chain prove --frame\` and checking the proof with \`proof verify\`.
--regions R runs both tiers (docs/widearea.md): R regional clusters of N meters (default 4), each on its own Mosquitto
broker bridged to the wide-area broker (--brokers auto: when mosquitto is installed; embedded: one broker in this
process for all), the first meter of each its cluster gate; a wide-area chain of S substations (default 4), each its
own process, submitting the regions' anchors; and the control centre in this process on its embedded database, whose
dashboard address is printed (--port, default any free port). After R rounds (default 20) the meters stop, the
substations anchor the last blocks, and the demo checks that every regional block is anchored, that the control
centre's totals equal the regional chains' readings, and that a cross-tier proof verifies; exit 1 if not.`,
  async run(argv, io) {
    const { values } = parse(argv, {
      meters: { type: 'string' },
      rounds: { type: 'string' },
      byzantine: { type: 'string' },
      behaviour: { type: 'string' },
      rule: { type: 'string' },
      broker: { type: 'string' },
      out: { type: 'string' },
      sensors: { type: 'string' },
      espruino: { type: 'string' },
      pmus: { type: 'string' },
      spoof: { type: 'string' },
      transport: { type: 'string' },
      baud: { type: 'string' },
      regions: { type: 'string' },
      substations: { type: 'string' },
      brokers: { type: 'string' },
      port: { type: 'string' },
    });
    if (values.regions !== undefined || values.substations !== undefined || values.brokers !== undefined || values.port !== undefined) {
      for (const flag of ['byzantine', 'behaviour', 'rule', 'broker', 'sensors', 'espruino', 'pmus', 'spoof', 'transport', 'baud'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --regions`);
      }
      const regions = intOption(values.regions, 'regions');
      const meters = intOption(values.meters, 'meters', 4);
      const substations = intOption(values.substations, 'substations', 4);
      const rounds = intOption(values.rounds, 'rounds', 20);
      const brokers = values.brokers ?? 'auto';
      const port = intOption(values.port, 'port', 0);
      if (regions < 1 || regions > REGION_NAMES.length) throw new UsageError(`--regions must be 1..${REGION_NAMES.length} on one machine, got ${regions}`);
      if (meters < 4 || meters > 16) throw new UsageError(`--meters must be 4..16 with --regions (rule bft), got ${meters}`);
      if (substations < 4 || substations > 16) throw new UsageError(`--substations must be 4..16 (rule bft), got ${substations}`);
      if (rounds < 10 || rounds > 3600) throw new UsageError(`--rounds must be 10..3600 with --regions, got ${rounds}`);
      if (brokers !== 'auto' && brokers !== 'mosquitto' && brokers !== 'embedded') throw new UsageError(`--brokers must be auto, mosquitto or embedded, got '${brokers}'`);
      if (port > 65535) throw new UsageError(`--port out of range: ${port}`);
      return runRegionsDemo(io, { regions, meters, substations, rounds, brokers, port, out: values.out ?? join('meterchain-demo', `regions-${stamp()}`) });
    }
    const transport = values.transport ?? 'mqtt';
    if (transport !== 'mqtt' && transport !== 'modbus-rtu') throw new UsageError(`--transport must be mqtt or modbus-rtu, got '${transport}'`);
    const onLine = transport === 'modbus-rtu';
    if (!onLine && values.baud !== undefined) throw new UsageError('--baud is the RS-485 line\'s: give --transport modbus-rtu too');
    if (onLine) {
      for (const flag of ['broker', 'sensors', 'espruino', 'pmus', 'spoof'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --transport modbus-rtu (the meters talk over the RS-485 line only)`);
    }
    const baud = intOption(values.baud, 'baud', 115200);
    if (onLine && ![9600, 19200, 38400, 57600, 115200].includes(baud)) throw new UsageError(`--baud must be one of 9600, 19200, 38400, 57600, 115200, got ${baud}`);
    if (values.pmus !== undefined || values.spoof !== undefined) {
      const pmus = intOption(values.pmus, 'pmus', 4);
      const spoof = intOption(values.spoof, 'spoof', 0);
      const rounds = intOption(values.rounds, 'rounds', 30);
      const rule = values.rule ?? 'bft';
      for (const flag of ['meters', 'byzantine', 'behaviour', 'sensors', 'espruino'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} is for meter clusters, not with --pmus`);
      if (pmus < 4 || pmus > 32) throw new UsageError(`--pmus must be 4..32 on one machine, got ${pmus}`);
      if (spoof < 0 || spoof >= pmus / 3) throw new UsageError(`--spoof must be below a third of --pmus (${pmus}), got ${spoof}`);
      if (rounds < 5 || rounds > 3600) throw new UsageError(`--rounds must be 5..3600 with --pmus, got ${rounds}`);
      if (rule !== 'bft' && rule !== 'majority') throw new UsageError(`--rule must be bft or majority, got '${rule}'`);
      if (values.broker !== undefined && !/^(mqtts?|wss?|tcp):\/\/[^\s/:]+(:\d{1,5})?\/?$/.test(values.broker)) {
        throw new UsageError(`--broker expects mqtt://HOST:PORT (or mqtts://, ws://, wss://), got '${values.broker}'`);
      }
      return runPmuDemo(io, { pmus, spoof, rounds, rule: rule as 'bft' | 'majority', ...(values.broker ? { broker: values.broker } : {}), out: values.out ?? join('meterchain-demo', `pmus-${stamp()}`) });
    }
    const n = intOption(values.meters, 'meters', onLine ? 5 : 7);
    const sensorCount = intOption(values.sensors, 'sensors', 0);
    const rounds = intOption(values.rounds, 'rounds', onLine ? 20 : 30);
    const k = intOption(values.byzantine, 'byzantine', 0);
    const behaviour = values.behaviour ?? 'forge';
    const rule = values.rule ?? 'bft';
    if (n < 1 || n > 64) throw new UsageError(`--meters must be 1..64 on one machine, got ${n}`);
    if (rounds < 1 || rounds > 3600) throw new UsageError(`--rounds must be 1..3600, got ${rounds}`);
    if (k > n) throw new UsageError(`--byzantine ${k} is more than --meters ${n}`);
    if (!FAULTS.includes(behaviour)) throw new UsageError(`--behaviour must be one of ${FAULTS.join(', ')}, got '${behaviour}'`);
    if (rule !== 'bft' && rule !== 'majority') throw new UsageError(`--rule must be bft or majority, got '${rule}'`);
    if (rule === 'bft' && n < 4) throw new UsageError('--rule bft needs at least 4 meters (use --rule majority for fewer)');
    if (sensorCount > n - k) throw new UsageError(`--sensors ${sensorCount}: each sensor node is wired to an honest full node, and there are ${n - k}`);
    if (values.espruino !== undefined && sensorCount === 0) throw new UsageError('--espruino runs the sensor nodes on that interpreter: give --sensors too');
    if (values.espruino !== undefined && !existsSync(values.espruino)) throw new UsageError(`--espruino: ${values.espruino}: no such file`);
    if (sensorCount > 0 || onLine) requireSocat();
    // Checked before anything is written or started: a bad URL would otherwise fail in every node, after the cluster.
    if (values.broker !== undefined && !/^(mqtts?|wss?|tcp):\/\/[^\s/:]+(:\d{1,5})?\/?$/.test(values.broker)) {
      throw new UsageError(`--broker expects mqtt://HOST:PORT (or mqtts://, ws://, wss://), got '${values.broker}'`);
    }
    const out = resolve(values.out ?? join('meterchain-demo', stamp()));

    // On the line, rounds as long as its wire time needs: about 0.4 s a member at 115,200 baud (npm run bench --
    // rs485; docs/transport.md §12.8), with room to spare; slower lines in proportion.
    const roundMs = onLine ? Math.max(1000, Math.ceil((n * 600 * (115200 / baud)) / 1000) * 1000) : 1000;
    const blockRounds = 5;
    // Start-up time for N processes on a small machine: rounds begin once every meter had time to connect.
    // On a line, also the drops' ptys (a socat each) and the master before the meters start.
    const genesisMs = Math.ceil((Date.now() + 3000 + (onLine ? 1400 : 400) * n) / 1000) * 1000;
    // Sensor nodes take a reading a round; each is a member of its own (role sensor) and is wired to a full node.
    const sensorFiles = Array.from({ length: sensorCount }, (_, i) => provisionSensor(join(out, 'sensors', `s${String(i + 1).padStart(2, '0')}`), `s${String(i + 1).padStart(2, '0')}`, 'demo', roundMs));
    const cluster = createCluster(out, {
      name: 'demo', members: n, rule, roundMs, blockRounds, skewMs: Math.max(1500, roundMs / 2), timeoutMs: 2 * roundMs, genesisMs,
      sensors: sensorFiles.map((f, i) => ({ publicKey: f.publicKey, name: `s${String(i + 1).padStart(2, '0')}` })),
    });
    const t = cluster.manifest;
    io.out(`cluster '${t.cluster}': ${n} meters, rule ${rule} (${k} byzantine${k ? `: ${behaviour}` : ''}), rounds of ${roundMs} ms, blocks of ${blockRounds} rounds`);
    const sensors: DemoSensor[] = [];
    try {
      for (const [i, f] of sensorFiles.entries()) sensors.push(await wireSensor(`s${String(i + 1).padStart(2, '0')}`, f, cluster.members[k + i]!.name, 100 + i));
    } catch (e) {
      await Promise.all(sensors.map(stopSensor));
      throw e;
    }
    if (sensorCount > 0) io.out(`sensor nodes: ${sensors.map((x) => `${x.name} ${x.files.address} -> ${x.host}`).join(', ')} (firmware ${values.espruino ? `on ${values.espruino}` : 'in the stripped context'})`);
    io.out(`data: ${out}`);

    const embedded = values.broker || onLine ? undefined : await startEmbeddedBroker();
    const brokerUrl = values.broker ?? embedded?.url ?? '';
    const line = onLine ? await startLine(join(out, 'line'), cluster, baud) : undefined;
    if (line) io.out(`rs485 line: ${baud} baud 8E1, ${n} drops and a bus master in this process (the concentrator); capture ${relative(process.cwd(), line.capture).startsWith('..') ? line.capture : relative(process.cwd(), line.capture)}`);
    else io.out(`broker: ${brokerUrl}${embedded ? ' (embedded)' : ''}`);
    const reached = line ? 'polled by the bus master' : 'connected to the broker';
    const peersOf = (i: number): string[] => (line ? ['rs485:', `  path: ${line.paths[i]}`, `  baud: ${baud}`] : ['broker:', `  url: ${brokerUrl}`]);

    const meters: MeterView[] = cluster.members.map((m, i) => {
      const fault = i < k ? behaviour : 'none';
      const config = join(m.dir, 'node.yaml');
      writeFileSync(config, nodeYaml(cluster, m, i, peersOf(i), fault, sensors.filter((x) => x.host === m.name)));
      const view: Omit<MeterView, 'proc'> = { name: m.name, fault, round: -1, height: -1, connected: false, accepted: 0, rejected: 0, ownAccepted: 0, ownRefused: 0, evidence: 0 };
      // Each meter's log (JSON lines) beside its configuration.
      const proc = startNode(bin, [config], join(m.dir, 'node.log'), view, (rec) => {
        if (rec['msg'] === 'status') {
          view.round = rec['round'] as number;
          view.height = rec['height'] as number;
          view.connected = rec['connected'] as boolean;
          view.accepted = rec['accepted'] as number;
          view.rejected = rec['rejected'] as number;
          view.ownAccepted = rec['ownAccepted'] as number;
          view.ownRefused = rec['ownRefused'] as number;
          view.evidence = rec['evidence'] as number;
        } else if (rec['msg'] === 'block committed') {
          view.height = Math.max(view.height, rec['height'] as number);
        } else if (rec['msg'] === 'broker connected' || rec['msg'] === 'rs485 line: polled by the bus master') {
          view.connected = true;
        } else if (rec['msg'] === 'rs485 line: not polled') {
          view.connected = false;
        } else if (String(rec['msg']).startsWith('sensor frame refused') || rec['msg'] === 'sensor frames accepted again') {
          view.sensorIssue = rec['msg'] === 'sensor frames accepted again' ? undefined : `${String(rec['msg'])} (${String(rec['sensor'])}: ${String(rec['detail'])})`;
        }
      });
      return Object.assign(view, { proc });
    });

    for (const x of sensors) startBoard(bin, x, values.espruino);
    const tty = process.stdout.isTTY === true;
    // The R rounds count from the first round in which every meter runs: on a loaded machine starting N node processes
    // can take longer than the start-up margin, and rounds before that are not the cluster's.
    let firstRound = -1;
    let lastHeight = Math.floor(rounds / blockRounds) - 1;
    const startBy = genesisMs + 120_000;
    let first = true;
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        const now = Date.now();
        if (firstRound < 0 && meters.every((m) => m.connected)) {
          firstRound = Math.max(0, roundOf(t, now) + 1);
          lastHeight = Math.floor((firstRound + rounds) / blockRounds) - 1;
        }
        const round = firstRound < 0 || now < genesisMs ? -1 : Math.max(0, roundOf(t, now) - firstRound);
        render(io, meters, sensors, round, rounds, tty, first, genesisMs, reached);
        first = false;
        const honest = meters.filter((m) => m.fault === 'none');
        const endMs = genesisMs + (firstRound + rounds) * roundMs;
        const finished = firstRound >= 0 && honest.every((m) => m.height >= lastHeight) && now > endMs;
        const dead = honest.some((m) => m.exited !== undefined);
        const late = firstRound < 0 ? now > startBy : now > endMs + 4 * blockRounds * roundMs + 20_000;
        if (finished || dead || late) {
          clearInterval(timer);
          done();
        }
      }, tty ? 250 : 1000);
    });

    await Promise.all(sensors.map(stopSensor));
    await stopProcesses(meters);
    await embedded?.close();
    const figures = line ? await line.stop() : undefined;

    // Verify every meter's chain from the manifest alone, and check that they agree.
    const epoch = [{ manifest: t, digest: cluster.digest }];
    const tips = new Map<string, string[]>();
    let problems = 0;
    let reference: { name: string; blocks: number; readings: number; signatures: number } | undefined;
    for (const m of cluster.members) {
      const chainDir = join(m.dir, 'data', 'chain');
      let report;
      try {
        const opened = await openChain(chainDir);
        report = await verifyBlocks(epoch, opened.source);
        await opened.close();
      } catch (e) {
        io.err(`${m.name}: chain unreadable: ${(e as Error).message}`);
        problems++;
        continue;
      }
      if (!report.ok) {
        io.err(`${m.name}: chain does NOT verify: block ${report.height} (${report.place}): ${report.fault}: ${report.reason}`);
        problems++;
        continue;
      }
      const tip = report.blocks > 0 ? toHex(report.tip).slice(0, 16) : 'empty';
      tips.set(`${report.blocks}:${tip}`, [...(tips.get(`${report.blocks}:${tip}`) ?? []), m.name]);
      if (!reference || report.blocks > reference.blocks) reference = { name: m.name, blocks: report.blocks, readings: report.readings, signatures: report.signatures };
    }
    const honestNames = meters.filter((m) => m.fault === 'none').map((m) => m.name);
    // The last status line counts what the verified chain holds, so that it agrees with what inspect says.
    let counts: ChainCounts | undefined;
    if (reference) {
      counts = { blocks: reference.blocks, accepted: 0, ...(sensors.length > 0 ? { sensors: {} } : {}) };
      const opened = await openChain(join(out, 'members', reference.name, 'data', 'chain'));
      try {
        const blocks = await opened.source.read(0, opened.source.count);
        for (const b of blocks) {
          const s = summarizeBlock(b, t);
          if (s.ok) counts.accepted += s.block.accepted;
          if (!counts.sensors) continue;
          const rows = readingsOf(b, (r) => roundOf(t, r.ts));
          if ('reason' in rows) continue;
          for (const row of rows) {
            const x = sensors.find((y) => y.files.address === addressToText(row.reading.meter));
            if (x) counts.sensors[x.name] = (counts.sensors[x.name] ?? 0) + 1;
          }
        }
      } finally {
        await opened.close();
      }
    }
    render(io, meters, sensors, rounds - 1, rounds, tty, first, genesisMs, reached, counts);
    for (const m of meters) if (m.lastError) io.err(`${m.name}: ${m.lastError}`);
    for (const m of meters) if (m.sensorIssue) io.err(`${m.name}: ${m.sensorIssue}`);
    for (const x of sensors) if (x.exited !== undefined && x.exited !== 0) io.err(`${x.name}: ${x.lastLine ?? 'exited'}`);
    io.out('');
    if (figures) io.out(figures);
    for (const [key, names] of tips) {
      const [blocks, tip] = key.split(':');
      io.out(`chain of ${names.join(', ')}: ${blocks} blocks verified against the manifest, tip ${tip}`);
    }
    const refDir = reference ? join(out, 'members', reference.name, 'data', 'chain') : undefined;
    const shown = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
    if (reference) {
      io.out(`readings in the chain: ${reference.readings}; signatures checked: ${reference.signatures}`);
      for (const x of sensors) io.out(`sensor node ${x.name} (${x.files.address}, wired to ${x.host}): ${counts?.sensors?.[x.name] ?? 0} readings in the chain`);
      const byName = [...cluster.manifest.members].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
      io.out(`members: ${byName.map((x) => `${x.name} ${addressToText(x.address)}`).join(', ')}`);
      io.out('');
      io.out(`the data is in ${out}`);
      const m = `--manifest ${shown(cluster.manifestPath)}`;
      io.out(`inspect it:  npx meterchain chain inspect ${shown(refDir!)} ${m}`);
      io.out(`verify it:   npx meterchain chain verify ${shown(refDir!)} ${m}`);
      io.out(`export it:   npx meterchain chain export ${shown(refDir!)} --csv ${m}`);
    }
    const expected = lastHeight + 1;
    if (!reference || reference.blocks < Math.max(1, expected - 1) || problems > 0) {
      io.err(`demo: expected about ${expected} verified blocks on every honest meter (${honestNames.join(', ')}); see the logs above`);
      return 1;
    }
    const silent = sensors.filter((x) => !counts?.sensors?.[x.name]);
    if (silent.length > 0) {
      io.err(`demo: no reading of sensor node ${silent.map((x) => x.name).join(', ')} reached the chain; see the lines above`);
      return 1;
    }
    return 0;
  },
};

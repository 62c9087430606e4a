// `meterchain node --config node.yaml`: opens everything a meter node needs, runs it, and shuts it down cleanly on
// SIGTERM or SIGINT. Composition only: the logic lives in the packages.
import { statSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { addressFromPublicKey, addressToText, equalBytes, findMember, toHex, verifyManifest } from '@meterchain/core';
import { createNodeSigner, nodeVerifier, readKeyFile } from '@meterchain/crypto';
import { builtInProfiles, type Profile } from '@meterchain/edge';
import { batchSummaryJudge, defaultJudges, pmuIslandJudge, type Judges, type SharedChecks } from '@meterchain/consensus';
import type { Manifest } from '@meterchain/core';
import { ChainStore, FrameStore, LedgerError, NodeState, REPAIR_COMMAND, nodeStateLimits } from '@meterchain/ledger';
import { EastronMeter, ModbusBus, RegisterMapMeter, SunSpecMeter, loadRegisterMap, rtuWireMs, type Iec62056Options, type Link, type MeterDriver } from '@meterchain/modbus';
import { ANCHOR_KIND, DEFAULT_BACKOFF, openModbusRtuTransport, openMqttTransport, type Transport } from '@meterchain/transport';
import type { Background } from './background.ts';
import { THREE_PHASE_CHANNELS } from './channels.ts';
import { ConfigError, loadConfig, type NodeConfig } from './config.ts';
import { loadClusterManifest, sha256 } from './manifest.ts';
import { createLogger, type Logger } from './log.ts';
import { Metrics, type Pages } from './metrics.ts';
import { openOutputs, outputsObserver, planOutputs } from './outputs.ts';
import { NodeStatus, type LiveFigures } from './status.ts';
import { STATUS_PAGE } from './status-page.ts';
import { MeterNode, type NodeObserver, type UnacceptedEntry } from './runtime.ts';
import { PmuFeed } from './pmu-feed.ts';
import { AnchorPublisher } from './cluster-gate.ts';
import { SubstationSource } from './substation.ts';
import { Lines, SimulatedThreePhase, iec62056Sensor, modbusSensor, type Sensor } from './sensor.ts';
import type { Receptions } from './receptions.ts';
import { SensorGateway, openModbusSensorLink, openMqttSensorLink, openSerialSensorLink, readLinkKey, sensorStateFile, type SensorLink } from './sensor-gateway.ts';


const MODBUS_PROFILES = ['sdm120', 'sdm630', 'sunspec'];

/** A serial port named in the configuration must exist when the node starts (a typo or an unplugged adapter is an
 * operator's error, not a device fault to wait out). */
function requireSerialPort(path: string, key: string): void {
  let ok = false;
  try {
    ok = !statSync(path).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(`${key}: ${path}: no such serial port`);
}

/** The node's sensor, built without any I/O: every configuration problem is found here, before anything opens. */
function sensorFor(cfg: NodeConfig, lines: Lines, log: Logger, roundMs: number): Sensor {
  if (!cfg.sensor) return NO_SENSOR;
  const s = cfg.sensor;
  // The registers live beside the node's state, so a restarted node goes on counting from where it was.
  if (s.type === 'simulated') return new SimulatedThreePhase(s.seed ?? 1, join(cfg.dataDir, 'simulated-meter.json'));
  if (s.type === 'pmu') return new PmuFeed({ host: s.host!, port: s.port!, idcode: s.idcode!, ...(s.station !== undefined ? { station: s.station } : {}), roundMs, log });
  if (s.type === 'iec62056') {
    if (s.profile !== undefined) throw new ConfigError(`sensor.profile: an IEC 62056-21 meter has no profile (its readout names its channels), got '${s.profile}'`);
    requireSerialPort(s.path!, 'sensor.path');
    if (s.baud !== undefined && s.baud > 19200) throw new ConfigError(`sensor.baud: IEC 62056-21 mode C goes up to 19200 baud, got ${s.baud}`);
    const options: Iec62056Options = { path: s.path!, maxBaudRate: s.baud ?? 19200 };
    if (s.deviceAddress !== undefined) options.deviceAddress = s.deviceAddress;
    if (s.timeoutMs !== undefined) options.timeoutMs = s.timeoutMs;
    // Two readouts on one port would talk over each other: a port is one meter's (a multi-drop line: one node).
    if (lines.claimSerial(s.path!) > 1) throw new ConfigError(`sensor.path: ${s.path} is already read by another node of this process`);
    return iec62056Sensor(options, log);
  }
  const profile = s.profile!;
  let driverFor: (bus: ModbusBus) => MeterDriver;
  const unit = s.unit!;
  const wordOrder = s.wordOrder ?? 'big';
  if (profile === 'sdm630' || profile === 'sdm120') {
    driverFor = (bus) => new EastronMeter({ bus, unit, model: profile === 'sdm630' ? 'SDM630' : 'SDM120', wordOrder });
  } else if (profile === 'sunspec') {
    driverFor = (bus) => new SunSpecMeter({ bus, unit });
  } else if (/\.(ya?ml|json)$/i.test(profile)) {
    const loaded = loadRegisterMap(profile);
    if (!loaded.ok) throw new ConfigError(`sensor.profile: ${loaded.reason}`);
    driverFor = (bus) => new RegisterMapMeter({ bus, unit, map: loaded.map });
  } else {
    throw new ConfigError(`sensor.profile: '${profile}' is not one of ${MODBUS_PROFILES.join(', ')} or a register map file (.yaml, .yml, .json)`);
  }
  if (s.type === 'modbus-rtu') requireSerialPort(s.path!, 'sensor.path');
  const link: Link =
    s.type === 'modbus-rtu'
      ? { kind: 'rtu', path: s.path!, baudRate: s.baud!, parity: s.parity ?? 'none' }
      : { kind: s.type === 'modbus-tcp' ? 'tcp' : 'rtu-over-tcp', host: s.host!, port: s.port! };
  let bus: ModbusBus;
  try {
    bus = lines.acquire(link, s.timeoutMs ?? 1000, s.confirmReads ?? false);
  } catch (e) {
    throw new ConfigError(`sensor: ${(e as Error).message}`);
  }
  const driver = driverFor(bus);
  const reads = (driver as { reads?: readonly { count: number }[] }).reads;
  if (link.kind === 'rtu' && reads) {
    // Every meter of a line is read twice a round (the reading and its look-ahead), one request at a time, and the
    // readings should leave half the round for the votes (docs/drivers.md, "Several meters on one line").
    const perSample = lines.addLoad(bus, rtuWireMs(link.baudRate, reads.map((r) => r.count)));
    if (2 * perSample > roundMs / 2) {
      log.warn('serial line over capacity: its meters cannot all be read in time each round', {
        line: bus.description, meters: lines.users(bus), wireMsPerRound: Math.round(2 * perSample), roundMs,
      });
    }
  }
  return modbusSensor(bus, driver, log, () => lines.release(bus));
}

/** A substation's: it reads no meter (its submissions come from the regions' gates). */
const NO_SENSOR: Sensor = {
  device: 'none (substation)',
  configure: async () => undefined,
  sample: async () => {
    throw new Error('a substation has no sensor');
  },
  close: async () => undefined,
};

/** The regions a substation admits, from their epoch-0 manifests (node.yaml substation.regions). */
async function substationRegions(cfg: NodeConfig, wide: string, verifier: ReturnType<typeof nodeVerifier>): Promise<ConstructorParameters<typeof SubstationSource>[0]['regions']> {
  const out: ConstructorParameters<typeof SubstationSource>[0]['regions'] = [];
  for (const [i, r] of (cfg.substation?.regions ?? []).entries()) {
    const key = `substation.regions[${i}].manifest`;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(r.manifest));
    } catch (e) {
      throw new ConfigError(`${key}: cannot read ${r.manifest}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const v = verifyManifest(bytes, verifier, { hash: sha256 });
    if (!v.ok) throw new ConfigError(`${key}: ${v.reason}`);
    if (v.manifest.epoch !== 0) throw new ConfigError(`${key}: epoch ${v.manifest.epoch}: the region's epoch-0 manifest is its trust root`);
    const region = v.manifest.cluster;
    if (region === wide) throw new ConfigError(`${key}: region '${region}' is the wide-area chain itself`);
    if (out.some((x) => x.trusted.region === region)) throw new ConfigError(`${key}: region '${region}' is named twice`);
    out.push({ trusted: { region, operator: v.manifest.operator }, manifest: bytes });
  }
  return out;
}

function profileFor(cfg: NodeConfig): Profile {
  const name = cfg.edge?.profile ?? 'three-phase';
  const profiles = builtInProfiles as unknown as Record<string, Profile>;
  const p = profiles[name] ?? profiles[name.replace(/-/g, '')] ?? Object.values(profiles).find((x) => (x as { name?: string }).name === name);
  if (!p) throw new ConfigError(`edge.profile: unknown profile '${name}' (built in: ${Object.values(profiles).map((x) => (x as { name?: string }).name).join(', ')})`);
  return p;
}

function listenOf(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(text.slice(i + 1)) };
}

/** The metrics listener, bound before the node connects to anything: a port in use is a start error. */
async function listen(metrics: Metrics, text: string, pages: Pages): Promise<Server> {
  const { host, port } = listenOf(text);
  try {
    return await metrics.serve(host, port, pages);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'no such local address' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError(`metrics.listen: cannot listen on ${text}: ${why}`);
  }
}

export interface RunningNode {
  node: MeterNode;
  metrics: Metrics;
  /** What the status page shows (GET / and /status.json on the metrics listener). */
  status: NodeStatus;
  metricsAddress?: string;
  /** The sensor nodes wired to this node, with what became of their frames. */
  sensors: SensorLink[];
  stop(): Promise<void>;
}

/** The meter a configuration file runs, and where it keeps its data: read before anything is opened, so that a host
 * running several nodes in one process can refuse two on one key or one data directory. Throws ConfigError or a key
 * file error (one line). */
export function identify(configPath: string): { address: string; dataDir: string } {
  const cfg = loadConfig(configPath);
  const publicKey = createNodeSigner(readKeyFile(cfg.key)).publicKey;
  return { address: addressToText(addressFromPublicKey(publicKey, sha256)), dataDir: cfg.dataDir };
}

/** Puts the node's own configuration path into a ledger error that names the repair command. */
async function withRepairCommand<T>(configPath: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (e instanceof LedgerError && e.message.includes(REPAIR_COMMAND)) {
      throw new LedgerError(e.code, e.message.replace(REPAIR_COMMAND, REPAIR_COMMAND.replace('<node.yaml>', configPath)));
    }
    throw e;
  }
}

/** What shows that the node in `dataDir` ran before, or undefined: stored blocks, spooled frames, given-up readings. */
async function ranBefore(dataDir: string, blocks: number): Promise<string | undefined> {
  if (blocks > 0) return `its chain holds ${blocks} blocks`;
  const spool = await readdir(join(dataDir, 'spool')).catch(() => [] as string[]);
  if (spool.length > 0) return 'it has a broker spool';
  const unaccepted = await stat(join(dataDir, 'unaccepted.jsonl')).catch(() => undefined);
  if (unaccepted) return 'it has an unaccepted.jsonl';
  return undefined;
}

export interface StartOptions {
  /** What the nodes of this process have checked, one for them all: a node does not check again what another has. */
  shared?: SharedChecks;
  /** Where the block-agreement messages of the process's nodes wait behind their round traffic, one for them all. */
  background?: Background;
  /** The bus lines of the process: nodes whose meters share a serial port or a Modbus TCP gateway share its bus. */
  lines?: Lines;
  /** The process's shared receivers (`--receiver`): the cluster's broadcast frames arrive once for all its nodes. */
  reception?: Receptions;
  /** Told what the status page is told (samples, outcomes, blocks): a lab runner that judges the node's readings. */
  observer?: NodeObserver;
}

/**
 * Opens and starts a node from its configuration file. Everything the node needs is checked before it connects to
 * anything (configuration, key, manifest, edge profile, sensor profile and serial port, metrics port, password file):
 * a problem throws ConfigError, one line naming the key, and nothing is left open. A meter that does not answer is
 * not such a problem: the node runs and reports gaps until it does.
 */
export async function startNode(configPath: string, log?: Logger, options: StartOptions = {}): Promise<RunningNode> {
  const cfg = loadConfig(configPath);
  const logger = log ?? createLogger({ level: cfg.log?.level ?? 'info' });
  const signer = createNodeSigner(readKeyFile(cfg.key));
  const verifier = nodeVerifier();
  const checked = await loadClusterManifest(cfg, verifier);
  const manifest = checked.manifest;
  const address = addressFromPublicKey(signer.publicKey, sha256);
  if (!findMember(manifest, address)) throw new ConfigError(`key: ${addressToText(address)} is not a member of cluster '${manifest.cluster}' epoch ${manifest.epoch}`);
  const profile = profileFor(cfg);
  const regions = cfg.substation ? await substationRegions(cfg, manifest.cluster, verifier) : undefined;
  let password: string | undefined;
  if (cfg.broker?.passwordFile) {
    try {
      password = (await readFile(cfg.broker.passwordFile, 'utf8')).trim();
    } catch (e) {
      throw new ConfigError(`broker.passwordFile: cannot read ${cfg.broker.passwordFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const outputPlan = await planOutputs(cfg.outputs, {
    cluster: manifest.cluster,
    address: addressToText(address),
    ...(findMember(manifest, address)?.name ? { name: findMember(manifest, address)!.name! } : {}),
    // A node on an RS-485 line has no cluster broker: its outputs name their own (checked with the configuration).
    broker: { url: cfg.broker?.url ?? '', username: cfg.broker?.username ?? addressToText(address) },
    dataDir: cfg.dataDir,
  });
  const nodeLog = logger.child({ meter: addressToText(address) });
  const lines = options.lines ?? new Lines();
  const sensor = sensorFor(cfg, lines, nodeLog, manifest.params.roundMs);
  // Sensor nodes wired to this node: keys, membership and lines checked before anything opens.
  const sensorLinks = (cfg.sensors ?? []).map((link, i) => {
    const key = `sensors[${i}]`;
    let seed: Uint8Array;
    try {
      seed = readKeyFile(link.key);
    } catch (e) {
      throw new ConfigError(`${key}.key: ${(e as Error).message}`);
    }
    const sensorSigner = createNodeSigner(seed);
    const linkKey = readLinkKey(link.linkKey, `${key}.linkKey`);
    if (link.serial) {
      requireSerialPort(link.serial.path, `${key}.serial.path`);
      if (lines.claimSerial(link.serial.path) > 1) throw new ConfigError(`${key}.serial.path: ${link.serial.path} is already used by another node or sensor of this process`);
    }
    const sensorAddress = addressToText(addressFromPublicKey(sensorSigner.publicKey, sha256));
    return { link, signer: sensorSigner, linkKey, name: link.name ?? sensorAddress, address: sensorAddress };
  });

  const metrics = new Metrics();
  // The status page (GET / and /status.json beside /metrics); its live figures come from the node once it exists.
  const statusPage = new NodeStatus(manifest, addressToText(address), Date.now());
  let live = (): LiveFigures => ({ connected: false, queued: 0, height: -1 });
  const pages: Pages = {
    '/': () => ({ type: 'text/html; charset=utf-8', body: STATUS_PAGE }),
    '/status.json': () => ({ type: 'application/json', body: JSON.stringify(statusPage.snapshot(Date.now(), live())) }),
  };
  const listenAt = cfg.metrics?.listen ?? '127.0.0.1:0';
  // Opened in this order and, on a failure, closed in the reverse one: a start error leaves nothing running.
  const opened: (() => Promise<unknown> | void)[] = [() => sensor.close()];
  const undo = async () => {
    for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => undefined);
  };
  try {
    let server: Server | undefined;
    let metricsAddress: string | undefined;
    if (listenAt !== 'off') {
      const listening = await listen(metrics, listenAt, pages);
      server = listening;
      opened.push(() => new Promise<void>((resolve) => listening.close(() => resolve())));
      const a = listening.address();
      metricsAddress = typeof a === 'object' && a ? `${a.address}:${a.port}` : listenAt;
    }
    // The node never looks a reading up by meter and sequence number: no such index in memory, which would grow with
    // every reading of the cluster for as long as the node runs (index.log keeps it for the offline tools).
    const { store, recovery } = await withRepairCommand(configPath, () => ChainStore.open(join(cfg.dataDir, 'chain'), { genesis: checked.digest, indexReadings: false }));
    opened.push(() => store.close());
    const stateDir = join(cfg.dataDir, 'state');
    // A node that ran before and has no signing records (a deleted or lost state folder) could sign again what it
    // signed: it does not start until repaired, which fences what it may have signed (docs/ledger.md §4).
    if (!(await NodeState.exists(stateDir))) {
      const ran = await ranBefore(cfg.dataDir, store.count);
      if (ran) throw new LedgerError('needs-repair', `${stateDir}: no signing records, but this node ran before (${ran}): it could sign again what it signed; repair with \`meterchain node repair --config ${configPath}\``);
    }
    // What the node state keeps follows from the cluster: its round window, block period and member count.
    const state = await withRepairCommand(configPath, () =>
      NodeState.open(stateDir, {
        limits: nodeStateLimits(manifest),
        // A full disk: the state writes again once there is room; signing waits for it meanwhile.
        onWriteError: (error, retryMs) => {
          metrics.counter('meterchain_storage_errors_total', 'Writes to the chain or the node state that failed and are retried.', 1, { store: 'state' });
          nodeLog.error('node state: write failed, retrying', { retryMs, error });
        },
      }),
    );
    opened.push(() => state.close());
    if (state.recovery.cutAt !== undefined) {
      logger.warn('node state: cut a torn tail left by a crash', { file: join(stateDir, 'journal'), offset: state.recovery.cutAt, bytes: state.recovery.cutBytes, reason: state.recovery.cutReason });
    }
    const spoolDir = join(cfg.dataDir, 'spool');
    const broker = cfg.broker;
    const rs485 = cfg.rs485;
    let transport: Transport;
    if (rs485) {
      // On the line the bus master numbers members by their place in the manifest, unless node.yaml says otherwise.
      const unit = rs485.unit ?? manifest.members.findIndex((m) => equalBytes(m.address, address)) + 1;
      transport = await openModbusRtuTransport({
        cluster: manifest.cluster,
        address: addressToText(address),
        unit,
        path: rs485.path,
        baudRate: rs485.baud,
        spoolDir,
        fsync: rs485.spoolSync ?? 'interval',
        // The clock the node's round frames' expiries are read against: the node's own.
        ...(cfg.lab?.clockOffsetMs ? { now: labClock(cfg.lab.clockOffsetMs) } : {}),
      });
      opened.push(() => transport.close());
      transport.on('connect', () => logger.info('rs485 line: polled by the bus master', { path: rs485.path, unit }));
      transport.on('disconnect', (e) => logger.warn('rs485 line: not polled', { reason: e.reason }));
    } else {
      const mqttTransport = await openMqttTransport({
        cluster: manifest.cluster,
        address: addressToText(address),
        url: broker!.url,
        username: broker!.username ?? addressToText(address),
        ...(password !== undefined ? { password } : {}),
        spoolDir,
        // The clock the node's round frames' expiries are read against: the node's own.
        ...(cfg.lab?.clockOffsetMs ? { now: labClock(cfg.lab.clockOffsetMs) } : {}),
        // The node state syncs every signed message before it is published; the spool need not sync each frame again.
        fsync: broker!.spoolSync ?? 'interval',
        fsyncIntervalMs: 100,
        ...(broker!.keepaliveS ? { keepaliveSeconds: broker!.keepaliveS } : {}),
        // Retry the broker at least once per view timeout: back on line within one timeout of the broker's return, as
        // block agreement needs its members to be (a 10 s ceiling left a cluster without a block 9 s after an outage).
        backoff: { maxMs: Math.min(DEFAULT_BACKOFF.maxMs, Math.max(DEFAULT_BACKOFF.initialMs, manifest.params.timeoutMs)) },
      });
      transport = mqttTransport;
      opened.push(() => transport.close());
      if (options.reception) {
        // The cluster's broadcast frames come over the process's one receiver (receptions.ts); the node's own
        // connection publishes and takes the frames addressed to it alone.
        transport = await options.reception.attach(broker!.url, mqttTransport, async (login) => {
          const receiver = await openMqttTransport({
            cluster: manifest.cluster,
            address: addressToText(address),
            url: broker!.url,
            username: login.username,
            clientId: login.username,
            ...(login.password !== undefined ? { password: login.password } : {}),
            // It publishes nothing; the spool is only what every MQTT transport keeps.
            spoolDir: join(cfg.dataDir, 'receiver-spool'),
            fsync: 'interval',
            ...(broker!.keepaliveS ? { keepaliveSeconds: broker!.keepaliveS } : {}),
            backoff: { maxMs: Math.min(DEFAULT_BACKOFF.maxMs, Math.max(DEFAULT_BACKOFF.initialMs, manifest.params.timeoutMs)) },
          });
          // Logged once for the process, under the first node that opened it: a refused login says so here.
          receiver.on('connect', () => logger.info('shared receiver connected', { url: broker!.url, login: login.username }));
          receiver.on('disconnect', (e) => logger.warn('shared receiver disconnected', { reason: e.reason }));
          receiver.on('error', (e) => logger.warn('shared receiver: broker error', { login: login.username, error: e.error }));
          return receiver;
        });
      }
      transport.on('connect', () => logger.info('broker connected', { url: broker!.url }));
      transport.on('disconnect', (e) => logger.warn('broker disconnected', { reason: e.reason }));
      transport.on('reconnecting', (e) => {
        metrics.counter('meterchain_broker_reconnects_total', 'Attempts to reconnect to the broker.');
        logger.info('broker reconnecting', { attempt: e.attempt, delayMs: e.delayMs });
      });
    }
    transport.on('gap', (e) => metrics.counter('meterchain_transport_gaps_total', 'Gaps in a publisher\'s frame sequence.', 1, { kind: e.kind }));

    const unacceptedPath = join(cfg.dataDir, 'unaccepted.jsonl');
    const unaccepted = async (e: UnacceptedEntry) => {
      const fh = await open(unacceptedPath, 'a');
      try {
        // A reading the node never signed (refused by the round window) is written as the reading, not a submission.
        const bytes = e.signed === false ? { reading: toHex(e.bytes) } : { submission: toHex(e.bytes) };
        await fh.appendFile(JSON.stringify({ seq: e.seq, round: e.round, outcome: e.outcome, height: e.height, ...bytes }) + '\n');
        await fh.datasync();
      } finally {
        await fh.close();
      }
    };

    const outputs = openOutputs(outputPlan, logger, metrics);
    opened.push(() => Promise.all(outputs.map((out) => out.close())));

    let frames: FrameStore | undefined;
    if (sensor instanceof PmuFeed) {
      const f = await FrameStore.open(join(cfg.dataDir, 'frames'));
      frames = f;
      opened.push(() => f.close());
    }
    const substation = regions
      ? new SubstationSource({ manifests: [{ manifest, digest: checked.digest }], address, regions, verifier, hash: sha256, log: nodeLog, metrics })
      : undefined;
    if (substation) {
      // What the stored wide-area chain anchored and registered, before the node commits more.
      for (let h = 0; h < store.nextHeight; h++) {
        const b = await store.get(h);
        if (b) substation.committed(h, b);
      }
    }
    const gate = cfg.gate
      ? new AnchorPublisher({ cluster: manifest.cluster, manifest: await readFile(cfg.cluster.manifest).then((b) => new Uint8Array(b)), store, transport, dataDir: cfg.dataDir, log: nodeLog, metrics })
      : undefined;
    const judges = substation ? substation.judges : judgesFor(cfg, manifest);
    const node = new MeterNode({
      manifest,
      manifestDigest: checked.digest,
      signer,
      verifier: timedVerifier(verifier, metrics),
      hash: sha256,
      transport,
      store,
      state,
      sensor,
      profile,
      ...(judges ? { judges } : {}),
      // A PMU member batches the round just ended once its last frames are in: from 80 ms into the next round, when a
      // frame of the next round has come, or 500 ms into it at the latest.
      ...(frames && sensor instanceof PmuFeed ? { pmu: { feed: sensor, frames }, readingOffsetMs: 80 } : {}),
      ...(substation ? { submissions: substation } : {}),
      edgeChannels: THREE_PHASE_CHANNELS.map((c) => ({ edge: c.edge, id: c.obis })),
      log: nodeLog,
      metrics,
      fault: cfg.fault ?? 'none',
      // LAB ONLY (tools/campaign): a node whose clock is off, and a byzantine member.
      ...(cfg.lab?.clockOffsetMs ? { now: labClock(cfg.lab.clockOffsetMs) } : {}),
      ...(cfg.lab?.byzantine?.length ? { byzantine: cfg.lab.byzantine } : {}),
      unaccepted,
      observer: bothObservers(bothObservers(statusPage, outputsObserver(outputs, addressToText(address))), bothObservers(gate ? { committed: (e) => gate.committed(e.height) } : {}, options.observer ?? {})),
      ...(options.shared ? { shared: options.shared } : {}),
      ...(options.background ? { background: options.background } : {}),
    });
    if (recovery.cutBytes > 0) logger.warn('block store: cut a torn tail left by a crash', { bytes: recovery.cutBytes, reason: recovery.cutReason });
    live = () => {
      const device = sensor.counters?.();
      return { connected: transport.connected, queued: transport.stats().queued, height: node.height, ...(device ? { device } : {}) };
    };
    // The restore reads the stored tip: a damaged one refuses the start, naming the repair command.
    // The gate publishes the stored blocks it has not yet published before the node commits more.
    if (gate) await gate.start();
    await withRepairCommand(configPath, () => node.start());
    if (substation) {
      // Each region's gates publish under the region's name; the bridges bring those topics to this broker.
      for (const region of substation.regions) {
        transport
          .subscribe({ cluster: region, kind: ANCHOR_KIND }, (d) => {
            const v = substation.offer(d.cluster, d.frame);
            if (!v.ok) {
              nodeLog.warn('gate frame refused', { region: d.cluster, from: d.from, reason: v.reason });
              return;
            }
            if (nodeLog.debugging) nodeLog.debug('gate frame', { region: d.cluster, kind: v.kind, height: v.height, anchored: v.anchored === true });
            // Something new to submit: in this round if there is still time (runtime.ts), not at the next round's slot.
            if (!v.anchored) node.submissionsWaiting();
          })
          .catch((error: unknown) => nodeLog.error('broker refused the subscription to a region\'s anchors', { region, error: error as Error }));
      }
      logger.info('substation: reading anchors', { regions: substation.regions, waiting: substation.waiting() });
    }
    const serialLinks: SensorLink[] = [];
    opened.push(() => Promise.all(serialLinks.map((l) => l.close())));
    for (const s of sensorLinks) {
      const gateway = new SensorGateway({
        name: s.name,
        manifest,
        signer: s.signer,
        linkKey: s.linkKey,
        stateFile: await sensorStateFile(cfg.dataDir, s.address),
        submit: (bytes) => node.submitForSensor(bytes),
        now: cfg.lab?.clockOffsetMs ? labClock(cfg.lab.clockOffsetMs) : Date.now,
        log: nodeLog,
        metrics,
      });
      await gateway.open();
      if (s.link.serial?.modbus) {
        serialLinks.push(await openModbusSensorLink(s.link, gateway, nodeLog));
        logger.info('sensor link open', { sensor: s.name, address: s.address, path: s.link.serial.path, over: 'modbus', lastSeq: gateway.lastSeq });
      } else if (s.link.serial) {
        serialLinks.push(await openSerialSensorLink(s.link, gateway, nodeLog));
        logger.info('sensor link open', { sensor: s.name, address: s.address, path: s.link.serial.path, lastSeq: gateway.lastSeq });
      } else {
        serialLinks.push(await openMqttSensorLink(transport, gateway, nodeLog));
        logger.info('sensor link open', { sensor: s.name, address: s.address, over: 'mqtt', lastSeq: gateway.lastSeq });
      }
    }
    if (metricsAddress) logger.info('metrics listening', { address: metricsAddress });
    const status = setInterval(() => {
      const s = transport.stats();
      metrics.gauge('meterchain_queue_depth', 'Frames waiting for the broker (spooled on disk).', s.queued);
      metrics.gauge('meterchain_broker_connected', '1 while connected to the broker.', transport.connected ? 1 : 0);
    }, 1000);
    status.unref();

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        clearInterval(status);
        await Promise.all(serialLinks.map((l) => l.close()));
        await node.stop();
        await gate?.stop();
        await Promise.all(outputs.map((out) => out.close()));
        await transport.close();
        await state.close();
        await store.close();
        server?.close();
      })());
    return { node, metrics, status: statusPage, sensors: serialLinks, ...(metricsAddress ? { metricsAddress } : {}), stop };
  } catch (e) {
    await undo();
    throw e;
  }
}

/** The judges of a cluster with PMUs (node.yaml `pmu`): the default ones, and those of PMU batches (docs/edge.md). */
function judgesFor(cfg: NodeConfig, manifest: Manifest): Judges | undefined {
  if (!cfg.pmu) return undefined;
  const judges = defaultJudges();
  const p = cfg.pmu;
  judges.submission.push(batchSummaryJudge({ fps: p.fps, roundMs: manifest.params.roundMs, genesisMs: manifest.genesisMs, frequency: [45, 65] }));
  judges.round.push(pmuIslandJudge({ roundMs: manifest.params.roundMs, nominalHz: p.nominalHz }));
  return judges;
}

/** The status page's record and the outputs both hear what the node observes. */
function bothObservers(a: NodeObserver, b: NodeObserver): NodeObserver {
  return {
    sampled: (e) => (a.sampled?.(e), b.sampled?.(e)),
    outcome: (e) => (a.outcome?.(e), b.outcome?.(e)),
    committed: (e) => (a.committed?.(e), b.committed?.(e)),
    evidence: (e) => (a.evidence?.(e), b.evidence?.(e)),
  };
}

/** LAB ONLY: the wall clock off by `offsetMs`. */
function labClock(offsetMs: number): () => number {
  return () => Date.now() + offsetMs;
}

/** Wraps a verifier to time each verification for the metrics (a few hundred ns on a ~60 µs operation). */
function timedVerifier(inner: ReturnType<typeof nodeVerifier>, metrics: Metrics): ReturnType<typeof nodeVerifier> {
  let count = 0;
  return Object.assign(Object.create(inner) as ReturnType<typeof nodeVerifier>, {
    verify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
      const t = performance.now();
      const ok = inner.verify(pk, msg, sig);
      // One sample in 16 is enough for quantiles and keeps the hot path cheap.
      if ((count++ & 15) === 0) metrics.observe('meterchain_verify_seconds', 'Time to verify one Ed25519 signature.', (performance.now() - t) / 1000);
      metrics.counter('meterchain_verifications_total', 'Signatures verified.');
      return ok;
    },
  });
}

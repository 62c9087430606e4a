// The fault campaign: a real cluster (the bundled node, one process per meter, each behind its own TCP proxy to one
// real Mosquitto) under a seeded schedule of faults, then judged from what the nodes stored (checks.ts). Bounded in
// time; stops every child, unmounts and removes its directory whatever happens.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { addressToText, createManifest, verifyManifest, type Manifest } from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, writeKeyPair } from '@meterchain/crypto';
import { frameTopic } from '@meterchain/transport';
import { startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { startTcpProxy, type TcpProxy } from '@meterchain/testkit/proxy';
import { buildNodeBundle } from '../../cli/scripts/build-node.ts';
import { checkCluster, COUNTERS, type Counter } from './checks.ts';
import { BYZANTINE_KINDS, CRASH_KINDS, planCampaign, type ByzantineKind, type Fault, type FaultKind } from './schedule.ts';

export interface CampaignOptions {
  minutes: number;
  seed: number;
  roundMs: number;
  meters: number;
  /** No faults at all (a control run: does this machine keep the cluster committing at this round length?). */
  control?: boolean;
  /** Each node process receives the cluster's broadcast frames over a receiving connection of its own login
   * (`meterchain node --receiver`, an observer of the cluster's ACL), through the same proxy as its own connection. */
  receiver?: boolean;
  /** Keep the campaign's directory (logs, data) here instead of a removed temporary one. */
  keepDir?: string;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
}

export interface CampaignResult {
  forks: number;
  acceptedMissing: number;
  ownLost: number;
  restartsFailed: number;
  stallsOverLimit: number;
  maxRssMiB: number;
  maxDiskMiB: number;
  faults: Record<FaultKind, number>;
  rounds: number;
  blocks: number;
}

export interface CampaignReport {
  result: CampaignResult;
  /** Counters that are not 0. */
  failed: Counter[];
  restarts: number;
  findings: string[];
  dir?: string;
}

/** Blocks per block period and view timeout, in rounds: a block every 8 rounds (2 s at 250 ms rounds). */
const BLOCK_ROUNDS = 8;
const TIMEOUT_ROUNDS = 8;
/** How long a (re)started node has to log 'node started'. */
const START_LIMIT_MS = 30_000;
/** systemd's RestartSec for a node that exits by itself (firmware/linux/systemd). */
const RESTART_SEC_MS = 2000;

interface Member {
  index: number;
  name: string;
  address: string;
  password: string;
  dir: string;
  dataDir: string;
  logPath: string;
  honest: boolean;
  proxy?: TcpProxy;
  proc?: ChildProcess;
  /** Held down by a fault (killed, power cut): no automatic restart, no byzantine restart. */
  heldDown: boolean;
  /** Logged 'node started' since its last spawn. */
  up: boolean;
  clockOffsetMs: number;
  /** When its clock was off by more than skewMs: from before its restart with the offset to after the restart
   * without it. */
  outOfModel: { from: number; to: number }[];
  byzantine: ByzantineKind[];
  log?: WriteStream;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Bytes under a directory (the ballast file of a disk-full fault left out). */
function treeBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else if (e.isFile() && e.name !== BALLAST) {
      try {
        total += statSync(p).size;
      } catch {
        // removed meanwhile
      }
    }
  }
  return total;
}

const BALLAST = 'campaign-ballast';

/** Fills the file system holding `dir` with a ballast file until it refuses more. */
function fillDisk(dir: string): number {
  const fd = openSync(join(dir, BALLAST), 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const say = o.progress ?? (() => undefined);
  const dir = o.keepDir ?? mkdtempSync(join(tmpdir(), 'mc-campaign-'));
  mkdirSync(dir, { recursive: true });
  const children = new Set<ChildProcess>();
  const proxies: TcpProxy[] = [];
  let broker: MosquittoBroker | undefined;
  let mounted: string | undefined;
  let forger: Forger | undefined;
  let stopping = false;
  const members: Member[] = [];
  const findings: string[] = [];

  const cleanup = async () => {
    stopping = true;
    forger?.stop();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const m of members) m.log?.end();
    for (const p of proxies) await p.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    if (mounted) {
      // A kept directory keeps the tmpfs member's data too (the mount goes).
      if (o.keepDir) spawnSync('cp', ['-a', mounted, `${mounted}.kept`]);
      // A lazy unmount if a process still holds a file there.
      if (spawnSync('umount', [mounted]).status !== 0) spawnSync('umount', ['-l', mounted]);
      mounted = undefined;
    }
    if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(1));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // The bundled node, as a device runs it (npm run build:node), built from this checkout into the campaign's directory.
    const bundle = (await buildNodeBundle({ outfile: join(dir, 'meterchain-node.mjs') })).outfile;
    const n = o.meters;
    const publicKeys: Uint8Array[] = [];
    const byzantine = n - 1;
    const diskMember = 0;
    // Keys, logins, manifest (bft: 1 faulty member of 4 tolerated).
    for (let i = 0; i < n; i++) {
      const name = `m${String(i + 1).padStart(2, '0')}`;
      const mdir = join(dir, name);
      mkdirSync(mdir, { recursive: true });
      const pair = writeKeyPair(mdir, generateSeed());
      publicKeys.push(pair.publicKey);
      const password = `pw-${name}-${pair.address.slice(2, 12)}`;
      writeFileSync(join(mdir, 'broker.pass'), password + '\n');
      if (o.receiver) writeFileSync(join(mdir, 'receiver.pass'), `rx-${password}\n`);
      members.push({ index: i, name, address: pair.address, password, dir: mdir, dataDir: join(mdir, 'data'), logPath: join(dir, 'logs', `${name}.log`), honest: i !== byzantine, heldDown: false, up: false, clockOffsetMs: 0, outOfModel: [], byzantine: [] });
    }
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const timeoutMs = TIMEOUT_ROUNDS * o.roundMs;
    const startupMs = 3000 + 700 * n;
    const genesisMs = Math.ceil((Date.now() + startupMs) / o.roundMs) * o.roundMs;
    const manifestBytes = createManifest(
      {
        cluster: 'campaign',
        rule: 'bft',
        members: members.map((m, i) => ({ publicKey: publicKeys[i]!, name: m.name })),
        params: { roundMs: o.roundMs, blockRounds: BLOCK_ROUNDS, skewMs: Math.round(o.roundMs * 0.8), timeoutMs },
        genesisMs,
      },
      createNodeSigner(generateSeed()),
    );
    const manifestPath = join(dir, 'manifest.cbor');
    writeFileSync(manifestPath, manifestBytes);
    const checked = verifyManifest(manifestBytes, nodeVerifier());
    if (!checked.ok) throw new Error(`campaign: manifest: ${checked.reason}`);
    const manifest: Manifest = checked.manifest;
    const stallLimitMs = 3 * BLOCK_ROUNDS * o.roundMs + timeoutMs;

    // The broker configuration shipped for the field: each login held to its own identity, its ACL made from the
    // manifest (members in manifest order: the member at index i reads the `-to-<i>` frames), and its persistence as
    // shipped (saved every 30 s: a SIGKILL loses what changed since, as in the field). Saving after every change, as
    // broker tests do, made the broker rewrite its whole database, megabytes of a flooder's queued frames, once per
    // packet it read: a member back from a cut-off during a flood had its frames held for seconds (docs/reliability.md).
    const byAddress = new Map(members.map((m) => [m.address, m]));
    const ordered = manifest.members.map((x) => byAddress.get(addressToText(x.address))!);
    const observers = o.receiver ? members.map((m) => ({ username: `rx-${m.name}`, password: `rx-${m.password}` })) : [];
    broker = await startMosquitto({ cluster: { name: manifest.cluster, members: ordered.map((m) => ({ username: m.address, password: m.password })), observers }, persistence: 'shipped' });
    for (const m of members) {
      m.proxy = await startTcpProxy('127.0.0.1', broker.port);
      proxies.push(m.proxy);
    }
    // The disk-full member's data directory is a small tmpfs: room for the run, filled by the fault.
    const disk = members[diskMember]!;
    mkdirSync(disk.dataDir, { recursive: true });
    const sizeMiB = 48 + Math.ceil(o.minutes * 4);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', disk.dataDir], { encoding: 'utf8' });
    if (mount.status !== 0) throw new Error(`campaign: cannot mount a tmpfs for the disk-full fault (needs root): ${(mount.stderr || mount.error?.message || '').trim()}`);
    mounted = disk.dataDir;

    const durationMs = o.minutes * 60_000;
    const healMs = stallLimitMs + 6000;
    const planned = planCampaign({ seed: o.seed, durationMs, members: n, byzantine, diskMember, healMs, segmentMs: Math.min(120_000, Math.max(20_000, Math.round(durationMs / 8))) });
    const schedule = o.control ? { crash: [], byzantine: [] } : planned;
    const faults = Object.fromEntries([...CRASH_KINDS, ...BYZANTINE_KINDS].map((k) => [k, 0])) as Record<FaultKind, number>;
    let restarts = 0;
    let restartsFailed = 0;
    let maxRssKiB = 0;
    let maxDiskBytes = 0;
    let diskFull = false;

    const writeConfig = (m: Member) => {
      const lab = m.clockOffsetMs !== 0 || m.byzantine.length > 0;
      writeFileSync(
        join(m.dir, 'node.yaml'),
        [
          `cluster:`,
          `  manifest: ${manifestPath}`,
          `key: meter.key`,
          `dataDir: data`,
          `broker:`,
          `  url: ${m.proxy!.url}`,
          `  passwordFile: broker.pass`,
          `sensor:`,
          `  type: simulated`,
          `  seed: ${m.index + 1}`,
          `metrics:`,
          `  listen: "off"`,
          `log:`,
          // Debug: the round outcomes ('accepted') the checks read are debug lines.
          `  level: debug`,
          ...(lab ? ['lab:'] : []),
          ...(m.clockOffsetMs !== 0 ? [`  clockOffsetMs: ${m.clockOffsetMs}`] : []),
          ...(m.byzantine.length > 0 ? [`  byzantine: [${m.byzantine.join(', ')}]`] : []),
          '',
        ].join('\n'),
      );
    };

    /** Starts a member's node; `restart` counts it and checks that it comes up. */
    const spawnNode = (m: Member, restart: boolean) => {
      writeConfig(m);
      m.log ??= createWriteStream(m.logPath, { flags: 'a' });
      m.up = false;
      const receiver = o.receiver ? ['--receiver', `rx-${m.name}`, '--receiver-password-file', join(m.dir, 'receiver.pass')] : [];
      const child = spawn(process.execPath, [bundle, '--config', join(m.dir, 'node.yaml'), ...receiver], { stdio: ['ignore', 'pipe', 'pipe'], cwd: m.dir });
      m.proc = child;
      children.add(child);
      if (restart) restarts++;
      const spawnedAt = Date.now();
      const onLine = (line: string) => {
        m.log!.write(line + '\n');
        if (!m.up && m.proc === child && line.includes('"msg":"node started"')) m.up = true;
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      let judged = !restart;
      const limit = setTimeout(() => {
        if (!judged && !m.up && m.proc === child) {
          judged = true;
          restartsFailed++;
          findings.push(`${m.name}: restarted at ${new Date(spawnedAt).toISOString()}, not started within ${START_LIMIT_MS / 1000} s`);
        }
      }, START_LIMIT_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(limit);
        children.delete(child);
        if (m.proc !== child || signal === 'SIGKILL' || stopping) return;
        m.proc = undefined;
        // It exited by itself. Before it started: a failed restart. Afterwards: a failure unless its disk was full
        // (a node may stop on a full disk; its service manager restarts it, as the campaign does now).
        const started = m.up;
        m.up = false;
        if (!started && !judged) {
          judged = true;
          restartsFailed++;
          findings.push(`${m.name}: exited (${code ?? signal}) before it started, at ${new Date().toISOString()}`);
        } else if (started && !(diskFull && m.index === diskMember)) {
          restartsFailed++;
          findings.push(`${m.name}: exited by itself (${code ?? signal}) at ${new Date().toISOString()}`);
        }
        say(`${m.name} exited by itself (${code ?? signal}); restarting in ${RESTART_SEC_MS / 1000} s`);
        setTimeout(() => {
          if (!stopping && !m.heldDown && !m.proc) spawnNode(m, true);
        }, RESTART_SEC_MS);
      });
    };
    const kill = async (ms: Member[]) => {
      const exits = ms.map((m) => {
        const p = m.proc;
        m.heldDown = true;
        m.up = false;
        if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
        return new Promise<void>((r) => {
          p.once('exit', () => r());
          p.kill('SIGKILL');
        });
      });
      await Promise.all(exits);
      for (const m of ms) m.proc = undefined;
    };
    const release = (ms: Member[]) => {
      for (const m of ms) {
        m.heldDown = false;
        if (!m.proc) spawnNode(m, true);
      }
    };
    /** Waits until every honest member logged 'node started' (bounded). The byzantine member down is one faulty
     * member among others: the cluster must commit without it. */
    const allUp = async () => {
      const until = Date.now() + START_LIMIT_MS + RESTART_SEC_MS;
      while (Date.now() < until && !stopping) {
        if (members.every((m) => m.up || !m.honest)) return true;
        await sleep(100);
      }
      return false;
    };

    say(`campaign: ${n} meters, rounds of ${o.roundMs} ms, ${o.minutes} min, seed ${o.seed}, stall limit ${stallLimitMs / 1000} s, in ${dir}`);
    // The byzantine member starts with its first segment's behaviour; the others start honest.
    const first = schedule.byzantine[0];
    if (first && first.kind !== 'forge-header') members[byzantine]!.byzantine = [first.kind as ByzantineKind];
    for (const m of members) spawnNode(m, false);
    const sampler = setInterval(() => {
      // Honest members only: what a byzantine member spends on its own misbehaviour is not the cluster's bound.
      for (const m of members) if (m.honest && m.proc?.pid) maxRssKiB = Math.max(maxRssKiB, rssKiB(m.proc.pid));
    }, 1000);
    const diskSampler = setInterval(() => {
      for (const m of members) if (m.honest) maxDiskBytes = Math.max(maxDiskBytes, treeBytes(m.dataDir));
    }, 5000);
    // The schedule's time 0: every node up and the first round begun (a busy machine may take several seconds to
    // start four processes).
    if (!(await allUp())) {
      restartsFailed++;
      findings.push(`not every node started within ${(START_LIMIT_MS + RESTART_SEC_MS) / 1000} s of the first start`);
    }
    await sleep(genesisMs - Date.now());
    const t0 = Date.now();
    const at = (t: number) => sleep(t0 + t - Date.now());
    const endAt = t0 + durationMs;
    const healed: { from: number; to: number }[] = [];
    let healedSince: number | undefined;
    const wound = () => {
      if (healedSince !== undefined) healed.push({ from: healedSince, to: Date.now() });
      healedSince = undefined;
    };
    const heal = async () => {
      if (await allUp()) healedSince = Date.now();
      else findings.push(`not every node was up ${(START_LIMIT_MS + RESTART_SEC_MS) / 1000} s after a fault healed`);
    };

    const crashTrack = async () => {
      await at(0);
      await heal();
      for (const f of schedule.crash) {
        await at(f.at);
        // Every healed period lasts at least healMs, however long the nodes took to start again (on a busy machine a
        // restart can take many seconds): a fault due earlier starts late, and one that would then end too close to
        // the end of the run is left out (the counts say what was injected).
        if (healedSince !== undefined) await sleep(healedSince + healMs - Date.now());
        if (stopping || Date.now() + f.durationMs + healMs > endAt) return;
        faults[f.kind]++;
        say(`fault ${f.kind}${f.target !== undefined ? ` on ${members[f.target]!.name}` : ''} for ${(f.durationMs / 1000).toFixed(1)} s${f.offsetMs ? ` (clock ${f.offsetMs > 0 ? '+' : ''}${f.offsetMs} ms)` : ''}`);
        wound();
        await crash(f);
        await heal();
      }
    };
    const crash = async (f: Fault) => {
      const target = f.target !== undefined ? members[f.target]! : undefined;
      switch (f.kind) {
        case 'kill':
          await kill([target!]);
          await sleep(f.durationMs);
          release([target!]);
          return;
        case 'power-cut':
          await kill(members);
          await sleep(f.durationMs);
          release(members);
          return;
        case 'broker':
          await broker!.kill();
          await sleep(f.durationMs);
          // A busy machine can make Mosquitto slow to listen: a few tries before the campaign gives up.
          for (let attempt = 1; ; attempt++) {
            try {
              await broker!.start();
              break;
            } catch (e) {
              if (attempt >= 3) throw e;
            }
          }
          return;
        case 'cut-off':
          target!.proxy!.cutOff();
          await sleep(f.durationMs);
          target!.proxy!.heal();
          return;
        case 'clock-skew': {
          const from = Date.now();
          await kill([target!]);
          target!.clockOffsetMs = f.offsetMs ?? 0;
          release([target!]);
          await sleep(f.durationMs);
          await kill([target!]);
          target!.clockOffsetMs = 0;
          target!.outOfModel.push({ from, to: Date.now() });
          release([target!]);
          return;
        }
        case 'disk-full': {
          diskFull = true;
          const bytes = fillDisk(target!.dataDir);
          say(`  ${target!.name}: disk filled (${(bytes / 1048576).toFixed(1)} MiB of ballast)`);
          await sleep(f.durationMs);
          unlinkSync(join(target!.dataDir, BALLAST));
          diskFull = false;
          return;
        }
      }
    };
    const byzantineTrack = async () => {
      const m = members[byzantine]!;
      for (const [i, f] of schedule.byzantine.entries()) {
        if (i > 0) await at(f.at);
        if (stopping || Date.now() >= endAt) return;
        faults[f.kind]++;
        say(`byzantine ${m.name}: ${f.kind} for ${(f.durationMs / 1000).toFixed(0)} s`);
        forger?.stop();
        forger = undefined;
        m.byzantine = f.kind === 'forge-header' ? [] : [f.kind as ByzantineKind];
        // The first segment's behaviour is in the configuration of the first start; a member held down by a fault
        // takes the new behaviour when it is released.
        if (i > 0 && !m.heldDown && m.proc) {
          await kill([m]);
          release([m]);
        }
        if (f.kind === 'forge-header') forger = startForger(broker!, manifest.cluster, m, members.filter((x) => x.honest));
      }
    };

    await Promise.all([crashTrack(), byzantineTrack().then(() => undefined), at(durationMs)]);
    wound();
    forger?.stop();
    forger = undefined;
    say('campaign: faults over; stopping the cluster');
    clearInterval(sampler);
    clearInterval(diskSampler);
    for (const m of members) if (m.honest) maxDiskBytes = Math.max(maxDiskBytes, treeBytes(m.dataDir));
    // A clean stop (SIGTERM), bounded: what the nodes stored is what is judged.
    stopping = true;
    await Promise.all(
      members.map(async (m) => {
        const p = m.proc;
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        p.kill('SIGTERM');
        const hard = setTimeout(() => p.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(hard);
      }),
    );
    const stoppedAt = Date.now();
    await Promise.all(members.map((m) => new Promise<void>((r) => (m.log ? m.log.end(() => r()) : r()))));
    for (const m of members) m.log = undefined;

    const checks = await checkCluster({
      manifest,
      digest: checked.digest,
      nodes: members.map((m) => ({ name: m.name, address: m.address, dataDir: m.dataDir, logPath: m.logPath, honest: m.honest, outOfModel: m.outOfModel })),
      healed,
      stallLimitMs,
    });
    findings.push(...checks.findings);
    const result: CampaignResult = {
      forks: checks.forks,
      acceptedMissing: checks.acceptedMissing,
      ownLost: checks.ownLost,
      restartsFailed,
      stallsOverLimit: checks.stallsOverLimit,
      maxRssMiB: Math.round((maxRssKiB / 1024) * 10) / 10,
      maxDiskMiB: Math.round((maxDiskBytes / 1048576) * 10) / 10,
      faults,
      rounds: Math.max(0, Math.floor((stoppedAt - genesisMs) / o.roundMs)),
      blocks: checks.blocks,
    };
    const failed = COUNTERS.filter((k) => result[k] !== 0);
    // A kept directory also holds what the campaign did, to read the nodes' logs against.
    if (o.keepDir) writeFileSync(join(dir, 'campaign.json'), JSON.stringify({ options: o, genesisMs, t0, stallLimitMs, schedule, healed, result, findings }, null, 1));
    return { result, failed, restarts, findings, ...(o.keepDir ? { dir } : {}) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

interface Forger {
  stop(): void;
}

/**
 * The header forger, speaking with the byzantine member's own login: 42-byte frames with incarnation 0xFFFFFFFF
 * under every honest member's address (a receiver that trusts the unsigned header drops that member's later frames),
 * and every few seconds a connection that takes over an honest member's client id (under a broker that ties client
 * ids to logins, refused).
 */
function startForger(broker: MosquittoBroker, cluster: string, byzantine: Member, victims: Member[]): Forger {
  const login = { username: byzantine.address, password: byzantine.password, protocolVersion: 5 as const, reconnectPeriod: 1000, connectTimeout: 2000 };
  const client = mqtt.connect(broker.url, { ...login, clientId: `${byzantine.address}-forger`, clean: true });
  client.on('error', () => undefined);
  const frame = new Uint8Array(42);
  frame[0] = 1; // header version
  new DataView(frame.buffer).setUint32(2, 0xffffffff);
  frame[11] = 1; // sequence 1
  const kinds = ['submission', 'vote', 'certificate', 'proposal', 'block-vote', 'timeout', 'block'];
  const forge = setInterval(() => {
    if (!client.connected) return;
    for (const v of victims) for (const kind of kinds) client.publish(frameTopic(cluster, kind, v.address), Buffer.from(frame), { qos: 1 }, () => undefined);
  }, 250);
  let turn = 0;
  const takeovers = new Set<mqtt.MqttClient>();
  const takeover = setInterval(() => {
    const victim = victims[turn++ % victims.length]!;
    const c = mqtt.connect(broker.url, { ...login, reconnectPeriod: 0, clientId: victim.address, clean: false, properties: { sessionExpiryInterval: 3600 } });
    takeovers.add(c);
    c.on('error', () => undefined);
    setTimeout(() => {
      c.end(true);
      takeovers.delete(c);
    }, 1000);
  }, 5000);
  return {
    stop() {
      clearInterval(forge);
      clearInterval(takeover);
      client.end(true);
      for (const c of takeovers) c.end(true);
      takeovers.clear();
    },
  };
}

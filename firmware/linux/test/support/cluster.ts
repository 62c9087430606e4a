// A cluster of meter nodes in this test process, each composed exactly as `meterchain node` composes it (startNode
// from a node.yaml), talking through a real broker. One process is enough: the nodes share nothing but the broker.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText, createManifest, manifestToJson, verifyManifest, type Manifest } from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, writeKeyPair } from '@meterchain/crypto';
import { openChain, verifyBlocks, type ChainReport } from '@meterchain/ledger';
import { startNode, type RunningNode, type StartOptions } from '../../src/main.ts';
import { createLogger } from '../../src/log.ts';

export interface TestMember {
  name: string;
  address: string;
  dir: string;
  config: string;
  password: string;
  running?: RunningNode;
  logs: Record<string, unknown>[];
}

/** A sensor member (role `sensor`) whose frames its full node reads over MQTT (node.yaml `sensors: [{mqtt: true}]`). */
export interface TestSensor {
  name: string;
  address: string;
  /** Index in `members` of the full node it sends to. */
  node: number;
  linkKey: Uint8Array;
  password: string;
}

export interface TestCluster {
  dir: string;
  sensors: TestSensor[];
  manifest: Manifest;
  digest: Uint8Array;
  manifestPath: string;
  members: TestMember[];
  /** Writes the member's node.yaml (start does it too). */
  configure(member: TestMember): void;
  start(member: TestMember): Promise<void>;
  stop(member: TestMember): Promise<void>;
  stopAll(): Promise<void>;
  verify(member: TestMember): Promise<ChainReport>;
  unaccepted(member: TestMember): Promise<{ seq: number; round: number; outcome: string }[]>;
  /** The stored blocks of a member, as bytes, height order. */
  blocks(member: TestMember): Promise<Uint8Array[]>;
}

export interface ClusterOptions {
  members: number;
  /** Broker URL for each member (index → URL), so one member can sit behind a proxy. */
  brokerUrl?: (index: number) => string;
  /** Instead of a broker: the node.yaml lines that say how a member reaches its peers (e.g. its `rs485:` section). */
  peers?: (index: number) => string[];
  roundMs?: number;
  blockRounds?: number;
  /** Start of round 0, default 1.5 s from now. */
  genesisMs?: number;
  /** The `sensor:` section of a member's node.yaml, as lines (default: a simulated meter seeded by its index). */
  sensor?: (index: number) => string[] | undefined;
  /** What the nodes share as `meterchain node` with several --config shares it (the bus lines of the process). */
  startOptions?: StartOptions;
  /** The metrics listener of a member (index → host:port), default off. */
  metricsListen?: (index: number) => string;
  /** More node.yaml lines for a member (index → lines), e.g. its outputs. */
  extraConfig?: (index: number) => string[];
  /** Sensor members, each read over MQTT by the full node at index `node`. */
  sensors?: { name: string; node: number }[];
}

export function createTestCluster(opts: ClusterOptions): TestCluster {
  const dir = mkdtempSync(join(tmpdir(), 'mc-cluster-'));
  const operator = generateSeed();
  const roundMs = opts.roundMs ?? 500;
  const members: TestMember[] = [];
  const keys: Uint8Array[] = [];
  for (let i = 0; i < opts.members; i++) {
    const name = `m${String(i + 1).padStart(2, '0')}`;
    const mdir = join(dir, name);
    mkdirSync(mdir, { recursive: true });
    const pair = writeKeyPair(mdir, generateSeed());
    keys.push(pair.publicKey);
    members.push({ name, address: pair.address, dir: mdir, config: join(mdir, 'node.yaml'), password: `pw-${name}-${pair.address.slice(2, 10)}`, logs: [] });
  }
  const sensors: (TestSensor & { publicKey: Uint8Array; keyPath: string; linkKeyPath: string })[] = [];
  for (const sx of opts.sensors ?? []) {
    const sdir = join(dir, sx.name);
    mkdirSync(sdir, { recursive: true });
    const pair = writeKeyPair(sdir, generateSeed(), 'sensor');
    const linkKey = new Uint8Array(32).map((_, i) => (i * 7 + sensors.length + 1) & 0xff);
    const linkKeyPath = join(sdir, 'link.key');
    writeFileSync(linkKeyPath, Buffer.from(linkKey).toString('hex') + '\n', { mode: 0o600 });
    sensors.push({ name: sx.name, address: pair.address, node: sx.node, linkKey, password: `pw-${sx.name}-${pair.address.slice(2, 10)}`, publicKey: pair.publicKey, keyPath: join(sdir, 'sensor.key'), linkKeyPath });
  }
  const genesisMs = opts.genesisMs ?? Math.ceil((Date.now() + 1500) / roundMs) * roundMs;
  const bytes = createManifest(
    {
      cluster: 'test',
      rule: 'bft',
      members: [...keys.map((publicKey, i) => ({ publicKey, name: members[i]!.name })), ...sensors.map((x) => ({ publicKey: x.publicKey, name: x.name, role: 'sensor' as const }))],
      params: { roundMs, blockRounds: opts.blockRounds ?? 4, skewMs: Math.round(roundMs * 1.5), timeoutMs: roundMs * 4 },
      genesisMs,
    },
    createNodeSigner(operator),
  );
  const manifestPath = join(dir, 'manifest.cbor');
  writeFileSync(manifestPath, bytes);
  const checked = verifyManifest(bytes, nodeVerifier());
  if (!checked.ok) throw new Error(checked.reason);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifestToJson(checked.manifest)));
  /** The configuration is written when a member starts, so the broker URL may be known only then. */
  const writeConfig = (m: TestMember, i: number) => {
    writeFileSync(join(m.dir, 'broker.pass'), m.password + '\n');
    writeFileSync(
      m.config,
      [
        'cluster:',
        `  manifest: ${manifestPath}`,
        'key: meter.key',
        'dataDir: data',
        ...(opts.peers ? opts.peers(i) : ['broker:', `  url: ${opts.brokerUrl!(i)}`, '  passwordFile: broker.pass']),
        ...(opts.sensor?.(i) ?? ['sensor:', '  type: simulated', `  seed: ${i + 1}`]),
        'metrics:',
        `  listen: "${opts.metricsListen?.(i) ?? 'off'}"`,
        'log:',
        '  level: debug',
        ...(opts.extraConfig?.(i) ?? []),
        ...(sensors.some((x) => x.node === i) ? ['sensors:', ...sensors.filter((x) => x.node === i).flatMap((x) => [`  - name: ${x.name}`, `    key: ${x.keyPath}`, `    linkKey: ${x.linkKeyPath}`, '    mqtt: true'])] : []),
        '',
      ].join('\n'),
    );
  };
  const cluster: TestCluster = {
    dir,
    sensors: sensors.map(({ name, address, node, linkKey, password }) => ({ name, address, node, linkKey, password })),
    manifest: checked.manifest,
    digest: checked.digest,
    manifestPath,
    members,
    configure(m) {
      writeConfig(m, members.indexOf(m));
    },
    async start(m) {
      writeConfig(m, members.indexOf(m));
      const log = createLogger({ level: 'debug', write: (line) => m.logs.push(JSON.parse(line)) });
      m.running = await startNode(m.config, log, opts.startOptions);
    },
    async stop(m) {
      await m.running?.stop();
      m.running = undefined;
    },
    async stopAll() {
      await Promise.all(members.map((m) => cluster.stop(m)));
    },
    async verify(m) {
      const opened = await openChain(join(m.dir, 'data', 'chain'));
      try {
        return await verifyBlocks([{ manifest: checked.manifest, digest: checked.digest }], opened.source);
      } finally {
        await opened.close();
      }
    },
    async blocks(m) {
      const opened = await openChain(join(m.dir, 'data', 'chain'));
      try {
        return await opened.source.read(0, opened.source.count);
      } finally {
        await opened.close();
      }
    },
    async unaccepted(m) {
      const text = await readFile(join(m.dir, 'data', 'unaccepted.jsonl'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l));
    },
  };
  return cluster;
}

/** Waits until `check()` is true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function heightOf(m: TestMember): number {
  return m.running?.node.height ?? -1;
}

export { addressToText };

// `meterchain cluster init|show|broker-config`: create a cluster (operator key, member keys, signed manifest), show a
// manifest, or make the broker's password file and ACL for it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText, fromHex, manifestToJson, type VoteMode, type VotingRule } from '@meterchain/core';
import { bridgeConfig, brokerAcl, gateAcl, wideAreaBridgeAcl } from '@meterchain/transport';
import { createCluster } from '../cluster-files.ts';
import { InputError, intOption, parse, required, UsageError, type Command, type Io } from '../command.ts';
import { loadManifest, readJson, writeOutput } from '../files.ts';

const usage = `usage: meterchain cluster init --name NAME --members N --rule majority|bft --out DIR
                         [--vote-mode broadcast|leader] [--round-ms MS] [--block-rounds R] [--genesis-ms MS]
                         [--skew-ms MS] [--timeout-ms MS] [--sensor FILE]...
       meterchain cluster show --manifest FILE [--json]
       meterchain cluster broker-config --manifest FILE --out DIR [--passwords FILE] [--observer LOGIN]...
                                       [--sensor BROKER_JSON]... [--board-broker HOST:PORT]
       meterchain cluster bridge-config --region NAME --widearea NAME --remote HOST:PORT --out DIR
                                       [--login LOGIN] [--password-file FILE] [--gate LOGIN]...

init  creates an operator key (DIR/operator.key, .pub), N member keys (DIR/members/mNN/meter.key, .pub) and the
      manifest signed by the operator (DIR/manifest.cbor, with a readable copy in DIR/manifest.json).
      For labs and simulations: in the field each meter makes its own key and only the public key travels.
      --round-ms     length of a round (default 1000): each meter submits one reading a round
      --block-rounds rounds per block (default 10)
      --genesis-ms   start of round 0, ms since 1970 (default the next whole second)
      --skew-ms      clock difference between members the cluster tolerates (default 250): a node votes at a round's
                     end plus this when a member's submission is missing (at once when it holds all of them), and
                     judges a reading more than this ahead of its own clock as from the future. NTP on a LAN keeps
                     meters within tens of ms; raise it for meters on slow links or without time sync.
      --sensor       a sensor node's member.json (from meterchain sensor provision), repeatable: members with
                     role sensor, whose readings a full node submits in their name; they do not vote
      --timeout-ms   how long after its vote a node waits for the round's outcome, and a view lasts before the next
                     proposer takes over (default 3000)
show  verifies a manifest and prints its members.
broker-config  makes the Mosquitto files that enforce identity for the cluster (docs/transport.md section 8):
      DIR/meterchain.acl (each member publishes only under its own address in this cluster and reads this
      cluster's broadcast kinds and its own -to-<index> frames; observers only read the broadcast kinds) and
      DIR/meterchain.passwd (hashed with mosquitto_passwd). Passwords come from --passwords (lines "LOGIN PASSWORD")
      or are drawn at random and written to DIR/passwords/LOGIN.pass, to install as each meter's
      broker.passwordFile. Install with the shipped mosquitto.conf (use_username_as_clientid true).
      --sensor  a sensor node's broker.json (meterchain sensor provision --mqtt-node), repeatable: its login (its
                address) may only publish meterchain/<cluster>/sensor/<its address>, which only its full node reads.
      --board-broker  with --sensor: the broker as the boards reach it; writes DIR/boards/<address>/mc.mqtt (its
                host, port and drawn password) and board-mqtt.js, a program that stores it on the board (run it once
                after the board.js of sensor provision).
bridge-config  makes the Mosquitto bridge between a region's broker and the wide-area broker (docs/widearea.md):
      DIR/bridge-<region>.conf, the section to add to the regional broker's configuration (carries only
      meterchain/<region>/anchor/+ out and meterchain/<widearea>/# both ways; sessions kept on both sides so an
      outage loses nothing within max_queued_messages), DIR/widearea-<region>.acl, the bridge login's section for
      the wide-area broker's ACL, and with --gate DIR/gates-<region>.acl, each cluster gate's section for the
      regional broker's ACL. --login defaults to bridge-<region>; the password comes from --password-file (its
      first line) or is drawn at random and written to DIR/passwords/<login>.pass (add it to the wide-area
      broker's password file with mosquitto_passwd).`;

async function init(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    name: { type: 'string' },
    members: { type: 'string' },
    rule: { type: 'string' },
    out: { type: 'string' },
    'vote-mode': { type: 'string' },
    'round-ms': { type: 'string' },
    'block-rounds': { type: 'string' },
    'genesis-ms': { type: 'string' },
    'skew-ms': { type: 'string' },
    'timeout-ms': { type: 'string' },
    sensor: { type: 'string', multiple: true },
  });
  const name = required(values.name, 'name');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError(`--name must be 1..64 letters, digits, '.', '_' or '-', got '${name}'`);
  const n = intOption(values.members, 'members');
  if (n < 1 || n > 1024) throw new UsageError(`--members must be 1..1024, got ${n}`);
  const rule = required(values.rule, 'rule');
  if (rule !== 'majority' && rule !== 'bft') throw new UsageError(`--rule must be majority or bft, got '${rule}'`);
  if (rule === 'bft' && n < 4) throw new UsageError(`--rule bft needs at least 4 members (n = 3f + 1), got ${n}`);
  const voteMode = values['vote-mode'] ?? 'broadcast';
  if (voteMode !== 'broadcast' && voteMode !== 'leader') throw new UsageError(`--vote-mode must be broadcast or leader, got '${voteMode}'`);
  const out = required(values.out, 'out');
  const roundMs = intOption(values['round-ms'], 'round-ms', 1000);
  const blockRounds = intOption(values['block-rounds'], 'block-rounds', 10);
  const genesisMs = intOption(values['genesis-ms'], 'genesis-ms', Math.ceil(Date.now() / 1000) * 1000);
  // Not the manifest's own default of 2000 ms, which holds every round with a silent member 2 s past its end.
  const skewMs = intOption(values['skew-ms'], 'skew-ms', 250);
  const timeoutMs = intOption(values['timeout-ms'], 'timeout-ms', 3000);
  if (skewMs > 60_000) throw new UsageError(`--skew-ms must be at most 60000, got ${skewMs}`);
  if (timeoutMs < 1 || timeoutMs > 600_000) throw new UsageError(`--timeout-ms must be 1..600000, got ${timeoutMs}`);

  const sensors = (values.sensor ?? []).map(readSensorMember);
  const { manifest } = createCluster(out, { name, members: n, rule: rule as VotingRule, voteMode: voteMode as VoteMode, roundMs, blockRounds, genesisMs, skewMs, timeoutMs, sensors });
  io.out(`cluster ${name}: ${n} members, rule ${rule}, epoch 0, rounds of ${roundMs} ms, skew ${skewMs} ms, manifest ${join(out, 'manifest.cbor')}`);
  for (const m of manifest.members) io.out(`  ${m.name}  ${addressToText(m.address)}${m.role === 'sensor' ? '  sensor' : ''}`);
  return 0;
}

/** A sensor's manifest entry as `sensor provision` writes it: its public key must give the address it names. */
function readSensorMember(path: string): { publicKey: Uint8Array; name: string } {
  const doc = readJson(path, 'sensor member') as { name?: unknown; role?: unknown; publicKey?: unknown; address?: unknown };
  if (doc === null || typeof doc !== 'object' || doc.role !== 'sensor' || typeof doc.name !== 'string' || typeof doc.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(doc.publicKey)) {
    throw new InputError(`${path}: not a sensor member entry (expected {"name", "role": "sensor", "publicKey": 64 hex digits, "address"})`);
  }
  const publicKey = fromHex(doc.publicKey);
  if (doc.address !== addressToText(addressFromPublicKey(publicKey))) throw new InputError(`${path}: "address" is not the address of "publicKey"`);
  return { publicKey, name: doc.name };
}

async function show(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { manifest: { type: 'string' }, json: { type: 'boolean' } });
  const { manifest } = loadManifest(required(values.manifest, 'manifest'));
  if (values.json) {
    io.out(JSON.stringify(manifestToJson(manifest)));
    return 0;
  }
  io.out(`cluster ${manifest.cluster}, epoch ${manifest.epoch}, rule ${manifest.rule}, votes ${manifest.voteMode}, ${manifest.members.length} members`);
  for (const m of manifest.members) io.out(`  ${(m.name ?? '').padEnd(8)} ${addressToText(m.address)}  ${m.role}`);
  return 0;
}

/** Reads "LOGIN PASSWORD" lines (blank lines and # comments skipped). */
function readPasswords(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read passwords ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(\S+)\s+(\S.*)$/.exec(line);
    if (!match) throw new InputError(`${path} line ${i + 1}: expected "LOGIN PASSWORD"`);
    out.set(match[1]!, match[2]!);
  });
  return out;
}

/** A sensor's broker.json as `sensor provision --mqtt-node` writes it. */
function readSensorBroker(path: string, cluster: string): { address: string; node: string } {
  const doc = readJson(path, 'sensor broker entry') as { cluster?: unknown; sensor?: unknown; node?: unknown } | null;
  const address = /^mc[0-9a-f]{40}$/;
  if (doc === null || typeof doc !== 'object' || typeof doc.sensor !== 'string' || !address.test(doc.sensor) || typeof doc.node !== 'string' || !address.test(doc.node)) {
    throw new InputError(`${path}: not a sensor broker entry (expected {"cluster", "sensor": address, "node": address})`);
  }
  if (doc.cluster !== cluster) throw new InputError(`${path}: sensor of cluster '${String(doc.cluster)}', the manifest is of '${cluster}'`);
  return { address: doc.sensor, node: doc.node };
}

async function brokerConfig(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { manifest: { type: 'string' }, out: { type: 'string' }, passwords: { type: 'string' }, observer: { type: 'string', multiple: true }, sensor: { type: 'string', multiple: true }, 'board-broker': { type: 'string' } });
  const { manifest } = loadManifest(required(values.manifest, 'manifest'));
  const out = required(values.out, 'out');
  const members = manifest.members.map((m) => addressToText(m.address));
  const observers = values.observer ?? [];
  const boardBroker = values['board-broker'] === undefined ? undefined : /^([^\s:]+):(\d{1,5})$/.exec(values['board-broker']);
  if (boardBroker === null || (boardBroker && !(Number(boardBroker[2]) >= 1 && Number(boardBroker[2]) <= 65535))) throw new UsageError(`--board-broker expects HOST:PORT, got '${values['board-broker']}'`);
  if (boardBroker && !values.sensor?.length) throw new UsageError('--board-broker needs at least one --sensor');
  const sensors = (values.sensor ?? []).map((path) => readSensorBroker(path, manifest.cluster));
  let acl: string;
  try {
    acl = brokerAcl({ cluster: manifest.cluster, members, observers, sensors });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const given = values.passwords ? readPasswords(values.passwords) : new Map<string, string>();
  for (const login of given.keys()) if (!members.includes(login) && !observers.includes(login)) throw new InputError(`${values.passwords}: ${login} is neither a member of cluster '${manifest.cluster}' nor an --observer`);
  const logins = [...members, ...observers];
  const passwords = logins.map((login) => {
    const password = given.get(login) ?? randomBytes(24).toString('base64url');
    if (/[:\n]/.test(password)) throw new InputError(`the password of ${login} contains ':' or a line break`);
    return { login, password, drawn: !given.has(login) };
  });
  writeOutput(join(out, 'meterchain.acl'), acl, { mode: 0o600 });
  const passwdPath = join(out, 'meterchain.passwd');
  writeOutput(passwdPath, passwords.map((p) => `${p.login}:${p.password}\n`).join(''), { mode: 0o600 });
  try {
    // -U hashes a file of "login:password" lines in place (PBKDF2-SHA512): one run for the whole cluster.
    execFileSync('mosquitto_passwd', ['-U', passwdPath], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  } catch (e) {
    writeOutput(passwdPath, '', { overwrite: true, mode: 0o600 });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    throw new InputError(err.code === 'ENOENT' ? 'mosquitto_passwd not found: install the Debian package "mosquitto" (or run this on the broker host)' : `mosquitto_passwd failed: ${String(err.stderr ?? err.message).trim().split('\n')[0]}`);
  }
  for (const p of passwords) if (p.drawn) writeOutput(join(out, 'passwords', `${p.login}.pass`), p.password + '\n', { mode: 0o600 });
  if (boardBroker) {
    // What a board with a network needs to log in (firmware/espruino/src/main.ts reads mc.mqtt from its flash).
    for (const sensor of sensors) {
      const mcMqtt = JSON.stringify({ host: boardBroker[1], port: Number(boardBroker[2]), password: passwords.find((p) => p.login === sensor.address)!.password });
      const boardDir = join(out, 'boards', sensor.address);
      writeOutput(join(boardDir, 'mc.mqtt'), mcMqtt, { mode: 0o600 });
      writeOutput(
        join(boardDir, 'board-mqtt.js'),
        [`// The broker login of sensor ${sensor.address} of cluster ${manifest.cluster}: run once on the board, after its board.js.`, 'var s = require("Storage");', `s.write("mc.mqtt", ${JSON.stringify(mcMqtt)});`, 'print("broker login stored");', ''].join('\n'),
        { mode: 0o600 },
      );
    }
  }
  const drawn = passwords.filter((p) => p.drawn).length;
  io.out(`cluster ${manifest.cluster}: ACL and password file for ${members.length} members${values.sensor?.length ? ` (${values.sensor.length} of them sensors over MQTT)` : ''} and ${observers.length} observers in ${out}`);
  if (drawn > 0) io.out(`  ${drawn} passwords drawn at random: ${join(out, 'passwords')}/LOGIN.pass (give each meter its own, then delete them here)`);
  if (boardBroker) io.out(`  broker logins for ${sensors.length} boards: ${join(out, 'boards')}/<address>/board-mqtt.js (run on each board once)`);
  return 0;
}

async function bridge(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    region: { type: 'string' },
    widearea: { type: 'string' },
    remote: { type: 'string' },
    out: { type: 'string' },
    login: { type: 'string' },
    'password-file': { type: 'string' },
    gate: { type: 'string', multiple: true },
  });
  const region = required(values.region, 'region');
  const widearea = required(values.widearea, 'widearea');
  const remote = required(values.remote, 'remote');
  const out = required(values.out, 'out');
  const m = /^(.+):(\d{1,5})$/.exec(remote);
  if (!m) throw new UsageError(`--remote expects HOST:PORT, got '${remote}'`);
  const login = values.login ?? `bridge-${region}`;
  let password: string;
  let drawn = false;
  if (values['password-file'] !== undefined) {
    try {
      password = readFileSync(values['password-file'], 'utf8').split('\n')[0]!.trim();
    } catch (e) {
      throw new InputError(`cannot read password ${values['password-file']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else {
    password = randomBytes(24).toString('base64url');
    drawn = true;
  }
  let conf: string;
  let wideAcl: string;
  let gates: string;
  try {
    conf = bridgeConfig({ region, widearea, host: m[1]!, port: Number(m[2]), login, password });
    wideAcl = wideAreaBridgeAcl({ region, widearea, login });
    gates = (values.gate ?? []).map((g) => gateAcl({ region, login: g })).join('\n');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  writeOutput(join(out, `bridge-${region}.conf`), conf, { mode: 0o600 });
  writeOutput(join(out, `widearea-${region}.acl`), wideAcl, { mode: 0o600 });
  if (gates !== '') writeOutput(join(out, `gates-${region}.acl`), gates, { mode: 0o600 });
  if (drawn) writeOutput(join(out, 'passwords', `${login}.pass`), password + '\n', { mode: 0o600 });
  io.out(`bridge ${region} <-> ${widearea} via ${remote}: ${join(out, `bridge-${region}.conf`)} (regional broker), ${join(out, `widearea-${region}.acl`)} (wide-area broker ACL)${gates !== '' ? `, ${join(out, `gates-${region}.acl`)} (regional broker ACL)` : ''}`);
  if (drawn) io.out(`  password of ${login} drawn at random: ${join(out, 'passwords', `${login}.pass`)} (add it to the wide-area broker with mosquitto_passwd)`);
  return 0;
}

export const command: Command = {
  name: 'cluster',
  summary: 'create a cluster (keys and signed manifest), show a manifest, or make its broker ACL and passwords',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'init') return init(rest, io);
    if (sub === 'show') return show(rest, io);
    if (sub === 'broker-config') return brokerConfig(rest, io);
    if (sub === 'bridge-config') return bridge(rest, io);
    throw new UsageError(sub ? `unknown subcommand 'cluster ${sub}' (init, show, broker-config or bridge-config)` : 'missing subcommand: init, show, broker-config or bridge-config');
  },
};

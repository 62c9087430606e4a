// The node's configuration: one YAML file checked by a JSON Schema; every error names the key and the problem.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml, YAMLParseError } from 'yaml';
// Imported rather than read from disk, so a bundled node carries the schema inside it.
import schema from '../schema/node.schema.json' with { type: 'json' };

export interface NodeConfig {
  cluster: { manifest: string; operatorKey?: string };
  key: string;
  dataDir: string;
  /** The cluster's MQTT broker; or `rs485`: exactly one of the two. */
  broker?: { url: string; username?: string; passwordFile?: string; keepaliveS?: number; spoolSync?: 'always' | 'interval' };
  /** The cluster's frames over an RS-485 line polled by a Modbus bus master (docs/transport.md §12). */
  rs485?: { path: string; baud: number; unit?: number; spoolSync?: 'always' | 'interval' };
  /** The meter this node reads; every node but a substation has one. */
  sensor?: {
    type: 'simulated' | 'modbus-tcp' | 'modbus-rtu' | 'modbus-rtu-over-tcp' | 'iec62056' | 'pmu';
    profile?: string;
    seed?: number;
    host?: string;
    port?: number;
    path?: string;
    baud?: number;
    parity?: 'none' | 'even' | 'odd';
    unit?: number;
    timeoutMs?: number;
    confirmReads?: boolean;
    wordOrder?: 'big' | 'little';
    deviceAddress?: string;
    /** pmu: IDCODE of the C37.118.2 stream, and of this member's station in it (default the first). */
    idcode?: number;
    station?: number;
  };
  /** The cluster has PMU members: their batches are judged with these (every member sets the same; docs/edge.md). */
  pmu?: { fps: number; nominalHz: 50 | 60 };
  /** A substation of the wide-area chain (docs/widearea.md): it submits the regions' anchors, and has no sensor. */
  substation?: { regions: { manifest: string }[] };
  /** This member is its cluster's gate: it publishes the manifest and each committed block's anchor. */
  gate?: boolean;
  /** Sensor nodes wired to this full node (docs/sensor-nodes.md). */
  sensors?: SensorLinkConfig[];
  edge?: { profile?: string };
  outputs?: {
    json?: OutputBrokerConfig & { topic?: string; retain?: boolean };
    sparkplug?: OutputBrokerConfig & { groupId: string; edgeNodeId?: string; deviceId?: string };
  };
  metrics?: { listen?: string };
  log?: { level?: 'debug' | 'info' | 'warn' | 'error' };
  /** Lab fault injection; never set in production. */
  fault?: 'none' | 'forge' | 'bad-signature' | 'silent';
  /** LAB ONLY: the faults a fault campaign injects (tools/campaign); never set in production. */
  lab?: LabFaults;
}

/** One sensor node: its member key (this node signs its checked readings), the HMAC key it shares with the board, and
 * where its frames come from: a serial line, or (`mqtt: true`) the cluster's broker, read through this node's own
 * connection (the board publishes under its own login; the broker ACL lets only this node read them). */
export interface SensorLinkConfig {
  name?: string;
  key: string;
  linkKey: string;
  /** `modbus`: the line is a Modbus RTU bus on which this node polls the board's frames (unit default 1, every
   * `pollMs`, default 1000) instead of one the board writes them to. */
  serial?: { path: string; baud?: number; modbus?: { unit?: number; pollMs?: number } };
  mqtt?: boolean;
}

/** LAB ONLY (tools/campaign): a skewed clock and byzantine behaviour of one member. Never set in production. */
export interface LabFaults {
  /** Added to the wall clock the node's protocol runs on, ms. */
  clockOffsetMs?: number;
  byzantine?: ('censor' | 'equivocate' | 'flood')[];
}

export interface OutputBrokerConfig {
  url?: string;
  username?: string;
  passwordFile?: string;
}

/** A configuration that cannot be used; the message is one line naming the file, the key and the problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const validate = new Ajv({ allErrors: false, strict: true }).compile(schema as object);

function keyOf(e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  return path || '(top level)';
}

/** Turns one ajv error into "key: problem" in the words an operator would use. */
export function describeError(e: ErrorObject): string {
  const at = keyOf(e);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${at === '(top level)' ? '' : at + '.'}${String(p['missingProperty'])}: missing (required)`;
    case 'additionalProperties':
      return `${at === '(top level)' ? '' : at + '.'}${String(p['additionalProperty'])}: unknown key`;
    case 'enum':
      return `${at}: must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${at}: must be ${String(p['type'])}`;
    case 'pattern':
      return `${at}: does not look right (expected to match ${String(p['pattern'])})`;
    default:
      return `${at}: ${e.message ?? 'is not valid'}`;
  }
}

function requireFor(cfg: NodeConfig, keys: (keyof NonNullable<NodeConfig['sensor']>)[]): string | undefined {
  for (const k of keys) if (cfg.sensor![k] === undefined) return `sensor.${k}: missing (required for sensor.type ${cfg.sensor!.type})`;
  return undefined;
}

function crossCheck(cfg: NodeConfig): string | undefined {
  if ((cfg.broker === undefined) === (cfg.rs485 === undefined)) return `expected either broker: {url} or rs485: {path, baud} (how the node reaches its peers), not ${cfg.broker ? 'both' : 'neither'}`;
  if (cfg.rs485 && (cfg.sensors ?? []).some((l) => l.mqtt === true)) return 'sensors: mqtt: true needs the cluster\'s broker, and this node is on an RS-485 line (rs485)';
  for (const key of ['json', 'sparkplug'] as const) {
    if (cfg.rs485 && cfg.outputs?.[key] && cfg.outputs[key]!.url === undefined) return `outputs.${key}.url: required on a node without a broker (rs485)`;
  }
  const link = (cfg.sensors ?? []).findIndex((l) => (l.serial === undefined) === (l.mqtt !== true));
  if (link >= 0) return `sensors[${link}]: expected either serial: {path} or mqtt: true (where the board's frames come from), not ${cfg.sensors![link]!.serial ? 'both' : 'neither'}`;
  if (cfg.substation) {
    // A substation submits anchors, not readings: nothing of a meter's goes with it.
    for (const key of ['sensor', 'sensors', 'pmu', 'gate', 'rs485', 'outputs', 'edge'] as const) {
      if (cfg[key] !== undefined) return `${key}: not for a substation (it submits the regions' anchors, not readings)`;
    }
    return undefined;
  }
  if (!cfg.sensor) return 'sensor: missing (required, except on a substation)';
  switch (cfg.sensor.type) {
    case 'modbus-tcp':
    case 'modbus-rtu-over-tcp':
      return requireFor(cfg, ['host', 'port', 'unit', 'profile']);
    case 'modbus-rtu':
      return requireFor(cfg, ['path', 'baud', 'unit', 'profile']);
    case 'iec62056':
      return requireFor(cfg, ['path']);
    case 'pmu':
      return requireFor(cfg, ['host', 'port', 'idcode']) ?? (cfg.pmu ? undefined : 'pmu: missing (required for sensor.type pmu: the frame rate and nominal frequency its batches are judged by)');
    default:
      return undefined;
  }
}

/** Checks a parsed configuration object; relative paths are resolved against `baseDir`. */
export function checkConfig(value: unknown, source: string, baseDir: string): NodeConfig {
  if (!validate(value)) throw new ConfigError(`${source}: ${describeError(validate.errors![0]!)}`);
  const cfg = value as NodeConfig;
  const problem = crossCheck(cfg);
  if (problem) throw new ConfigError(`${source}: ${problem}`);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  cfg.cluster.manifest = abs(cfg.cluster.manifest);
  if (cfg.cluster.operatorKey) cfg.cluster.operatorKey = abs(cfg.cluster.operatorKey);
  cfg.key = abs(cfg.key);
  cfg.dataDir = abs(cfg.dataDir);
  // A register-map file is named relative to the configuration, like every other path in it.
  if (cfg.sensor?.profile !== undefined && /\.(ya?ml|json)$/i.test(cfg.sensor.profile)) cfg.sensor.profile = abs(cfg.sensor.profile);
  for (const r of cfg.substation?.regions ?? []) r.manifest = abs(r.manifest);
  if (cfg.broker?.passwordFile) cfg.broker.passwordFile = abs(cfg.broker.passwordFile);
  for (const link of cfg.sensors ?? []) {
    link.key = abs(link.key);
    link.linkKey = abs(link.linkKey);
  }
  for (const out of [cfg.outputs?.json, cfg.outputs?.sparkplug]) if (out?.passwordFile) out.passwordFile = abs(out.passwordFile);
  return cfg;
}

export function loadConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line;
      throw new ConfigError(`${path}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
    }
    throw e;
  }
  return checkConfig(value, path, dirname(resolve(path)));
}

// The broker ACL of one cluster, made from its members in manifest order (docs/transport.md §8): each login may
// publish only under its own address and only in its own cluster, and read only its cluster's broadcast kinds and
// the frames addressed to its own index. Mosquitto's `pattern` lines cannot say "this user's cluster" or "kinds
// ending in -to-<this user's index>", so the file names every member, kind by kind.
import { assertAddressText, assertClusterName, assertFrameKind, TOPIC_ROOT } from './topic.ts';

/** The protocol's message kinds (docs/protocol.md §12), each published to the whole cluster. */
export const PROTOCOL_KINDS: readonly string[] = ['submission', 'vote', 'certificate', 'proposal', 'block-vote', 'timeout', 'evidence', 'block', 'sync'];
/** Kinds that also travel to one member as `<kind>-to-<recipient's index in the manifest>`. */
export const ADDRESSED_KINDS: readonly string[] = ['vote', 'block', 'sync', 'proposal'];

export interface BrokerAclOptions {
  cluster: string;
  /** Member addresses in manifest order: the member at index i reads `<kind>-to-<i>`. */
  members: readonly string[];
  /** Logins that read the cluster's broadcast kinds and publish nothing (control centre, dashboards). */
  observers?: readonly string[];
  /** Broadcast kinds (default PROTOCOL_KINDS) and addressed kinds (default ADDRESSED_KINDS). */
  kinds?: readonly string[];
  addressedKinds?: readonly string[];
  /**
   * Sensor nodes (members with role `sensor`, docs/sensor-nodes.md) that publish their frames to the broker
   * themselves. Each is one of `members` and logs in under its own address, but its section grants one thing:
   * publishing `sensor` frames under its address. Only `node`, the full node it is wired to (also one of `members`),
   * reads them. Members not listed here keep a member's section (a sensor on a serial line needs no login).
   */
  sensors?: readonly { address: string; node: string }[];
}

/** The kind a sensor node's frames travel under: `meterchain/<cluster>/sensor/<sensor's address>`. */
export const SENSOR_KIND = 'sensor';

/** The kind a frame for the member at `index` travels under. */
export function addressedKind(kind: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`transport: expected a member index >= 0, got ${index}`);
  const addressed = `${kind}-to-${index}`;
  assertFrameKind(addressed);
  return addressed;
}

const LOGIN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Mosquitto ACL text (acl_file) for one cluster. Several clusters on one broker: concatenate their files. */
export function brokerAcl(options: BrokerAclOptions): string {
  const { cluster, members } = options;
  assertClusterName(cluster);
  if (!Array.isArray(members) || members.length === 0) throw new TypeError('broker ACL: expected at least one member address');
  const kinds = options.kinds ?? PROTOCOL_KINDS;
  const addressedKinds = options.addressedKinds ?? ADDRESSED_KINDS;
  for (const kind of [...kinds, ...addressedKinds]) assertFrameKind(kind);
  const seen = new Set<string>();
  for (const login of [...members, ...(options.observers ?? [])]) {
    if (seen.has(login)) throw new TypeError(`broker ACL: login ${login} appears twice`);
    seen.add(login);
  }
  for (const address of members) assertAddressText(address);
  for (const observer of options.observers ?? []) {
    if (typeof observer !== 'string' || !LOGIN_PATTERN.test(observer)) throw new TypeError(`broker ACL: expected an observer login of 1-64 characters [A-Za-z0-9._-], got ${JSON.stringify(observer)}`);
  }
  const sensors = new Map<string, string>();
  for (const sensor of options.sensors ?? []) {
    if (!members.includes(sensor.address)) throw new TypeError(`broker ACL: sensor ${sensor.address} is not a member of cluster ${cluster}`);
    if (!members.includes(sensor.node)) throw new TypeError(`broker ACL: sensor ${sensor.address}: its full node ${sensor.node} is not a member of cluster ${cluster}`);
    if (sensors.has(sensor.node) || sensor.node === sensor.address) throw new TypeError(`broker ACL: sensor ${sensor.address}: its full node ${sensor.node} is itself a sensor`);
    if (sensors.has(sensor.address)) throw new TypeError(`broker ACL: sensor ${sensor.address} appears twice`);
    sensors.set(sensor.address, sensor.node);
  }
  for (const node of sensors.values()) if (sensors.has(node)) throw new TypeError(`broker ACL: full node ${node} is itself a sensor`);
  const root = `${TOPIC_ROOT}/${cluster}`;
  const broadcast = kinds.map((kind) => `topic read ${root}/${kind}/+`);
  const lines = [
    `# meterchain ACL for cluster ${cluster}: ${members.length} member(s), ${(options.observers ?? []).length} observer(s).`,
    '# Generated from the manifest (`meterchain cluster broker-config`); regenerate it for a new epoch or version.',
    '# No `pattern` lines and no anonymous access: a login reads and writes only what its own section grants, so',
    '# `#`, `$SYS/#` and other clusters deliver nothing to it. Mosquitto grants such a SUBSCRIBE and then checks',
    '# each message against the read lines below.',
  ];
  members.forEach((address, index) => {
    if (sensors.has(address)) {
      lines.push('', `# member ${index}: a sensor node, publishes its frames only, read by its full node ${sensors.get(address)}`, `user ${address}`, `topic write ${root}/${SENSOR_KIND}/${address}`);
      return;
    }
    lines.push('', `# member ${index}`, `user ${address}`, `topic write ${root}/+/${address}`, ...broadcast);
    for (const kind of addressedKinds) lines.push(`topic read ${root}/${addressedKind(kind, index)}/+`);
    for (const [sensor, node] of sensors) if (node === address) lines.push(`topic read ${root}/${SENSOR_KIND}/${sensor}`);
  });
  for (const observer of options.observers ?? []) lines.push('', '# observer: reads, never publishes', `user ${observer}`, ...broadcast);
  return lines.join('\n') + '\n';
}

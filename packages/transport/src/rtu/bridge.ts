// A concentrator bridging its RS-485 line to the cluster's MQTT broker (a mixed cluster: members on the line and
// members on the broker). Frames the master takes from line members are published on the broker under their
// publishers' topics (the concentrator's login may write under those addresses: docs/transport.md §12.9); frames of
// broker members are written onto the line. Payloads cross unchanged, header and signature included: the bridge is
// trusted with delivery only, as the broker and the master are.
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { assertClusterName, filterTopic, frameTopic, parseFrameTopic } from '../topic.ts';
import type { ModbusRtuMaster } from './master.ts';

export interface LineBridgeOptions {
  master: ModbusRtuMaster;
  cluster: string;
  /** mqtt://host:port of the cluster's broker. */
  url: string;
  username: string;
  password?: string;
  clientId?: string;
}

export interface LineBridgeStats {
  /** Frames from the line published on the broker, and frames from the broker written onto the line. */
  toBroker: number;
  toLine: number;
  /** Frames dropped: the broker was unreachable, or the line's relay was full. */
  dropped: number;
}

export interface LineBridge {
  readonly connected: boolean;
  stats(): LineBridgeStats;
  close(): Promise<void>;
}

export function openLineBridge(options: LineBridgeOptions): LineBridge {
  assertClusterName(options.cluster);
  const { master, cluster } = options;
  const onLine = new Set(master.addresses);
  const stats: LineBridgeStats = { toBroker: 0, toLine: 0, dropped: 0 };
  const client: MqttClient = mqtt.connect(options.url, {
    protocolVersion: 5,
    username: options.username,
    ...(options.password !== undefined ? { password: options.password } : {}),
    clientId: options.clientId ?? options.username,
    reconnectPeriod: 1000,
    // Nothing is queued in memory while the broker is away: a frame that cannot go now is dropped and counted (the
    // consensus layer's catch-up fetches what a member missed).
    queueQoSZero: false,
  });
  client.on('connect', () => {
    (client.stream as Socket).setNoDelay?.(true);
    client.subscribe(filterTopic(cluster, {}), { qos: 1 });
  });
  client.on('error', () => undefined);
  client.on('message', (topic: string, payload: Buffer) => {
    const parsed = parseFrameTopic(topic);
    // A line member's own frames come back from the broker: they are on the line already.
    if (!parsed.ok || parsed.cluster !== cluster || onLine.has(parsed.from)) return;
    if (master.inject(parsed.kind, parsed.from, payload)) stats.toLine++;
    else stats.dropped++;
  });
  master.onMessage = (message) => {
    if (!client.connected) {
      stats.dropped++;
      return;
    }
    client.publish(frameTopic(cluster, message.kind, message.from), Buffer.from(message.payload), { qos: 1 });
    stats.toBroker++;
  };
  return {
    get connected() {
      return client.connected;
    },
    stats: () => ({ ...stats }),
    async close() {
      master.onMessage = () => undefined;
      await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    },
  };
}

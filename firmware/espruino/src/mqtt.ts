// A minimal MQTT 3.1.1 publisher for a sensor node with a network (OASIS MQTT 3.1.1, §2-§3): CONNECT with a login,
// PUBLISH at QoS 1, PINGREQ, DISCONNECT; it reads CONNACK, PUBACK and PINGRESP and nothing else. Portable (it runs
// on Espruino, whose MQTT module is not part of a saved program): the board hands in its sockets and timers.
import { utf8Encode } from '@meterchain/core';

/** One TCP connection, as the board's `net` gives it. */
export interface MqttConnection {
  write(bytes: Uint8Array): void;
  end(): void;
}

/** What a connection reports: connected, bytes received, closed (for any reason, once). */
export interface MqttConnectionEvents {
  open(): void;
  data(bytes: Uint8Array): void;
  close(): void;
}

/** The board's services: a connection to the broker, timers. */
export interface MqttHost {
  connect(events: MqttConnectionEvents): MqttConnection;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MqttOptions {
  /** The sensor's login (its address text); also its client id (the shipped broker takes the login as client id). */
  username: string;
  password: string;
  /** Seconds; a PINGREQ when nothing was sent for this long, the connection given up after 1.5 times it in silence. */
  keepAliveS: number;
  /** First wait before reconnecting, doubled after each failure up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Told once per change: 'connected', 'refused <CONNACK code>', 'closed', 'protocol <what>'. */
  onState?: (state: string) => void;
}

export interface MqttCounts {
  connects: number;
  /** PUBLISH packets written / acknowledged by PUBACK / not written because the client was not connected. */
  published: number;
  acked: number;
  dropped: number;
}

export interface MqttPublisher {
  /** Publishes `parts`, joined, at QoS 1; false (and counted as dropped) when not connected. */
  publish(topic: string, parts: Uint8Array[]): boolean;
  readonly counts: MqttCounts;
  connected(): boolean;
  /** Sends DISCONNECT, closes, and stops reconnecting. */
  close(): void;
}

/** One packet read from the broker: its type, flags and body (at most 4 bytes). */
export interface InboundPacket {
  type: number;
  flags: number;
  body: Uint8Array;
}

export interface MqttPackets {
  /** CONNECT (§3.1): protocol level 4, clean session, user name and password, the user name as client id. */
  connectPacket(username: string, password: string, keepAliveS: number): Uint8Array;
  /** PUBLISH (§3.3) at QoS 1 with packet identifier `id` of the parts, joined, written into one buffer. */
  publishPacket(topic: string, id: number, parts: Uint8Array[]): Uint8Array;
  /**
   * Splits the broker's bytes into packets. Holds at most one packet's few bytes: a Remaining Length above 4 (a
   * broker sends a publisher nothing longer) is returned as an error, and the caller closes.
   */
  createPacketReader(): { push(bytes: Uint8Array): InboundPacket[] | string };
  /** What a CONNACK's return code means (§3.2.2.3). */
  connackReason(code: number): string;
}

/**
 * The packet codec, made when asked for: on Espruino each function and constant defined at load takes heap for good,
 * and a Puck.js-sized heap (2,630 variables) running the firmware over its serial link has none to spare for a client
 * it does not use (defined at load, this file took about 100 variables there).
 */
export function mqttPackets(): MqttPackets {
  /** Bytes of the Remaining Length field for `n` (§2.2.3: 7 bits a byte, at most 4 bytes). */
  function lengthBytes(n: number): number {
    return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
  }

  /** Writes the fixed header (§2.2) into `out` at 0; returns the offset after it. */
  function putFixedHeader(out: Uint8Array, first: number, remaining: number): number {
    out[0] = first;
    let p = 1;
    let n = remaining;
    do {
      let digit = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) digit |= 0x80;
      out[p++] = digit;
    } while (n > 0);
    return p;
  }

  function putString(out: Uint8Array, p: number, text: Uint8Array): number {
    out[p] = text.length >> 8;
    out[p + 1] = text.length & 0xff;
    out.set(text, p + 2);
    return p + 2 + text.length;
  }

  return {
    connectPacket(username, password, keepAliveS) {
      const user = utf8Encode(username);
      const pass = utf8Encode(password);
      const remaining = 10 + 3 * 2 + 2 * user.length + pass.length;
      const out = new Uint8Array(1 + lengthBytes(remaining) + remaining);
      let p = putFixedHeader(out, 0x10, remaining); // CONNECT
      p = putString(out, p, utf8Encode('MQTT'));
      out[p++] = 4; // protocol level 3.1.1
      out[p++] = 0xc2; // user name, password, clean session
      out[p++] = keepAliveS >> 8;
      out[p++] = keepAliveS & 0xff;
      p = putString(out, p, user); // client id
      p = putString(out, p, user);
      putString(out, p, pass);
      return out;
    },
    publishPacket(topic, id, parts) {
      const name = utf8Encode(topic);
      let size = 0;
      for (let i = 0; i < parts.length; i++) size += parts[i]!.length;
      const remaining = 2 + name.length + 2 + size;
      const out = new Uint8Array(1 + lengthBytes(remaining) + remaining);
      let p = putFixedHeader(out, 0x32, remaining); // PUBLISH, QoS 1
      p = putString(out, p, name);
      out[p++] = id >> 8;
      out[p++] = id & 0xff;
      for (let i = 0; i < parts.length; i++) {
        out.set(parts[i]!, p);
        p += parts[i]!.length;
      }
      return out;
    },
    createPacketReader() {
      const held = new Uint8Array(6);
      let have = 0;
      return {
        push(bytes) {
          const out: InboundPacket[] = [];
          for (let i = 0; i < bytes.length; i++) {
            held[have++] = bytes[i]!;
            if (have === 2 && (held[1]! & 0x80) !== 0) return 'remaining length of more than 4 bytes';
            if (have >= 2 && held[1]! > 4) return `remaining length ${held[1]!}, more than 4`;
            if (have >= 2 && have === 2 + held[1]!) {
              out.push({ type: held[0]! >> 4, flags: held[0]! & 0x0f, body: held.slice(2, have) });
              have = 0;
            }
          }
          return out;
        },
      };
    },
    connackReason(code) {
      const reasons = ['accepted', 'unacceptable protocol version', 'identifier rejected', 'server unavailable', 'bad user name or password', 'not authorized'];
      return code < reasons.length ? reasons[code]! : `return code ${code}`;
    },
  };
}

/**
 * A publisher that connects at once and keeps connecting: after a close or a refusal it waits `backoffMs`, doubled
 * per failure up to `maxBackoffMs`, and starts again at `backoffMs` once a CONNACK accepts it. Publishing while it is
 * not connected drops the message (a sensor's next reading follows within a period; nothing queues up in its heap).
 */
export function createMqttPublisher(host: MqttHost, options: MqttOptions): MqttPublisher {
  // Packet types (§2.2.1): CONNACK 2, PUBACK 4, PINGRESP 13.
  const packets = mqttPackets();
  const PINGREQ = new Uint8Array([0xc0, 0]);
  const DISCONNECT = new Uint8Array([0xe0, 0]);
  const counts: MqttCounts = { connects: 0, published: 0, acked: 0, dropped: 0 };
  let connection: MqttConnection | undefined;
  let accepted = false;
  let stopped = false;
  let backoff = options.backoffMs;
  let nextId = 1;
  let lastState = '';
  let retry: unknown;
  let ping: unknown;
  let lastSent = 0;
  let silentTicks = 0;

  function state(s: string): void {
    if (s !== lastState && options.onState) options.onState(s);
    lastState = s;
  }

  function send(bytes: Uint8Array): void {
    if (connection) connection.write(bytes);
    lastSent = 0;
  }

  function drop(reason: string): void {
    const c = connection;
    connection = undefined;
    accepted = false;
    if (ping !== undefined) host.clearTimeout(ping);
    ping = undefined;
    state(reason);
    if (c) c.end();
    if (stopped) return;
    if (retry !== undefined) return;
    retry = host.setTimeout(() => {
      retry = undefined;
      open();
    }, backoff);
    backoff = Math.min(backoff * 2, options.maxBackoffMs);
  }

  // Ticks every half keep-alive: a PINGREQ when nothing was sent for a whole one, given up after three silent ticks.
  function tick(): void {
    ping = undefined;
    if (!connection) return;
    silentTicks++;
    if (silentTicks >= 3) return drop('closed');
    lastSent++;
    if (lastSent >= 2) send(PINGREQ);
    ping = host.setTimeout(tick, (options.keepAliveS * 1000) / 2);
  }

  function received(packet: InboundPacket): void {
    silentTicks = 0;
    if (packet.type === 2 && !accepted) {
      const code = packet.body.length === 2 ? packet.body[1]! : 0xff;
      if (code !== 0) return drop(`refused ${code} (${packets.connackReason(code)})`);
      accepted = true;
      backoff = options.backoffMs;
      counts.connects++;
      state('connected');
    } else if (packet.type === 4 && accepted) counts.acked++;
    else if (packet.type !== 13 || !accepted) drop(`protocol: unexpected packet type ${packet.type}`);
  }

  function open(): void {
    if (stopped) return;
    const reader = packets.createPacketReader();
    silentTicks = 0;
    const mine = host.connect({
      open: () => {
        if (connection !== mine) return;
        send(packets.connectPacket(options.username, options.password, options.keepAliveS));
        ping = host.setTimeout(tick, (options.keepAliveS * 1000) / 2);
      },
      data: (bytes) => {
        if (connection !== mine) return;
        const packets = reader.push(bytes);
        if (typeof packets === 'string') return drop(`protocol: ${packets}`);
        for (let i = 0; i < packets.length && connection === mine; i++) received(packets[i]!);
      },
      close: () => {
        if (connection === mine) drop('closed');
      },
    });
    connection = mine;
  }

  open();
  return {
    counts,
    connected: () => accepted,
    publish(topic, parts) {
      if (!accepted) {
        counts.dropped++;
        return false;
      }
      send(packets.publishPacket(topic, nextId, parts));
      nextId = nextId === 0xffff ? 1 : nextId + 1;
      counts.published++;
      return true;
    },
    close() {
      stopped = true;
      if (retry !== undefined) host.clearTimeout(retry);
      retry = undefined;
      if (accepted) send(DISCONNECT);
      drop('closed');
    },
  };
}

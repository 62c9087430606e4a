// Espruino sensor-node firmware: binds the board's services (native SHA-256 and CRC-32, flash storage, the meter's
// UART, the serial link, clock) to the meter reader and the sensor node and starts sampling at boot. Built minified
// into dist/meterchain.js through the portability gate.
import { fromHex } from '@meterchain/core';
import { createMeterReader } from './acquire.ts';
import { createMeterEdge } from './edge.ts';
import { createModbusMailbox } from './modbus-mailbox.ts';
import { createMqttPublisher } from './mqtt.ts';
import { createSensorNode, framePayload, transportHeader, type SensorServices } from './node.ts';

// Espruino's built-in objects and modules, as far as this file uses them.
interface EspruinoCrypto {
  SHA256(data: Uint8Array): ArrayBuffer;
}
interface EspruinoStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}
interface EspruinoSerial {
  setup(baud: number, options?: Record<string, unknown>): void;
  write(data: Uint8Array): void;
  /** Received bytes come as a string of char codes 0-255. */
  on(event: 'data', handler: (data: string) => void): void;
}
/** A TCP socket of Espruino's `net` module: it writes and delivers strings of char codes 0-255. */
interface EspruinoSocket {
  write(data: string): void;
  end(): void;
  on(event: 'data', handler: (data: string) => void): void;
  on(event: 'close' | 'error', handler: () => void): void;
}
interface EspruinoNet {
  connect(options: { host: string; port: number }, connected: () => void): EspruinoSocket;
}
declare const E: {
  on(event: 'init', handler: () => void): void;
  CRC32(data: Uint8Array): number;
  toUint8Array(data: string): Uint8Array;
  toString(data: Uint8Array): string;
};
/** The meter's UART (RS-485 transceiver on the board), and the serial link to the full node. */
declare const Serial1: EspruinoSerial;
declare const Serial2: EspruinoSerial;
declare function print(text: string): void;

/**
 * Provisioned into flash beside the bundle (`meterchain sensor provision` writes them): the HMAC key and the sensor's
 * member address as hex text, its cluster's name; optionally the sampling period in ms (default 10 s) and the UARTs'
 * setup options as JSON (`mc.uart`: the meter's, `mc.link`: the full node's, e.g. pins on a board, a device path on
 * Espruino for Linux). The sequence high-water mark is kept there too. A board with a network publishes to the
 * cluster's broker instead of its serial link when `mc.mqtt` is there: JSON `{host, port, password}` (its login is
 * its address, `mc` + `mc.meter`; the password is the one `meterchain cluster broker-config --sensor` drew for it).
 * With `mc.modbus` (a unit number, 1-247) the serial link is a Modbus RTU line the full node polls the frames from
 * (src/modbus-mailbox.ts) instead of one the board writes them to.
 */
// The file names are written where they are read, not kept in an object: on a Puck.js heap (2,630 variables) an object
// of nine names held about 20 variables for good, and the firmware runs with about 400 to spare.
const SEQUENCE_FILE = 'mc.seq';
const LINK_BAUD = 115200;
const PERIOD_MS = 10000;
/** The meter: an Eastron SDM630 at unit 1, 9600 baud 8N1 (its factory setting is 2400: set it on the meter). */
const METER = { model: 'SDM630' as const, unit: 1, timeoutMs: 2000, maxRead: 12 };
const METER_BAUD = 9600;

const crypto = require('crypto') as EspruinoCrypto;
const storage = require('Storage') as EspruinoStorage;

function provisioned(name: string): string {
  const text = storage.read(name);
  if (text === undefined) throw new Error(`firmware: ${name} is not provisioned in flash`);
  return text.trim();
}

/** A file that need not be there: its text, or undefined. */
function optional(name: string): string | undefined {
  const text = storage.read(name);
  return text === undefined ? undefined : text.trim();
}

function serialOptions(name: string): Record<string, unknown> | undefined {
  const text = optional(name);
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

function reserveSequence(count: number): number {
  const first = Number(storage.read(SEQUENCE_FILE) ?? '0');
  storage.write(SEQUENCE_FILE, String(first + count));
  return first;
}

/** The transport header's incarnation: the board's sequence numbers rise across reboots, so one incarnation serves. */
const INCARNATION = 1;
const MQTT_KEEPALIVE_S = 60;

interface MqttSettings {
  host: string;
  port: number;
  password: string;
}

/** How frames leave the board: over its serial link to the full node, or published to the broker. */
function linkSender(cluster: string, meterHex: string): (frame: Uint8Array, seq: number) => void {
  const text = optional('mc.mqtt');
  if (text === undefined) {
    Serial2.setup(LINK_BAUD, serialOptions('mc.link'));
    const unit = optional('mc.modbus');
    if (unit === undefined) return (frame) => Serial2.write(frame);
    const mailbox = createModbusMailbox(Number(unit), (bytes) => Serial2.write(bytes));
    Serial2.on('data', (data) => mailbox.push(E.toUint8Array(data)));
    return (frame) => mailbox.post(framePayload(frame));
  }
  const settings = JSON.parse(text) as MqttSettings;
  const net = require('net') as EspruinoNet;
  const login = 'mc' + meterHex;
  const topic = `meterchain/${cluster}/sensor/${login}`;
  const publisher = createMqttPublisher(
    {
      connect: (events) => {
        const socket = net.connect({ host: settings.host, port: settings.port }, () => events.open());
        socket.on('data', (data) => events.data(E.toUint8Array(data)));
        socket.on('close', () => events.close());
        socket.on('error', () => events.close());
        return { write: (bytes) => socket.write(E.toString(bytes)), end: () => socket.end() };
      },
      setTimeout: (run, ms) => setTimeout(run, ms),
      clearTimeout: (handle) => clearTimeout(handle as number),
    },
    { username: login, password: settings.password, keepAliveS: MQTT_KEEPALIVE_S, backoffMs: 1000, maxBackoffMs: 60000, onState: (state) => print(`mqtt: ${state}`) },
  );
  return (frame, seq) => {
    publisher.publish(topic, [transportHeader(INCARNATION, seq), framePayload(frame)]);
  };
}

function start(): void {
  Serial1.setup(METER_BAUD, serialOptions('mc.uart'));
  const period = Number(optional('mc.period') ?? PERIOD_MS);
  const reader = createMeterReader(
    {
      port: { write: (bytes) => Serial1.write(bytes), onData: (handler) => Serial1.on('data', (data) => handler(E.toUint8Array(data))) },
      setTimeout: (run, ms) => setTimeout(run, ms),
      clearTimeout: (handle) => clearTimeout(handle as number),
    },
    METER,
  );
  const cluster = provisioned('mc.cluster');
  const meterHex = provisioned('mc.meter');
  const services: SensorServices = {
    hash: (data) => new Uint8Array(crypto.SHA256(data)),
    crc32: (bytes) => E.CRC32(bytes),
    key: fromHex(provisioned('mc.key')),
    now: () => Date.now(),
    send: linkSender(cluster, meterHex),
    reserveSequence,
  };
  const edge = createMeterEdge();
  const node = createSensorNode(services, { cluster, meter: fromHex(meterHex) });
  // A sample that finds the meter silent or partly readable still sends what it read, flagged; none when nothing.
  setInterval(() => {
    reader.sample((sample) => {
      // To the console (USB or Bluetooth on a board): why a read failed, once per sample.
      if (sample.errors.length > 0) print(`meter: ${sample.errors.length} reads failed: ${sample.errors[0]}`);
      if (sample.channels.length === 0) return;
      // Published from a fresh turn, not from inside the UART's data handler that completed the sample: that call
      // chain and its buffers are gone by then, and a Puck.js heap needs the room for the tag and the frame.
      setTimeout(() => {
        const judged = edge.step(Date.now(), sample.channels);
        if (judged.findings.length > 0) print(`edge: ${judged.findings[0]!.check} ${judged.findings[0]!.channel}: ${judged.findings[0]!.detail}`);
        node.publish(sample.channels, (sample.quality | judged.quality) >>> 0);
      }, 0);
    });
  }, period);
}

E.on('init', start);

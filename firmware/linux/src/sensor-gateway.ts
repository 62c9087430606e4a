// The full node's side of a sensor node (DESIGN §2, docs/sensor-nodes.md): frames from an Espruino board on a serial
// line are checked (CRC-32, strict CBOR, HMAC-SHA256 with the key shared with the board, the sensor's identity,
// sequence and replay) and submitted to the cluster in the sensor's own manifest membership (role `sensor`), signed
// with the sensor member's key, which this node holds for the board (a board cannot afford Ed25519). The cluster then
// judges, votes on and chains them like any member's reading. The only state is the last sequence number taken, one
// small file per sensor, written durably before the reading is submitted: a restarted node takes no frame twice.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import {
  addressFromPublicKey,
  addressToText,
  ClockStatus,
  createSensorFrameChecker,
  createSensorFrameReader,
  equalBytes,
  SENSOR_PAYLOAD_MAX,
  findMember,
  fromHex,
  signReading,
  type Manifest,
  type Reading,
  type SensorFrameReader,
  type Signer,
} from '@meterchain/core';
import { roundOf } from '@meterchain/consensus';
import { ModbusBus } from '@meterchain/modbus';
import { SENSOR_KIND, type Transport } from '@meterchain/transport';
import { ConfigError, type SensorLinkConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { sha256 } from './manifest.ts';

/** Why a frame was not submitted; 'submitted' when it was. */
export type SensorVerdict =
  | 'submitted'
  | 'malformed'
  | 'bad-tag'
  | 'bad-reading'
  | 'wrong-cluster'
  | 'wrong-meter'
  | 'replay'
  | 'before-genesis'
  | 'same-round';

export interface SensorGatewayOptions {
  name: string;
  manifest: Manifest;
  /** Signs in the sensor member's name: its address must be a member of the manifest with role `sensor`. */
  signer: Signer;
  linkKey: Uint8Array;
  /** Where the last sequence number taken is kept (one small JSON file). */
  stateFile: string;
  /** Hands a signed submission to the cluster (the node judges it and publishes it). */
  submit: (bytes: Uint8Array) => Promise<void>;
  now: () => number;
  log: Logger;
  metrics?: Metrics;
}

/** The last sequence number taken and the round it was submitted for: all the state a sensor link keeps. */
interface LinkState {
  seq: number;
  round: number;
}

/**
 * One sensor node's readings into the cluster. `receive` takes one frame's payload (the serial reader finds them in
 * the byte stream; an MQTT message would carry one) and returns what became of it. Frames are taken one at a time.
 */
export class SensorGateway {
  readonly address: Uint8Array;
  readonly addressText: string;
  readonly counts: Record<SensorVerdict, number> = {
    submitted: 0, malformed: 0, 'bad-tag': 0, 'bad-reading': 0, 'wrong-cluster': 0, 'wrong-meter': 0, replay: 0, 'before-genesis': 0, 'same-round': 0,
  };
  /** Readings whose timestamp was off the node's clock by more than the cluster's skew, stamped on arrival instead. */
  restamped = 0;
  private readonly o: SensorGatewayOptions;
  private readonly check: ReturnType<typeof createSensorFrameChecker>;
  private state: LinkState = { seq: -1, round: -1 };
  private lastVerdict: SensorVerdict | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(o: SensorGatewayOptions) {
    this.o = o;
    this.address = addressFromPublicKey(o.signer.publicKey, sha256);
    this.addressText = addressToText(this.address);
    const member = findMember(o.manifest, this.address);
    if (!member) throw new ConfigError(`sensors: ${o.name}: ${this.addressText} is not a member of cluster '${o.manifest.cluster}' epoch ${o.manifest.epoch}`);
    if (member.role !== 'sensor') throw new ConfigError(`sensors: ${o.name}: ${this.addressText} is a '${member.role}' member, not a 'sensor' one`);
    this.check = createSensorFrameChecker(o.linkKey, sha256);
  }

  /** Reads the last sequence number taken (none: the link starts fresh). */
  async open(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.o.stateFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const s = JSON.parse(text) as Partial<LinkState>;
    if (!Number.isSafeInteger(s.seq) || !Number.isSafeInteger(s.round)) throw new ConfigError(`${this.o.stateFile}: not a sensor link state (expected {"seq", "round"})`);
    this.state = { seq: s.seq!, round: s.round! };
  }

  get lastSeq(): number {
    return this.state.seq;
  }

  /** Checks one frame's payload and submits its reading; frames are handled in the order they came. */
  receive(payload: Uint8Array): Promise<SensorVerdict> {
    const done = this.queue.then(() => this.take(payload));
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async take(payload: Uint8Array): Promise<SensorVerdict> {
    const o = this.o;
    const opened = this.check(payload);
    if (!opened.ok) return this.verdict(opened.code, opened.reason);
    const r = opened.reading;
    if (r.cluster !== o.manifest.cluster) return this.verdict('wrong-cluster', `reading of cluster '${r.cluster}', this is '${o.manifest.cluster}'`);
    if (!equalBytes(r.meter, this.address)) return this.verdict('wrong-meter', `reading names meter ${addressToText(r.meter)}, this link's sensor is ${this.addressText}`);
    // Sequence numbers only go up (the board reserves them in blocks in flash, so a reboot skips ahead, never back).
    if (r.seq <= this.state.seq) return this.verdict('replay', `sequence number ${r.seq} is not above the last taken, ${this.state.seq}`);
    const now = o.now();
    let reading: Reading = r;
    // A board's clock starts at 1970 until set, and drifts: a reading stamped off this node's clock by more than the
    // cluster tolerates is stamped on arrival (its round is the one it arrived in), so the cluster judges it on time.
    if (r.clock === ClockStatus.INVALID || Math.abs(r.ts - now) > o.manifest.params.skewMs) {
      reading = { ...r, ts: now, clock: ClockStatus.UNSYNCED };
      this.restamped++;
    }
    const round = roundOf(o.manifest, reading.ts);
    if (round < 0) return this.verdict('before-genesis', `reading at ${reading.ts} is before the cluster's first round`);
    // One submission per member per round (docs/protocol.md §4): a second reading in a round waits for none.
    if (round <= this.state.round) return this.verdict('same-round', `a reading of round ${round} was already submitted`);
    this.state = { seq: r.seq, round };
    await this.persist();
    await o.submit(signReading(reading, o.signer));
    return this.verdict('submitted', `seq ${r.seq} round ${round}`);
  }

  /** Durable before the submission leaves: write a new file, sync it, rename it over the old one. */
  private async persist(): Promise<void> {
    const tmp = this.o.stateFile + '.new';
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(this.state) + '\n');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.o.stateFile);
  }

  /** Counts a verdict; logs it when it differs from the last one (a board that goes wrong logs once, not per frame). */
  private verdict(v: SensorVerdict, detail: string): SensorVerdict {
    this.counts[v]++;
    this.o.metrics?.counter('meterchain_sensor_frames_total', 'Frames from sensor nodes, by what became of them.', 1, { sensor: this.o.name, verdict: v });
    if (v === 'submitted') {
      if (this.lastVerdict !== undefined && this.lastVerdict !== 'submitted') this.o.log.info('sensor frames accepted again', { sensor: this.o.name });
      if (this.o.log.debugging) this.o.log.debug('sensor reading submitted', { sensor: this.o.name, detail });
    } else if (v !== this.lastVerdict) {
      this.o.log.warn(`sensor frame refused: ${v}`, { sensor: this.o.name, detail });
    }
    this.lastVerdict = v;
    return v;
  }
}

/** Reads a link key file: 64 hex digits (32 bytes), mode 0600 (it authenticates the board's readings). */
export function readLinkKey(path: string, key: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ConfigError(`${key}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code}`);
  }
  try {
    const st = fstatSync(fd);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) throw new ConfigError(`${key}: ${path} has mode ${(st.mode & 0o777).toString(8)}: group or others can read it; run chmod 600 ${path}`);
    const text = readFileSync(fd, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError(`${key}: ${path}: expected 64 hex digits (a 32-byte HMAC key)`);
    return fromHex(text.toLowerCase());
  } finally {
    closeSync(fd);
  }
}

/** A sensor node's frames into its gateway, over a serial line, Modbus RTU or MQTT. */
export interface SensorLink {
  gateway: SensorGateway;
  close(): Promise<void>;
}

/** A sensor link on a serial line: bytes in, frames found, each handed to the gateway. */
export interface SerialSensorLink extends SensorLink {
  reader: SensorFrameReader;
}

export async function openSerialSensorLink(link: SensorLinkConfig, gateway: SensorGateway, log: Logger): Promise<SerialSensorLink> {
  if (!link.serial) throw new ConfigError(`sensors: ${gateway.addressText}: no serial line`);
  const config = { serial: link.serial };
  const reader = createSensorFrameReader();
  // Loaded only when a sensor line is opened: serialport is native and stays outside the bundled node (build-node.ts),
  // which must start without it (a bundle run from its own directory, as the fault campaign runs it).
  const { SerialPort: Port } = await import('serialport');
  const port: SerialPort = new Port({ path: config.serial.path, baudRate: config.serial.baud ?? 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new ConfigError(`sensors: ${config.serial.path}: ${e.message}`)) : resolve())));
  port.on('data', (chunk: Buffer) => {
    for (const payload of reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
      gateway.receive(payload).catch((e: unknown) => log.error('sensor frame: submission failed', { sensor: gateway.addressText, error: e as Error }));
    }
  });
  port.on('error', (e) => log.error('sensor line error', { path: config.serial.path, error: e }));
  return {
    gateway,
    reader,
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/** Registers before the payload in the board's Modbus mailbox (firmware/espruino/src/modbus-mailbox.ts). */
const MAILBOX_HEADER = 2;
/** Function 3 reads at most 125 registers. */
const MAX_READ = 125;

/** A sensor link polled over Modbus RTU: counts of polls, of frames taken, and of failed polls. */
export interface ModbusSensorLink extends SensorLink {
  readonly polls: { polls: number; frames: number; failed: number; torn: number };
}

/**
 * A sensor link on a serial line that is a Modbus RTU bus (`serial: {path, modbus: {unit}}`): the board answers as a
 * Modbus server and keeps its latest frame in holding registers (register 0 its number, 1 its payload length, 2 on
 * the payload, two bytes a register). Every `pollMs` this node reads the number, the length and the payload, reads
 * the number again (unchanged: the payload is one frame's, else it is read again at the next poll), writes the number
 * to register 0 to take the frame off, and hands the payload to the gateway, which checks it exactly as one from a
 * plain serial line. A payload length above 4 KB is taken off and dropped. A failed poll is logged once per change.
 */
export async function openModbusSensorLink(link: SensorLinkConfig, gateway: SensorGateway, log: Logger): Promise<ModbusSensorLink> {
  const serial = link.serial;
  if (!serial?.modbus) throw new ConfigError(`sensors: ${gateway.addressText}: no Modbus line`);
  const unit = serial.modbus.unit ?? 1;
  const pollMs = serial.modbus.pollMs ?? 1000;
  const device = `sensor ${gateway.addressText}`;
  const bus = new ModbusBus({ link: { kind: 'rtu', path: serial.path, baudRate: serial.baud ?? 115200, parity: 'none' }, timeoutMs: 1000, retries: 1 });
  await bus.open().catch((e: Error) => {
    throw new ConfigError(`sensors: ${serial.path}: ${e.message}`);
  });
  const polls = { polls: 0, frames: 0, failed: 0, torn: 0 };
  let lastProblem = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const read = (address: number, count: number) => bus.read({ device, unit, fn: 3, address, count });

  async function pollOnce(): Promise<void> {
    polls.polls++;
    const first = await read(0, MAX_READ);
    const number = first[0]!;
    const length = first[1]!;
    if (number === 0) return;
    if (length > SENSOR_PAYLOAD_MAX) {
      await bus.writeRegister(device, unit, 0, number);
      throw new Error(`a payload of ${length} bytes, over ${SENSOR_PAYLOAD_MAX}: taken off and dropped`);
    }
    const registers = Math.ceil(length / 2);
    const words = new Uint16Array(registers);
    words.set(first.subarray(MAILBOX_HEADER, MAILBOX_HEADER + Math.min(registers, MAX_READ - MAILBOX_HEADER)));
    for (let at = MAX_READ - MAILBOX_HEADER; at < registers; at += MAX_READ) {
      words.set(await read(MAILBOX_HEADER + at, Math.min(MAX_READ, registers - at)), at);
    }
    if ((await read(0, 1))[0] !== number) {
      polls.torn++;
      return; // replaced while it was read: the next poll reads the new one
    }
    await bus.writeRegister(device, unit, 0, number);
    const payload = new Uint8Array(length);
    for (let i = 0; i < length; i++) payload[i] = i % 2 === 0 ? words[i >> 1]! >> 8 : words[i >> 1]! & 0xff;
    polls.frames++;
    gateway.receive(payload).catch((e: unknown) => log.error('sensor frame: submission failed', { sensor: gateway.addressText, error: e as Error }));
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pollOnce()
        .then(() => {
          if (lastProblem !== '') log.info('sensor modbus link: polling again', { sensor: gateway.addressText, path: serial.path });
          lastProblem = '';
        })
        .catch((e: Error) => {
          polls.failed++;
          if (e.message !== lastProblem) log.warn('sensor modbus link: poll failed', { sensor: gateway.addressText, path: serial.path, error: e.message });
          lastProblem = e.message;
        })
        .finally(schedule);
    }, pollMs);
  };
  schedule();
  return {
    gateway,
    polls,
    close: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await bus.close();
    },
  };
}

/**
 * A sensor link over MQTT (a board with a network): the board publishes each frame's payload, behind the transport's
 * 12-byte header (incarnation, and its reading's sequence number), to `meterchain/<cluster>/sensor/<its address>`
 * under its own broker login. The broker's ACL (`brokerAcl` with `sensors`) lets that login publish nothing else and
 * only this node read it, so this node reads it through its own connection: no second login, no second client id.
 * The gateway checks each payload exactly as one from a serial line (HMAC, identity, sequence and replay).
 */
export async function openMqttSensorLink(transport: Transport, gateway: SensorGateway, log: Logger): Promise<SensorLink> {
  const subscription = await transport.subscribe({ kind: SENSOR_KIND, from: gateway.addressText }, (d) => {
    gateway.receive(d.frame).catch((e: unknown) => log.error('sensor frame: submission failed', { sensor: gateway.addressText, error: e as Error }));
  });
  return { gateway, close: () => subscription.unsubscribe() };
}

/** Where a sensor link keeps its last sequence number: beside the node's state. */
export async function sensorStateFile(dataDir: string, address: string): Promise<string> {
  const dir = join(dataDir, 'sensors');
  await mkdir(dir, { recursive: true });
  return join(dir, `${address}.json`);
}

// Where a node's readings come from: a sensor gives fixed-point channels and acquisition quality bits. The simulated
// sensor follows a daily load curve; the Modbus sensors are the drivers of @meterchain/modbus on a line the process
// owns (several nodes may share one line: `Lines`).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Channel } from '@meterchain/core';
import { EXCEPTION_NAMES, Iec62056Reader, ModbusBus, ModbusError, ModbusExceptionError, describeLink, type Iec62056Options, type Link, type MeterDriver, type MeterSample } from '@meterchain/modbus';
import { ThreePhaseLoad } from '@meterchain/modbus/sim';
import { THREE_PHASE_CHANNELS, toFixed } from './channels.ts';
import type { Logger } from './log.ts';

/** A sample a reading can be made of: every channel has a value (what a device lacks is left out). */
export interface SensorSample extends MeterSample {
  channels: Channel[];
}

/**
 * The node's source of readings: a meter driver (@meterchain/modbus MeterDriver) whose samples are ready for a
 * reading. configure() does not refuse a device that is off line (sample() reports it); sample(now) rejects when
 * nothing could be read, and the node records a gap.
 */
export type Sensor = MeterDriver<SensorSample>;

/**
 * A simulated three-phase meter on a seeded daily load curve. With `registerFile` its energy registers survive a
 * restart of the process, as a real meter's do: without it a restarted node would start its registers again from the
 * seed's value, lower than its last accepted reading, and its peers would refuse every reading (energy-backwards).
 */
export class SimulatedThreePhase implements Sensor {
  readonly device: string;
  private readonly seed: number;
  private readonly registerFile: string | undefined;
  private load: ThreePhaseLoad | undefined;

  constructor(seed: number, registerFile?: string) {
    this.device = `simulated three-phase (seed ${seed})`;
    this.seed = seed;
    this.registerFile = registerFile;
  }

  /** Reads the register file (I/O), so not in the constructor. */
  async configure(): Promise<void> {
    if (this.registerFile !== undefined) await mkdir(dirname(this.registerFile), { recursive: true });
    this.load ??= new ThreePhaseLoad(this.registerFile === undefined ? { seed: this.seed } : { seed: this.seed, registerFile: this.registerFile });
  }

  async sample(now = Date.now()): Promise<SensorSample> {
    if (this.load === undefined) throw new Error('simulated sensor: sample() before configure()');
    const v = this.load.at(now);
    const si: Record<string, number> = {
      activePower: v.activePower,
      reactivePower: v.reactivePower,
      frequency: v.frequency,
      energyImport: v.energyImport,
      energyExport: v.energyExport,
    };
    v.phases.forEach((p, i) => {
      si[`voltageL${i + 1}`] = p.voltage;
      si[`currentL${i + 1}`] = p.current;
      si[`activePowerL${i + 1}`] = p.activePower;
      si[`reactivePowerL${i + 1}`] = p.reactivePower;
    });
    // Energy registers count whole Wh, as a meter's display does: floor, never round up past what was consumed.
    const channels = THREE_PHASE_CHANNELS.map((c) => ({
      id: c.obis,
      unit: c.unit,
      scale: c.scale,
      value: c.unit === 'Wh' ? Math.floor(si[c.edge]!) : toFixed(si[c.edge]!, c.scale),
    }));
    return { channels, quality: 0 };
  }

  async close(): Promise<void> {}
}

/** The bus lines of one process, shared by the nodes whose meters hang on them: one request at a time per line. */
export class Lines {
  private readonly open = new Map<string, { bus: ModbusBus; users: number; settings: string }>();
  /** Serial ports read by an IEC 62056-21 node: no other node of the process may use them. */
  private readonly readouts = new Map<string, number>();

  /** Claims `path` for a readout; returns how many nodes of the process now use it (more than 1: refuse). */
  claimSerial(path: string): number {
    const count = (this.readouts.get(path) ?? 0) + 1 + (this.open.has(`serial ${path}`) ? 1 : 0);
    this.readouts.set(path, (this.readouts.get(path) ?? 0) + 1);
    return count;
  }

  /** The bus of `link`, opened lazily; a second node on the same serial port must name the same settings. */
  acquire(link: Link, timeoutMs: number, confirmReads = false): ModbusBus {
    const key = link.kind === 'rtu' ? `serial ${link.path}` : `${link.kind} ${link.host}:${link.port}`;
    const settings = `${describeLink(link)}, timeout ${timeoutMs} ms${confirmReads ? ', confirmed reads' : ''}`;
    if (link.kind === 'rtu' && this.readouts.has(link.path)) throw new Error(`${key} is already read as an IEC 62056-21 meter`);
    const held = this.open.get(key);
    if (held) {
      if (held.settings !== settings) throw new Error(`${key} is already used as ${held.settings}, not ${settings}`);
      held.users++;
      return held.bus;
    }
    // Retries stay few: on a shared line every retry of an absent meter holds up the others.
    const bus = new ModbusBus({ link, timeoutMs, retries: 1, confirmReads });
    this.open.set(key, { bus, users: 1, settings });
    return bus;
  }

  private readonly wire = new Map<ModbusBus, number>();

  /** Adds a meter's wire time per sample to its line; returns the line's total. */
  addLoad(bus: ModbusBus, ms: number): number {
    const total = (this.wire.get(bus) ?? 0) + ms;
    this.wire.set(bus, total);
    return total;
  }

  /** How many nodes use the line of `bus`. */
  users(bus: ModbusBus): number {
    for (const held of this.open.values()) if (held.bus === bus) return held.users;
    return 0;
  }

  /** Gives a line back; the last user closes it. */
  async release(bus: ModbusBus): Promise<void> {
    for (const [key, held] of this.open) {
      if (held.bus !== bus) continue;
      if (--held.users === 0) {
        this.open.delete(key);
        await bus.close();
      }
      return;
    }
  }
}

/** Marks a sample's failure as logged by the sensor already (the node then says it only at debug level). */
function reported(e: unknown): unknown {
  if (e instanceof Error) (e as Error & { reported?: boolean }).reported = true;
  return e;
}

/** Pause before the next attempt after `failures` failed samples in a row: 0, then 1, 2, 4 … 60 s. */
export function retryDelayMs(failures: number): number {
  if (failures <= 1) return 0;
  return Math.min(60_000, 1000 * Math.pow(2, failures - 2));
}

/** What a failed read was, in the words an integrator looks up: device, unit, function, registers, code, name. */
export function describeFailure(error: unknown): Record<string, unknown> {
  if (!(error instanceof ModbusError)) return { error: error instanceof Error ? error.message : String(error) };
  const c = error.context;
  const fields: Record<string, unknown> = {
    device: c.device, unit: c.unit, function: c.fn, registers: `${c.address}-${c.address + c.count - 1}`, link: c.link, kind: error.code,
  };
  if (error instanceof ModbusExceptionError) {
    fields.exception = error.exceptionCode;
    fields.exceptionName = EXCEPTION_NAMES[error.exceptionCode] ?? 'unknown exception code';
  }
  fields.error = error.message;
  return fields;
}

/** Same failure as before: same kind, exception, device, unit, function and registers (the message's wording aside). */
function failureKey(error: unknown): string {
  if (!(error instanceof ModbusError)) return error instanceof Error ? error.message : String(error);
  const c = error.context;
  return [error.code, error instanceof ModbusExceptionError ? error.exceptionCode : '', c.device, c.unit, c.fn, c.address, c.count].join(' ');
}

/** What a device sensor drives: any meter driver (a Modbus meter, a serial readout). */
export type DeviceDriver = MeterDriver<MeterSample>;

/**
 * A meter read over a line of the process: a Modbus meter (SDM120/SDM630, SunSpec, a register map) through
 * @meterchain/modbus, or an IEC 62056-21 readout. A device that does not answer is no start error: each sample that
 * fails is a gap, the next attempt waits longer (retryDelayMs), and each failure is logged once, when it changes,
 * not every round. One sample at a time: a reading and a look-ahead never talk over each other on the line.
 */
export class DeviceSensor implements Sensor {
  readonly device: string;
  private failures = 0;
  private retryAt = 0;
  private lastFailure = '';
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly driver: DeviceDriver,
    private readonly line: { description: string; open(): Promise<void>; release(): Promise<void>; counters?(): Record<string, number> },
    private readonly log?: Logger,
  ) {
    this.device = driver.device;
  }

  async configure(): Promise<void> {
    try {
      await this.line.open();
    } catch (e) {
      this.report(new Error(`${this.device}: ${this.line.description} not available at start (${(e as Error).message}); sampling will retry`));
    }
  }

  sample(now = Date.now()): Promise<SensorSample> {
    const run = this.tail.then(() => this.sampleNow(now));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async sampleNow(now: number): Promise<SensorSample> {
    if (now < this.retryAt) throw reported(new Error(`${this.device}: device not answering; next attempt in ${Math.ceil((this.retryAt - now) / 1000)} s`));
    let s;
    try {
      await this.driver.configure();
      s = await this.driver.sample();
    } catch (e) {
      this.failures++;
      this.retryAt = now + retryDelayMs(this.failures);
      this.report(e);
      throw reported(e);
    }
    if (this.failures > 0 || this.lastFailure !== '') {
      if (s.error === undefined) {
        this.log?.info('device answering again', { device: this.device, afterFailures: this.failures });
        this.lastFailure = '';
      }
      this.failures = 0;
      this.retryAt = 0;
    }
    for (const lesson of s.learned ?? []) this.log?.info('device read plan learned', { device: this.device, lesson });
    if (s.error !== undefined) this.report(s.error, s.missing);
    // "Not implemented" points come back as null: they are left out of the reading, never sent as numbers.
    const channels: Channel[] = [];
    for (const c of s.channels) if (c.value !== null) channels.push({ id: c.id, unit: c.unit, scale: c.scale, value: c.value });
    return { channels, quality: s.quality };
  }

  /** Logs a failure when it differs from the last one logged. */
  private report(error: unknown, missing?: string[]): void {
    const key = failureKey(error);
    if (key === this.lastFailure) return;
    this.lastFailure = key;
    const fields = describeFailure(error);
    if (missing && missing.length > 0) fields.missing = missing;
    this.log?.warn(missing ? 'device answered in part' : 'device not read', fields);
  }

  counters(): Record<string, number> {
    return { ...this.line.counters?.(), failures: this.failures };
  }

  async close(): Promise<void> {
    await this.tail;
    await this.driver.close();
    await this.line.release();
  }
}

/** A Modbus meter on a bus of the process's lines. */
export function modbusSensor(bus: ModbusBus, driver: MeterDriver, log: Logger | undefined, release: () => Promise<void>): DeviceSensor {
  return new DeviceSensor(driver, { description: bus.description, open: () => bus.open(), release, counters: () => ({ ...bus.counters }) }, log);
}

/** `1.8.0` (the reduced form a readout uses) as `1-0:1.8.0`: electricity (A = 1), channel 0, as the edge names it. */
export function fullObis(id: string): string {
  return /^\d+\.\d+\.\d+$/.test(id) ? `1-0:${id}` : id;
}

/** An IEC 62056-21 mode C meter (optical probe or RS-485) read out once a sample. */
export function iec62056Sensor(options: Iec62056Options, log: Logger | undefined): DeviceSensor {
  const reader = new Iec62056Reader(options);
  const driver: DeviceDriver = {
    get device() {
      return reader.device;
    },
    configure: () => reader.configure(),
    async sample() {
      const s = await reader.sample();
      return { channels: s.channels.map((c) => ({ id: fullObis(c.id), unit: c.unit, scale: c.scale, value: c.value })), quality: s.quality };
    },
    close: () => reader.close(),
  };
  return new DeviceSensor(driver, { description: `iec62056 ${options.path}`, open: () => reader.configure(), release: async () => undefined }, log);
}

// The driver shape (ECMA-419 sensor class pattern, STYLE 4): one options object with the bus handed in,
// `configure()`, `sample()`, `close()`, read buffers allocated once. A sample carries fixed-point channels and
// what the bus went through to get them, folded into the reading's quality flags.
import { QualityFlag, type SampledChannel } from '@meterchain/core';
import { decodePoints, planPointReads, registerCount, registerReference, type ReadBlock, type RegisterPoint } from '@meterchain/meters';
import { countersDelta, type BusCounters, type ModbusBus } from './bus.ts';
import { ModbusError, ModbusExceptionError, ModbusReplyMismatchError } from './errors.ts';

/** What every meter driver's sample carries: channels and acquisition quality (a Modbus sample adds its bus's story). */
export interface MeterSample {
  /** Device name, as used in errors. */
  device?: string;
  channels: SampledChannel[];
  /** Acquisition QualityFlag bits only: COMM_ERROR (the line saw errors), PARTIAL (channels are missing). */
  quality: number;
  /** Channels the device should have given and did not. */
  missing?: string[];
  /** First error met during the sample, if any (the sample may still be complete after retries). */
  error?: unknown;
  /** What the driver learned about the device during this sample (a block read split, a register it lacks). */
  learned?: string[];
}

/** A Modbus meter's sample. */
export interface Sample extends MeterSample {
  device: string;
  /** QualityFlag bits: COMM_ERROR when the bus saw CRC errors, timeouts or exceptions; PARTIAL when channels are missing. */
  quality: number;
  /** Channels of the profile this sample lacks (their read failed). */
  missing: string[];
  /** What the bus went through during this sample. */
  comm: BusCounters;
  /** First error met during the sample, if any (the sample may still be complete after retries). */
  error?: ModbusError;
  /** Channels the device lacks (a read of that register alone is refused), with why; also listed in `missing`. */
  absent?: { [name: string]: string };
  /** What the driver learned about the device during this sample (a block read split, a register it lacks). */
  learned?: string[];
}

/**
 * The one meter driver shape, whatever the line: Modbus meters (their samples are `Sample`s), the IEC 62056-21
 * readout, and the node's sensors (a simulated meter, a driver wrapped with retries). Every driver passes the shared
 * suite (@meterchain/modbus/compliance).
 */
export interface MeterDriver<S extends MeterSample = Sample> {
  readonly device: string;
  /** Prepares the device (discovery, read plan). Idempotent. */
  configure(): Promise<void>;
  /**
   * One sample; rejects only when nothing at all could be read (the poller records a gap). `now` is the caller's
   * clock in ms, for a driver whose answer depends on time (a simulated meter, a pause between retries); a Modbus
   * meter ignores it.
   */
  sample(now?: number): Promise<S>;
  /** Releases the driver; the bus stays open for its owner (other devices may share the line). */
  close(): Promise<void>;
  /** What its line has counted so far (requests, timeouts, CRC errors, exceptions ...), for a status page. */
  counters?(): Record<string, number>;
}

/** Options every Modbus meter driver takes. */
export interface ModbusDriverOptions {
  bus: ModbusBus;
  unit: number;
  /** Name for messages; defaults to the profile name. */
  device?: string;
}

/** Quality bits for what the bus counters say happened during a sample. */
export function commQuality(comm: BusCounters, missing: number): number {
  let quality = 0;
  if (comm.timeouts + comm.crcErrors + comm.exceptions + comm.mismatches + comm.closedErrors + comm.disagreements > 0) quality |= QualityFlag.COMM_ERROR;
  if (missing > 0) quality |= QualityFlag.PARTIAL;
  return quality;
}

/** Exceptions that say "not this block": illegal data address (a register the device lacks) or value (a count). */
function refusesBlock(e: unknown): e is ModbusExceptionError {
  return e instanceof ModbusExceptionError && (e.exceptionCode === 2 || e.exceptionCode === 3);
}

function covers(block: ReadBlock, point: RegisterPoint): boolean {
  return point.fn === block.fn && point.address >= block.address && point.address + registerCount(point.type) <= block.address + block.count;
}

/**
 * Reads register points with a plan that learns from the device. A block refused with exception 2 or 3 (many
 * devices refuse a read that spans registers they lack, or one longer than they allow) is split, once, into the
 * runs of adjacent points it holds, and a run refused again into single points; a single point refused is a
 * register the device lacks, named in every later sample and never asked again. The learned plan is kept for the
 * life of the driver, so the cost is paid in one sample, not every round.
 */
export class PointReader {
  private readonly points: RegisterPoint[];
  private readonly maxRead: number;
  private blocks: ReadBlock[];
  private buffers: Uint16Array[];
  /** Points the device lacks: name → why (the exception and the register). */
  private readonly absent: { [name: string]: string } = {};
  /** What the plan learned, one line per change, for the driver's owner to log. */
  private readonly lessons: string[] = [];

  constructor(points: RegisterPoint[], maxGap: number, maxRead: number) {
    this.points = points;
    this.maxRead = maxRead;
    this.blocks = planPointReads(points, maxGap, maxRead);
    this.buffers = this.blocks.map((b) => new Uint16Array(b.count));
  }

  /** The reads one sample makes now. */
  get reads(): readonly ReadBlock[] {
    return this.blocks;
  }

  /** Reads every planned block, splitting the refused ones; rejects only when nothing at all could be read. */
  async sample(bus: ModbusBus, device: string, unit: number): Promise<Sample> {
    const before = { ...bus.counters };
    const results: (Uint16Array | null)[] = [];
    let error: ModbusError | undefined;
    let refusals = 0;
    for (let i = 0; i < this.blocks.length; ) {
      const block = this.blocks[i]!;
      try {
        results.push(await bus.read({ device, unit, fn: block.fn, address: block.address, count: block.count }, this.buffers[i]));
        i++;
      } catch (e) {
        if (!(e instanceof ModbusError)) throw e;
        if (refusesBlock(e)) {
          // Asked again before the plan learns from it: a request garbled on its way (a noisy link, no checksum on
          // Modbus TCP) is refused too, and one such refusal must not drop a channel the device has for good.
          const again = await bus.read({ device, unit, fn: block.fn, address: block.address, count: block.count }, this.buffers[i]).catch((x: unknown) => x);
          if (again instanceof Uint16Array) {
            results.push(again);
            i++;
            continue;
          }
          if (!refusesBlock(again)) {
            // Not refused this time but not read either: trouble on the line, not the device's map.
            if (!(again instanceof ModbusError)) throw again;
            error ??= again;
            results.push(null);
            i++;
            continue;
          }
          refusals += 2;
          this.learn(i, again);
          continue; // the same index now holds the first of the smaller reads, or the next block
        }
        error ??= e;
        results.push(null);
        i++;
        // A link that is down, or a device that does not answer after retries, fails every further block the
        // same way: stop here instead of waiting out each one (the sample is lost, the poller reports a gap).
        if (e.code === 'BUS_CLOSED' || e.code === 'TIMEOUT') {
          while (results.length < this.blocks.length) results.push(null);
          break;
        }
      }
    }
    const comm = countersDelta(bus.counters, before);
    if (results.length > 0 && results.every((r) => r === null)) throw error!;
    if (this.blocks.length === 0) {
      throw new ModbusReplyMismatchError({ device, unit, fn: this.points[0]!.fn, address: this.points[0]!.address, count: 1, link: bus.description }, 'the device lacks every register of its profile');
    }
    const decoded = decodePoints(this.points, this.blocks, results);
    // Refusals that taught the plan are the device's map, not trouble on the bus.
    const trouble = { ...comm, exceptions: comm.exceptions - refusals };
    const sample: Sample = { device, channels: decoded.channels, quality: commQuality(trouble, decoded.missing.length), missing: decoded.missing, comm };
    const absent = Object.keys(this.absent);
    if (absent.length > 0) {
      sample.absent = {};
      for (const name of absent) sample.absent[name] = this.absent[name]!;
    }
    if (this.lessons.length > 0) sample.learned = this.lessons.splice(0, this.lessons.length);
    if (error) sample.error = error;
    return sample;
  }

  /** Replaces block `index`, refused with `e`, by smaller reads, or drops the one point it held. */
  private learn(index: number, e: ModbusExceptionError): void {
    const block = this.blocks[index]!;
    const held = this.points.filter((p) => this.absent[p.name] === undefined && covers(block, p));
    const where = `${e.exceptionCode === 2 ? 'illegal data address' : 'illegal data value'}, exception ${e.exceptionCode}`;
    let smaller: ReadBlock[];
    if (held.length <= 1) {
      for (const p of held) this.absent[p.name] = `the device lacks ${registerReference(p.fn, p.address)} (${where})`;
      smaller = [];
      this.lessons.push(`${held.map((p) => p.name).join(', ') || 'a point'}: the device lacks ${registerReference(block.fn, block.address)} (${where}); not read again`);
    } else {
      // Runs of adjacent points first (a read across a hole is the usual refusal); a run refused again, point by point.
      const runs = planPointReads(held, 0, this.maxRead);
      smaller = runs.length > 1 ? runs : held.map((p) => ({ fn: p.fn, address: p.address, count: registerCount(p.type) }));
      this.lessons.push(`read of ${block.count} registers at ${registerReference(block.fn, block.address)} refused (${where}): split into ${smaller.length} reads`);
    }
    this.blocks.splice(index, 1, ...smaller);
    this.buffers.splice(index, 1, ...smaller.map((b) => new Uint16Array(b.count)));
  }
}

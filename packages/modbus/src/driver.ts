// The driver shape (ECMA-419 sensor class pattern, STYLE 4): one options object with the bus handed in,
// `configure()`, `sample()`, `close()`, read buffers allocated once. A sample carries fixed-point channels and
// what the bus went through to get them, folded into the reading's quality flags.
import { QualityFlag } from '@meterchain/core';
import { decodePoints, type Channel, type ReadBlock, type RegisterPoint } from '@meterchain/meters';
import { countersDelta, type BusCounters, type ModbusBus } from './bus.ts';
import { ModbusError } from './errors.ts';

export interface Sample {
  /** Device name, as used in errors. */
  device: string;
  channels: Channel[];
  /** QualityFlag bits: COMM_ERROR when the bus saw CRC errors, timeouts or exceptions; PARTIAL when channels are missing. */
  quality: number;
  /** Channels of the profile this sample lacks (their read failed). */
  missing: string[];
  /** What the bus went through during this sample. */
  comm: BusCounters;
  /** First error met during the sample, if any (the sample may still be complete after retries). */
  error?: ModbusError;
}

export interface MeterDriver {
  readonly device: string;
  /** Prepares the device (discovery, read plan). Idempotent. */
  configure(): Promise<void>;
  /** One sample; rejects only when nothing at all could be read (the poller records a gap). */
  sample(): Promise<Sample>;
  /** Releases the driver; the bus stays open for its owner (other devices may share the line). */
  close(): Promise<void>;
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
  if (comm.timeouts + comm.crcErrors + comm.exceptions + comm.mismatches + comm.closedErrors > 0) quality |= QualityFlag.COMM_ERROR;
  if (missing > 0) quality |= QualityFlag.PARTIAL;
  return quality;
}

/** Reads planned blocks into preallocated buffers, one request at a time; failed blocks come back as null. */
export async function readBlocks(bus: ModbusBus, device: string, unit: number, blocks: ReadBlock[], buffers: Uint16Array[]): Promise<{ results: (Uint16Array | null)[]; error?: ModbusError }> {
  const results: (Uint16Array | null)[] = [];
  let error: ModbusError | undefined;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    try {
      results.push(await bus.read({ device, unit, fn: block.fn, address: block.address, count: block.count }, buffers[i]));
    } catch (e) {
      if (!(e instanceof ModbusError)) throw e;
      error ??= e;
      results.push(null);
      // A link that is down, or a device that does not answer after retries, fails every further block the
      // same way: stop here instead of waiting out each one (the sample is lost, the poller reports a gap).
      if (e.code === 'BUS_CLOSED' || e.code === 'TIMEOUT') {
        while (results.length < blocks.length) results.push(null);
        break;
      }
    }
  }
  return error === undefined ? { results } : { results, error };
}

/** Shared body of register-point drivers (Eastron, generic maps): plan once, read, decode, flag. */
export async function samplePoints(bus: ModbusBus, device: string, unit: number, points: RegisterPoint[], blocks: ReadBlock[], buffers: Uint16Array[]): Promise<Sample> {
  const before = { ...bus.counters };
  const { results, error } = await readBlocks(bus, device, unit, blocks, buffers);
  const comm = countersDelta(bus.counters, before);
  if (results.every((r) => r === null)) throw error!;
  const decoded = decodePoints(points, blocks, results);
  const sample: Sample = { device, channels: decoded.channels, quality: commQuality(comm, decoded.missing.length), missing: decoded.missing, comm };
  if (error) sample.error = error;
  return sample;
}

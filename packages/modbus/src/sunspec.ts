// Driver for SunSpec meters: finds the 'SunS' marker (40000, 50000, 0), walks the model list, reads the common
// model once and the first meter model (201–204, 211–214) on every sample. The model definitions are the package's
// own tables (SUNSPEC_MODELS of @meterchain/meters); other definitions may be loaded from JSON model files.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeSunSpecCommon, decodeSunSpecMeter, isSunSpecMarker, sunspecHeader, sunspecLayouts, SUNSPEC_BASES, SUNSPEC_METER_MODELS, SUNSPEC_MODELS,
  type SunSpecCommon, type SunSpecLayout, type SunSpecModelDef, type SunSpecModelHeader,
} from '@meterchain/meters';
import { countersDelta } from './bus.ts';
import { commQuality, type MeterDriver, type ModbusDriverOptions, type Sample } from './driver.ts';
import { ModbusError, ModbusReplyMismatchError } from './errors.ts';

/** The built-in model tables, or every `model_N.json` in `dir` (SunSpec's published JSON model files). */
export function loadSunSpecModels(dir?: string): SunSpecModelDef[] {
  if (dir === undefined) return SUNSPEC_MODELS;
  const files = readdirSync(dir).filter((f) => /^model_\d+\.json$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no SunSpec model files (model_N.json) in ${dir}`);
  return files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SunSpecModelDef);
}

export interface SunSpecOptions extends ModbusDriverOptions {
  /** Model definitions; default: the built-in tables of models 1, 201–204 and 211–214. */
  models?: SunSpecModelDef[];
  /** Skip discovery and use this base address. */
  base?: number;
}

/** What discovery found. */
export interface SunSpecDevice {
  base: number;
  models: SunSpecModelHeader[];
  common: SunSpecCommon | null;
  meter: SunSpecModelHeader;
}

const MAX_MODELS = 64;

export class SunSpecMeter implements MeterDriver {
  device: string;
  private readonly options: SunSpecOptions;
  private readonly layouts: { [id: number]: SunSpecLayout };
  private found: SunSpecDevice | null = null;
  private buffer: Uint16Array | null = null;

  constructor(options: SunSpecOptions) {
    if (!options || !options.bus || (options.models !== undefined && !Array.isArray(options.models))) throw new Error('expected options {bus, unit, models?}');
    this.options = options;
    this.device = options.device ?? 'SunSpec meter';
    this.layouts = sunspecLayouts(options.models ?? SUNSPEC_MODELS);
  }

  /** Discovery result after configure(). */
  get discovered(): SunSpecDevice | null {
    return this.found;
  }

  private read(fn: 3, address: number, count: number, target?: Uint16Array): Promise<Uint16Array> {
    return this.options.bus.read({ device: this.device, unit: this.options.unit, fn, address, count }, target);
  }

  /** Finds the marker, walks the models, reads the common model. Rejects when the device is not SunSpec. */
  async configure(): Promise<void> {
    if (this.found) return;
    const bus = this.options.bus;
    let base = -1;
    let lastError: ModbusError | null = null;
    for (const candidate of this.options.base !== undefined ? [this.options.base] : SUNSPEC_BASES) {
      try {
        if (isSunSpecMarker(await this.read(3, candidate, 2))) {
          base = candidate;
          break;
        }
      } catch (e) {
        // Exception 2 at a base that does not exist is the normal answer of a device with its map elsewhere.
        if (!(e instanceof ModbusError) || e.code !== 'EXCEPTION') throw e;
        lastError = e;
      }
    }
    if (base < 0) {
      throw new ModbusReplyMismatchError(
        { device: this.device, unit: this.options.unit, fn: 3, address: SUNSPEC_BASES[0]!, count: 2, link: bus.description },
        `no 'SunS' marker at ${SUNSPEC_BASES.join(', ')}${lastError ? `; last answer: ${lastError.message}` : ''}`,
      );
    }
    const models: SunSpecModelHeader[] = [];
    let address = base + 2;
    for (let i = 0; i < MAX_MODELS; i++) {
      const header = sunspecHeader(await this.read(3, address, 2), address);
      if (header === null) break;
      models.push(header);
      address += 2 + header.length;
    }
    const meter = models.find((m) => SUNSPEC_METER_MODELS.includes(m.id) && this.layouts[m.id] !== undefined);
    if (!meter) throw new Error(`${this.device}: SunSpec device at ${base} has models ${models.map((m) => m.id).join(', ')} but no meter model 201-204 or 211-214 with a loaded definition`);
    let common: SunSpecCommon | null = null;
    const commonHeader = models.find((m) => m.id === 1);
    if (commonHeader && this.layouts[1]) {
      common = decodeSunSpecCommon(this.layouts[1], await this.readModel(commonHeader.address, this.layouts[1].size));
      if (this.options.device === undefined && common.manufacturer) this.device = `${common.manufacturer} ${common.model}`.trim();
    }
    const layout = this.layouts[meter.id]!;
    if (meter.length + 2 < layout.size) throw new Error(`${this.device}: model ${meter.id} has L=${meter.length}, shorter than its definition (${layout.size - 2})`);
    this.buffer = new Uint16Array(layout.size);
    this.found = { base, models, common, meter };
  }

  /** Reads a whole model in reads of at most 125 registers (model 213 is 126). */
  private async readModel(address: number, size: number, target?: Uint16Array): Promise<Uint16Array> {
    const words = target ?? new Uint16Array(size);
    for (let offset = 0; offset < size; offset += 125) {
      const count = Math.min(125, size - offset);
      await this.read(3, address + offset, count, words.subarray(offset, offset + count));
    }
    return words;
  }

  async sample(): Promise<Sample> {
    await this.configure();
    const found = this.found!;
    const layout = this.layouts[found.meter.id]!;
    const bus = this.options.bus;
    const before = { ...bus.counters };
    const words = await this.readModel(found.meter.address, layout.size, this.buffer!);
    const comm = countersDelta(bus.counters, before);
    if (words[0] !== found.meter.id) {
      throw new ModbusReplyMismatchError(
        { device: this.device, unit: this.options.unit, fn: 3, address: found.meter.address, count: 1, link: bus.description },
        `model ID register reads ${words[0]}, expected ${found.meter.id}: the device's map changed`,
      );
    }
    const channels = decodeSunSpecMeter(layout, words);
    return { device: this.device, channels, quality: commQuality(comm, 0), missing: [], comm };
  }

  async close(): Promise<void> {
    this.buffer = null;
    this.found = null;
  }
}

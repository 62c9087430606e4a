// Driver for Eastron SDM120 and SDM630 meters (input registers, float32).
import { eastronPoints, planPointReads, EASTRON_MAX_GAP, EASTRON_MAX_READ, type EastronModel, type ReadBlock, type RegisterPoint, type WordOrder } from '@meterchain/meters';
import { samplePoints, type MeterDriver, type ModbusDriverOptions, type Sample } from './driver.ts';

export interface EastronOptions extends ModbusDriverOptions {
  model: EastronModel;
  /** The meter sends the high word first; set `little` only behind a gateway that swaps words. */
  wordOrder?: WordOrder;
}

export class EastronMeter implements MeterDriver {
  readonly device: string;
  private readonly options: EastronOptions;
  private readonly points: RegisterPoint[];
  private readonly blocks: ReadBlock[];
  private readonly buffers: Uint16Array[];

  constructor(options: EastronOptions) {
    if (!options || !options.bus) throw new Error('expected options {bus, unit, model}');
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new Error(`expected a unit id 1-247, got ${options.unit}`);
    this.options = options;
    this.device = options.device ?? options.model;
    this.points = eastronPoints(options.model, options.wordOrder ?? 'big');
    this.blocks = planPointReads(this.points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
    this.buffers = this.blocks.map((b) => new Uint16Array(b.count));
  }

  /** The reads one sample makes (for the benchmark's wire-time limit and for docs). */
  get reads(): readonly ReadBlock[] {
    return this.blocks;
  }

  async configure(): Promise<void> {
    // Nothing to discover: the register map is fixed by the model.
  }

  sample(): Promise<Sample> {
    return samplePoints(this.options.bus, this.device, this.options.unit, this.points, this.blocks, this.buffers);
  }

  async close(): Promise<void> {
    // The bus belongs to the caller.
  }
}

// Driver for Eastron SDM120 and SDM630 meters (input registers, float32).
import { eastronPoints, EASTRON_MAX_GAP, EASTRON_MAX_READ, type EastronModel, type ReadBlock, type WordOrder } from '@meterchain/meters';
import { PointReader, type MeterDriver, type ModbusDriverOptions, type Sample } from './driver.ts';

export interface EastronOptions extends ModbusDriverOptions {
  model: EastronModel;
  /** The meter sends the high word first; set `little` only behind a gateway that swaps words. */
  wordOrder?: WordOrder;
}

export class EastronMeter implements MeterDriver {
  readonly device: string;
  private readonly options: EastronOptions;
  private readonly reader: PointReader;

  constructor(options: EastronOptions) {
    if (!options || !options.bus) throw new Error('expected options {bus, unit, model}');
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new Error(`expected a unit id 1-247, got ${options.unit}`);
    this.options = options;
    this.device = options.device ?? options.model;
    this.reader = new PointReader(eastronPoints(options.model, options.wordOrder ?? 'big'), EASTRON_MAX_GAP, EASTRON_MAX_READ);
  }

  /** The reads one sample makes (for the benchmark's wire-time limit and for docs). */
  get reads(): readonly ReadBlock[] {
    return this.reader.reads;
  }

  async configure(): Promise<void> {
    // Nothing to discover: the register map is fixed by the model.
  }

  sample(): Promise<Sample> {
    return this.reader.sample(this.options.bus, this.device, this.options.unit);
  }

  async close(): Promise<void> {
    // The bus belongs to the caller.
  }
}

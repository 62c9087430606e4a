// Driver for any device described by a YAML register map, and the loader that checks the file against the schema.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { registerMap, registerMapSchema, type ReadBlock, type RegisterMap, type RegisterMapDocument } from '@meterchain/meters';
import { PointReader, type MeterDriver, type ModbusDriverOptions, type Sample } from './driver.ts';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(registerMapSchema);

export type RegisterMapLoad = { ok: true; map: RegisterMap } | { ok: false; reason: string };

/** Parses and checks register map text (YAML or JSON). Never throws on a bad file: says what is wrong. */
export function parseRegisterMap(text: string, source = 'register map'): RegisterMapLoad {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return { ok: false, reason: `${source}: not YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!validate(doc)) {
    const first = validate.errors![0]!;
    return { ok: false, reason: `${source}: ${first.instancePath || '/'} ${first.message}${first.params && 'additionalProperty' in first.params ? ` '${String(first.params.additionalProperty)}'` : ''}` };
  }
  const verdict = registerMap(doc as RegisterMapDocument);
  return verdict.ok ? verdict : { ok: false, reason: `${source}: ${verdict.reason}` };
}

/** Reads a register map file; the reason names the file. */
export function loadRegisterMap(path: string): RegisterMapLoad {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, reason: `${path}: ${(e as Error).message}` };
  }
  return parseRegisterMap(text, path);
}

export interface RegisterMapOptions extends ModbusDriverOptions {
  map: RegisterMap;
}

export class RegisterMapMeter implements MeterDriver {
  readonly device: string;
  private readonly options: RegisterMapOptions;
  private readonly reader: PointReader;

  constructor(options: RegisterMapOptions) {
    if (!options || !options.bus || !options.map) throw new Error('expected options {bus, unit, map}');
    this.options = options;
    this.device = options.device ?? options.map.device;
    this.reader = new PointReader(options.map.points, options.map.maxGap, options.map.maxRead);
  }

  /** The reads one sample makes now (for the line's load). */
  get reads(): readonly ReadBlock[] {
    return this.reader.reads;
  }

  async configure(): Promise<void> {}

  sample(): Promise<Sample> {
    return this.reader.sample(this.options.bus, this.device, this.options.unit);
  }

  async close(): Promise<void> {}
}

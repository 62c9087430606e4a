// The edge pipeline of one device: filters and checks of its profile run over each sample, findings summarised
// into QualityFlag bits, output released once every check has judged the sample (a delay of at most one sample).
import { QualityFlag } from '@meterchain/core';
import { profileChecks, profileFilters, type Profile } from './profile.ts';
import { edgeError, finding, type Check, type Filter, type Finding, type Sample } from './types.ts';

/** What the edge says about one sample. The object is reused: read or copy it before the next `step`. */
export interface EdgeOutput {
  /** Ordinal of the sample in the stream (0 for the first stepped). */
  n: number;
  t: number;
  seq: number;
  clock: number;
  /** The values as measured, one per channel (NaN = missing). Always present: a filtered value never replaces it. */
  raw: Float64Array;
  /** The filtered values, one per channel (equal to `raw` where `isFiltered` is 0); null when no filter is set. */
  filtered: Float64Array | null;
  /** 1 for each channel whose `filtered` value came out of a filter. */
  isFiltered: Uint8Array;
  /** QualityFlag bits: the OR of the findings' flags, plus FILTERED when a filtered value is carried. */
  quality: number;
  findings: Finding[];
}

export interface Pipeline {
  readonly profile: string;
  readonly channels: string[];
  /** How many samples an output is held back (1 when a check needs the next sample, else 0). */
  readonly lag: number;
  /** Steps one sample; returns the output of the sample `lag` steps back, or null while the delay line fills. */
  step(sample: Sample): EdgeOutput | null;
  /** At the end of a stream: returns the outputs still held, one per call, then null. */
  flush(): EdgeOutput | null;
}

function newOutput(channels: number, filtering: boolean): EdgeOutput {
  return {
    n: -1,
    t: 0,
    seq: -1,
    clock: 0,
    raw: new Float64Array(channels),
    filtered: filtering ? new Float64Array(channels) : null,
    isFiltered: new Uint8Array(channels),
    quality: 0,
    findings: [],
  };
}

class EdgePipeline implements Pipeline {
  readonly profile: string;
  readonly channels: string[];
  readonly lag: number;
  private readonly checks: Check<unknown>[];
  private readonly filters: Filter<unknown>[][];
  private readonly filtering: boolean;
  private readonly slots: EdgeOutput[];
  private readonly scratch: Finding[] = [];
  private count = 0;
  private flushed = 0;

  constructor(profile: Profile, channels: string[]) {
    if (!Array.isArray(channels) || channels.length === 0) throw edgeError('EDGE_CONFIG', `pipeline: expected a list of channel names, got ${String(channels)}`);
    for (let i = 0; i < channels.length; i++) {
      if (channels.indexOf(channels[i]!) !== i) throw edgeError('EDGE_CONFIG', `pipeline: channel ${channels[i]} listed twice`);
    }
    this.profile = profile.name;
    this.channels = channels.slice();
    this.checks = profileChecks(profile, channels);
    this.filters = profileFilters(profile, channels);
    let lag = 0;
    for (const c of this.checks) lag = Math.max(lag, c.lag);
    this.lag = lag;
    let filtering = false;
    for (const chain of this.filters) if (chain.length > 0) filtering = true;
    this.filtering = filtering;
    this.slots = [];
    for (let i = 0; i <= lag; i++) this.slots.push(newOutput(channels.length, filtering));
  }

  private filter(out: EdgeOutput): void {
    const f = out.filtered!;
    for (let c = 0; c < this.filters.length; c++) {
      const chain = this.filters[c]!;
      let x = out.raw[c]!;
      for (let k = 0; k < chain.length; k++) x = chain[k]!.step(chain[k]!.state, x);
      f[c] = x;
      out.isFiltered[c] = chain.length > 0 && x === x ? 1 : 0;
      if (out.isFiltered[c] === 1) out.quality |= QualityFlag.FILTERED;
    }
  }

  private completeness(out: EdgeOutput): void {
    const v = out.raw;
    let missing = 0;
    for (let c = 0; c < v.length; c++) if (v[c] !== v[c]) missing++;
    if (missing === 0) return;
    if (missing === v.length) {
      out.findings.push(finding('gap', 'no-values', 'warning', '*', QualityFlag.GAP, missing, v.length, 'no values in this sample', 0));
      out.quality |= QualityFlag.GAP;
      return;
    }
    const names: string[] = [];
    for (let c = 0; c < v.length; c++) if (v[c] !== v[c]) names.push(this.channels[c]!);
    out.findings.push(finding('partial', 'missing', 'warning', '*', QualityFlag.PARTIAL, missing, v.length, `missing ${names.join(', ')}`, 0));
    out.quality |= QualityFlag.PARTIAL;
  }

  step(sample: Sample): EdgeOutput | null {
    if (sample.values.length !== this.channels.length) {
      throw edgeError('EDGE_SAMPLE', `pipeline: expected ${this.channels.length} values (${this.channels.join(', ')}), got ${sample.values.length}`);
    }
    const n = this.count;
    const slots = this.slots.length;
    const out = this.slots[n % slots]!;
    out.n = n;
    out.t = sample.t;
    out.seq = sample.seq;
    out.clock = sample.clock;
    out.raw.set(sample.values);
    out.quality = 0;
    // splice, not `length = 0`: Espruino's array length is read-only. Most samples have no findings to drop.
    if (out.findings.length > 0) out.findings.splice(0);
    if (this.filtering) this.filter(out);
    this.completeness(out);
    const scratch = this.scratch;
    for (let k = 0; k < this.checks.length; k++) {
      const check = this.checks[k]!;
      if (scratch.length > 0) scratch.splice(0);
      check.state = check.step(check.state, sample, scratch);
      for (let j = 0; j < scratch.length; j++) {
        const f = scratch[j]!;
        const target = this.slots[(n - f.lag + slots) % slots]!;
        if (target.n !== n - f.lag) continue; // about a sample before the stream began
        target.findings.push(f);
        target.quality |= f.flag;
      }
    }
    this.count = n + 1;
    this.flushed = n + 1 - this.lag;
    return n - this.lag >= 0 ? this.slots[(n - this.lag) % slots]! : null;
  }

  flush(): EdgeOutput | null {
    const next = Math.max(this.flushed, 0);
    if (next >= this.count) return null;
    this.flushed = next + 1;
    return this.slots[next % this.slots.length]!;
  }
}

/** Builds the pipeline a profile describes for a device reporting `channels` (in sample order). */
export function createPipeline(profile: Profile, channels: string[]): Pipeline {
  return new EdgePipeline(profile, channels);
}

// A recorded stream of samples in columns (typed arrays), for replay, fault injection and benchmarks.
import type { Pipeline } from './pipeline.ts';
import type { Finding, Sample } from './types.ts';

export interface Recording {
  channels: string[];
  length: number;
  t: Float64Array;
  /** Sequence numbers, -1 where the device gave none. */
  seq: Float64Array;
  /** ClockStatus per sample. */
  clock: Uint8Array;
  /** Row-major values: sample i, channel c at i × channels.length + c (NaN = missing). */
  values: Float64Array;
  /** Where each sample came from in the source (its row index there), -1 for samples made up by injection. */
  origin: Int32Array;
}

export function emptyRecording(channels: string[], length: number): Recording {
  const origin = new Int32Array(length);
  for (let i = 0; i < length; i++) origin[i] = i;
  const seq = new Float64Array(length);
  seq.fill(-1);
  return { channels: channels.slice(), length, t: new Float64Array(length), seq, clock: new Uint8Array(length), values: new Float64Array(length * channels.length), origin };
}

/** Called once per finding: `index` is the sample's position in the recording. */
export type FindingSink = (index: number, finding: Finding) => void;

/** Runs every sample of `rec` through `pipeline` (built for `rec.channels`), reporting each finding. Returns the OR
 * of all quality bits. */
export function replay(pipeline: Pipeline, rec: Recording, sink: FindingSink): number {
  const nch = rec.channels.length;
  const sample: Sample = { t: 0, seq: -1, clock: 0, values: new Float64Array(nch) };
  let quality = 0;
  for (let i = 0; i < rec.length; i++) {
    sample.t = rec.t[i]!;
    sample.seq = rec.seq[i]!;
    sample.clock = rec.clock[i]!;
    for (let c = 0; c < nch; c++) sample.values[c] = rec.values[i * nch + c]!;
    const out = pipeline.step(sample);
    if (out !== null) {
      quality |= out.quality;
      for (let k = 0; k < out.findings.length; k++) sink(out.n, out.findings[k]!);
    }
  }
  let out = pipeline.flush();
  while (out !== null) {
    quality |= out.quality;
    for (let k = 0; k < out.findings.length; k++) sink(out.n, out.findings[k]!);
    out = pipeline.flush();
  }
  return quality;
}

// Small helpers for the edge tests: step rows through a pipeline and keep a copy of every output.
import { createPipeline, type EdgeOutput, type Finding, type Profile } from '@meterchain/edge';

export interface Row {
  t: number;
  values: number[];
  seq?: number;
  clock?: number;
}

export interface Kept {
  n: number;
  t: number;
  quality: number;
  raw: number[];
  filtered: number[] | null;
  isFiltered: number[];
  findings: Finding[];
}

function keep(out: EdgeOutput): Kept {
  return {
    n: out.n,
    t: out.t,
    quality: out.quality,
    raw: Array.prototype.slice.call(out.raw) as number[],
    filtered: out.filtered === null ? null : (Array.prototype.slice.call(out.filtered) as number[]),
    isFiltered: Array.prototype.slice.call(out.isFiltered) as number[],
    findings: out.findings.slice(),
  };
}

/** Runs `rows` through the profile's pipeline for `channels` and returns every output, flushed. */
export function runRows(profile: Profile, channels: string[], rows: Row[]): Kept[] {
  const p = createPipeline(profile, channels);
  const kept: Kept[] = [];
  for (const r of rows) {
    const out = p.step({ t: r.t, seq: r.seq ?? -1, clock: r.clock ?? 0, values: Float64Array.from(r.values) });
    if (out) kept.push(keep(out));
  }
  for (let out = p.flush(); out; out = p.flush()) kept.push(keep(out));
  return kept;
}

/** Rows one minute apart starting at t0 from a list of value arrays. */
export function minutes(values: number[][], t0 = 1_166_289_840_000): Row[] {
  return values.map((v, i) => ({ t: t0 + i * 60_000, values: v }));
}

/** "check@n" for each finding, in output order. */
export function found(kept: Kept[]): string[] {
  const list: string[] = [];
  for (const k of kept) for (const f of k.findings) list.push(`${f.check}@${k.n}`);
  return list;
}

/** A profile with only the time settings and the given parts (for testing one check at a time). */
export function onlyProfile(channels: string[], parts: Partial<Profile>): Profile {
  return { name: 'test', channels, time: { interval_ms: 0, gap_factor: 1.5, sequence_modulo: 0 }, ...parts };
}

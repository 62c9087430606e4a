// Seeded synthetic faults of every check class, injected into a recording, and the rates at which the pipeline
// finds them: detection per class, and findings on the rows no fault touched (false findings). Portable: the
// randomness is a seeded xorshift32, so one seed gives one report on every platform.
import { roundHalfAway, xorshift32 } from '@meterchain/core';
import { createPipeline } from './pipeline.ts';
import type { Profile } from './profile.ts';
import { replay, type Recording } from './recording.ts';
import { copyFloat64, copyInt32, copyUint8, edgeError } from './types.ts';

export interface FaultClassReport {
  /** The fault injected, named after the check class that must find it. */
  fault: string;
  /** The finding (check name) that counts as finding it. */
  check: string;
  /** What was done to the data. */
  how: string;
  events: number;
  detected: number;
  rate: number;
  /** Rows of the recording given (its `origin` indices) where the events not found were judged. */
  missed: number[];
}

export interface InjectionReport {
  seed: number;
  classes: FaultClassReport[];
  /** Classes the recording cannot carry (no channel for them), with why. */
  notApplicable: { fault: string; reason: string }[];
  /** Channels made up for the injection (e.g. an energy register integrated from active power). */
  synthetic: string[];
  /** Replays run (one per class, one per rollover event). */
  passes: number;
  /** Rows outside every injected fault's reach (summed over all passes), and how many of them had a finding. */
  cleanRows: number;
  falseFindings: number;
  falseRate: number;
}

/** What a class needs to inject: the recording being edited, the chosen event, and randomness. */
interface Edit {
  rec: Recording;
  rand: () => number;
  /** Per original row: 0 keep, 1 drop, 2 keep and repeat once (a duplicate). */
  shape: Uint8Array;
  interval: number;
}

interface FaultClass {
  fault: string;
  check: string;
  /** A finding of this check on the event's rows means the fault was misread (a rollover taken for a rollback). */
  forbidden: string;
  how: string;
  /** Rows the event spans. */
  span(ctx: Context, rand: () => number): number;
  /** Rows after the event whose findings still belong to it (a step back, a ROCOF comparison window). */
  after(ctx: Context): number;
  /** Applies the fault at rows [i, i + span - 1]. */
  apply(ctx: Context, edit: Edit, i: number, span: number): void;
  /** One event per pass (a rollover can happen once without a jump). */
  single: boolean;
  /** Why the class cannot be injected here, or '' when it can. */
  missing(ctx: Context): string;
}

interface Context {
  profile: Profile;
  channels: string[];
  nch: number;
  /** Channels with a rule of each kind, as indices. */
  limits: number[];
  rate: number[];
  spike: number[];
  stuck: number[];
  energy: number[];
  physics: { v: number; i: number; p: number; q: number; s: number }[];
  phaseSum: { total: number; parts: number[]; abs: number; rel: number }[];
  frequency: number;
  rocof: number;
  window: number;
}

function pick<T>(list: T[], rand: () => number): T {
  return list[Math.min(list.length - 1, Math.floor(rand() * list.length))]!;
}

function between(lo: number, hi: number, rand: () => number): number {
  return lo + (hi - lo) * rand();
}

function at(rec: Recording, row: number, c: number): number {
  return rec.values[row * rec.channels.length + c]!;
}

function put(rec: Recording, row: number, c: number, x: number): void {
  rec.values[row * rec.channels.length + c] = x;
}

function indexOf(ctx: Context, name: string | undefined): number {
  return name === undefined ? -1 : ctx.channels.indexOf(name);
}

function keysPresent(ctx: Context, map: Record<string, unknown> | undefined): number[] {
  const out: number[] = [];
  if (map === undefined || map === null) return out;
  for (const name of Object.keys(map)) {
    const c = ctx.channels.indexOf(name);
    if (c >= 0) out.push(c);
  }
  return out;
}

function none(list: number[], what: string): string {
  return list.length === 0 ? `no channel with a ${what} rule in the recording` : '';
}

/** Reach after an edit of channel values: a frequency value also enters the next ROCOF comparison window. */
function valueAfter(ctx: Context): number {
  return ctx.frequency >= 0 ? ctx.window + 1 : 1;
}

const FAULTS: FaultClass[] = [
  {
    fault: 'limits',
    check: 'limits',
    forbidden: '',
    how: 'one sample 5-50 % of the band beyond a limit',
    after: valueAfter,
    single: false,
    missing: (ctx) => none(ctx.limits, 'limits'),
    span: () => 1,
    apply(ctx, edit, i) {
      const c = pick(ctx.limits, edit.rand);
      const spec = ctx.profile.limits![ctx.channels[c]!]!;
      const lo = spec.min ?? -Infinity;
      const hi = spec.max ?? Infinity;
      const width = lo > -Infinity && hi < Infinity ? hi - lo : Math.abs(lo > -Infinity ? lo : hi) + 1;
      const over = between(0.05, 0.5, edit.rand) * width;
      const up = hi < Infinity && (lo === -Infinity || edit.rand() < 0.5);
      put(edit.rec, i, c, up ? hi + over : lo - over);
    },
  },
  {
    fault: 'rate-of-change',
    check: 'rate-of-change',
    forbidden: '',
    how: 'a level shift of 1.2-2 × the allowed step, held for 3-8 samples',
    after: valueAfter,
    single: false,
    missing: (ctx) => none(ctx.rate, 'rate_of_change'),
    span: (_ctx, rand) => 3 + Math.floor(rand() * 6),
    apply(ctx, edit, i, span) {
      const c = pick(ctx.rate, edit.rand);
      const spec = ctx.profile.rate_of_change![ctx.channels[c]!]!;
      const step = spec.max_step ?? (spec.max_rate ?? 0) * (edit.interval / 1000);
      const shift = between(1.2, 2, edit.rand) * step * (edit.rand() < 0.5 ? -1 : 1);
      for (let k = i; k < i + span; k++) put(edit.rec, k, c, at(edit.rec, k, c) + shift);
    },
  },
  {
    fault: 'spike',
    check: 'spike',
    forbidden: '',
    how: 'one sample moved by 2-5 × the larger of the spike threshold and its neighbours\' difference, its companion channel untouched',
    after: valueAfter,
    single: false,
    missing: (ctx) => none(ctx.spike, 'spike'),
    span: () => 1,
    apply(ctx, edit, i) {
      const c = pick(ctx.spike, edit.rand);
      const spec = ctx.profile.spike![ctx.channels[c]!]!;
      const x = at(edit.rec, i, c);
      const prev = at(edit.rec, i - 1, c);
      const next = at(edit.rec, i + 1, c);
      // Sized against the neighbourhood as the check sees it: a sample that stands out from neighbours which
      // themselves differ by more is a step in progress, not an isolated spike.
      const threshold = Math.max(spec.abs, (spec.rel ?? 0) * Math.abs((prev + next) / 2), Math.abs(next - prev));
      const size = between(2, 5, edit.rand) * threshold;
      const lim = ctx.profile.limits === undefined ? undefined : ctx.profile.limits[ctx.channels[c]!];
      const floor = lim === undefined || lim.min === undefined ? -Infinity : lim.min;
      const down = edit.rand() < 0.5 && x - size >= floor;
      put(edit.rec, i, c, down ? x - size : x + size);
    },
  },
  {
    fault: 'stuck',
    check: 'stuck',
    forbidden: '',
    how: 'the channel repeats its last value for 2-3 × the stuck count',
    after: valueAfter,
    single: false,
    missing: (ctx) => none(ctx.stuck, 'stuck'),
    span(ctx) {
      let longest = 0;
      for (const c of ctx.stuck) longest = Math.max(longest, ctx.profile.stuck![ctx.channels[c]!]!.samples);
      return longest * 3;
    },
    apply(ctx, edit, i, span) {
      const c = pick(ctx.stuck, edit.rand);
      const n = ctx.profile.stuck![ctx.channels[c]!]!.samples;
      const length = Math.min(span, n * 2 + Math.floor(edit.rand() * (n + 1)));
      const x = at(edit.rec, i - 1, c);
      for (let k = i; k < i + length; k++) put(edit.rec, k, c, x);
    },
  },
  {
    fault: 'gap',
    check: 'gap',
    forbidden: '',
    how: '1-4 consecutive samples dropped',
    after: () => 0,
    single: false,
    missing: () => '',
    span: (_ctx, rand) => 1 + Math.floor(rand() * 4),
    apply(_ctx, edit, i, span) {
      for (let k = i; k < i + span; k++) edit.shape[k] = 1;
    },
  },
  {
    fault: 'duplicate',
    check: 'duplicate',
    forbidden: '',
    how: 'a sample sent twice',
    after: () => 1,
    single: false,
    missing: () => '',
    span: () => 1,
    apply(_ctx, edit, i) {
      edit.shape[i] = 2;
    },
  },
  {
    fault: 'time-backwards',
    check: 'time-backwards',
    forbidden: '',
    how: 'a timestamp 1-10 intervals before the previous one',
    after: () => 1,
    single: false,
    missing: () => '',
    span: () => 1,
    apply(_ctx, edit, i) {
      edit.rec.t[i] = edit.rec.t[i - 1]! - roundHalfAway(between(1, 10, edit.rand) * edit.interval);
    },
  },
  {
    fault: 'clock-unsynced',
    check: 'clock-unsynced',
    forbidden: 'time-backwards',
    how: '2-10 samples stamped by an unsynced clock running 5-120 s behind, then re-synchronised',
    after: () => 1,
    single: false,
    missing: () => '',
    span: (_ctx, rand) => 2 + Math.floor(rand() * 9),
    apply(_ctx, edit, i, span) {
      const offset = -roundHalfAway(between(5000, 120000, edit.rand));
      for (let k = i; k < i + span; k++) {
        edit.rec.clock[k] = 1;
        edit.rec.t[k] = edit.rec.t[k]! + offset;
      }
    },
  },
  {
    fault: 'energy-rollback',
    check: 'energy-rollback',
    forbidden: '',
    how: 'the register set back, from then on, by 1-10 × the most it can advance in one interval',
    after: () => 1,
    single: false,
    missing: (ctx) => none(ctx.energy, 'energy'),
    span: () => 1,
    apply(ctx, edit, i) {
      // A rollback smaller than the sample's own advance leaves the register rising: no monotonic check can see it.
      const c = pick(ctx.energy, edit.rand);
      const spec = ctx.profile.energy![ctx.channels[c]!]!;
      const dtHours = Math.max(edit.rec.t[i]! - edit.rec.t[i - 1]!, edit.interval) / 3600000;
      const back = roundHalfAway(between(1, 10, edit.rand) * (spec.max_power * dtHours + (spec.resolution ?? 0)));
      for (let k = i; k < edit.rec.length; k++) put(edit.rec, k, c, at(edit.rec, k, c) - back);
    },
  },
  {
    fault: 'energy-jump',
    check: 'energy-jump',
    forbidden: '',
    how: 'the register advanced by 2-20 × what full power allows, from then on',
    after: () => 1,
    single: false,
    missing: (ctx) => none(ctx.energy, 'energy'),
    span: () => 1,
    apply(ctx, edit, i) {
      const c = pick(ctx.energy, edit.rand);
      const spec = ctx.profile.energy![ctx.channels[c]!]!;
      const dtHours = Math.max(edit.rec.t[i]! - edit.rec.t[i - 1]!, edit.interval) / 3600000;
      const jump = roundHalfAway(between(2, 20, edit.rand) * (spec.max_power * dtHours + (spec.resolution ?? 0)));
      for (let k = i; k < edit.rec.length; k++) put(edit.rec, k, c, at(edit.rec, k, c) + jump);
    },
  },
  {
    fault: 'energy-rollover',
    check: 'energy-rollover',
    forbidden: 'energy-rollback',
    how: 'the register offset so that it wraps at its modulus within 5 samples (one per pass)',
    after: () => 1,
    single: true,
    missing(ctx) {
      for (const c of ctx.energy) if (ctx.profile.energy![ctx.channels[c]!]!.modulus > 0) return '';
      return 'no energy register with a modulus in the recording';
    },
    span: () => 5,
    apply(ctx, edit, i, span) {
      // The wrap needs a sample on which the register advances (one standing still cannot cross its modulus):
      // the first such sample of the span, on the register with a modulus that advances there.
      let c = -1;
      let j = i;
      for (let k = i; k < i + span && c < 0; k++) {
        for (const r of ctx.energy) {
          if (c < 0 && ctx.profile.energy![ctx.channels[r]!]!.modulus > 0 && at(edit.rec, k, r) - at(edit.rec, k - 1, r) >= 1) {
            c = r;
            j = k;
          }
        }
      }
      if (c < 0) for (const r of ctx.energy) if (ctx.profile.energy![ctx.channels[r]!]!.modulus > 0) c = r;
      const m = ctx.profile.energy![ctx.channels[c]!]!.modulus;
      const before = at(edit.rec, j - 1, c);
      const advance = Math.max(at(edit.rec, j, c) - before, 0);
      // Row j-1 lands 1..advance below the modulus, row j at or past it.
      const below = advance >= 1 ? 1 + Math.floor(edit.rand() * Math.floor(advance)) : 0;
      const offset = m - before - below;
      for (let k = 0; k < edit.rec.length; k++) {
        const e = at(edit.rec, k, c) + offset;
        put(edit.rec, k, c, e - Math.floor(e / m) * m);
      }
    },
  },
  {
    fault: 'physics',
    check: 'physics',
    forbidden: '',
    how: 'active and reactive power scaled by 2-5 or 0-0.05 for 1-3 samples, voltage and current untouched',
    after: () => 1,
    single: false,
    missing: (ctx) => (ctx.physics.length === 0 ? 'no voltage, current and active power of one physics rule in the recording' : ''),
    span: (_ctx, rand) => 1 + Math.floor(rand() * 3),
    apply(ctx, edit, i, span) {
      const r = pick(ctx.physics, edit.rand);
      const factor = edit.rand() < 0.5 ? between(2, 5, edit.rand) : between(0, 0.05, edit.rand);
      for (let k = i; k < i + span; k++) {
        put(edit.rec, k, r.p, at(edit.rec, k, r.p) * factor);
        if (r.q >= 0) put(edit.rec, k, r.q, at(edit.rec, k, r.q) * factor);
        if (r.s >= 0) put(edit.rec, k, r.s, at(edit.rec, k, r.s) * factor);
      }
    },
  },
  {
    fault: 'phase-sum',
    check: 'phase-sum',
    forbidden: '',
    how: 'the total off its phases by 3-10 × the tolerance for 1-3 samples',
    after: () => 1,
    single: false,
    missing: (ctx) => (ctx.phaseSum.length === 0 ? 'no total with all its phases in the recording' : ''),
    span: (_ctx, rand) => 1 + Math.floor(rand() * 3),
    apply(ctx, edit, i, span) {
      const r = pick(ctx.phaseSum, edit.rand);
      const scale = between(3, 10, edit.rand) * (edit.rand() < 0.5 ? -1 : 1);
      for (let k = i; k < i + span; k++) {
        let mag = 0;
        for (const p of r.parts) mag += Math.abs(at(edit.rec, k, p));
        put(edit.rec, k, r.total, at(edit.rec, k, r.total) + scale * (r.abs + r.rel * mag));
      }
    },
  },
  {
    fault: 'frequency',
    check: 'frequency',
    forbidden: '',
    how: 'frequency 0.1-1 Hz outside the normal band for 1-5 samples',
    after: (ctx) => ctx.window + 1,
    single: false,
    missing: (ctx) => (ctx.frequency < 0 ? 'no frequency channel in the recording' : ''),
    span: (_ctx, rand) => 1 + Math.floor(rand() * 5),
    apply(ctx, edit, i, span) {
      const band = ctx.profile.frequency!.normal;
      const value = edit.rand() < 0.5 ? band[1]! + between(0.1, 1, edit.rand) : band[0]! - between(0.1, 1, edit.rand);
      for (let k = i; k < i + span; k++) put(edit.rec, k, ctx.frequency, value);
    },
  },
  {
    fault: 'rocof',
    check: 'rocof',
    forbidden: '',
    how: 'reported ROCOF off by 0.5-2 Hz/s for 1-2 comparison windows',
    after: (ctx) => ctx.window + 1,
    single: false,
    missing: (ctx) => (ctx.rocof < 0 ? 'no reported ROCOF channel in the recording' : ''),
    span: (ctx, rand) => ctx.window + Math.floor(rand() * (ctx.window + 1)),
    apply(ctx, edit, i, span) {
      const offset = between(0.5, 2, edit.rand) * (edit.rand() < 0.5 ? -1 : 1);
      for (let k = i; k < i + span; k++) put(edit.rec, k, ctx.rocof, at(edit.rec, k, ctx.rocof) + offset);
    },
  },
];

/** Names of the fault classes, in report order. */
export const FAULT_CLASSES: string[] = FAULTS.map((f) => f.fault);

function context(profile: Profile, rec: Recording): Context {
  const ctx: Context = {
    profile,
    channels: rec.channels,
    nch: rec.channels.length,
    limits: [],
    rate: [],
    spike: [],
    stuck: [],
    energy: [],
    physics: [],
    phaseSum: [],
    frequency: -1,
    rocof: -1,
    window: 1,
  };
  ctx.limits = keysPresent(ctx, profile.limits);
  ctx.rate = keysPresent(ctx, profile.rate_of_change);
  ctx.spike = keysPresent(ctx, profile.spike);
  ctx.stuck = keysPresent(ctx, profile.stuck);
  ctx.energy = keysPresent(ctx, profile.energy);
  for (const r of profile.physics ?? []) {
    const rule = { v: indexOf(ctx, r.voltage), i: indexOf(ctx, r.current), p: indexOf(ctx, r.active), q: indexOf(ctx, r.reactive), s: indexOf(ctx, r.apparent) };
    if (rule.v >= 0 && rule.i >= 0 && rule.p >= 0) ctx.physics.push(rule);
  }
  for (const r of profile.phase_sum ?? []) {
    const parts = r.parts.map((p) => indexOf(ctx, p));
    const total = indexOf(ctx, r.total);
    if (total >= 0 && parts.indexOf(-1) < 0) ctx.phaseSum.push({ total, parts, abs: r.abs, rel: r.rel });
  }
  if (profile.frequency) {
    ctx.frequency = indexOf(ctx, profile.frequency.channel);
    ctx.rocof = ctx.frequency >= 0 ? indexOf(ctx, profile.frequency.rocof) : -1;
    ctx.window = profile.frequency.window;
  }
  return ctx;
}

function copyRecording(rec: Recording): Recording {
  return {
    channels: rec.channels.slice(),
    length: rec.length,
    t: copyFloat64(rec.t),
    seq: copyFloat64(rec.seq),
    clock: copyUint8(rec.clock),
    values: copyFloat64(rec.values),
    origin: copyInt32(rec.origin),
  };
}

/** The usual interval of a recording: the median of its first 1001 steps. */
function typicalInterval(rec: Recording): number {
  const steps: number[] = [];
  for (let i = 1; i < rec.length && steps.length < 1001; i++) {
    const d = rec.t[i]! - rec.t[i - 1]!;
    if (d > 0) steps.push(d);
  }
  if (steps.length === 0) return 1000;
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1]!;
}

/** Adds an energy register integrated from active power (1 Wh steps, from 12 345 678 Wh) when the profile checks
 * one that the recording lacks: real power, synthetic register. Returns its name or ''. */
function withSyntheticRegister(profile: Profile, rec: Recording): { rec: Recording; name: string } {
  const p = rec.channels.indexOf('activePower');
  const energy = profile.energy === undefined || profile.energy === null ? [] : Object.keys(profile.energy);
  let name = '';
  for (const e of energy) if (rec.channels.indexOf(e) < 0 && name === '') name = e;
  if (p < 0 || name === '') return { rec, name: '' };
  for (const e of energy) if (rec.channels.indexOf(e) >= 0) return { rec, name: '' };
  const nch = rec.channels.length;
  const out: Recording = {
    channels: rec.channels.concat([name]),
    length: rec.length,
    t: copyFloat64(rec.t),
    seq: copyFloat64(rec.seq),
    clock: copyUint8(rec.clock),
    values: new Float64Array(rec.length * (nch + 1)),
    origin: copyInt32(rec.origin),
  };
  let wh = 12345678;
  for (let i = 0; i < rec.length; i++) {
    for (let c = 0; c < nch; c++) out.values[i * (nch + 1) + c] = rec.values[i * nch + c]!;
    const w = rec.values[i * nch + p]!;
    const dt = i > 0 ? rec.t[i]! - rec.t[i - 1]! : 0;
    if (w === w && dt > 0) wh += (Math.max(w, 0) * dt) / 3600000;
    out.values[i * (nch + 1) + nch] = w === w ? Math.floor(wh) : NaN;
  }
  return { rec: out, name };
}

/** True when rows [from, to] are inside the recording and carry every value. */
function complete(rec: Recording, from: number, to: number): boolean {
  if (from < 1 || to >= rec.length) return false;
  const nch = rec.channels.length;
  for (let k = from * nch; k < (to + 1) * nch; k++) if (rec.values[k] !== rec.values[k]) return false;
  return true;
}

/** Places up to `count` events of `fc`, one per equal segment of the recording, clear of missing values. */
function placeEvents(fc: FaultClass, ctx: Context, rec: Recording, count: number, rand: () => number): { i: number; span: number }[] {
  const placed: { i: number; span: number }[] = [];
  const segment = Math.floor(rec.length / count);
  const margin = Math.max(4, ctx.window + 2);
  for (let s = 0; s < count; s++) {
    const span = fc.span(ctx, rand);
    const room = segment - span - fc.after(ctx) - 2 * margin;
    if (room < 1) continue;
    for (let attempt = 0; attempt < 20; attempt++) {
      const i = s * segment + margin + Math.floor(rand() * room);
      if (complete(rec, i - margin, i + span + fc.after(ctx) + margin - 1)) {
        placed.push({ i, span });
        break;
      }
    }
  }
  return placed;
}

/** Builds the edited recording after the row shape (drops, repeats) and maps original rows to new positions. */
function reshape(rec: Recording, shape: Uint8Array): { rec: Recording; position: Int32Array } {
  let length = 0;
  for (let i = 0; i < rec.length; i++) length += shape[i] === 1 ? 0 : shape[i] === 2 ? 2 : 1;
  const nch = rec.channels.length;
  const out: Recording = {
    channels: rec.channels.slice(),
    length,
    t: new Float64Array(length),
    seq: new Float64Array(length),
    clock: new Uint8Array(length),
    values: new Float64Array(length * nch),
    origin: new Int32Array(length),
  };
  const position = new Int32Array(rec.length + 1);
  let j = 0;
  for (let i = 0; i < rec.length; i++) {
    position[i] = j;
    const times = shape[i] === 1 ? 0 : shape[i] === 2 ? 2 : 1;
    for (let r = 0; r < times; r++) {
      out.t[j] = rec.t[i]!;
      out.seq[j] = rec.seq[i]!;
      out.clock[j] = rec.clock[i]!;
      for (let c = 0; c < nch; c++) out.values[j * nch + c] = rec.values[i * nch + c]!;
      out.origin[j] = rec.origin[i]!;
      j++;
    }
  }
  position[rec.length] = j;
  return { rec: out, position };
}

interface PassResult {
  events: number;
  detected: number;
  missed: number[];
  clean: number;
  falseRows: number;
}

/** Rows either side of a lone event whose findings count towards the false-finding rate (a pass per rollover would
 * otherwise count the same clean rows once per event). */
const LONE_EVENT_REACH = 100;

function runPass(fc: FaultClass, ctx: Context, base: Recording, placed: { i: number; span: number }[], rand: () => number, interval: number, gapRows: Uint8Array): PassResult {
  const rec = copyRecording(base);
  const edit: Edit = { rec, rand, shape: new Uint8Array(rec.length), interval };
  for (const e of placed) fc.apply(ctx, edit, e.i, e.span);
  const shaped = reshape(rec, edit.shape);
  const out = shaped.rec;
  const pos = shaped.position;
  const flagged = new Uint8Array(out.length);
  const expected = new Uint8Array(out.length);
  const forbidden = new Uint8Array(out.length);
  replay(createPipeline(ctx.profile, out.channels), out, (n, f) => {
    flagged[n] = 1;
    if (f.check === fc.check) expected[n] = 1;
    if (f.check === fc.forbidden) forbidden[n] = 1;
  });
  const reach = new Uint8Array(out.length);
  const result: PassResult = { events: placed.length, detected: 0, missed: [], clean: 0, falseRows: 0 };
  for (const e of placed) {
    // In the new positions: a dropped run is judged on the sample after it; a repeat on the copy.
    const first = pos[e.i]!;
    const last = edit.shape[e.i] === 2 ? first + 1 : Math.max(pos[e.i + e.span]! - 1, first);
    const judgedFirst = edit.shape[e.i] === 1 ? pos[e.i + e.span]! : edit.shape[e.i] === 2 ? first + 1 : first;
    const judgedLast = edit.shape[e.i] === 1 ? judgedFirst : last;
    let found = false;
    let misread = false;
    for (let n = judgedFirst; n <= judgedLast && n < out.length; n++) {
      if (expected[n] === 1) found = true;
      if (forbidden[n] === 1) misread = true;
    }
    if (found && !misread) result.detected++;
    else result.missed.push(out.origin[Math.min(judgedFirst, out.length - 1)]!);
    for (let n = first; n <= judgedLast + fc.after(ctx) && n < out.length; n++) reach[n] = 1;
  }
  let from = 0;
  let to = out.length - 1;
  if (fc.single && placed.length === 1) {
    from = Math.max(0, pos[placed[0]!.i]! - LONE_EVENT_REACH);
    to = Math.min(out.length - 1, pos[placed[0]!.i]! + LONE_EVENT_REACH);
  }
  for (let n = from; n <= to; n++) {
    const o = out.origin[n]!;
    if (reach[n] === 1 || (o >= 0 && gapRows[o] === 1)) continue;
    result.clean++;
    if (flagged[n] === 1) result.falseRows++;
  }
  return result;
}

export interface InjectionOptions {
  /** Events per fault class (default 25): one per equal segment of the recording. */
  eventsPerClass?: number;
  /** Only these classes (default: all). */
  only?: string[];
}

/**
 * Injects seeded faults of every class the recording's channels allow, one pass per class (one pass per event for
 * rollovers), and reports what the profile's pipeline found. A class is detected on an event when its check raises a
 * finding on the event's samples (and a rollover is not taken for a rollback, an unsynced clock's step not for
 * time going backwards). Rows outside every event's reach that had a finding are false findings; rows with no values
 * in the source (real gaps) are left out of that count.
 */
export function runInjection(profile: Profile, source: Recording, seed: number, options?: InjectionOptions): InjectionReport {
  if (!(Math.floor(seed) === seed && seed >= 0)) throw edgeError('EDGE_CONFIG', `injection: seed must be a whole number >= 0, got ${seed}`);
  const count = options !== undefined && options.eventsPerClass !== undefined ? options.eventsPerClass : 25;
  const only = options !== undefined && options.only !== undefined ? options.only : FAULT_CLASSES;
  const synth = withSyntheticRegister(profile, source);
  const base = synth.rec;
  const ctx = context(profile, base);
  const interval = typicalInterval(base);
  const gapRows = new Uint8Array(source.length);
  const nch = source.channels.length;
  for (let i = 0; i < source.length; i++) {
    let missing = 0;
    for (let c = 0; c < nch; c++) if (source.values[i * nch + c] !== source.values[i * nch + c]) missing++;
    if (missing === nch) gapRows[i] = 1;
  }
  const report: InjectionReport = { seed, classes: [], notApplicable: [], synthetic: [], passes: 0, cleanRows: 0, falseFindings: 0, falseRate: 0 };
  if (synth.name !== '') report.synthetic.push(`${synth.name}: register integrated from activePower (1 Wh steps)`);
  const rand = xorshift32(seed);
  for (const fc of FAULTS) {
    if (only.indexOf(fc.fault) < 0) continue;
    const why = fc.missing(ctx);
    if (why !== '') {
      report.notApplicable.push({ fault: fc.fault, reason: why });
      continue;
    }
    const placed = placeEvents(fc, ctx, base, count, rand);
    const passes = fc.single ? placed.map((e) => [e]) : [placed];
    const row: FaultClassReport = { fault: fc.fault, check: fc.check, how: fc.how, events: 0, detected: 0, rate: 0, missed: [] };
    for (const events of passes) {
      const r = runPass(fc, ctx, base, events, rand, interval, gapRows);
      report.passes++;
      row.events += r.events;
      row.detected += r.detected;
      for (const m of r.missed) row.missed.push(m);
      report.cleanRows += r.clean;
      report.falseFindings += r.falseRows;
    }
    row.rate = row.events === 0 ? 0 : row.detected / row.events;
    report.classes.push(row);
  }
  report.falseRate = report.cleanRows === 0 ? 0 : report.falseFindings / report.cleanRows;
  return report;
}

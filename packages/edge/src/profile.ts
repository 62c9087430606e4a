// Device profiles: which checks and filters a kind of meter runs, with what tolerances. Profiles are written in
// YAML (packages/edge/profiles/*.yaml, checked by profile.schema.json on Node); this module takes the parsed
// object, checks what it uses, and builds the checks for the channels a device actually reports.
import { energyCheck, type EnergyRule } from './checks/energy.ts';
import { frequencyCheck } from './checks/frequency.ts';
import { limitsCheck, type LimitRule } from './checks/limits.ts';
import { phaseSumCheck, type PhaseSumRule } from './checks/phase-sum.ts';
import { physicsCheck, type PhysicsRule } from './checks/physics.ts';
import { rateCheck, type RateRule } from './checks/rate.ts';
import { spikeCheck, type SpikeRule } from './checks/spike.ts';
import { stuckCheck, type StuckRule } from './checks/stuck.ts';
import { timeCheck } from './checks/time.ts';
import { deadbandFilter, emaFilter, hampelFilter, medianFilter, movingAverageFilter } from './filters.ts';
import { edgeError, type Check, type Filter } from './types.ts';

export interface LimitSpec {
  min?: number;
  max?: number;
}
export interface RateSpec {
  max_step?: number;
  max_rate?: number;
}
export interface SpikeSpec {
  abs: number;
  rel?: number;
  companion?: string;
  companion_floor?: number;
  companion_ratio?: number;
}
export interface StuckSpec {
  samples: number;
  epsilon?: number;
}
export interface EnergySpec {
  modulus: number;
  max_power: number;
  resolution?: number;
}
export interface PhysicsSpec {
  voltage: string;
  current: string;
  active: string;
  reactive?: string;
  apparent?: string;
  power_factor?: string;
  rel_high: number;
  abs_current: number;
  ratio_min: number;
  pf_tolerance?: number;
}
export interface PhaseSumSpec {
  total: string;
  parts: string[];
  abs: number;
  rel: number;
}
export interface FrequencySpec {
  channel: string;
  rocof?: string;
  normal: number[];
  limit: number[];
  rocof_max: number;
  window: number;
  rocof_tolerance?: number;
}
export interface FilterSpec {
  median?: number;
  hampel?: { window: number; k: number; min_deviation?: number };
  ema?: number;
  moving_average?: number;
  deadband?: number;
}

/** A device profile as parsed from its YAML file (snake_case keys, as written there). */
export interface Profile {
  name: string;
  description?: string;
  /** The channels a device of this kind may report, in SI units. */
  channels: string[];
  time?: { interval_ms?: number; gap_factor?: number; sequence_modulo?: number };
  limits?: Record<string, LimitSpec>;
  rate_of_change?: Record<string, RateSpec>;
  spike?: Record<string, SpikeSpec>;
  stuck?: Record<string, StuckSpec>;
  energy?: Record<string, EnergySpec>;
  physics?: PhysicsSpec[];
  phase_sum?: PhaseSumSpec[];
  frequency?: FrequencySpec;
  filters?: Record<string, FilterSpec[]>;
}

function bad(profile: string, path: string, expected: string, got: unknown): Error {
  let text: string;
  try {
    text = JSON.stringify(got);
  } catch (e) {
    text = String(got);
  }
  return edgeError('EDGE_PROFILE', `profile ${profile}: ${path}: expected ${expected}, got ${text === undefined ? 'nothing' : text}`);
}

function numberAt(profile: string, path: string, x: unknown, min: number): number {
  if (typeof x !== 'number' || x !== x || x < min) throw bad(profile, path, `a number >= ${min}`, x);
  return x;
}

function optionalNumber(profile: string, path: string, x: unknown, min: number, fallback: number): number {
  return x === undefined ? fallback : numberAt(profile, path, x, min);
}

function wholeNumber(profile: string, path: string, x: unknown, min: number): number {
  const n = numberAt(profile, path, x, min);
  if (Math.floor(n) !== n) throw bad(profile, path, 'a whole number', x);
  return n;
}

function entries<T>(x: Record<string, T> | undefined): string[] {
  return x === undefined || x === null ? [] : Object.keys(x);
}

/** Where the channels of a device sit in its samples, and the profile's name for messages. */
interface Layout {
  profile: string;
  /** The profile's own channel list: every name a rule uses must be in it (catches typos in profiles). */
  declared: string[];
  /** The channels the device reports, in sample order. */
  channels: string[];
}

/** Index of a channel in the samples, -1 when the device does not report it. */
function channelOf(layout: Layout, path: string, name: unknown): number {
  if (typeof name !== 'string' || layout.declared.indexOf(name) < 0) {
    throw bad(layout.profile, path, `one of the profile's channels (${layout.declared.join(', ')})`, name);
  }
  return layout.channels.indexOf(name);
}

function limitRules(p: Profile, layout: Layout): LimitRule[] {
  const rules: LimitRule[] = [];
  for (const name of entries(p.limits)) {
    const spec = p.limits![name]!;
    const c = channelOf(layout, `limits.${name}`, name);
    const min = optionalNumber(p.name, `limits.${name}.min`, spec.min, -Infinity, -Infinity);
    const max = optionalNumber(p.name, `limits.${name}.max`, spec.max, -Infinity, Infinity);
    if (min > max) throw bad(p.name, `limits.${name}`, 'min <= max', spec);
    if (c >= 0) rules.push({ channel: c, name, min, max });
  }
  return rules;
}

function rateRules(p: Profile, layout: Layout): RateRule[] {
  const rules: RateRule[] = [];
  for (const name of entries(p.rate_of_change)) {
    const spec = p.rate_of_change![name]!;
    const c = channelOf(layout, `rate_of_change.${name}`, name);
    const maxStep = optionalNumber(p.name, `rate_of_change.${name}.max_step`, spec.max_step, 0, Infinity);
    const maxRate = optionalNumber(p.name, `rate_of_change.${name}.max_rate`, spec.max_rate, 0, Infinity);
    if (c >= 0) rules.push({ channel: c, name, maxStep, maxRate });
  }
  return rules;
}

function spikeRules(p: Profile, layout: Layout): SpikeRule[] {
  const rules: SpikeRule[] = [];
  for (const name of entries(p.spike)) {
    const spec = p.spike![name]!;
    const path = `spike.${name}`;
    const c = channelOf(layout, path, name);
    const abs = numberAt(p.name, `${path}.abs`, spec.abs, 0);
    const rel = optionalNumber(p.name, `${path}.rel`, spec.rel, 0, 0);
    const companion = spec.companion === undefined ? -1 : channelOf(layout, `${path}.companion`, spec.companion);
    const companionFloor = optionalNumber(p.name, `${path}.companion_floor`, spec.companion_floor, 0, 0);
    const companionRatio = optionalNumber(p.name, `${path}.companion_ratio`, spec.companion_ratio, 0, 0.5);
    if (c >= 0) rules.push({ channel: c, name, abs, rel, companion, companionName: spec.companion ?? '', companionFloor, companionRatio });
  }
  return rules;
}

function stuckRules(p: Profile, layout: Layout): StuckRule[] {
  const rules: StuckRule[] = [];
  for (const name of entries(p.stuck)) {
    const spec = p.stuck![name]!;
    const c = channelOf(layout, `stuck.${name}`, name);
    const samples = wholeNumber(p.name, `stuck.${name}.samples`, spec.samples, 2);
    const epsilon = optionalNumber(p.name, `stuck.${name}.epsilon`, spec.epsilon, 0, 0);
    if (c >= 0) rules.push({ channel: c, name, samples, epsilon });
  }
  return rules;
}

function energyRules(p: Profile, layout: Layout): EnergyRule[] {
  const rules: EnergyRule[] = [];
  for (const name of entries(p.energy)) {
    const spec = p.energy![name]!;
    const c = channelOf(layout, `energy.${name}`, name);
    const modulus = numberAt(p.name, `energy.${name}.modulus`, spec.modulus, 0);
    const maxPower = numberAt(p.name, `energy.${name}.max_power`, spec.max_power, 0);
    const resolution = optionalNumber(p.name, `energy.${name}.resolution`, spec.resolution, 0, 0);
    if (c >= 0) rules.push({ channel: c, name, modulus, maxPower, resolution });
  }
  return rules;
}

function physicsRules(p: Profile, layout: Layout): PhysicsRule[] {
  const rules: PhysicsRule[] = [];
  const specs = p.physics ?? [];
  for (let k = 0; k < specs.length; k++) {
    const s = specs[k]!;
    const path = `physics[${k}]`;
    const rule: PhysicsRule = {
      voltage: channelOf(layout, `${path}.voltage`, s.voltage),
      current: channelOf(layout, `${path}.current`, s.current),
      active: channelOf(layout, `${path}.active`, s.active),
      reactive: s.reactive === undefined ? -1 : channelOf(layout, `${path}.reactive`, s.reactive),
      apparent: s.apparent === undefined ? -1 : channelOf(layout, `${path}.apparent`, s.apparent),
      powerFactor: s.power_factor === undefined ? -1 : channelOf(layout, `${path}.power_factor`, s.power_factor),
      activeName: s.active,
      apparentName: s.apparent ?? '',
      powerFactorName: s.power_factor ?? '',
      relHigh: numberAt(p.name, `${path}.rel_high`, s.rel_high, 0),
      absCurrent: numberAt(p.name, `${path}.abs_current`, s.abs_current, 0),
      ratioMin: numberAt(p.name, `${path}.ratio_min`, s.ratio_min, 0),
      pfTolerance: optionalNumber(p.name, `${path}.pf_tolerance`, s.pf_tolerance, 0, 0.05),
    };
    // A rule needs V, I and P; without them it has nothing to compare.
    if (rule.voltage >= 0 && rule.current >= 0 && rule.active >= 0) rules.push(rule);
  }
  return rules;
}

function phaseSumRules(p: Profile, layout: Layout): PhaseSumRule[] {
  const rules: PhaseSumRule[] = [];
  const specs = p.phase_sum ?? [];
  for (let k = 0; k < specs.length; k++) {
    const s = specs[k]!;
    const path = `phase_sum[${k}]`;
    const total = channelOf(layout, `${path}.total`, s.total);
    if (!Array.isArray(s.parts) || s.parts.length < 2) throw bad(p.name, `${path}.parts`, 'a list of at least two channels', s.parts);
    const parts: number[] = [];
    for (let j = 0; j < s.parts.length; j++) parts.push(channelOf(layout, `${path}.parts[${j}]`, s.parts[j]));
    const abs = numberAt(p.name, `${path}.abs`, s.abs, 0);
    const rel = numberAt(p.name, `${path}.rel`, s.rel, 0);
    if (total >= 0 && parts.indexOf(-1) < 0) rules.push({ total, name: s.total, parts, abs, rel });
  }
  return rules;
}

function band(profile: string, path: string, x: unknown): number[] {
  if (!Array.isArray(x) || x.length !== 2) throw bad(profile, path, '[min, max]', x);
  const lo = numberAt(profile, `${path}[0]`, x[0], -Infinity);
  const hi = numberAt(profile, `${path}[1]`, x[1], lo);
  return [lo, hi];
}

function frequencyChecks(p: Profile, layout: Layout): Check<unknown>[] {
  const f = p.frequency;
  if (f === undefined || f === null) return [];
  const c = channelOf(layout, 'frequency.channel', f.channel);
  const normal = band(p.name, 'frequency.normal', f.normal);
  const limit = band(p.name, 'frequency.limit', f.limit);
  const rocofMax = numberAt(p.name, 'frequency.rocof_max', f.rocof_max, 0);
  const window = wholeNumber(p.name, 'frequency.window', f.window, 1);
  const rocofTolerance = optionalNumber(p.name, 'frequency.rocof_tolerance', f.rocof_tolerance, 0, 0.1);
  const rocof = f.rocof === undefined ? -1 : channelOf(layout, 'frequency.rocof', f.rocof);
  if (c < 0) return [];
  return [
    frequencyCheck({
      frequency: c,
      frequencyName: f.channel,
      rocof,
      rocofName: f.rocof ?? f.channel,
      normalMin: normal[0]!,
      normalMax: normal[1]!,
      limitMin: limit[0]!,
      limitMax: limit[1]!,
      rocofMax,
      window,
      rocofTolerance,
    }) as Check<unknown>,
  ];
}

/** Builds the checks a profile asks for, restricted to the channels present in `channels`. Throws (code
 * EDGE_PROFILE) on a profile that is not well formed, naming the path of the offending value. */
export function profileChecks(p: Profile, channels: string[]): Check<unknown>[] {
  if (p === null || typeof p !== 'object' || typeof p.name !== 'string') throw edgeError('EDGE_PROFILE', 'profile: expected an object with a name');
  if (!Array.isArray(p.channels)) throw bad(p.name, 'channels', 'a list of channel names', p.channels);
  const layout: Layout = { profile: p.name, declared: p.channels, channels };
  const t = p.time ?? {};
  const checks: Check<unknown>[] = [
    timeCheck({
      intervalMs: optionalNumber(p.name, 'time.interval_ms', t.interval_ms, 0, 0),
      gapFactor: optionalNumber(p.name, 'time.gap_factor', t.gap_factor, 1, 1.5),
      seqModulo: optionalNumber(p.name, 'time.sequence_modulo', t.sequence_modulo, 0, 0),
    }) as Check<unknown>,
  ];
  const limits = limitRules(p, layout);
  if (limits.length > 0) checks.push(limitsCheck(limits) as Check<unknown>);
  const rate = rateRules(p, layout);
  if (rate.length > 0) checks.push(rateCheck(rate) as Check<unknown>);
  const spike = spikeRules(p, layout);
  if (spike.length > 0) checks.push(spikeCheck(spike) as Check<unknown>);
  const stuck = stuckRules(p, layout);
  if (stuck.length > 0) checks.push(stuckCheck(stuck) as Check<unknown>);
  const energy = energyRules(p, layout);
  if (energy.length > 0) checks.push(energyCheck(energy) as Check<unknown>);
  const physics = physicsRules(p, layout);
  if (physics.length > 0) checks.push(physicsCheck(physics) as Check<unknown>);
  const phaseSum = phaseSumRules(p, layout);
  if (phaseSum.length > 0) checks.push(phaseSumCheck(phaseSum) as Check<unknown>);
  const frequency = frequencyChecks(p, layout);
  for (const c of frequency) checks.push(c);
  return checks;
}

function oneFilter(p: Profile, path: string, spec: FilterSpec): Filter<unknown> {
  if (spec === null || typeof spec !== 'object') throw bad(p.name, path, 'a filter such as {median: 5}', spec);
  const kinds = Object.keys(spec);
  if (kinds.length !== 1) throw bad(p.name, path, 'exactly one of median, hampel, ema, moving_average, deadband', spec);
  const kind = kinds[0]!;
  if (kind === 'median') return medianFilter(wholeNumber(p.name, `${path}.median`, spec.median, 1)) as Filter<unknown>;
  if (kind === 'moving_average') return movingAverageFilter(wholeNumber(p.name, `${path}.moving_average`, spec.moving_average, 1)) as Filter<unknown>;
  if (kind === 'ema') return emaFilter(numberAt(p.name, `${path}.ema`, spec.ema, 0)) as Filter<unknown>;
  if (kind === 'deadband') return deadbandFilter(numberAt(p.name, `${path}.deadband`, spec.deadband, 0)) as Filter<unknown>;
  if (kind === 'hampel') {
    const h = spec.hampel!;
    if (h === null || typeof h !== 'object') throw bad(p.name, `${path}.hampel`, '{window, k, min_deviation}', h);
    return hampelFilter(
      wholeNumber(p.name, `${path}.hampel.window`, h.window, 3),
      numberAt(p.name, `${path}.hampel.k`, h.k, 0),
      optionalNumber(p.name, `${path}.hampel.min_deviation`, h.min_deviation, 0, 0),
    ) as Filter<unknown>;
  }
  throw bad(p.name, path, 'one of median, hampel, ema, moving_average, deadband', kind);
}

/** Filter chains per channel index (empty arrays for unfiltered channels). */
export function profileFilters(p: Profile, channels: string[]): Filter<unknown>[][] {
  const chains: Filter<unknown>[][] = [];
  for (let c = 0; c < channels.length; c++) chains.push([]);
  for (const name of entries(p.filters)) {
    const list = p.filters![name]!;
    if (!Array.isArray(list)) throw bad(p.name, `filters.${name}`, 'a list of filters', list);
    if (p.channels.indexOf(name) < 0) throw bad(p.name, `filters.${name}`, `one of the profile's channels (${p.channels.join(', ')})`, name);
    const c = channels.indexOf(name);
    for (let k = 0; k < list.length; k++) {
      const f = oneFilter(p, `filters.${name}[${k}]`, list[k]!);
      if (c >= 0) chains[c]!.push(f);
    }
  }
  return chains;
}

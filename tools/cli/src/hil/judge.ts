// The verdict on a run: each reading classed against the truth (expected values, a clean reference, invariants),
// and the scenario's pass criteria checked. Pure: a run's record in, a verdict out.
import { qualityNames } from '@meterchain/core';
import { faultWindow, type Fault } from './faults.ts';
import type { ExpectedValues, Scenario } from './scenario.ts';

export interface ChannelValue {
  id: string;
  unit: string;
  scale: number;
  value: number | null;
}

export interface RecordedReading {
  slot: number;
  /** When it was taken, ms from the start of the run (the lab's clock, on which faults are scheduled). */
  t: number;
  /** The node's timestamp of the slot, ms from the start of the run on the node's clock (which may jump). */
  stamp: number;
  channels: ChannelValue[];
  quality: number;
  /** Which member took it (cluster scenarios). */
  member?: number;
  /** The cluster's outcome for it (cluster scenarios): accepted, rejected, or not enough votes. */
  outcome?: string;
}

export interface RecordedGap {
  fromSlot: number;
  toSlot: number;
  reason: string;
}

/** exact: every channel within tolerance; flagged: not exact but flagged; wrong: not exact and unflagged. */
export type ReadingClass = 'exact' | 'flagged' | 'wrong';

export interface ClassedReading extends RecordedReading {
  class: ReadingClass;
  /** Why it is not exact (the first channel off, with expected and got). */
  why?: string;
}

export interface Criterion {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verdict {
  pass: boolean;
  criteria: Criterion[];
  readings: ClassedReading[];
  /** Truth used, for the report. */
  truth: string;
}

const quantity = (c: ChannelValue): number | null => (c.value === null ? null : c.value * Math.pow(10, c.scale));

function format(value: number, unit: string): string {
  return `${Number(value.toPrecision(10))} ${unit}`.trim();
}

/** The first channel of `reading` off the expected values, or null when all are within tolerance. */
function offExpected(reading: RecordedReading, expected: ExpectedValues): string | null {
  for (const [id, want] of Object.entries(expected.channels)) {
    const got = reading.channels.find((c) => c.id === id);
    const q = got ? quantity(got) : null;
    const unit = want.unit ?? got?.unit ?? '';
    if (q === null) return `${id} missing, expected ${format(want.value, unit)} ± ${want.tolerance}`;
    // Half a unit of the last digit the device reports is within any stated tolerance (no false alarm on rounding).
    const slack = got ? Math.pow(10, got.scale) / 2 : 0;
    if (Math.abs(q - want.value) > want.tolerance + slack + 1e-12) return `${id} = ${format(q, unit)}, expected ${format(want.value, unit)} ± ${want.tolerance}`;
  }
  return null;
}

function offReference(reading: RecordedReading, reference: RecordedReading): string | null {
  for (const want of reference.channels) {
    const got = reading.channels.find((c) => c.id === want.id);
    if (!got || got.value !== want.value || got.scale !== want.scale) {
      const shown = (c: ChannelValue | undefined) => (c === undefined || quantity(c) === null ? 'missing' : format(quantity(c)!, c.unit));
      return `${want.id} = ${shown(got)}, reference ${shown(want)}`;
    }
  }
  return null;
}

const isEnergy = (c: ChannelValue) => /Wh$|varh$/i.test(c.unit);

/** Invariants over an unflagged reading given the previous unflagged one. */
function breaksInvariant(reading: RecordedReading, previous: RecordedReading | undefined, invariants: string[]): string | null {
  if (invariants.includes('energy-monotonic') && previous) {
    for (const c of reading.channels.filter(isEnergy)) {
      const before = previous.channels.find((p) => p.id === c.id);
      const now = quantity(c);
      const then = before ? quantity(before) : null;
      if (now !== null && then !== null && now < then) return `${c.id} went backwards: ${format(then, c.unit)} then ${format(now, c.unit)}`;
    }
  }
  if (invariants.includes('power-within-apparent')) {
    // |P| ≤ V·I per phase, within 2 % (the meter's own accuracy class and rounding).
    const phases: [string, string, string][] = [['1-0:32.7.0', '1-0:31.7.0', '1-0:36.7.0'], ['1-0:52.7.0', '1-0:51.7.0', '1-0:56.7.0'], ['1-0:72.7.0', '1-0:71.7.0', '1-0:76.7.0']];
    for (const [v, i, p] of phases) {
      const get = (id: string) => {
        const c = reading.channels.find((x) => x.id === id);
        return c ? quantity(c) : null;
      };
      const V = get(v);
      const I = get(i);
      const P = get(p);
      if (V === null || I === null || P === null) continue;
      if (Math.abs(P) > V * Math.abs(I) * 1.02 + 1) return `${p} = ${format(P, 'W')} exceeds V·I = ${format(V * Math.abs(I), 'VA')}`;
    }
  }
  return null;
}

/** Classes every reading and checks the scenario's criteria. `slots` is how many slots the run had. */
export function judge(scenario: Scenario, readings: RecordedReading[], gaps: RecordedGap[], slots: number, extra: Criterion[] = []): Verdict {
  const endMs = scenario.periodMs * scenario.samples;
  const windows = scenario.faults.map((f) => faultWindow(f, endMs));
  const firstFault = Math.min(endMs, ...windows.map((w) => w.from));
  const lastFaultEnd = Math.max(0, ...windows.map((w) => w.to));
  const invariants = scenario.expect.invariants ?? [];
  let reference: RecordedReading | undefined;
  let truth = 'invariants only';
  if (scenario.expected) truth = `expected values (${Object.keys(scenario.expected.channels).length} channels with tolerances)`;
  else if (scenario.expect.reference === 'first-clean') {
    // Before the first fault; failing that (a busy machine lost the first slots), the first outside every fault. A
    // device that holds still shows the same values in each: a wrong one taken as reference fails every other.
    reference = readings.find((r) => r.quality === 0 && r.t < firstFault) ?? readings.find((r) => r.quality === 0 && !inFault(scenario.faults, r.t, endMs));
    truth = reference ? `the first clean reading outside the faults (slot ${reference.slot}), exact` : 'no clean reading outside the faults';
  }
  if (invariants.length > 0) truth += `; invariants: ${invariants.join(', ')}`;
  const classed: ClassedReading[] = [];
  const lastUnflagged = new Map<number | undefined, RecordedReading>();
  for (const r of readings) {
    let why: string | null = null;
    if (scenario.expected) why = offExpected(r, scenario.expected);
    else if (reference) why = offReference(r, reference);
    else if (scenario.expect.reference === 'first-clean') why = 'no reference to compare with';
    if (why === null && r.quality === 0) why = breaksInvariant(r, lastUnflagged.get(r.member), invariants);
    if (r.quality === 0) lastUnflagged.set(r.member, r);
    const cls: ReadingClass = why === null ? 'exact' : r.quality !== 0 ? 'flagged' : 'wrong';
    classed.push(why === null ? { ...r, class: cls } : { ...r, class: cls, why });
  }
  const criteria: Criterion[] = [];
  if (scenario.expect.reference === 'first-clean' && !scenario.expected) {
    criteria.push({ name: 'clean reference', ok: reference !== undefined, detail: reference ? `slot ${reference.slot}` : 'no unflagged reading outside the faults' });
  }
  const wrong = classed.filter((r) => r.class === 'wrong');
  criteria.push({
    name: 'no wrong value accepted unflagged',
    ok: wrong.length === 0,
    detail: wrong.length === 0 ? `${classed.length} readings: ${classed.filter((r) => r.class === 'exact').length} exact, ${classed.filter((r) => r.class === 'flagged').length} flagged` : `${wrong.length} unflagged reading(s) wrong; first: slot ${wrong[0]!.slot}${wrong[0]!.member !== undefined ? ` of member ${wrong[0]!.member}` : ''}: ${wrong[0]!.why}`,
  });
  if (readings.some((r) => r.outcome !== undefined)) {
    const taken = classed.filter((r) => r.class !== 'exact' && r.outcome === 'accepted');
    criteria.push({ name: 'no wrong value accepted by the vote', ok: taken.length === 0, detail: taken.length === 0 ? `${classed.filter((r) => r.outcome === 'accepted').length} accepted readings, all exact` : `member ${taken[0]!.member} slot ${taken[0]!.slot}: ${taken[0]!.why}` });
  }
  const gapSlots = gaps.reduce((n, g) => n + g.toSlot - g.fromSlot + 1, 0);
  const perMember = scenario.cluster ? scenario.cluster.members : 1;
  criteria.push({
    name: 'every slot accounted for',
    ok: readings.length + gapSlots === slots * perMember || scenario.cluster !== undefined,
    detail: `${readings.length} readings + ${gapSlots} slots in ${gaps.length} gap(s) of ${slots * perMember}`,
  });
  // Per member (one node in a plain run): each reading stamped after the one before it.
  let backwards: string | null = null;
  const lastT = new Map<number | undefined, number>();
  for (const r of readings) {
    const before = lastT.get(r.member);
    if (backwards === null && before !== undefined && r.stamp <= before) backwards = `slot ${r.slot} stamped ${r.stamp} ms after one at ${before} ms`;
    lastT.set(r.member, r.stamp);
  }
  criteria.push({ name: 'timestamps always advance', ok: backwards === null, detail: backwards ?? 'no reading stamped at or before the one before it' });
  const exact = classed.filter((r) => r.class === 'exact').length;
  const minExact = scenario.pass.minExact ?? 0.5;
  criteria.push({ name: `at least ${Math.round(minExact * 100)} % of slots exact`, ok: exact >= minExact * slots * perMember, detail: `${exact} of ${slots * perMember} slots (${Math.round((100 * exact) / (slots * perMember))} %)` });
  if (scenario.pass.recovers ?? (scenario.faults.length > 0 && lastFaultEnd < endMs)) {
    const after = classed.find((r) => r.t >= lastFaultEnd && r.class === 'exact' && r.quality === 0);
    criteria.push({ name: 'recovers after the faults', ok: after !== undefined, detail: after ? `exact unflagged reading at slot ${after.slot}` : `no exact unflagged reading after ${lastFaultEnd} ms` });
  }
  if (scenario.pass.minGaps !== undefined) criteria.push({ name: `at least ${scenario.pass.minGaps} gap(s) reported`, ok: gaps.length >= scenario.pass.minGaps, detail: gaps.map((g) => `slots ${g.fromSlot}-${g.toSlot} (${g.reason})`).join('; ') || 'none' });
  if (scenario.pass.maxGaps !== undefined) criteria.push({ name: `at most ${scenario.pass.maxGaps} gap(s)`, ok: gaps.length <= scenario.pass.maxGaps, detail: `${gaps.length} gap(s)` });
  if (scenario.pass.minFlagged !== undefined) {
    const flagged = readings.filter((r) => r.quality !== 0);
    const names = [...new Set(flagged.flatMap((r) => qualityNames(r.quality)))];
    criteria.push({ name: `at least ${scenario.pass.minFlagged} flagged reading(s)`, ok: flagged.length >= scenario.pass.minFlagged, detail: `${flagged.length} flagged${names.length ? ` (${names.join(', ')})` : ''}` });
  }
  criteria.push(...extra);
  return { pass: criteria.every((c) => c.ok), criteria, readings: classed, truth };
}

/** Whether `t` falls within a fault window (for the report's timeline). */
export function inFault(faults: Fault[], t: number, endMs: number): boolean {
  return faults.some((f) => {
    const w = faultWindow(f, endMs);
    return t >= w.from && t <= w.to;
  });
}

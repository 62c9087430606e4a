// The campaign's schedule: which fault, on which member, when and for how long, from a seed alone (the same seed
// gives the same schedule). Two tracks run side by side: crash faults one at a time, each followed by a healed
// period longer than the stall limit, and the byzantine member's behaviour, which changes in segments.
import { mulberry32 } from '@meterchain/core';

/** Faults that stop or cut off part of the cluster, one at a time. */
export const CRASH_KINDS = ['kill', 'power-cut', 'broker', 'cut-off', 'clock-skew', 'disk-full'] as const;
/** What the one byzantine member does, a segment at a time. */
export const BYZANTINE_KINDS = ['censor', 'equivocate', 'flood', 'forge-header'] as const;
export type CrashKind = (typeof CRASH_KINDS)[number];
export type ByzantineKind = (typeof BYZANTINE_KINDS)[number];
export type FaultKind = CrashKind | ByzantineKind;

export interface Fault {
  kind: FaultKind;
  /** Start, ms after the cluster's first round. */
  at: number;
  durationMs: number;
  /** The member it hits (kill, cut-off, clock-skew, disk-full, and the byzantine member for its kinds). */
  target?: number;
  /** clock-skew: how far the member's clock is off, ms. */
  offsetMs?: number;
}

export interface ScheduleOptions {
  seed: number;
  /** How long faults may run, ms from the first round (the campaign then heals and checks). */
  durationMs: number;
  members: number;
  /** Index of the byzantine member (never hit by a crash fault aimed at one member). */
  byzantine: number;
  /** Index of the member whose data directory sits on a small tmpfs (the disk-full target). */
  diskMember: number;
  /** Healed time after each crash fault before the next one starts, ms (longer than the stall limit). */
  healMs: number;
  /** Length of one byzantine segment, ms. */
  segmentMs: number;
}

export interface Schedule {
  crash: Fault[];
  byzantine: Fault[];
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Duration range of each crash fault, ms: long enough to matter (a cut-off past the view timeout, a skewed clock
 * past a proposer turn), short enough that a 3-minute campaign sees every kind. */
const DURATION: Record<CrashKind, [number, number]> = {
  kill: [1000, 3000],
  'power-cut': [2000, 5000],
  broker: [2000, 8000],
  'cut-off': [3000, 8000],
  'clock-skew': [8000, 16000],
  'disk-full': [4000, 10000],
};

/**
 * The schedule. Crash faults come in cycles, each cycle every crash kind once in a seeded order, so a run long enough
 * for k cycles has at least k of each kind (the long run's counts follow from its length, see `cyclesIn`).
 */
export function planCampaign(o: ScheduleOptions): Schedule {
  if (o.members < 4) throw new RangeError(`campaign schedule: expected at least 4 members, got ${o.members}`);
  const random = mulberry32(o.seed);
  const between = (range: [number, number]) => Math.round(range[0] + random() * (range[1] - range[0]));
  const honest = Array.from({ length: o.members }, (_, i) => i).filter((i) => i !== o.byzantine);
  const pick = (from: number[]) => from[Math.floor(random() * from.length)]!;
  const crash: Fault[] = [];
  let t = o.healMs;
  let cycle: CrashKind[] = [];
  for (;;) {
    if (cycle.length === 0) cycle = shuffled(CRASH_KINDS, random);
    const kind = cycle.shift()!;
    const durationMs = between(DURATION[kind]);
    if (t + durationMs + o.healMs > o.durationMs) break;
    const fault: Fault = { kind, at: t, durationMs };
    if (kind === 'kill' || kind === 'cut-off') fault.target = pick(honest);
    if (kind === 'clock-skew') {
      fault.target = pick(honest);
      // A few seconds either way: 5 s fast is the case of the issue that first showed the fault.
      fault.offsetMs = (random() < 0.5 ? -1 : 1) * between([3000, 6000]);
    }
    if (kind === 'disk-full') fault.target = o.diskMember;
    crash.push(fault);
    t += durationMs + o.healMs;
  }
  const byzantine: Fault[] = [];
  let modes: ByzantineKind[] = [];
  for (let at = 0; at < o.durationMs; at += o.segmentMs) {
    if (modes.length === 0) modes = shuffled(BYZANTINE_KINDS, random);
    byzantine.push({ kind: modes.shift()!, at, durationMs: Math.min(o.segmentMs, o.durationMs - at), target: o.byzantine });
  }
  return { crash, byzantine };
}

/** Faults by kind, and the node restarts they cause (a power cut restarts every member, a skewed clock two restarts
 * of one, a byzantine segment other than the header forger one restart of the byzantine member). */
export function countSchedule(s: Schedule, members: number): { faults: Record<FaultKind, number>; restarts: number } {
  const faults = Object.fromEntries([...CRASH_KINDS, ...BYZANTINE_KINDS].map((k) => [k, 0])) as Record<FaultKind, number>;
  let restarts = 0;
  for (const f of s.crash) {
    faults[f.kind]++;
    if (f.kind === 'kill') restarts += 1;
    if (f.kind === 'power-cut') restarts += members;
    if (f.kind === 'clock-skew') restarts += 2;
  }
  for (const [i, f] of s.byzantine.entries()) {
    faults[f.kind]++;
    if (i > 0) restarts += 1;
  }
  return { faults, restarts };
}

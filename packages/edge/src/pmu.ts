// Checks for phasor measurement units, pure and portable. Per frame: the data-valid and sync bits of STAT, the
// time quality of FRACSEC, phasor magnitudes against their range, and angle continuity (the angle must advance as
// the reported frequency says). Across PMUs of one electrical island: frequency agreement, and one PMU's angle
// drifting linearly against the others — the signature of a spoofed or drifting clock. Tolerances: docs/edge.md.

/** One PMU's frame as the checks need it (from a C37.118 data frame and its configuration). */
export interface PmuFrame {
  /** Timestamp, seconds (SOC + FRACSEC / TIME_BASE). */
  time: number;
  /** STAT bits 15-14, 13 and 5-4 (C37.118.2 Table 6). */
  dataError: number;
  notSynchronized: boolean;
  unlockedTime: number;
  /** FRACSEC time-quality code (C37.118.2 Table 3): 0 locked, 1..11 within 10^(code-10) s, 15 failed. */
  timeQuality: number;
  nominalHz: number;
  /** Hz. */
  frequency: number;
  phasors: { unit: 'V' | 'A'; magnitude: number; angle: number }[];
}

export interface PmuLimits {
  /** Nominal phase voltage (V) and rated current (A) the magnitudes are judged against. */
  nominalVoltage: number;
  ratedCurrent: number;
  /** Voltage band in per unit: IEC/IEEE 60255-118-1 steady-state range, 80-120 %. */
  voltageMin: number;
  voltageMax: number;
  /** Current band in per unit: 10-200 % of rated (same standard). */
  currentMin: number;
  currentMax: number;
  /** Largest time error a FRACSEC time-quality code may admit, s: 1 µs (0.018° at 50 Hz; 1 % TVE is 0.57°). */
  maxTimeError: number;
  /** Allowed |Δθ − 2π (f − f0) Δt| between consecutive frames, rad: 2° (see docs/edge.md). */
  angleJump: number;
}

export const PMU_LIMITS: PmuLimits = { nominalVoltage: 230_940, ratedCurrent: 1000, voltageMin: 8 / 10, voltageMax: 12 / 10, currentMin: 1 / 10, currentMax: 2, maxTimeError: 1 / 1_000_000, angleJump: (2 * Math.PI) / 180 };

export type PmuFindingKind = 'pmu-data-invalid' | 'pmu-unsynced' | 'pmu-time-quality' | 'pmu-magnitude' | 'pmu-angle-jump';

export interface PmuFinding {
  kind: PmuFindingKind;
  /** Phasor index for magnitude and angle findings, -1 otherwise. */
  phasor: number;
  value: number;
  allowed: number;
  message: string;
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && x === x && x !== Infinity && x !== -Infinity;
}

/** Time error bound of a FRACSEC time-quality code, s (Infinity for a failed clock or a reserved code). */
export function timeQualityBound(code: number): number {
  if (code === 0) return 1 / 1_000_000_000;
  if (code >= 1 && code <= 10) {
    let scale = 1;
    for (let i = code; i < 10; i++) scale *= 10;
    return 1 / scale;
  }
  if (code === 11) return 10;
  return Infinity;
}

/** Wraps an angle into (-π, π]. */
export function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

/** Findings of one frame of one PMU; `previous` is its frame before (for angle continuity), if any. */
export function checkPmuFrame(frame: PmuFrame, previous: PmuFrame | undefined, given?: PmuLimits): PmuFinding[] {
  const limits = given ?? PMU_LIMITS;
  const out: PmuFinding[] = [];
  if (frame.dataError !== 0) out.push({ kind: 'pmu-data-invalid', phasor: -1, value: frame.dataError, allowed: 0, message: `STAT data error ${frame.dataError}` });
  if (frame.notSynchronized || frame.unlockedTime > 0) out.push({ kind: 'pmu-unsynced', phasor: -1, value: frame.unlockedTime, allowed: 0, message: frame.notSynchronized ? 'STAT: PMU not synchronized' : `STAT: unlocked time class ${frame.unlockedTime}` });
  const bound = timeQualityBound(frame.timeQuality);
  if (bound > limits.maxTimeError) out.push({ kind: 'pmu-time-quality', phasor: -1, value: bound, allowed: limits.maxTimeError, message: `FRACSEC time quality ${frame.timeQuality}: time error up to ${bound} s` });
  for (let i = 0; i < frame.phasors.length; i++) {
    const p = frame.phasors[i]!;
    const base = p.unit === 'V' ? limits.nominalVoltage : limits.ratedCurrent;
    const min = p.unit === 'V' ? limits.voltageMin : limits.currentMin;
    const max = p.unit === 'V' ? limits.voltageMax : limits.currentMax;
    const pu = p.magnitude / base;
    if (!finite(pu) || pu < min || pu > max) out.push({ kind: 'pmu-magnitude', phasor: i, value: pu, allowed: pu < min ? min : max, message: `phasor ${i} at ${pu} pu, outside ${min}-${max} pu` });
  }
  // The angle of a phasor referred to the nominal frequency advances by 2π (f − f0) Δt between frames; a frame whose
  // angle does not follow its frequency has a bad timestamp, a wrong value or a real step (switching, a fault).
  if (previous && previous.phasors.length === frame.phasors.length) {
    const dt = frame.time - previous.time;
    const f = (frame.frequency + previous.frequency) / 2;
    const expected = 2 * Math.PI * (f - frame.nominalHz) * dt;
    for (let i = 0; i < frame.phasors.length; i++) {
      const residual = Math.abs(wrapAngle(frame.phasors[i]!.angle - previous.phasors[i]!.angle - expected));
      if (!finite(residual) || residual > limits.angleJump) out.push({ kind: 'pmu-angle-jump', phasor: i, value: residual, allowed: limits.angleJump, message: `phasor ${i} angle moved ${residual} rad more than its frequency explains` });
    }
  }
  return out;
}

export interface IslandFrequencyVerdict {
  ok: boolean;
  /** Indices of PMUs whose frequency differs from the island's median by more than the tolerance (or is missing). */
  outliers: number[];
  median: number;
}

/**
 * All PMUs of one electrical island measure one frequency. Tolerance default 0.01 Hz: two P-class PMUs may each be
 * off by 0.005 Hz in steady state (IEC/IEEE 60255-118-1); during a ramp allow more (0.02 Hz).
 */
export function islandFrequencyAgreement(frequencies: number[], given?: number): IslandFrequencyVerdict {
  const tolerance = given ?? 1 / 100;
  const valid: number[] = [];
  for (const f of frequencies) if (finite(f)) valid.push(f);
  valid.sort((a, b) => a - b);
  const h = valid.length >> 1;
  const median = valid.length === 0 ? NaN : valid.length % 2 === 1 ? valid[h]! : (valid[h - 1]! + valid[h]!) / 2;
  const outliers: number[] = [];
  for (let i = 0; i < frequencies.length; i++) {
    const f = frequencies[i];
    if (!finite(f) || (valid.length >= 3 && Math.abs(f - median) > tolerance)) outliers.push(i);
  }
  return { ok: valid.length >= 3 && outliers.length === 0, outliers, median };
}

export interface AngleDriftOptions {
  /** Accumulated clock error over the window that counts as a drifting clock, s: 26 µs (1 % TVE at 60 Hz = 0.57°). */
  maxClockError: number;
  /** The drift must look like a line: residual RMS of the linear fit at most this multiple of the drift over the
   * window (1: the drift dominates whatever power swings ride on it). */
  linearity: number;
  nominalHz: number;
}

export const ANGLE_DRIFT: AngleDriftOptions = { maxClockError: 26 / 1_000_000, linearity: 1, nominalHz: 50 };

export interface AngleDriftVerdict {
  /** Per PMU: slope of its angle against the others (rad/s), the clock drift it means (s/s), the drift over the
   * window (rad), the RMS residual of the line (rad), and whether it is judged a drifting clock. */
  pmus: { slope: number; clockDrift: number; excursion: number; residual: number; drifting: boolean }[];
  /** `ok`, `drifting` (one or more PMUs flagged), `too-few-pmus` (fewer than 3: no majority to refer to), `too-few-frames`. */
  reason: string;
}

/** Slope (rad/s) and RMS residual (rad) of the least-squares line through the unwrapped angle difference a − b. */
function pairLine(times: number[], a: number[], b: number[]): { slope: number; residual: number } {
  const m = times.length;
  const rel: number[] = [];
  let last = 0;
  for (let t = 0; t < m; t++) {
    const d = wrapAngle(a[t]! - b[t]!);
    rel.push(t === 0 ? d : rel[t - 1]! + wrapAngle(d - last));
    last = d;
  }
  let mt = 0;
  let ma = 0;
  for (let t = 0; t < m; t++) {
    mt += times[t]!;
    ma += rel[t]!;
  }
  mt /= m;
  ma /= m;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < m; t++) {
    sxy += (times[t]! - mt) * (rel[t]! - ma);
    sxx += (times[t]! - mt) * (times[t]! - mt);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  let rss = 0;
  for (let t = 0; t < m; t++) {
    const e = rel[t]! - (ma + slope * (times[t]! - mt));
    rss += e * e;
  }
  return { slope, residual: Math.sqrt(rss / m) };
}

/**
 * One PMU whose clock drifts (a spoofed GPS receiver keeps reporting lock) shows an angle that walks linearly
 * against all the others, at 2π f0 × drift rad/s. `times[t]` are the frame times, `angles[p][t]` PMU p's
 * positive-sequence (or phase A) angle. Each PMU's drift is the median of its slopes against every other PMU (with
 * three PMUs, the smaller one): a good clock agrees with the other good clocks, so one bad clock cannot drag the
 * others along, while the bad one disagrees with all of them. Real power-flow changes move angles too, but not one
 * PMU against all others along a line for the whole window.
 */
export function angleDrift(times: number[], angles: number[][], given?: AngleDriftOptions): AngleDriftVerdict {
  const options = given ?? ANGLE_DRIFT;
  const n = angles.length;
  const pmus: AngleDriftVerdict['pmus'] = [];
  if (n < 3) return { pmus, reason: 'too-few-pmus' };
  const m = times.length;
  if (m < 3) return { pmus, reason: 'too-few-frames' };
  for (let p = 0; p < n; p++) if (!angles[p] || angles[p]!.length !== m) return { pmus, reason: 'too-few-frames' };
  const lines: { slope: number; residual: number }[][] = [];
  for (let p = 0; p < n; p++) {
    lines.push([]);
    for (let q = 0; q < n; q++) lines[p]!.push(q === p ? { slope: 0, residual: 0 } : pairLine(times, angles[p]!, angles[q]!));
  }
  const span = times[m - 1]! - times[0]!;
  const limit = 2 * Math.PI * options.nominalHz * options.maxClockError;
  let any = false;
  for (let p = 0; p < n; p++) {
    const others: { slope: number; residual: number }[] = [];
    for (let q = 0; q < n; q++) if (q !== p) others.push(lines[p]![q]!);
    others.sort((x, y) => (n === 3 ? Math.abs(x.slope) - Math.abs(y.slope) : x.slope - y.slope));
    const pick = n === 3 ? others[0]! : others[(others.length - 1) >> 1]!;
    const slope = n === 3 || others.length % 2 === 1 ? pick.slope : (pick.slope + others[others.length >> 1]!.slope) / 2;
    const residual = pick.residual;
    const excursion = Math.abs(slope * span);
    const drifting = finite(excursion) && excursion > limit && residual <= options.linearity * excursion;
    if (drifting) any = true;
    pmus.push({ slope, clockDrift: slope / (2 * Math.PI * options.nominalHz), excursion, residual, drifting });
  }
  return { pmus, reason: any ? 'drifting' : 'ok' };
}

// Cross-meter checks: pure functions the voting engine calls on the readings of several meters of one round.
// Hostile or missing input gets a verdict with a reason, never an exception.

/** Allowed difference: abs + rel × magnitude (units of the quantity compared). */
export interface Tolerance {
  abs: number;
  rel: number;
}

export interface CrossVerdict {
  ok: boolean;
  /** Machine-readable reason: `agree`, `disagree`, `balanced`, `children-exceed-head`, `losses-too-high`,
   * `missing`. */
  reason: string;
  /** The difference judged and the largest difference allowed (NaN when missing). */
  difference: number;
  allowed: number;
}

function verdict(ok: boolean, reason: string, difference: number, allowed: number): CrossVerdict {
  return { ok, reason, difference, allowed };
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && x === x && x !== Infinity && x !== -Infinity;
}

function validTolerance(t: Tolerance): boolean {
  return t !== null && typeof t === 'object' && finite(t.abs) && finite(t.rel) && t.abs >= 0 && t.rel >= 0;
}

/**
 * Two redundant sensors of one quantity agree when |a − b| ≤ abs + rel × max(|a|, |b|). Set abs to the sum of the
 * two sensors' resolutions and rel to the sum of their accuracy classes (two class 1 meters: rel 0.02).
 */
export function redundantAgree(a: number, b: number, tolerance: Tolerance): CrossVerdict {
  if (!validTolerance(tolerance)) return verdict(false, 'bad-tolerance', NaN, NaN);
  if (!finite(a) || !finite(b)) return verdict(false, 'missing', NaN, NaN);
  const difference = Math.abs(a - b);
  const allowed = tolerance.abs + tolerance.rel * Math.max(Math.abs(a), Math.abs(b));
  return verdict(difference <= allowed, difference <= allowed ? 'agree' : 'disagree', difference, allowed);
}

/**
 * Of three or more redundant sensors, the indices of those that disagree with their median (the majority's value).
 * Missing values (non-numbers) are listed too. With fewer than three valid values no majority exists: every index
 * whose pair disagrees is listed.
 */
export function redundantOutliers(values: number[], tolerance: Tolerance): number[] {
  const outliers: number[] = [];
  if (!Array.isArray(values) || !validTolerance(tolerance)) return outliers;
  const valid: number[] = [];
  for (let i = 0; i < values.length; i++) if (finite(values[i])) valid.push(values[i]!);
  valid.sort((x, y) => x - y);
  const h = valid.length >> 1;
  const median = valid.length === 0 ? NaN : valid.length % 2 === 1 ? valid[h]! : (valid[h - 1]! + valid[h]!) / 2;
  for (let i = 0; i < values.length; i++) {
    if (!finite(values[i])) outliers.push(i);
    else if (valid.length < 3) {
      if (valid.length === 2 && !redundantAgree(valid[0]!, valid[1]!, tolerance).ok) outliers.push(i);
    } else if (!redundantAgree(values[i]!, median, tolerance).ok) outliers.push(i);
  }
  return outliers;
}

/** How much a feeder may lose between its head meter and its children's meters. */
export interface Losses {
  /** Largest technical loss as a fraction of the head's energy (line and transformer losses, e.g. 0.08). */
  maxRel: number;
  /** Measurement uncertainty as a fraction of the head's energy (sum of the classes involved, e.g. 0.02 for
   * class 1 meters per IEC 62053-21 / EN 50470-3 class B). Allows the children to exceed the head by this much. */
  accuracyRel: number;
  /** Absolute allowance, same unit as the energies (register resolutions of all meters involved). */
  abs: number;
}

/**
 * A feeder head's energy over a period against the sum of its children's over the same period. Balanced when
 * −(accuracy) ≤ head − Σ children ≤ maxRel × head + accuracy, with accuracy = accuracyRel × head + abs.
 * `children-exceed-head`: energy appears from nowhere (a child over-reports or the head under-reports);
 * `losses-too-high`: more is missing than the feeder can lose (unmetered load, theft, a child under-reports).
 */
export function feederBalance(head: number, children: number[], losses: Losses): CrossVerdict {
  if (losses === null || typeof losses !== 'object' || !finite(losses.maxRel) || !finite(losses.accuracyRel) || !finite(losses.abs)) {
    return verdict(false, 'bad-tolerance', NaN, NaN);
  }
  if (!finite(head) || !Array.isArray(children) || children.length === 0) return verdict(false, 'missing', NaN, NaN);
  let sum = 0;
  for (let i = 0; i < children.length; i++) {
    if (!finite(children[i])) return verdict(false, 'missing', NaN, NaN);
    sum += children[i]!;
  }
  const loss = head - sum;
  const accuracy = losses.accuracyRel * Math.abs(head) + losses.abs;
  if (loss < -accuracy) return verdict(false, 'children-exceed-head', loss, -accuracy);
  const allowed = losses.maxRel * Math.abs(head) + accuracy;
  if (loss > allowed) return verdict(false, 'losses-too-high', loss, allowed);
  return verdict(true, 'balanced', loss, allowed);
}

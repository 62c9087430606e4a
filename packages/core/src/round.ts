// Rounding that gives the same integer on every runtime. Espruino's Math.round adds ±0.5 and truncates: halves go
// away from zero (-2.5 -> -3, V8 -2) and 0.49999999999999994 + 0.5 rounds up to 1 (V8 0). A signed value must not
// depend on Math.round; the portability gate rejects it (rule `math-round`).

/**
 * `x` rounded to the nearest integer, halves away from zero (-12.5 -> -13, 12.5 -> 13), the same on Node and on
 * Espruino: `Math.floor` and subtracting the integer part are exact in IEEE 754, no `x + 0.5` that can round.
 * Returns +0 for results of zero; NaN and infinities come back as they are.
 */
export function roundHalfAway(x: number): number {
  if (!isFinite(x)) return x;
  const magnitude = x < 0 ? -x : x;
  let whole = Math.floor(magnitude);
  if (magnitude - whole >= 0.5) whole += 1;
  if (whole === 0) return 0;
  return x < 0 ? -whole : whole;
}

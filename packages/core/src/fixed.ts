// Fixed-point values, the only numbers a reading carries: `value × 10^scale` with an integer value, so signed bytes
// never hold number text or floats (DESIGN §4). One way to make them, read them back and print them, the same on
// Node and Espruino.
import { roundHalfAway } from './round.ts';

// Exact powers of ten (Math.pow is inexact on Espruino): multiply or divide by an integer, never by 0.001.
const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

function pow10(exponent: number): number {
  const power = POW10[exponent];
  if (power === undefined) throw new Error(`expected a scale between -12 and 12, got ${exponent}`);
  return power;
}

/**
 * The fixed-point integer of `quantity` at `scale`, halves away from zero (-12.5 -> -13 at scale 0: the same on Node
 * and Espruino, whose Math.round differs), or null for NaN, infinities and results beyond 2^53 (no value to carry).
 */
export function toFixed(quantity: number, scale: number): number | null {
  if (!isFinite(quantity)) return null;
  const scaled = roundHalfAway(scale <= 0 ? quantity * pow10(-scale) : quantity / pow10(scale));
  if (Math.abs(scaled) > 9007199254740991) return null;
  return scaled;
}

/** The quantity a fixed-point value stands for, as a float: for filters and display, never to sign or hash. */
export function fromFixed(value: number, scale: number): number {
  return scale <= 0 ? value / pow10(-scale) : value * pow10(scale);
}

/** `value × 10^scale` as exact decimal text with trailing zeros dropped ("230.1", "-0.05", "1200"). */
export function fixedToDecimal(value: number, scale: number): string {
  const negative = value < 0;
  let digits = String(Math.abs(value));
  let text: string;
  if (scale >= 0) text = value === 0 ? '0' : digits + zeros(scale);
  else {
    const places = -scale;
    if (digits.length <= places) digits = zeros(places - digits.length + 1) + digits;
    const whole = digits.slice(0, digits.length - places);
    const frac = digits.slice(digits.length - places).replace(/0+$/, '');
    text = frac.length > 0 ? whole + '.' + frac : whole;
  }
  return negative && text !== '0' ? '-' + text : text;
}

/** `value × 10^scale` as exact decimal text with every place of the scale ("230.10", "0.05"), as a meter shows it. */
export function fixedToPlaces(value: number, scale: number): string {
  const negative = value < 0;
  let digits = String(Math.abs(value));
  let text: string;
  if (scale >= 0) text = digits + zeros(scale);
  else {
    const places = -scale;
    while (digits.length <= places) digits = '0' + digits;
    text = digits.slice(0, digits.length - places) + '.' + digits.slice(digits.length - places);
  }
  return (negative ? '-' : '') + text;
}

const MAX_SAFE = 9007199254740991;

/** `value × 10^scale` expressed at `target` scale, truncated toward zero; undefined when it leaves the safe integers. */
export function rescale(value: number, scale: number, target: number): number | undefined {
  let v = value;
  if (scale > target) {
    for (let i = 0; i < scale - target; i++) v = v * 10;
  } else if (scale < target) {
    let d = 1;
    for (let i = 0; i < target - scale; i++) d = d * 10;
    const r = v % d;
    v = (v - r) / d;
  }
  if (v > MAX_SAFE || v < -MAX_SAFE) return undefined;
  return v === 0 ? 0 : v;
}

/** Sign of (a × 10^as) − (b × 10^bs), in exact integer arithmetic (no Math.pow: every platform must agree to the
 * last bit, or votes split on values near a bound). */
export function compareQuantities(a: number, as: number, b: number, bs: number): number {
  let x = a;
  let y = b;
  for (let i = as; i > bs; i--) x = x * 10;
  for (let i = bs; i > as; i--) y = y * 10;
  return x < y ? -1 : x > y ? 1 : 0;
}

function zeros(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0';
  return s;
}

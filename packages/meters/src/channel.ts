// Channels as a reading carries them: fixed-point integers with a unit and a power-of-ten scale, so that the
// signed bytes never contain number text or floats (DESIGN §4: integers only in deterministic CBOR).
import { roundHalfAway } from '@meterchain/core';

/** One measured quantity of a sample: the quantity is `value × 10^scale` in `unit`. */
export interface Channel {
  /** OBIS code (`1-0:32.7.0`) or SunSpec point name (`PhVphA`), as in the reading model. */
  id: string;
  /** Fixed-point integer, or null when the device says the value is not implemented or not available. */
  value: number | null;
  /** Power of ten of the fixed-point value (SunSpec scale factor convention): -2 means hundredths. */
  scale: number;
  /** SI unit symbol as the reading model has them (V, A, W, var, VA, Wh, varh, VAh, Hz, deg, 1 for ratios). */
  unit: string;
}

// Exact powers of ten (Math.pow is inexact on Espruino): multiply or divide by an integer, never by 0.001.
const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

function pow10(exponent: number): number {
  const power = POW10[exponent];
  if (power === undefined) throw new Error(`expected a scale between -12 and 12, got ${exponent}`);
  return power;
}

/** The fixed-point integer of `quantity` at `scale`, halves away from zero (-12.5 -> -13 at scale 0: the same on Node
 * and Espruino, whose Math.round differs), or null for NaN and infinities (sensor said "no value"). */
export function toFixed(quantity: number, scale: number): number | null {
  if (!isFinite(quantity)) return null;
  const scaled = roundHalfAway(scale <= 0 ? quantity * pow10(-scale) : quantity / pow10(scale));
  if (Math.abs(scaled) > 9007199254740991) return null;
  return scaled;
}

/** The quantity a channel stands for, as a float (for display only: never sign or hash this). */
export function channelQuantity(channel: Channel): number | null {
  if (channel.value === null) return null;
  return channel.scale <= 0 ? channel.value / pow10(-channel.scale) : channel.value * pow10(channel.scale);
}

/** Channel value as decimal text without float error ("230.05"), for display and logs. */
export function formatChannel(channel: Channel): string {
  if (channel.value === null) return 'n/a';
  const negative = channel.value < 0;
  let digits = String(Math.abs(channel.value));
  let text: string;
  if (channel.scale >= 0) {
    text = digits;
    for (let i = 0; i < channel.scale; i++) text += '0';
  } else {
    const places = -channel.scale;
    while (digits.length <= places) digits = '0' + digits;
    text = digits.slice(0, digits.length - places) + '.' + digits.slice(digits.length - places);
  }
  return (negative ? '-' : '') + text;
}

/**
 * Unit symbols normalised to the reading model's: prefixes folded into the scale (kWh → Wh with scale + 3) and
 * ratios written as 1 (SunSpec `Pct` → 1 with scale - 2, `PF` → 1). Exact: only the exponent changes.
 */
const PREFIXABLE = ['Wh', 'varh', 'VAh', 'W', 'var', 'VA', 'V', 'A', 'Hz'];

export function normaliseUnit(unit: string): { unit: string; shift: number } {
  if (unit === 'Pct' || unit === '%') return { unit: '1', shift: -2 };
  if (unit === 'PF' || unit === 'cos') return { unit: '1', shift: 0 };
  const prefix = unit.charAt(0);
  const base = unit.slice(1);
  if ((prefix === 'k' || prefix === 'M') && PREFIXABLE.indexOf(base) >= 0) return { unit: base, shift: prefix === 'k' ? 3 : 6 };
  return { unit, shift: 0 };
}

/** Plain error with a `code` (portable code cannot subclass Error on Espruino). */
export function meterError(code: string, message: string): Error {
  const error = new Error(message) as Error & { code: string };
  error.code = code;
  return error;
}

// Channels as a driver samples them (core's Channel, value null when the device has none): display, and unit symbols
// normalised to the reading model's. Fixed-point conversion itself is core's (fixed.ts).
import { fixedToPlaces, fromFixed, type SampledChannel } from '@meterchain/core';

/** The quantity a channel stands for, as a float (for display only: never sign or hash this). */
export function channelQuantity(channel: SampledChannel): number | null {
  return channel.value === null ? null : fromFixed(channel.value, channel.scale);
}

/** Channel value as decimal text without float error ("230.05"), for display and logs. */
export function formatChannel(channel: SampledChannel): string {
  return channel.value === null ? 'n/a' : fixedToPlaces(channel.value, channel.scale);
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

// How a three-phase meter's channels are named on the wire (OBIS codes, as the Eastron driver reports them) and in the
// edge profiles (SI channel names), with the fixed-point scale each travels at.
import { fromFixed, toFixed as fixedPoint } from '@meterchain/core';

export interface ChannelSpec {
  /** Name in the edge profile (packages/edge/profiles/three-phase.yaml). */
  edge: string;
  /** OBIS code carried in the reading. */
  obis: string;
  unit: string;
  /** Power-of-ten exponent of the fixed-point value. */
  scale: number;
}

export const THREE_PHASE_CHANNELS: ChannelSpec[] = [
  { edge: 'voltageL1', obis: '1-0:32.7.0', unit: 'V', scale: -1 },
  { edge: 'voltageL2', obis: '1-0:52.7.0', unit: 'V', scale: -1 },
  { edge: 'voltageL3', obis: '1-0:72.7.0', unit: 'V', scale: -1 },
  { edge: 'currentL1', obis: '1-0:31.7.0', unit: 'A', scale: -3 },
  { edge: 'currentL2', obis: '1-0:51.7.0', unit: 'A', scale: -3 },
  { edge: 'currentL3', obis: '1-0:71.7.0', unit: 'A', scale: -3 },
  { edge: 'activePowerL1', obis: '1-0:36.7.0', unit: 'W', scale: 0 },
  { edge: 'activePowerL2', obis: '1-0:56.7.0', unit: 'W', scale: 0 },
  { edge: 'activePowerL3', obis: '1-0:76.7.0', unit: 'W', scale: 0 },
  { edge: 'reactivePowerL1', obis: '1-0:23.7.0', unit: 'var', scale: 0 },
  { edge: 'reactivePowerL2', obis: '1-0:43.7.0', unit: 'var', scale: 0 },
  { edge: 'reactivePowerL3', obis: '1-0:63.7.0', unit: 'var', scale: 0 },
  { edge: 'activePower', obis: '1-0:16.7.0', unit: 'W', scale: 0 },
  { edge: 'reactivePower', obis: '1-0:3.7.0', unit: 'var', scale: 0 },
  { edge: 'frequency', obis: '1-0:14.7.0', unit: 'Hz', scale: -3 },
  { edge: 'energyImport', obis: '1-0:1.8.0', unit: 'Wh', scale: 0 },
  { edge: 'energyExport', obis: '1-0:2.8.0', unit: 'Wh', scale: 0 },
];

/**
 * A fixed-point value of `scale` from an SI value (core's toFixed: halves away from zero). The node's values are
 * always finite; one that is not is a fault of the code that produced it.
 */
export function toFixed(si: number, scale: number): number {
  const value = fixedPoint(si, scale);
  if (value === null) throw new RangeError(`channels: expected a finite SI value, got ${si}`);
  return value;
}

export { fromFixed };

// How a three-phase meter's channels are named on the wire (OBIS codes, as the Eastron driver reports them) and in the
// edge profiles (SI channel names), with the fixed-point scale each travels at.

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

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/** 10^scale for the scales readings use (-12..12), exact where a double can be. */
export function pow10(scale: number): number {
  return scale >= 0 ? POW10[scale]! : 1 / POW10[-scale]!;
}

/** A fixed-point value of `scale` from an SI value, rounded to the nearest step. */
export function toFixed(si: number, scale: number): number {
  return Math.round(scale >= 0 ? si / POW10[scale]! : si * POW10[-scale]!);
}

/** The SI value of a fixed-point value. */
export function fromFixed(value: number, scale: number): number {
  return scale >= 0 ? value * POW10[scale]! : value / POW10[-scale]!;
}

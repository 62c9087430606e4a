// Eastron SDM120 (single phase) and SDM630 (three phase) meters: input registers (function 4), IEEE 754 float32,
// high word first (Eastron "Modbus protocol" register tables, addresses 3xxxx given here 0-based).
// Channels are named by OBIS code (IEC 62056-61); energies are read in kWh and carried as Wh.
import type { RegisterPoint } from './points.ts';
import type { WordOrder } from './registers.ts';

interface Row {
  /** OBIS code of the channel. */
  obis: string;
  address: number;
  unit: string;
  scale: number;
  factor?: number;
}

// Scales: 10 mV, 1 mA, 0.1 W/VA/var, 0.001 PF, 0.01 degree, 1 mHz, 1 Wh.
const V = -2;
const A = -3;
const P = -1;

// The tables are functions, not constants: a board holds their objects only while it builds its read plan (on
// Espruino, held from load, the two took about 400 of a Puck.js's 2,630 variables), and the code stays in flash.
function sdm630Rows(): Row[] {
  return [
    { obis: '1-0:32.7.0', address: 0x0000, unit: 'V', scale: V },
    { obis: '1-0:52.7.0', address: 0x0002, unit: 'V', scale: V },
    { obis: '1-0:72.7.0', address: 0x0004, unit: 'V', scale: V },
    { obis: '1-0:31.7.0', address: 0x0006, unit: 'A', scale: A },
    { obis: '1-0:51.7.0', address: 0x0008, unit: 'A', scale: A },
    { obis: '1-0:71.7.0', address: 0x000a, unit: 'A', scale: A },
    { obis: '1-0:36.7.0', address: 0x000c, unit: 'W', scale: P },
    { obis: '1-0:56.7.0', address: 0x000e, unit: 'W', scale: P },
    { obis: '1-0:76.7.0', address: 0x0010, unit: 'W', scale: P },
    { obis: '1-0:29.7.0', address: 0x0012, unit: 'VA', scale: P },
    { obis: '1-0:49.7.0', address: 0x0014, unit: 'VA', scale: P },
    { obis: '1-0:69.7.0', address: 0x0016, unit: 'VA', scale: P },
    { obis: '1-0:23.7.0', address: 0x0018, unit: 'var', scale: P },
    { obis: '1-0:43.7.0', address: 0x001a, unit: 'var', scale: P },
    { obis: '1-0:63.7.0', address: 0x001c, unit: 'var', scale: P },
    { obis: '1-0:33.7.0', address: 0x001e, unit: '1', scale: -3 },
    { obis: '1-0:53.7.0', address: 0x0020, unit: '1', scale: -3 },
    { obis: '1-0:73.7.0', address: 0x0022, unit: '1', scale: -3 },
    { obis: '1-0:81.7.4', address: 0x0024, unit: 'deg', scale: -2 },
    { obis: '1-0:81.7.15', address: 0x0026, unit: 'deg', scale: -2 },
    { obis: '1-0:81.7.26', address: 0x0028, unit: 'deg', scale: -2 },
    { obis: '1-0:16.7.0', address: 0x0034, unit: 'W', scale: P },
    { obis: '1-0:9.7.0', address: 0x0038, unit: 'VA', scale: P },
    { obis: '1-0:3.7.0', address: 0x003c, unit: 'var', scale: P },
    { obis: '1-0:13.7.0', address: 0x003e, unit: '1', scale: -3 },
    { obis: '1-0:14.7.0', address: 0x0046, unit: 'Hz', scale: -3 },
    { obis: '1-0:1.8.0', address: 0x0048, unit: 'Wh', scale: 0, factor: 1000 },
    { obis: '1-0:2.8.0', address: 0x004a, unit: 'Wh', scale: 0, factor: 1000 },
    { obis: '1-0:3.8.0', address: 0x004c, unit: 'varh', scale: 0, factor: 1000 },
    { obis: '1-0:4.8.0', address: 0x004e, unit: 'varh', scale: 0, factor: 1000 },
    { obis: '1-0:91.7.0', address: 0x00e0, unit: 'A', scale: A },
    { obis: '1-0:15.8.0', address: 0x0156, unit: 'Wh', scale: 0, factor: 1000 },
  ];
}

function sdm120Rows(): Row[] {
  return [
    { obis: '1-0:32.7.0', address: 0x0000, unit: 'V', scale: V },
    { obis: '1-0:31.7.0', address: 0x0006, unit: 'A', scale: A },
    { obis: '1-0:16.7.0', address: 0x000c, unit: 'W', scale: P },
    { obis: '1-0:9.7.0', address: 0x0012, unit: 'VA', scale: P },
    { obis: '1-0:3.7.0', address: 0x0018, unit: 'var', scale: P },
    { obis: '1-0:13.7.0', address: 0x001e, unit: '1', scale: -3 },
    { obis: '1-0:81.7.4', address: 0x0024, unit: 'deg', scale: -2 },
    { obis: '1-0:14.7.0', address: 0x0046, unit: 'Hz', scale: -3 },
    { obis: '1-0:1.8.0', address: 0x0048, unit: 'Wh', scale: 0, factor: 1000 },
    { obis: '1-0:2.8.0', address: 0x004a, unit: 'Wh', scale: 0, factor: 1000 },
    { obis: '1-0:3.8.0', address: 0x004c, unit: 'varh', scale: 0, factor: 1000 },
    { obis: '1-0:4.8.0', address: 0x004e, unit: 'varh', scale: 0, factor: 1000 },
    { obis: '1-0:15.8.0', address: 0x0156, unit: 'Wh', scale: 0, factor: 1000 },
  ];
}

export type EastronModel = 'SDM120' | 'SDM630';

/** Eastron meters answer at most 80 registers (40 values) per request. */
export const EASTRON_MAX_READ = 80;

/** Unused registers a read may span: the SDM630 answers them (as 0), and one 80-register read beats two at 9600 baud. */
export const EASTRON_MAX_GAP = 12;

/**
 * Register points of an Eastron meter. `wordOrder` is explicit because RS-485 gateways sometimes swap words;
 * the meter itself sends the high word first.
 */
export function eastronPoints(model: EastronModel, wordOrder: WordOrder): RegisterPoint[] {
  let rows: Row[];
  if (model === 'SDM630') rows = sdm630Rows();
  else if (model === 'SDM120') rows = sdm120Rows();
  else throw new Error(`expected an Eastron model SDM120 or SDM630, got ${String(model)}`);
  const points: RegisterPoint[] = [];
  for (const row of rows) {
    const point: RegisterPoint = { name: row.obis, fn: 4, address: row.address, type: 'float32', wordOrder, byteOrder: 'big', scale: row.scale, unit: row.unit };
    if (row.factor !== undefined) point.factor = row.factor;
    points.push(point);
  }
  return points;
}

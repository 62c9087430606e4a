// Register maps served by the pymodbus peer, with the channels meterchain must read from them. Values are chosen
// to be exact in float32 where the test is about layout, and one is not (229.87 V) to pin the rounding rule.
import type { PeerPoint } from './pymodbus.ts';

const ir = (address: number, value: number): PeerPoint => ({ table: 'ir', address, type: 'float32', value });

export const SDM630_POINTS: PeerPoint[] = [
  ir(0x00, 230.5), ir(0x02, 229.87), ir(0x04, 231.25),
  ir(0x06, 5.125), ir(0x08, 10.5), ir(0x0a, 0.25),
  ir(0x0c, 1150.5), ir(0x0e, 2400), ir(0x10, -12.5),
  ir(0x1e, 0.875), ir(0x34, 3538), ir(0x46, 50.125),
  ir(0x48, 12345.5), ir(0x4a, 0.25), ir(0xe0, 0.5), ir(0x156, 12345.75),
];

/** id → [value, scale, unit] meterchain must report for SDM630_POINTS. */
export const SDM630_EXPECTED: { [id: string]: [number, number, string] } = {
  '1-0:32.7.0': [23050, -2, 'V'],
  '1-0:52.7.0': [22987, -2, 'V'],
  '1-0:72.7.0': [23125, -2, 'V'],
  '1-0:31.7.0': [5125, -3, 'A'],
  '1-0:51.7.0': [10500, -3, 'A'],
  '1-0:71.7.0': [250, -3, 'A'],
  '1-0:36.7.0': [11505, -1, 'W'],
  '1-0:56.7.0': [24000, -1, 'W'],
  '1-0:76.7.0': [-125, -1, 'W'],
  '1-0:33.7.0': [875, -3, '1'],
  '1-0:16.7.0': [35380, -1, 'W'],
  '1-0:14.7.0': [50125, -3, 'Hz'],
  '1-0:1.8.0': [12345500, 0, 'Wh'],
  '1-0:2.8.0': [250, 0, 'Wh'],
  '1-0:91.7.0': [500, -3, 'A'],
  '1-0:15.8.0': [12345750, 0, 'Wh'],
};

const hr = (address: number, type: PeerPoint['type'], value: number | string | null, size?: number): PeerPoint =>
  size === undefined ? { table: 'hr', address, type, value } : { table: 'hr', address, type, value, size };

function common(base: number): PeerPoint[] {
  const at = base + 2;
  return [
    hr(base, 'string', 'SunS', 2),
    hr(at, 'uint16', 1), hr(at + 1, 'uint16', 66),
    hr(at + 2, 'string', 'ACME', 16), hr(at + 18, 'string', 'PM-2x', 16), hr(at + 50, 'string', 'SN-42', 16), hr(at + 66, 'uint16', 1),
  ];
}

/** SunSpec 203 at 40000: integers with scale factors, some points "not implemented". */
export function sunspec203Points(): PeerPoint[] {
  const m = 40070;
  return [
    ...common(40000),
    hr(m, 'uint16', 203), hr(m + 1, 'uint16', 105),
    hr(m + 2, 'int16', 1234), hr(m + 3, 'int16', 411), hr(m + 4, 'int16', 412), hr(m + 5, 'int16', 411), hr(m + 6, 'sunssf', -2),
    hr(m + 7, 'int16', 2301), hr(m + 8, 'int16', 2300), hr(m + 9, 'int16', 2302), hr(m + 10, 'int16', 2301), hr(m + 15, 'sunssf', -1),
    hr(m + 16, 'int16', 5001), hr(m + 17, 'sunssf', -2),
    hr(m + 18, 'int16', -1500), hr(m + 19, 'int16', -32768), hr(m + 20, 'int16', -32768), hr(m + 21, 'int16', -32768), hr(m + 22, 'sunssf', 1),
    hr(m + 33, 'int16', 95), hr(m + 37, 'sunssf', 0),
    hr(m + 38, 'acc32', 0), hr(m + 46, 'acc32', 123456789), hr(m + 54, 'sunssf', 0),
    hr(m + 107, 'uint16', 0xffff), hr(m + 108, 'uint16', 0),
  ];
}

export const SUNSPEC_203_EXPECTED: { [id: string]: [number | null, number, string] } = {
  '1-0:90.7.0': [1234, -2, 'A'], '1-0:31.7.0': [411, -2, 'A'], '1-0:12.7.0': [2301, -1, 'V'], '1-0:52.7.0': [2302, -1, 'V'], '1-0:14.7.0': [5001, -2, 'Hz'],
  '1-0:16.7.0': [-1500, 1, 'W'], '1-0:36.7.0': [null, 1, 'W'], '1-0:13.7.0': [95, -2, '1'], '1-0:1.8.0': [123456789, 0, 'Wh'], '1-0:2.8.0': [null, 0, 'Wh'],
};

/** SunSpec 213 at 50000 (the second base discovery tries): float32 points, NaN for "not implemented". */
export function sunspec213Points(): PeerPoint[] {
  const m = 50070;
  const f = (offset: number, value: number | null) => hr(m + offset, 'float32', value);
  return [
    ...common(50000),
    hr(m, 'uint16', 213), hr(m + 1, 'uint16', 124),
    f(2, 12.5), f(10, 229.87), f(26, 50), f(28, 2875.5), f(36, null), f(52, 0.95), f(68, 1234567),
    hr(m + 126, 'uint16', 0xffff), hr(m + 127, 'uint16', 0),
  ];
}

export const SUNSPEC_213_EXPECTED: { [id: string]: [number | null, number, string] } = {
  '1-0:90.7.0': [12500, -3, 'A'], '1-0:12.7.0': [22987, -2, 'V'], '1-0:14.7.0': [50000, -3, 'Hz'], '1-0:16.7.0': [28755, -1, 'W'], '1-0:9.7.0': [null, -1, 'VA'], '1-0:13.7.0': [950, -3, '1'], '1-0:1.8.0': [1234567, 0, 'Wh'],
};

/** Channels of a sample as id → [value, scale, unit], for comparison with the tables above. */
export function channelTable(channels: { id: string; value: number | null; scale: number; unit: string }[], ids: string[]): { [id: string]: [number | null, number, string] } {
  const table: { [id: string]: [number | null, number, string] } = {};
  for (const id of ids) {
    const channel = channels.find((c) => c.id === id);
    if (channel) table[id] = [channel.value, channel.scale, channel.unit];
  }
  return table;
}

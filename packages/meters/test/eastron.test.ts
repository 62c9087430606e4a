import { describe, expect, test } from '@jest/globals';
import { decodePoints, eastronPoints, planPointReads, EASTRON_MAX_GAP, EASTRON_MAX_READ } from '../src/index.ts';

function read(model: 'SDM630' | 'SDM120', order: 'big' | 'little', fill: { [address: number]: [number, number] }) {
  const points = eastronPoints(model, order);
  const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
  const results = blocks.map((b) => {
    const words = new Uint16Array(b.count);
    for (const key of Object.keys(fill)) {
      const address = Number(key) - b.address;
      if (address >= 0 && address < b.count) [words[address], words[address + 1]] = fill[Number(key)]!;
    }
    return words;
  });
  return { blocks, decoded: decodePoints(points, blocks, results) };
}

describe('Eastron SDM630', () => {
  test('a poll cycle is three reads of at most 80 input registers', () => {
    const { blocks } = read('SDM630', 'big', {});
    expect(blocks.map((b) => [b.fn, b.address, b.count])).toEqual([[4, 0, 80], [4, 0xe0, 2], [4, 0x156, 2]]);
  });
  test('phase 1 voltage at 30001 is float32 high word first', () => {
    const { decoded } = read('SDM630', 'big', { 0x0000: [0x4366, 0x8000] });
    expect(decoded.channels.find((c) => c.id === '1-0:32.7.0')).toEqual({ id: '1-0:32.7.0', value: 23050, scale: -2, unit: 'V' });
  });
  test('import energy in kWh is carried in Wh', () => {
    const { decoded } = read('SDM630', 'big', { 0x0048: [0x4640, 0xe6b6] }); // 12345.678 kWh
    expect(decoded.channels.find((c) => c.id === '1-0:1.8.0')).toEqual({ id: '1-0:1.8.0', value: 12345678, scale: 0, unit: 'Wh' });
  });
  test('word order little reads a gateway that swaps words', () => {
    const { decoded } = read('SDM630', 'little', { 0x0006: [0x0000, 0x40a4] });
    expect(decoded.channels.find((c) => c.id === '1-0:31.7.0')!.value).toBe(5125);
  });
  test('a failed read lists its channels as missing instead of guessing', () => {
    const points = eastronPoints('SDM630', 'big');
    const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
    const decoded = decodePoints(points, blocks, [new Uint16Array(80), null, new Uint16Array(2)]);
    expect(decoded.missing).toEqual(['1-0:91.7.0']);
  });
});

describe('Eastron SDM120', () => {
  test('single-phase map has voltage, current, power, frequency and energies', () => {
    const names = eastronPoints('SDM120', 'big').map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['1-0:32.7.0', '1-0:31.7.0', '1-0:16.7.0', '1-0:14.7.0', '1-0:1.8.0', '1-0:2.8.0']));
    expect(names).not.toContain('1-0:52.7.0');
  });
  test('an unknown model is refused', () => {
    expect(() => eastronPoints('SDM72' as 'SDM120', 'big')).toThrow(/expected an Eastron model/);
  });
});

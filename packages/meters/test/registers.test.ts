import { describe, expect, test } from '@jest/globals';
import { decodeRegisters, decodeString, encodeRegisters, planReads, registerReference } from '../src/index.ts';

// Reference words produced independently with Python's struct module (big-endian IEEE 754).
describe('register decoding', () => {
  test('float32 high word first: 0x4366 0x8000 is 230.5', () => {
    expect(decodeRegisters([0x4366, 0x8000], 0, 'float32', 'big', 'big')).toBe(230.5);
  });
  test('float32 low word first reads the same value from swapped words', () => {
    expect(decodeRegisters([0x8000, 0x4366], 0, 'float32', 'little', 'big')).toBe(230.5);
  });
  test('byte-swapped registers decode with byteOrder little', () => {
    expect(decodeRegisters([0x6643, 0x0080], 0, 'float32', 'big', 'little')).toBe(230.5);
  });
  test('int16 is two’s complement', () => {
    expect(decodeRegisters([0xfffe], 0, 'int16', 'big', 'big')).toBe(-2);
  });
  test('uint32 and int32 span two registers', () => {
    expect(decodeRegisters([0x0001, 0x0002], 0, 'uint32', 'big', 'big')).toBe(65538);
    expect(decodeRegisters([0xffff, 0xfffd], 0, 'int32', 'big', 'big')).toBe(-3);
  });
  test('an offset past the registers read throws', () => {
    expect(() => decodeRegisters([0x4366], 0, 'float32', 'big', 'big')).toThrow(/outside the 1 registers/);
  });
  test('encode then decode round-trips every order', () => {
    const words = [0, 0, 0, 0];
    encodeRegisters(words, 0, 'float64', 12345.678, 'little', 'little');
    expect(decodeRegisters(words, 0, 'float64', 'little', 'little')).toBe(12345.678);
  });
  test('strings are two characters per register and stop at NUL', () => {
    expect(decodeString([0x5375, 0x6e53, 0x0000], 0, 3)).toBe('SunS');
  });
});

describe('read planning', () => {
  test('neighbouring values share one read', () => {
    expect(planReads([{ fn: 4, address: 0, count: 2 }, { fn: 4, address: 6, count: 2 }], 8, 125)).toEqual([{ fn: 4, address: 0, count: 8 }]);
  });
  test('a gap wider than maxGap starts a new read', () => {
    expect(planReads([{ fn: 4, address: 0, count: 2 }, { fn: 4, address: 20, count: 2 }], 8, 125)).toHaveLength(2);
  });
  test('no read exceeds maxCount', () => {
    const blocks = planReads([{ fn: 3, address: 0, count: 2 }, { fn: 3, address: 78, count: 2 }, { fn: 3, address: 80, count: 2 }], 100, 80);
    for (const block of blocks) expect(block.count).toBeLessThanOrEqual(80);
    expect(blocks).toHaveLength(2);
  });
  test('holding and input registers never share a read', () => {
    expect(planReads([{ fn: 3, address: 0, count: 1 }, { fn: 4, address: 1, count: 1 }], 8, 125)).toHaveLength(2);
  });
  test('register references name the 0-based address and the Modicon number', () => {
    expect(registerReference(4, 0x46)).toBe('70 (0x0046, 30071)');
    expect(registerReference(3, 40000)).toBe('40000 (0x9C40)');
  });
});

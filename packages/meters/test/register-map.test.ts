import { describe, expect, test } from '@jest/globals';
import { registerMap, type RegisterMapDocument } from '../src/index.ts';

const doc = (registers: RegisterMapDocument['registers'], extra: Partial<RegisterMapDocument> = {}): RegisterMapDocument => ({ device: 'ACME PM1', registers, ...extra });

describe('generic register map', () => {
  test('defaults: big word and byte order, scale 0, gap 8, reads up to 125', () => {
    const verdict = registerMap(doc([{ channel: 'V', address: 0, function: 'input', type: 'float32', unit: 'V' }]));
    expect(verdict).toEqual({ ok: true, map: { device: 'ACME PM1', maxGap: 8, maxRead: 125, points: [{ name: 'V', fn: 4, address: 0, type: 'float32', wordOrder: 'big', byteOrder: 'big', scale: 0, unit: 'V' }] } });
  });
  test('document-wide word order applies unless a register overrides it', () => {
    const verdict = registerMap(doc([
      { channel: 'a', address: 0, function: 3, type: 'int32', unit: 'W' },
      { channel: 'b', address: 2, function: 'holding', type: 'int32', unit: 'W', wordOrder: 'big' },
    ], { wordOrder: 'little' }));
    expect(verdict.ok && verdict.map.points.map((p) => p.wordOrder)).toEqual(['little', 'big']);
  });
  test('a channel name used twice is refused with its position', () => {
    const verdict = registerMap(doc([
      { channel: 'V', address: 0, function: 'input', type: 'uint16', unit: 'V' },
      { channel: 'V', address: 1, function: 'input', type: 'uint16', unit: 'V' },
    ]));
    expect(verdict).toEqual({ ok: false, reason: 'registers[1] (V): channel name used twice' });
  });
  test('a value running past register 65535 is refused', () => {
    const verdict = registerMap(doc([{ channel: 'E', address: 65535, function: 'input', type: 'uint32', unit: 'Wh' }]));
    expect(verdict.ok).toBe(false);
  });
  test('a factor on an integer register is refused', () => {
    const verdict = registerMap(doc([{ channel: 'E', address: 0, function: 'input', type: 'uint32', unit: 'Wh', factor: 1000 }]));
    expect(verdict).toEqual({ ok: false, reason: 'registers[0] (E): factor applies to float registers only; give integers a scale' });
  });
});

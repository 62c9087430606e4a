import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSunSpecCommon, decodeSunSpecMeter, isSunSpecMarker, sunspecHeader, sunspecLayout, sunspecObis, SUNSPEC_MODELS, type SunSpecModelDef } from '../src/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const model = (id: number) => JSON.parse(readFileSync(resolve(repoRoot, '../shared', `sunspec/model_${id}.json`), 'utf8')) as SunSpecModelDef;

function block(layoutSize: number, set: (offset: number, words: number[]) => void, fill = 0): number[] {
  const words = new Array<number>(layoutSize).fill(fill);
  set(0, words);
  return words;
}

describe('SunSpec layouts from the published model files', () => {
  test('model 1 is 68 registers with ID and L (L = 66)', () => {
    expect(sunspecLayout(model(1)).size).toBe(68);
  });
  test('model 203 is 107 registers and 213 is 126', () => {
    expect(sunspecLayout(model(203)).size).toBe(107);
    expect(sunspecLayout(model(213)).size).toBe(126);
  });
  test('points are laid out in order: 203 PhVphA at offset 8, 213 Hz at offset 26', () => {
    expect(sunspecLayout(model(203)).points.find((p) => p.name === 'PhVphA')!.offset).toBe(8);
    expect(sunspecLayout(model(213)).points.find((p) => p.name === 'Hz')!.offset).toBe(26);
  });
  test('a definition without points is refused', () => {
    expect(() => sunspecLayout({ id: 5 } as unknown as SunSpecModelDef)).toThrow(/expected a SunSpec model definition/);
  });
});

describe('SunSpec 203 (integers with scale factors)', () => {
  const layout = sunspecLayout(model(203));
  const at = (name: string) => layout.points.find((p) => p.name === name)!.offset;
  const words = block(layout.size, (_o, w) => {
    w[0] = 203;
    w[1] = 105;
    w[at('PhVphA')] = 23012;
    w[at('V_SF')] = 0xfffe; // -2
    w[at('W')] = 0xfc18; // -1000
    w[at('W_SF')] = 0;
    w[at('TotWhImp')] = 0x0001;
    w[at('TotWhImp') + 1] = 0x86a0; // 100000
    w[at('TotWh_SF')] = 0;
    w[at('Hz')] = 0x8000;
    w[at('Hz_SF')] = 0xfffe;
    w[at('A')] = 500;
    w[at('A_SF')] = 0x8000; // scale factor not implemented
  });
  const channels = decodeSunSpecMeter(layout, words);
  const get = (name: string) => channels.find((c) => c.id === (sunspecObis(name) ?? name))!;

  test('a value keeps its raw integer with the scale factor as exponent', () => {
    expect(get('PhVphA')).toEqual({ id: '1-0:32.7.0', value: 23012, scale: -2, unit: 'V' });
  });
  test('negative power is a signed int16', () => {
    expect(get('W').value).toBe(-1000);
  });
  test('acc32 energy spans two registers', () => {
    expect(get('TotWhImp')).toEqual({ id: '1-0:1.8.0', value: 100000, scale: 0, unit: 'Wh' });
  });
  test('int16 0x8000 (not implemented) is null', () => {
    expect(get('Hz').value).toBeNull();
  });
  test('a point whose scale factor is not implemented is null', () => {
    expect(get('A').value).toBeNull();
  });
  test('acc32 0 (not accumulated) is null', () => {
    expect(get('TotWhExp').value).toBeNull();
  });
  test('scale factors and the ID/L header are not channels', () => {
    expect(channels.find((c) => c.id === 'V_SF' || c.id === 'ID' || c.id === 'L')).toBeUndefined();
  });
  test('a short block is refused', () => {
    expect(() => decodeSunSpecMeter(layout, words.slice(0, 50))).toThrow(/needs 107 registers/);
  });
});

describe('SunSpec 213 (float32)', () => {
  const layout = sunspecLayout(model(213));
  const at = (name: string) => layout.points.find((p) => p.name === name)!.offset;
  const words = block(layout.size, (_o, w) => {
    w[0] = 213;
    w[1] = 124;
    w[at('PhVphA')] = 0x4365; // 229.87
    w[at('PhVphA') + 1] = 0xdeb8;
    w[at('Hz')] = 0x7fc0; // NaN: not implemented
    w[at('Hz') + 1] = 0x0000;
  });
  const channels = decodeSunSpecMeter(layout, words);
  test('floats become fixed-point at the unit’s scale (V: 10 mV)', () => {
    expect(channels.find((c) => c.id === '1-0:32.7.0')).toEqual({ id: '1-0:32.7.0', value: 22987, scale: -2, unit: 'V' });
  });
  test('NaN 0x7FC00000 is null', () => {
    expect(channels.find((c) => c.id === '1-0:14.7.0')!.value).toBeNull();
  });
});

describe('SunSpec common model and model walk', () => {
  test('the common model gives manufacturer, model and serial number', () => {
    const layout = sunspecLayout(model(1));
    const words = new Array<number>(68).fill(0);
    words[0] = 1;
    words[1] = 66;
    words[2] = 0x4d43; // 'MC'
    words[50] = 0x3432; // SN at offset 50: '42'
    words[66] = 7;
    const common = decodeSunSpecCommon(layout, words);
    expect(common.manufacturer).toBe('MC');
    expect(common.serialNumber).toBe('42');
    expect(common.deviceAddress).toBe(7);
  });
  test('the SunS marker is 0x5375 0x6E53', () => {
    expect(isSunSpecMarker([0x5375, 0x6e53])).toBe(true);
    expect(isSunSpecMarker([0x6e53, 0x5375])).toBe(false);
  });
  test('model ID 0xFFFF ends the walk', () => {
    expect(sunspecHeader([0xffff, 0], 40070)).toBeNull();
    expect(sunspecHeader([203, 105], 40070)).toEqual({ id: 203, length: 105, address: 40070 });
  });
  test('a model list running past the register space is refused', () => {
    expect(() => sunspecHeader([203, 0xfff0], 40070)).toThrow(/runs past the register space/);
  });
});

describe('the built-in SunSpec tables', () => {
  const facts = (points: { name: string; type: string; size: number; sf?: string; units?: string }[]) =>
    points.map((p) => [p.name, p.type, p.size, p.sf ?? null, p.units ?? null]);

  test.each([1, 201, 202, 203, 204, 211, 212, 213, 214])('model %i has the published points: names, order, types, sizes, scale factors, units', (id) => {
    const table = SUNSPEC_MODELS.find((m) => m.id === id)!;
    expect(table.group.name).toBe(model(id).group.name);
    expect(facts(table.group.points)).toEqual(facts(model(id).group.points));
  });

  test('the tables are exactly the models 1, 201-204 and 211-214', () => {
    expect(SUNSPEC_MODELS.map((m) => m.id)).toEqual([1, 201, 202, 203, 204, 211, 212, 213, 214]);
  });
});

describe('SunSpec points as OBIS channels', () => {
  test.each([
    ['PhVphA', '1-0:32.7.0'], ['PhVphC', '1-0:72.7.0'], ['AphB', '1-0:51.7.0'], ['A', '1-0:90.7.0'], ['W', '1-0:16.7.0'],
    ['WphA', '1-0:36.7.0'], ['VARphC', '1-0:63.7.0'], ['VA', '1-0:9.7.0'], ['PF', '1-0:13.7.0'], ['Hz', '1-0:14.7.0'],
    ['TotWhImp', '1-0:1.8.0'], ['TotWhExpPhB', '1-0:42.8.0'], ['TotVArhImpQ1PhA', '1-0:25.8.0'], ['TotVArhExpQ4phC', '1-0:68.8.0'],
  ])('%s is %s', (name, obis) => {
    expect(sunspecObis(name)).toBe(obis);
  });

  test('points OBIS has no code for keep their SunSpec name', () => {
    expect(sunspecObis('PPVphAB')).toBeNull();
    expect(sunspecObis('PhVphAB')).toBeNull();
    expect(sunspecObis('Evt')).toBeNull();
  });
});

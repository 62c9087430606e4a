// The codec against the standard's layouts: each frame type round-trips, data decodes to engineering units, and
// C37.118.2 tables' worked values come out (FREQ as mHz deviation, DFREQ ×100, polar angle ×10^4 rad).
import { describe, expect, test } from '@jest/globals';
import { Command, decodeFrame, encodeCommand, encodeConfig12, encodeConfig3, encodeData, encodeFrame, encodeHeader, encodeStat, decodeStat, measurements, LOCKED, type ConfigFrame, type DataFrame } from '../src/index.ts';
import { config, data } from './support/fixtures.ts';

function ok<T>(v: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!v.ok) throw new Error(`expected a frame, got: ${v.reason}`);
  return v.value;
}

describe('configuration frames (§6.4)', () => {
  test('CFG-2 of a two-PMU stream round-trips field for field', () => {
    const cfg = config('cfg2');
    const bytes = encodeConfig12(cfg);
    expect([bytes[0], bytes[1]]).toEqual([0xaa, 0x32]);
    expect((bytes[2]! << 8) | bytes[3]!).toBe(bytes.length);
    const back = ok(decodeFrame(bytes)) as ConfigFrame;
    expect(back.pmus.map((p) => p.station)).toEqual(['SUB-A 400kV', 'SUB-B 220kV']);
    expect(back.pmus[0]!.phasors.map((p) => [p.name, p.unit, p.factor])).toEqual([['VA', 'V', 915527], ['IA', 'A', 45776]]);
    expect(back.pmus[0]!.digitals[0]!.names[15]).toBe('ALARM');
    expect(back.pmus[0]!.analogs[0]).toMatchObject({ kind: 1, factor: 100 });
    expect(back.timeBase).toBe(1_000_000);
    expect(back.dataRate).toBe(50);
    expect(encodeConfig12(back)).toEqual(bytes);
  });

  test('CFG-1 differs from CFG-2 only in its frame type', () => {
    const one = encodeConfig12(config('cfg1'));
    const two = encodeConfig12(config('cfg2'));
    expect(one[1]).toBe(0x22);
    expect(one.slice(4, -2)).toEqual(two.slice(4, -2));
  });

  test('CFG-3 carries names longer than 16 bytes, the global id, position, class, window and group delay', () => {
    const cfg = config('cfg3');
    cfg.pmus[0]!.station = 'Substation A, 400 kV busbar 1 (north)';
    const bytes = encodeConfig3(cfg);
    expect(bytes[1]).toBe(0x52);
    const back = ok(decodeFrame(bytes)) as ConfigFrame;
    expect(back.pmus[0]).toMatchObject({ station: 'Substation A, 400 kV busbar 1 (north)', globalId: '00112233445566778899aabbccddeeff', latitude: 52.5, longitude: 13.25, elevation: 34, serviceClass: 'M', window: 20000, groupDelay: 10000 });
    expect(back.pmus[0]!.phasors[1]).toMatchObject({ unit: 'A', component: 4 });
    expect(encodeConfig3(back)).toEqual(bytes);
  });
});

describe('data frames (§6.3)', () => {
  test('a data frame decodes under its CFG-2 and re-encodes to the same bytes', () => {
    const cfg = config();
    const bytes = encodeData(data(), cfg);
    // 16 bytes of frame + PMU A: STAT 2, 2 polar phasors 8, FREQ/DFREQ 4, 1 analog 2, 1 digital 2 + PMU B: STAT 2, 1 float phasor 8, float FREQ/DFREQ 8.
    expect(bytes.length).toBe(16 + 18 + 18);
    const back = ok(decodeFrame(bytes, cfg)) as DataFrame;
    expect(back.pmus[0]!.phasors).toEqual([{ x: 25_000, y: 5236 }, { x: 2000, y: 4000 }]);
    expect(encodeData(back, cfg)).toEqual(bytes);
  });

  test('engineering units: 16-bit polar scaled by PHUNIT, FREQ as mHz deviation, DFREQ in 1/100 Hz/s', () => {
    const cfg = config();
    const m = measurements(ok(decodeFrame(encodeData(data(), cfg), cfg)) as DataFrame, cfg);
    expect(m[0]!.phasors[0]!.magnitude).toBeCloseTo(25_000 * 9.15527, 6);
    expect(m[0]!.phasors[0]!.angle).toBeCloseTo(0.5236, 10);
    expect(m[0]!.frequency).toBeCloseTo(49.98, 10);
    expect(m[0]!.rocof).toBeCloseTo(0.03, 10);
    expect(m[0]!.analogs[0]!.value).toBe(12300);
    expect(m[1]!.phasors[0]!.magnitude).toBeCloseTo(Math.hypot(127_000.5, -3_000.25), 1);
    expect(m[1]!.phasors[0]!.angle).toBeCloseTo(Math.atan2(-3_000.25, 127_000.5), 6);
    expect(m[1]!.frequency).toBeCloseTo(49.98, 5);
  });

  test('missing 16-bit values (0x8000) come out as NaN', () => {
    const cfg = config();
    const frame = data();
    frame.pmus[0]!.freq = -32768;
    frame.pmus[0]!.phasors[0]!.y = -32768;
    const m = measurements(ok(decodeFrame(encodeData(frame, cfg), cfg)) as DataFrame, cfg);
    expect(m[0]!.frequency).toBeNaN();
    expect(m[0]!.phasors[0]!.angle).toBeNaN();
  });

  test('every STAT bit survives the round trip', () => {
    for (let word = 0; word <= 0xffff; word += 7) expect(encodeStat(decodeStat(word))).toBe(word);
    expect(decodeStat(0x2000).notSynchronized).toBe(true);
    expect(decodeStat(0x0400).configChange).toBe(true);
    expect(decodeStat(0xc000).dataError).toBe(3);
  });

  test('a data frame without a configuration is refused with that reason', () => {
    const v = decodeFrame(encodeData(data(), config()));
    expect(v).toEqual({ ok: false, reason: 'data frame from IDCODE 7 before any configuration frame' });
  });
});

describe('header and command frames (§6.5, §6.6)', () => {
  test('a header frame carries its text', () => {
    const bytes = encodeHeader({ kind: 'header', version: 2, idcode: 7, soc: 1, fraction: 0, timeQuality: LOCKED, text: 'meterchain PMU simulator, P class, 50 Hz' });
    expect(ok(decodeFrame(bytes))).toMatchObject({ kind: 'header', text: 'meterchain PMU simulator, P class, 50 Hz' });
  });

  test('each command of Table 13 round-trips; an extended frame keeps its words', () => {
    for (const cmd of [Command.dataOff, Command.dataOn, Command.sendHeader, Command.sendCfg1, Command.sendCfg2, Command.sendCfg3]) {
      const bytes = encodeCommand({ kind: 'command', version: 2, idcode: 7, soc: 5, fraction: 0, timeQuality: LOCKED, command: cmd, extended: new Uint8Array(0) });
      expect(bytes.length).toBe(18);
      expect(ok(decodeFrame(bytes))).toMatchObject({ kind: 'command', command: cmd });
    }
    const ext = encodeFrame({ kind: 'command', version: 2, idcode: 7, soc: 5, fraction: 0, timeQuality: LOCKED, command: Command.extended, extended: new Uint8Array([1, 2, 3, 4]) });
    expect(ok(decodeFrame(ext))).toMatchObject({ command: 8, extended: new Uint8Array([1, 2, 3, 4]) });
  });

  test('the encoder throws at once on a value the format cannot carry (programmer mistakes)', () => {
    expect(() => encodeCommand({ kind: 'command', version: 2, idcode: 7, soc: 5, fraction: 0, timeQuality: LOCKED, command: 7, extended: new Uint8Array(0) })).toThrow(/CMD must be/);
    const cfg = config();
    cfg.pmus[0]!.station = 'a name longer than sixteen';
    expect(() => encodeConfig12(cfg)).toThrow(/station name must be a string of at most 16/);
    const frame = data();
    frame.pmus[0]!.freq = 40_000;
    expect(() => encodeData(frame, config())).toThrow(/FREQ must be a 16-bit signed integer/);
    expect(() => encodeData(data(2_000_000), config())).toThrow(/below TIME_BASE/);
  });
});

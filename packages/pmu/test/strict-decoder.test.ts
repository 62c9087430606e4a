// The strict decoder: one mutated vector per field, each refused with a reason naming it; encode → decode → encode
// is the identity over random configurations and frames (seeded); random and truncated bytes never throw.
import { describe, expect, test } from '@jest/globals';
import { decodeFrame, encodeCommand, encodeConfig12, encodeConfig3, encodeData, encodeFrame, encodeHeader, LOCKED, type ConfigFrame, type DataFrame } from '../src/index.ts';
import { config, data, rechecked, resized } from './support/fixtures.ts';
import { int, randomConfig, randomData, seeded } from './support/random-frames.ts';

function reason(bytes: Uint8Array, cfg?: ConfigFrame): string {
  const v = decodeFrame(bytes, cfg);
  return v.ok ? 'accepted' : v.reason;
}

function mutate(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[at] = value;
  return rechecked(out);
}

const cfg2 = encodeConfig12(config('cfg2'));
const cfg3 = encodeConfig3(config('cfg3'));
const dataBytes = encodeData(data(), config());
const cmd = encodeCommand({ kind: 'command', version: 2, idcode: 7, soc: 1, fraction: 0, timeQuality: LOCKED, command: 5, extended: new Uint8Array(0) });
// CFG-2 offsets: header 14, TIME_BASE 14, NUM_PMU 18, first PMU at 20: STN 20, IDCODE 36, FORMAT 38, PHNMR 40.
const PMU0 = 20;
const FNOM0 = PMU0 + 16 + 2 + 2 + 6 + 16 * (2 + 1 + 16) + 4 * (2 + 1 + 1);

describe('one mutated vector per field, each refused with its reason', () => {
  const cases: [string, () => string, RegExp][] = [
    ['SYNC leading byte', () => reason(mutate(cfg2, 0, 0xab)), /SYNC starts with 0xab/],
    ['SYNC reserved bit 7', () => reason(mutate(cfg2, 1, 0xb2)), /bit 7 \(reserved\)/],
    ['SYNC frame type 6 (reserved)', () => reason(mutate(cfg2, 1, 0x62)), /frame type 6 is reserved/],
    ['SYNC version 3', () => reason(mutate(cfg2, 1, 0x33)), /version 3/],
    ['CFG-3 with version 1', () => reason(mutate(cfg3, 1, 0x51)), /CFG-3 frame with version 1/],
    ['FRAMESIZE larger than the bytes', () => reason(mutate(cfg2, 3, cfg2[3]! + 1)), /FRAMESIZE says/],
    ['FRAMESIZE smaller than the bytes', () => reason(resized(cfg2.slice(0, 40))), /truncated|more than the frame holds/],
    ['CHK', () => reason(cfg2.map((b, i) => (i === cfg2.length - 1 ? b ^ 1 : b))), /CHK mismatch/],
    ['FRACSEC reserved bit 31', () => reason(mutate(cfg2, 10, 0x80)), /FRACSEC bit 31/],
    ['FRACSEC not below TIME_BASE', () => reason(mutate(cfg2, 11, 0xff)), /not below TIME_BASE/],
    ['TIME_BASE reserved flags', () => reason(mutate(cfg2, 14, 1)), /TIME_BASE bits 31-24/],
    ['TIME_BASE zero', () => reason(rechecked(cfg2.map((b, i) => (i >= 15 && i <= 17 ? 0 : b)))), /TIME_BASE is 0/],
    ['NUM_PMU zero', () => reason(mutate(cfg2, 19, 0)), /NUM_PMU is 0|bytes after its last field/],
    ['FORMAT unused bits', () => reason(mutate(cfg2, PMU0 + 18, 0x10)), /FORMAT .* unused bits/],
    ['PHNMR beyond the frame', () => reason(mutate(cfg2, PMU0 + 20, 0x7f)), /declares .* more than the frame holds/],
    ['PHUNIT type 2', () => reason(mutate(cfg2, PMU0 + 26 + 16 * 19, 2)), /PHUNIT .* neither 0/],
    ['FNOM reserved bits', () => reason(mutate(cfg2, FNOM0, 0x80)), /FNOM .* reserved bits/],
    ['DATA_RATE zero', () => reason(rechecked(cfg2.map((b, i) => (i === cfg2.length - 4 || i === cfg2.length - 3 ? 0 : b)))), /DATA_RATE is 0/],
    ['trailing byte in a CFG-2', () => reason(resized(new Uint8Array([...cfg2.slice(0, -2), 0, 0, 0]))), /after its last field/],
    ['CFG-3 CONT_IDX', () => reason(mutate(cfg3, 15, 1)), /CONT_IDX 1/],
    ['CFG-3 SVC_CLASS', () => reason(rechecked(svcClass(cfg3, 0x58))), /SVC_CLASS .* "X"/],
    ['CFG-3 phasor component 3 (reserved)', () => reason(mutate(cfg3, phscale(cfg3) + 2, 3)), /component 3 is reserved/],
    ['data frame IDCODE of another stream', () => reason(mutate(dataBytes, 5, 8), config()), /IDCODE 8, configuration is for 7/],
    ['data frame length against its configuration', () => reason(resized(new Uint8Array([...dataBytes.slice(0, -2), 0, 0, 0, 0])), config()), /configuration makes 52/],
    ['data frame FRACSEC not below TIME_BASE', () => reason(mutate(dataBytes, 11, 0xff), config()), /not below TIME_BASE/],
    ['command CMD reserved', () => reason(mutate(cmd, 15, 7)), /CMD 7 is reserved/],
    ['command EXTFRAME on a plain command', () => reason(resized(new Uint8Array([...cmd.slice(0, -2), 0, 1, 0, 0]))), /carries 2 bytes of EXTFRAME/],
    ['command EXTFRAME of odd length', () => reason(resized(new Uint8Array([...cmd.slice(0, 14), 0, 8, 1, 0, 0]))), /not a whole number of 16-bit words/],
    ['command without CMD', () => reason(resized(cmd.slice(0, 16))), /no CMD field/],
    ['frame shorter than 16 bytes', () => reason(cmd.slice(0, 10)), /shorter than the 16-byte minimum/],
  ];
  for (const [field, run, expected] of cases) test(field, () => expect(run()).toMatch(expected));
});

/** Offset of SVC_CLASS of the first PMU of the fixture's CFG-3. */
function svcClass(bytes: Uint8Array, value: number): Uint8Array {
  const out = bytes.slice();
  // The fixture's first PMU: 2 phasors, 1 analog, 1 digital word; names 'SUB-A 400kV', 'VA', 'IA', 'MW', 'BRK1', 'BRK2', 'ALARM'.
  const names = 1 + 11 + (1 + 2) * 3 + 16 + 4 + 4 + 5;
  const at = 14 + 2 + 4 + 2 + names + 2 + 16 + 2 + 6 + 12 * 2 + 8 + 4 + 12;
  out[at] = value;
  return out;
}

function phscale(bytes: Uint8Array): number {
  void bytes;
  return 14 + 2 + 4 + 2 + 12 + 2 + 16 + 2 + 6 + 9 + 16 + 4 + 4 + 5;
}

describe('properties over seeds', () => {
  test('encode → decode → encode is the identity for CFG-1/2/3 and their data frames (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = seeded(seed);
      const kind = (['cfg1', 'cfg2', 'cfg3'] as const)[seed % 3]!;
      const cfg = randomConfig(rand, kind);
      const bytes = encodeFrame(cfg);
      const back = decodeFrame(bytes);
      if (!back.ok) throw new Error(`seed ${seed}: ${back.reason}`);
      expect(encodeFrame(back.value)).toEqual(bytes);
      const frame = randomData(rand, back.value as ConfigFrame);
      const dataBytes = encodeData(frame, cfg);
      const decoded = decodeFrame(dataBytes, back.value as ConfigFrame);
      if (!decoded.ok) throw new Error(`seed ${seed} data: ${decoded.reason}`);
      expect(encodeData(decoded.value as DataFrame, back.value as ConfigFrame)).toEqual(dataBytes);
    }
  });

  test('header and command frames round-trip (100 seeds)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rand = seeded(seed);
      let text = '';
      for (let i = int(rand, 0, 300); i > 0; i--) text += String.fromCharCode(int(rand, 0, 255));
      const head = { version: 2, idcode: int(rand, 0, 0xffff), soc: int(rand, 0, 0xffffffff), fraction: int(rand, 0, 0xffffff), timeQuality: LOCKED };
      const header = encodeHeader({ kind: 'header', ...head, text });
      const h = decodeFrame(header);
      expect(h.ok && encodeFrame(h.value)).toEqual(header);
      const ext = new Uint8Array(2 * int(rand, 0, 20)).map(() => int(rand, 0, 255));
      const command = encodeCommand({ kind: 'command', ...head, command: 8, extended: ext });
      const c = decodeFrame(command);
      expect(c.ok && encodeFrame(c.value)).toEqual(command);
    }
  });

  test('random bytes, truncations and single-byte flips never throw (20,000 inputs)', () => {
    const rand = seeded(99);
    const cfg = config();
    const seeds = [cfg2, cfg3, dataBytes, cmd];
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const base = seeds[i % seeds.length]!;
      let bytes: Uint8Array;
      const mode = i % 4;
      if (mode === 0) bytes = new Uint8Array(int(rand, 0, 80)).map(() => int(rand, 0, 255));
      else if (mode === 1) bytes = resized(base.slice(0, Math.max(16, int(rand, 0, base.length))));
      else {
        bytes = base.slice();
        bytes[int(rand, 0, bytes.length - 3)] = int(rand, 0, 255);
        if (mode === 3) bytes = rechecked(bytes);
      }
      const v = decodeFrame(bytes, cfg);
      if (!v.ok) {
        expect(typeof v.reason).toBe('string');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(10_000);
  });
});

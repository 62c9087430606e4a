// Portable self-check run by the portability gate inside a stripped context: a two-PMU CFG-2 and a data frame
// encode, decode and re-encode byte for byte; a flipped CHK is refused. Throws on the first wrong value.
import { decodeFrame, encodeConfig12, encodeData, measurements, GOOD_STAT, LOCKED, FrameSplitter, type ConfigFrame, type DataFrame } from './src/index.ts';

function check(condition: boolean, what: string): void {
  if (!condition) {
    const error = new Error(`pmu smoke: ${what}`) as Error & { code: string };
    error.code = 'SMOKE_FAILED';
    throw error;
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs the checks; returns how many passed. */
export function smoke(): number {
  let passed = 0;
  const phasor = { name: 'VA', unit: 'V' as const, factor: 915527, modification: 0, component: 4, userFlags: 0, scale: 9.15527, angleOffset: 0 };
  const pmu = { station: 'SUB-A', idcode: 11, format: { freqFloat: false, analogFloat: false, phasorFloat: false, polar: true }, phasors: [phasor], analogs: [], digitals: [], nominalHz: 50 as const, changeCount: 1, globalId: '00000000000000000000000000000000', latitude: 0, longitude: 0, elevation: 0, serviceClass: 'M' as const, window: 0, groupDelay: 0 };
  const cfg: ConfigFrame = { kind: 'cfg2', version: 2, idcode: 7, soc: 1700000000, fraction: 0, timeQuality: LOCKED, continuation: 0, timeBase: 1000000, pmus: [pmu], dataRate: 50 };
  const cfgBytes = encodeConfig12(cfg);
  const back = decodeFrame(cfgBytes);
  check(back.ok, back.ok ? 'CFG-2 decodes' : `CFG-2 decodes: ${back.reason}`);
  if (back.ok) check(same(encodeConfig12(back.value as ConfigFrame), cfgBytes), 'CFG-2 re-encodes to the same bytes');
  passed += 2;
  const frame: DataFrame = { kind: 'data', version: 2, idcode: 7, soc: 1700000000, fraction: 20000, timeQuality: LOCKED, pmus: [{ stat: GOOD_STAT, phasors: [{ x: 25000, y: 5236 }], freq: -20, dfreq: 3, analogs: [], digitals: [] }] };
  const bytes = encodeData(frame, cfg);
  const d = decodeFrame(bytes, cfg);
  check(d.ok, 'data frame decodes');
  if (d.ok) {
    const m = measurements(d.value as DataFrame, cfg)[0]!;
    check(Math.abs(m.frequency - 49.98) < 1 / 1000000000, 'FREQ -20 mHz on 50 Hz is 49.98 Hz');
    check(Math.abs(m.phasors[0]!.angle - 5236 / 10000) < 1 / 1000000000, 'polar angle 5236 is 0.5236 rad');
  }
  passed += 3;
  const bad = bytes.slice();
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
  const refused = decodeFrame(bad, cfg);
  check(!refused.ok && refused.reason.indexOf('CHK mismatch') === 0, 'a flipped CHK is refused');
  const splitter = new FrameSplitter();
  const stream = new Uint8Array(cfgBytes.length + bytes.length + 3);
  stream.set([1, 2, 3], 0);
  stream.set(cfgBytes, 3);
  stream.set(bytes, 3 + cfgBytes.length);
  const frames = splitter.push(stream.subarray(0, 40)).concat(splitter.push(stream.subarray(40)));
  check(frames.length === 2 && splitter.skipped === 3, 'the splitter finds two frames after 3 bytes of garbage');
  passed += 2;
  return passed;
}

// Batching one station's frames (docs/pmu.md, "Batches"): a PDC's frame split into each station's own data frame,
// the station's configuration as a stream of its own, and the round's summary the cluster judges.
import { describe, expect, test } from '@jest/globals';
import { decodeFrame, frameTimeUs, measurements, stationConfig, stationFrame, encodeStationConfig, summarizeFrames, type ConfigFrame, type DataFrame, type FrameSample } from '../src/index.ts';
import { DEFAULT_GRID, gridConfig, gridFrame, type GridOptions } from '../src/sim/index.ts';

const grid: GridOptions = { ...DEFAULT_GRID, stations: 3, nominalHz: 60, dataRate: 60, events: [] };

function samplesOf(options: GridOptions, station: number, from: number, count: number): FrameSample[] {
  const cfg = gridConfig(options, 'cfg2', 0, 0);
  const out: FrameSample[] = [];
  for (let i = from; i < from + count; i++) {
    const f = gridFrame(options, cfg, 1_800_000_000, i, false);
    const m = measurements(f, cfg)[station]!;
    out.push({ timeUs: frameTimeUs(f.soc, f.fraction, cfg.timeBase), frequency: m.frequency, angle: m.phasors[0]!.angle });
  }
  return out;
}

describe('station frames', () => {
  test("a station's block of a PDC frame becomes a data frame of its own that decodes under the station's configuration", () => {
    const cfg = gridConfig(grid, 'cfg2', 0, 1_800_000_000);
    const frame = gridFrame(grid, cfg, 1_800_000_000, 7, false);
    const station = stationConfig(cfg, 2);
    const bytes = stationFrame(frame, 2, station);
    const back = decodeFrame(bytes, station);
    if (!back.ok) throw new Error(back.reason);
    const d = back.value as DataFrame;
    expect([d.idcode, d.soc, d.fraction, d.pmus.length]).toEqual([102, frame.soc, frame.fraction, 1]);
    expect(d.pmus[0]).toEqual(frame.pmus[2]);
  });

  test("the station's configuration encodes to the same bytes whenever the PMU sends it", () => {
    const a = encodeStationConfig(stationConfig(gridConfig(grid, 'cfg2', 0, 1_800_000_000), 1));
    const b = encodeStationConfig(stationConfig(gridConfig(grid, 'cfg2', 0, 1_800_000_999), 1));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = decodeFrame(a);
    expect(c.ok && (c.value as ConfigFrame).pmus.map((p) => p.idcode)).toEqual([101]);
  });
});

describe('batch summary', () => {
  test('a round of 60 frames at 60.03 Hz: range, frequency in mHz, and the angle advancing 2π·0.03 rad/s', () => {
    const options: GridOptions = { ...grid, events: [{ kind: 'frequency-excursion', atSeconds: 0, deltaHz: 0.03, rampSeconds: 0.001, holdSeconds: 100 }] };
    const s = summarizeFrames(samplesOf(options, 0, 120, 60), 1_800_000_002_500_000);
    expect([s.from, s.to]).toEqual([1_800_000_002_000_000, 1_800_000_002_983_333]);
    expect([s.fmin, s.fmax, s.fmean]).toEqual([60_030, 60_030, 60_030]);
    expect(Math.abs(s.slope - 2 * Math.PI * 0.03 * 1e6)).toBeLessThan(50);
    expect(s.residual).toBeLessThan(5);
  });

  test("a station's clock drifting 50 µs/s shows as its angle slope against the others (2π·60·50e-6 rad/s)", () => {
    const options: GridOptions = { ...grid, events: [{ kind: 'clock-drift', atSeconds: 0, station: 1, microsecondsPerSecond: 50 }] };
    const good = summarizeFrames(samplesOf(options, 0, 60, 60), 1_800_000_001_500_000);
    const bad = summarizeFrames(samplesOf(options, 1, 60, 60), 1_800_000_001_500_000);
    expect(Math.abs(bad.slope - good.slope - 2 * Math.PI * 60 * 50)).toBeLessThan(20);
  });

  test('a missing frequency counts in the range only; an empty round is a programming error', () => {
    const s = summarizeFrames([{ timeUs: 10, frequency: NaN, angle: 0.1 }, { timeUs: 20, frequency: 50.01, angle: 0.1 }], 15);
    expect([s.from, s.to, s.fmin, s.fmax, s.angle]).toEqual([10, 20, 50_010, 50_010, 100_000]);
    expect(() => summarizeFrames([], 0)).toThrow('no frames');
  });
});

// The stream side of a PDC, pure: cutting a TCP byte stream into frames, and the monitor's reports on time quality,
// data errors and configuration-change warnings (gaps and reordering are exercised over sockets in pdc-client).
import { describe, expect, test } from '@jest/globals';
import { encodeConfig12, encodeData, FrameSplitter, StreamMonitor, type DataFrame } from '../src/index.ts';
import { config, data } from './support/fixtures.ts';

describe('FrameSplitter', () => {
  test('finds frames split across chunks, one byte at a time, after garbage', () => {
    const cfg = encodeConfig12(config());
    const frame = encodeData(data(), config());
    const stream = new Uint8Array([0x00, 0xaa, 0x99, ...cfg, 0x13, ...frame]);
    const s = new FrameSplitter();
    const out: Uint8Array[] = [];
    for (const b of stream) out.push(...s.push(new Uint8Array([b])));
    expect(out).toEqual([cfg, frame]);
    expect(s.skipped).toBe(4);
    expect(s.pending()).toBe(0);
  });

  test('a FRAMESIZE below the 16-byte minimum is not a frame start', () => {
    const s = new FrameSplitter();
    expect(s.push(new Uint8Array([0xaa, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 6]))).toEqual([]);
    expect(s.skipped).toBeGreaterThan(0);
  });
});

describe('StreamMonitor', () => {
  const cfg = config();
  function at(fraction: number, edit?: (f: DataFrame) => void): DataFrame {
    const f = data(fraction);
    edit?.(f);
    return f;
  }

  test('a clock that loses lock is reported once when it starts and once when it is restored', () => {
    const m = new StreamMonitor();
    expect(m.observe(at(0), cfg)).toEqual([]);
    const lost = m.observe(at(20_000, (f) => (f.timeQuality = { ...f.timeQuality, code: 7 })), cfg);
    expect(lost.map((e) => e.kind)).toEqual(['time-quality', 'time-quality']);
    expect(lost[0]).toMatchObject({ idcode: 11, problem: 'FRACSEC: clock unlocked, time within 1e-3 s' });
    expect(m.observe(at(40_000, (f) => (f.timeQuality = { ...f.timeQuality, code: 7 })), cfg)).toEqual([]);
    expect(m.observe(at(60_000), cfg).map((e) => e.kind)).toEqual(['time-quality-restored', 'time-quality-restored']);
    expect(m.counts.timeQualityFrames).toBe(2);
  });

  test('STAT sync and unlocked-time bits of one PMU block are reported for that PMU', () => {
    const m = new StreamMonitor();
    const events = m.observe(at(0, (f) => (f.pmus[1]!.stat = { ...f.pmus[1]!.stat, notSynchronized: true, unlockedTime: 2 })), cfg);
    expect(events).toEqual([{ kind: 'time-quality', idcode: 12, problem: 'STAT: PMU not synchronized; STAT: unlocked for 100-1000 s', soc: 1_700_000_000, fraction: 0 }]);
  });

  test('data errors are reported every frame; a configuration change once until applied', () => {
    const m = new StreamMonitor();
    const flagged = (fraction: number) => at(fraction, (f) => (f.pmus[0]!.stat = { ...f.pmus[0]!.stat, dataError: 2, configChange: true }));
    expect(m.observe(flagged(0), cfg).map((e) => e.kind)).toEqual(['data-error', 'config-change-announced']);
    expect(m.observe(flagged(20_000), cfg).map((e) => e.kind)).toEqual(['data-error']);
    m.configApplied();
    expect(m.observe(flagged(40_000), cfg).map((e) => e.kind)).toEqual(['data-error', 'config-change-announced']);
    expect(m.counts.dataErrorFrames).toBe(3);
  });

  test('a gap counts the frames missing at the configured rate', () => {
    const m = new StreamMonitor();
    m.observe(at(0), cfg);
    expect(m.observe(at(100_000), cfg)).toEqual([{ kind: 'gap', missing: 4, soc: 1_700_000_000, fraction: 100_000 }]);
  });
});

import { describe, expect, test } from '@jest/globals';
import { createReadingEncoder, encodeReading, QualityFlag, toHex, xorshift32, type Channel, type Reading } from '../src/index.ts';

const IDS = ['1-0:32.7.0', '1-0:31.7.0', '1-0:16.7.0', 'PhVphA', 'W', 'a', 'Hz', '1-0:1.8.0', 'ΔT', 'x'.repeat(32), 'constructorx', '1-0:81.7.15'];
const UNITS = ['V', 'A', 'W', 'var', 'VA', 'Wh', 'Hz', 'Hz/s', '1', 'deg', '°C'];
const CLUSTERS = ['cluster-1', 'c', 'région-nord', 'x'.repeat(64)];

function pickValue(next: () => number): number {
  const kind = Math.floor(next() * 6);
  if (kind === 0) return Math.floor(next() * 24) - 12;
  if (kind === 1) return Math.floor((next() - 0.5) * 600);
  if (kind === 2) return Math.floor((next() - 0.5) * 140000);
  if (kind === 3) return Math.floor((next() - 0.5) * 2 * 4294967296 * 2);
  if (kind === 4) return next() < 0.5 ? 9007199254740991 : -9007199254740991;
  return Math.floor((next() - 0.5) * 2e15);
}

function layout(next: () => number): Channel[] {
  const n = Math.floor(next() * 20);
  const channels: Channel[] = [];
  const used: string[] = [];
  for (let i = 0; i < n; i++) {
    let id = IDS[Math.floor(next() * IDS.length)]! + (next() < 0.5 ? '' : String(i));
    while (used.includes(id)) id += '.';
    used.push(id);
    const c: Channel = { id, unit: UNITS[Math.floor(next() * UNITS.length)]!, scale: Math.floor(next() * 25) - 12, value: 0 };
    if (next() < 0.2) c.raw = 0;
    channels.push(c);
  }
  return channels;
}

/** Readings in runs that share one channel layout (as a node sends them), the layout changing between runs. */
function corpus(count: number): Reading[] {
  const next = xorshift32(0x7e4d);
  const out: Reading[] = [];
  let channels = layout(next);
  let cluster = CLUSTERS[0]!;
  for (let i = 0; i < count; i++) {
    if (next() < 0.1) channels = layout(next);
    if (next() < 0.05) cluster = CLUSTERS[Math.floor(next() * CLUSTERS.length)]!;
    const filtered = channels.some((c) => c.raw !== undefined);
    const meter = new Uint8Array(20);
    for (let b = 0; b < 20; b++) meter[b] = Math.floor(next() * 256);
    out.push({
      v: 1,
      cluster,
      meter,
      seq: next() < 0.5 ? i : Math.floor(next() * 9007199254740991),
      ts: next() < 0.8 ? 1700000000000 + i * 1000 : Math.floor(next() * 100000),
      clock: Math.floor(next() * 3) as 0 | 1 | 2,
      channels: channels.map((c) => ({ ...c, value: pickValue(next), ...(c.raw !== undefined ? { raw: pickValue(next) } : {}) })),
      quality: (Math.floor(next() * 4294967296) | (filtered ? QualityFlag.FILTERED : 0)) >>> 0,
    });
  }
  return out;
}

function thrown(f: () => unknown): { code?: string; message?: string } | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { code: err.code, message: err.message };
  }
}

describe('the reading encoder for a steady channel layout', () => {
  test('gives encodeReading\'s bytes for each of 3,000 readings (layouts, clusters, values and flags varied)', () => {
    const encoder = createReadingEncoder();
    const readings = corpus(3000);
    let differing = 0;
    for (const r of readings) if (toHex(encoder.encode(r)) !== toHex(encodeReading(r))) differing++;
    expect(differing).toBe(0);
  });

  test('encodeView gives the same bytes without a copy, as a view into the encoder\'s buffer, for each of 3,000 readings', () => {
    const encoder = createReadingEncoder();
    let differing = 0;
    let views = 0;
    for (const r of corpus(3000)) {
      const view = encoder.encodeView(r);
      if (toHex(view) !== toHex(encodeReading(r))) differing++;
      if (view.byteOffset === 0 && view.buffer.byteLength >= view.length) views++;
    }
    expect(differing).toBe(0);
    expect(views).toBe(3000);
  });

  test('a reading with no channels, one with 64 and one with 300', () => {
    const encoder = createReadingEncoder();
    const base = corpus(1)[0]!;
    for (const n of [0, 64, 300, 0]) {
      const channels: Channel[] = [];
      for (let i = 0; i < n; i++) channels.push({ id: `c${i}`, unit: 'V', scale: -1, value: i * 1000 - 7 });
      const r = { ...base, channels, quality: 0 };
      expect(toHex(encoder.encode(r))).toBe(toHex(encodeReading(r)));
    }
  });

  test.each([
    ['version', (r: Reading) => ({ ...r, v: 2 })],
    ['raw without FILTERED', (r: Reading) => ({ ...r, quality: 0, channels: [{ id: 'a', unit: 'V', scale: 0, value: 1, raw: 2 }] })],
    ['repeated id', (r: Reading) => ({ ...r, channels: [{ id: 'a', unit: 'V', scale: 0, value: 1 }, { id: 'a', unit: 'A', scale: 0, value: 1 }] })],
    ['scale', (r: Reading) => ({ ...r, channels: [{ id: 'a', unit: 'V', scale: 13, value: 1 }] })],
    ['meter length', (r: Reading) => ({ ...r, meter: new Uint8Array(19) })],
    ['a float value', (r: Reading) => ({ ...r, channels: r.channels.map((c, i) => (i === 0 ? { ...c, value: 1.5 } : c)) })],
    ['quality beyond 32 bits', (r: Reading) => ({ ...r, quality: 4294967296 })],
  ])('refuses a malformed reading (%s) as encodeReading does, also right after a good one', (_, spoil) => {
    const encoder = createReadingEncoder();
    const good: Reading = { ...corpus(1)[0]!, channels: [{ id: 'a', unit: 'V', scale: 0, value: 5 }], quality: 0 };
    encoder.encode(good);
    const bad = spoil(good);
    const expected = thrown(() => encodeReading(bad));
    expect(expected).toBeDefined();
    expect(thrown(() => encoder.encode(bad))).toEqual(expected);
    expect(toHex(encoder.encode(good))).toBe(toHex(encodeReading(good)));
  });
});

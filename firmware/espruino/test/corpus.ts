// A corpus of raw SDM630 registers and the sensor-node frames they give, built the same way on every runtime: the
// cross-runtime test runs it on Node and, bundled, in the gate's Espruino-like context (and on the real interpreter
// when one is named), then compares the frames byte for byte. Halves at each point's scale and negative values are
// where Math.round and the exact rounding part ways.
import { crc32, fromHex, sha256, toHex, xorshift32, type Channel } from '@meterchain/core';
import { decodePoints, eastronPoints, planPointReads, EASTRON_MAX_GAP, EASTRON_MAX_READ } from '@meterchain/meters';
import { createSensorNode } from '../src/node.ts';

/** Readings in the corpus: 200 × 32 channels, about a quarter of them halves at their scale. */
export const CORPUS_READINGS = 200;

/** Denominator 2^j that makes `value × 10^-scale` a half for an odd numerator (scale -1: quarters; -2: eighths;
 * -3 and kWh read as Wh: sixteenths). */
function halfStep(scale: number, factor: number): number {
  const digits = factor === 1000 ? 3 : -scale;
  if (digits === 1) return 4;
  if (digits === 2) return 8;
  return 16;
}

/** One reading's registers for every planned block; `next` is a seeded source of numbers in [0, 1). */
function registers(reading: number, next: () => number): Uint16Array[] {
  const points = eastronPoints('SDM630', 'big');
  const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
  const words: Uint16Array[] = [];
  for (const block of blocks) words.push(new Uint16Array(block.count));
  const float = new DataView(new ArrayBuffer(4));
  for (let p = 0; p < points.length; p++) {
    const point = points[p]!;
    const sign = next() < 0.5 ? -1 : 1;
    const whole = Math.floor(next() * 500);
    const step = halfStep(point.scale, point.factor ?? 1);
    const odd = 2 * Math.floor(next() * (step / 2)) + 1;
    const kind = (reading + p) % 4;
    let value: number;
    if (kind === 0) value = sign * (whole + odd / step); // a half at the point's scale
    else if (kind === 1) value = sign * (odd / step); // a half near zero: -0.125 V is -12.5 cV
    else if (kind === 2) value = (next() - 0.5) * 2000; // any float, either sign
    else value = -whole - 0.5; // a half at every scale
    float.setFloat32(0, value);
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      if (point.address < block.address || point.address + 2 > block.address + block.count) continue;
      words[b]![point.address - block.address] = float.getUint16(0);
      words[b]![point.address - block.address + 1] = float.getUint16(2);
    }
  }
  return words;
}

/** The registers of `count` readings, one list of planned blocks each. */
export function corpusRegisters(count: number): Uint16Array[][] {
  const next = xorshift32(0x5eed2101);
  const readings: Uint16Array[][] = [];
  for (let r = 0; r < count; r++) readings.push(registers(r, next));
  return readings;
}

/** Calls `visit` with the frame of each of `count` readings, as hex, from registers through decoding, the reading,
 * HMAC and framing. One reading at a time: a board's heap holds no more. */
export function eachCorpusFrame(count: number, visit: (hex: string) => void): void {
  const next = xorshift32(0x5eed2101);
  const points = eastronPoints('SDM630', 'big');
  const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
  let clock = 1700000000000;
  let mark = 0;
  const node = createSensorNode(
    {
      hash: sha256,
      crc32: (bytes) => crc32(bytes),
      key: fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'),
      now: () => clock,
      send: () => undefined,
      reserveSequence: (n) => {
        mark += n;
        return mark - n;
      },
    },
    { cluster: 'cluster-1', meter: fromHex('00112233445566778899aabbccddeeff00112233') },
  );
  for (let r = 0; r < count; r++) {
    const channels: Channel[] = [];
    for (const c of decodePoints(points, blocks, registers(r, next)).channels) {
      if (c.value !== null) channels.push({ id: c.id, unit: c.unit, scale: c.scale, value: c.value });
    }
    visit(toHex(node.publish(channels, 0)));
    clock += 10000;
  }
}

/** The frames of `count` readings, as hex. */
export function corpusFrames(count: number): string[] {
  const frames: string[] = [];
  eachCorpusFrame(count, (hex) => frames.push(hex));
  return frames;
}

/** Run by the gate's sandbox or the interpreter: one line per frame. */
export function smoke(): void {
  eachCorpusFrame(CORPUS_READINGS, (hex) => console.log(hex));
}

// IEEE C37.118.2 codec: a 16-PMU PDC data frame (688 bytes) decoded and encoded per second, against CRC-CCITT over
// the same bytes in the same run (the least any checked decode must do), and against what a 16-PMU stream at
// 60 frames/s needs.
import { crcCcitt } from '@meterchain/core';
import { decodeFrame, encodeData, type DataFrame } from '@meterchain/pmu';
import { DEFAULT_GRID, gridConfig, gridFrame } from '@meterchain/pmu/sim';
import { opsPerSecond, ratioRow, type BenchOptions, type BenchRow } from './harness.ts';

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const ms = opts.quick ? 300 : 1500;
  const grid = { ...DEFAULT_GRID, stations: 16, dataRate: 60, nominalHz: 60 as const };
  const config = gridConfig(grid, 'cfg2', 0, 1_700_000_000);
  const frames: DataFrame[] = [];
  for (let i = 0; i < 256; i++) frames.push(gridFrame(grid, config, 1_700_000_000, i, false));
  const bytes = frames.map((f) => encodeData(f, config));
  let i = 0;
  const crc = opsPerSecond(() => {
    crcCcitt(bytes[i++ & 255]!);
  }, ms);
  const decode = opsPerSecond(() => {
    if (!decodeFrame(bytes[i++ & 255]!, config).ok) throw new Error('bench frame refused');
  }, ms);
  const encode = opsPerSecond(() => {
    encodeData(frames[i++ & 255]!, config);
  }, ms);
  const note = `${bytes[0]!.length}-byte frames, 16 PMUs x 4 float polar phasors`;
  return [
    ratioRow('C37.118 16-PMU data frames decoded/s', decode, 'frames/s', 'CRC-CCITT of the frame', crc, undefined, note),
    ratioRow('C37.118 16-PMU data frames encoded/s', encode, 'frames/s', 'CRC-CCITT of the frame', crc, undefined, note),
    ratioRow('C37.118 16-PMU decode headroom at 60 frames/s', decode, 'frames/s', '60 frames/s', 60, 100, 'a PDC of 16 PMUs on one core'),
  ];
}

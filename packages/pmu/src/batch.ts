// One PMU's frames as a cluster member batches them (docs/pmu.md, "Batches"): a PDC's data frame split into each
// station's own C37.118.2 data frame (the leaves of the batch's Merkle tree), the one-station configuration those
// frames decode under, and the round's summary the cluster judges (integers only: it is signed).
import { roundHalfAway } from '@meterchain/core';
import type { ConfigFrame } from './config.ts';
import { encodeConfig12 } from './config.ts';
import type { DataFrame } from './data.ts';
import { encodeData } from './data.ts';

/** The configuration of station `index` of a stream as a stream of its own: its IDCODE, its block only, and a zero
 * timestamp, so that the same configuration always encodes to the same bytes (its digest goes into the batch). */
export function stationConfig(config: ConfigFrame, index: number): ConfigFrame {
  const pmu = config.pmus[index];
  if (!pmu) throw new Error(`station ${index} is not in a configuration of ${config.pmus.length} stations`);
  return {
    kind: 'cfg2',
    version: config.version,
    idcode: pmu.idcode,
    soc: 0,
    fraction: 0,
    timeQuality: config.timeQuality,
    continuation: 0,
    timeBase: config.timeBase,
    pmus: [pmu],
    dataRate: config.dataRate,
  };
}

/** The station configuration's CFG-2 bytes. */
export function encodeStationConfig(station: ConfigFrame): Uint8Array {
  return encodeConfig12(station);
}

/** Station `index`'s block of a data frame as its own data frame, under `station` (from stationConfig). */
export function stationFrame(frame: DataFrame, index: number, station: ConfigFrame): Uint8Array {
  const block = frame.pmus[index];
  if (!block) throw new Error(`station ${index} is not in a data frame of ${frame.pmus.length} stations`);
  return encodeData({ kind: 'data', version: frame.version, idcode: station.idcode, soc: frame.soc, fraction: frame.fraction, timeQuality: frame.timeQuality, pmus: [block] }, station);
}

/** A frame's time in µs since the Unix epoch (SOC + FRACSEC / TIME_BASE, to the nearest µs). */
export function frameTimeUs(soc: number, fraction: number, timeBase: number): number {
  return soc * 1_000_000 + roundHalfAway((fraction * 1_000_000) / timeBase);
}

/** What a batch summary is made from: one frame's time (µs), frequency (Hz) and first phasor's angle (rad). */
export interface FrameSample {
  timeUs: number;
  frequency: number;
  angle: number;
}

/** The numbers of a batch summary (consensus `BatchSummary` without the configuration digest). */
export interface FrameSummary {
  from: number;
  to: number;
  fmin: number;
  fmax: number;
  fmean: number;
  angle: number;
  slope: number;
  residual: number;
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

/**
 * Summarises a round's frames (in time order, at least one): time range, frequency extremes and mean (mHz), and the
 * least-squares line through the first phasor's unwrapped angle, evaluated at `midUs` (the round's middle): angle
 * (µrad, wrapped), slope (µrad/s) and RMS residual (µrad). Frames with a frequency or angle that is not a number
 * (a missing value) count in the range only.
 */
export function summarizeFrames(samples: FrameSample[], midUs: number): FrameSummary {
  if (samples.length === 0) throw new Error('summarizeFrames: no frames');
  let fmin = Infinity;
  let fmax = -Infinity;
  let fsum = 0;
  let fn = 0;
  const times: number[] = [];
  const angles: number[] = [];
  let last = 0;
  for (const s of samples) {
    if (s.frequency === s.frequency) {
      if (s.frequency < fmin) fmin = s.frequency;
      if (s.frequency > fmax) fmax = s.frequency;
      fsum += s.frequency;
      fn++;
    }
    if (s.angle === s.angle) {
      // Unwrapped: consecutive frames are 1/50 s apart, far less than half a turn of drift.
      const a = angles.length === 0 ? s.angle : angles[angles.length - 1]! + wrap(s.angle - last);
      last = s.angle;
      angles.push(a);
      times.push((s.timeUs - midUs) / 1_000_000);
    }
  }
  let slope = 0;
  let at = 0;
  let residual = 0;
  const m = angles.length;
  if (m > 0) {
    let mt = 0;
    let ma = 0;
    for (let i = 0; i < m; i++) {
      mt += times[i]!;
      ma += angles[i]!;
    }
    mt /= m;
    ma /= m;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < m; i++) {
      sxy += (times[i]! - mt) * (angles[i]! - ma);
      sxx += (times[i]! - mt) * (times[i]! - mt);
    }
    slope = sxx > 0 ? sxy / sxx : 0;
    at = ma - slope * mt;
    let rss = 0;
    for (let i = 0; i < m; i++) {
      const e = angles[i]! - (ma + slope * (times[i]! - mt));
      rss += e * e;
    }
    residual = Math.sqrt(rss / m);
  }
  return {
    from: samples[0]!.timeUs,
    to: samples[samples.length - 1]!.timeUs,
    fmin: fn > 0 ? roundHalfAway(fmin * 1000) : 0,
    fmax: fn > 0 ? roundHalfAway(fmax * 1000) : 0,
    fmean: fn > 0 ? roundHalfAway((fsum / fn) * 1000) : 0,
    angle: roundHalfAway(wrap(at) * 1_000_000),
    slope: roundHalfAway(slope * 1_000_000),
    residual: roundHalfAway(residual * 1_000_000),
  };
}

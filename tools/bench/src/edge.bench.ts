// Edge pipeline throughput: samples per second through each shipped profile on real household data (UCI, DESIGN §6)
// and synthetic three-phase and PMU frames, against a bare loop reading the same samples from a Float64Array.
import { createPipeline, emptyRecording, pmuProfile, residentialProfile, threePhaseProfile, type Profile, type Recording, type Sample } from '@meterchain/edge';
import { parseChannelMap, readCsv } from '@meterchain/edge/node';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opsPerSecond, type BenchOptions, type BenchRow } from './harness.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const UCI = join(resolve(repoRoot, '../shared'), 'data', 'uci-household-2006-12.csv');
const TARGET = 1_000_000;
const BLOCK = 4096;

function household(): Recording {
  const map = parseChannelMap('voltage=Voltage,current=Global_intensity,activePower=Global_active_power:kW,reactivePower=Global_reactive_power:kvar');
  return readCsv(readFileSync(UCI, 'utf8'), { time: ['Date', 'Time'], map }).recording;
}

/** Frames with every channel of `channels` near typical values (deterministic wobble), one per `stepMs`. */
function frames(channels: string[], length: number, typical: (name: string, i: number) => number): Recording {
  const rec = emptyRecording(channels, length);
  for (let i = 0; i < length; i++) for (let c = 0; c < channels.length; c++) rec.values[i * channels.length + c] = typical(channels[c]!, i);
  return rec;
}

function typical(name: string, i: number): number {
  const w = Math.sin(i * 0.37 + name.length) * 0.5;
  if (name.startsWith('voltage')) return 230 + w;
  if (name.startsWith('current')) return 10 + w;
  if (name === 'activePower' || name === 'reactivePower') return (name === 'activePower' ? 6600 : 1500) + 3 * w;
  if (name.startsWith('activePower')) return 2200 + w;
  if (name.startsWith('reactivePower')) return 500 + w;
  if (name === 'frequency') return 50 + w * 0.01;
  if (name === 'rocof') return 0;
  if (name.startsWith('energy')) return 1e6 + i;
  return w;
}

/** A cursor over a recording that never runs out: values cycle, time keeps going forward by `stepMs`. */
function cursor(rec: Recording, stepMs: number) {
  const nch = rec.channels.length;
  const sample: Sample = { t: 1.7e12, seq: -1, clock: 0, values: new Float64Array(nch) };
  let k = 0;
  return {
    sample,
    next(): void {
      const row = (k % rec.length) * nch;
      for (let c = 0; c < nch; c++) sample.values[c] = rec.values[row + c]!;
      sample.t = 1.7e12 + k * stepMs;
      k++;
    },
  };
}

function measure(profile: Profile, rec: Recording, stepMs: number, ms: number): { pipeline: number; raw: number } {
  const p = createPipeline(profile, rec.channels);
  const run = cursor(rec, stepMs);
  const pipeline = opsPerSecond(
    () => {
      for (let j = 0; j < BLOCK; j++) {
        run.next();
        p.step(run.sample);
      }
    },
    ms,
    BLOCK,
  );
  const bare = cursor(rec, stepMs);
  let sink = 0;
  const raw = opsPerSecond(
    () => {
      for (let j = 0; j < BLOCK; j++) {
        bare.next();
        sink += bare.sample.values[0]!;
      }
    },
    ms,
    BLOCK,
  );
  if (sink === 42) console.log(''); // keeps the bare loop from being optimised away
  return { pipeline, raw };
}

function row(name: string, m: { pipeline: number; raw: number }, target: boolean, note: string): BenchRow {
  const r: BenchRow = {
    name,
    value: m.pipeline,
    unit: 'samples/s',
    limit: { name: 'bare loop over the same samples', value: m.raw },
    ratio: m.pipeline / m.raw,
    note,
  };
  if (target) r.target = { text: `>= ${TARGET.toLocaleString('en-US')} samples/s per core`, met: m.pipeline >= TARGET };
  return r;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const ms = opts.quick ? 250 : 900;
  const rows: BenchRow[] = [];
  const uci = household();
  rows.push(row('residential profile, UCI household data (V, I, P, Q)', measure(residentialProfile, uci, 60_000, ms), true, `${uci.length} real rows cycled; time, limits, rate, spike, stuck, physics checks`));
  const filtered: Profile = { ...residentialProfile, filters: { voltage: [{ median: 5 }], current: [{ hampel: { window: 7, k: 3, min_deviation: 0.2 } }], activePower: [{ ema: 0.2 }] } };
  rows.push(row('residential profile + median/Hampel/EMA filters, UCI data', measure(filtered, uci, 60_000, ms), false, 'filtered values carried beside raw'));
  const three = frames(threePhaseProfile.channels, 10_000, typical);
  rows.push(row(`three-phase profile (${three.channels.length} channels)`, measure(threePhaseProfile, three, 1000, ms), false, 'synthetic frames'));
  const pmu = frames(pmuProfile.channels, 10_000, typical);
  rows.push(row('PMU profile (V, I, f, ROCOF) at 50 frames/s', measure(pmuProfile, pmu, 20, ms), false, 'synthetic frames'));
  return rows;
}

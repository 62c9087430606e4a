// Noise filters, one channel each: median of N, Hampel (median absolute deviation) spike filter, exponential and
// simple moving averages, deadband. Causal (they see only past and present samples), fixed memory per filter.
import { edgeError, type Filter } from './types.ts';

/** Median of `n` values of `src` starting at `start` (wrapping at `src.length`), using `scratch` (length ≥ n). */
function medianOf(src: Float64Array, n: number, scratch: Float64Array): number {
  // Insertion sort: windows are short (3-15), where it beats anything cleverer and allocates nothing.
  for (let i = 0; i < n; i++) {
    const x = src[i]!;
    let j = i - 1;
    while (j >= 0 && scratch[j]! > x) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = x;
  }
  const h = n >> 1;
  return n % 2 === 1 ? scratch[h]! : (scratch[h - 1]! + scratch[h]!) / 2;
}

function checkWindow(name: string, n: number): void {
  if (!(n >= 1 && n <= 255 && Math.floor(n) === n)) throw edgeError('EDGE_CONFIG', `${name}: window must be a whole number 1..255, got ${n}`);
}

/** Ring state for window filters: [count, next] in `pos`, values in `ring`, sorting space in `scratch`. */
export interface WindowState {
  ring: Float64Array;
  scratch: Float64Array;
  pos: Int32Array;
}

function windowState(n: number): WindowState {
  return { ring: new Float64Array(n), scratch: new Float64Array(n), pos: new Int32Array(2) };
}

function push(s: WindowState, x: number): number {
  const n = s.ring.length;
  s.ring[s.pos[1]!] = x;
  s.pos[1] = (s.pos[1]! + 1) % n;
  if (s.pos[0]! < n) s.pos[0] = s.pos[0]! + 1;
  return s.pos[0]!;
}

function medianStep(s: WindowState, x: number): number {
  if (x !== x) return x;
  const count = push(s, x);
  // Until the window is full the ring holds `count` values at indices 0..count-1 (it fills from index 0).
  return medianOf(s.ring, count, s.scratch);
}

/** Median of the last `n` values (n odd is usual: 3, 5, 7). Removes isolated spikes, keeps steps. */
export function medianFilter(n: number): Filter<WindowState> {
  checkWindow('median', n);
  return { name: 'median', state: windowState(n), step: medianStep };
}

/** Hampel state: a window plus its parameters in `par` = [k, minDeviation]. */
export interface HampelState extends WindowState {
  par: Float64Array;
  dev: Float64Array;
}

function hampelStep(s: HampelState, x: number): number {
  if (x !== x) return x;
  const count = push(s, x);
  if (count < 3) return x;
  const med = medianOf(s.ring, count, s.scratch);
  for (let i = 0; i < count; i++) s.dev[i] = Math.abs(s.ring[i]! - med);
  // 1.4826 × MAD estimates the standard deviation of Gaussian noise (Hampel 1974; Pearson et al. 2016).
  const sigma = 1.4826 * medianOf(s.dev, count, s.scratch);
  const limit = Math.max(s.par[0]! * sigma, s.par[1]!);
  return Math.abs(x - med) > limit ? med : x;
}

/** Hampel identifier: replaces a value further than `k` robust standard deviations (1.4826 × MAD) from the median
 * of the last `n` values by that median; `minDeviation` (channel units) keeps it from acting on flat signals. */
export function hampelFilter(n: number, k: number, minDeviation: number): Filter<HampelState> {
  checkWindow('hampel', n);
  if (!(k > 0)) throw edgeError('EDGE_CONFIG', `hampel: k must be > 0, got ${k}`);
  if (!(minDeviation >= 0)) throw edgeError('EDGE_CONFIG', `hampel: min_deviation must be >= 0, got ${minDeviation}`);
  const w = windowState(n);
  const par = new Float64Array(2);
  par[0] = k;
  par[1] = minDeviation;
  return { name: 'hampel', state: { ring: w.ring, scratch: w.scratch, pos: w.pos, par, dev: new Float64Array(n) }, step: hampelStep };
}

/** [alpha, y, started] */
function emaStep(s: Float64Array, x: number): number {
  if (x !== x) return x;
  if (s[2] === 0) {
    s[1] = x;
    s[2] = 1;
  } else s[1] = s[1]! + s[0]! * (x - s[1]!);
  return s[1]!;
}

/** Exponential moving average y += alpha·(x − y), 0 < alpha ≤ 1; starts at the first value. */
export function emaFilter(alpha: number): Filter<Float64Array> {
  if (!(alpha > 0 && alpha <= 1)) throw edgeError('EDGE_CONFIG', `ema: alpha must be in (0, 1], got ${alpha}`);
  const s = new Float64Array(3);
  s[0] = alpha;
  return { name: 'ema', state: s, step: emaStep };
}

/** Moving-average state: the window plus its running sum in `sum[0]`. */
export interface MeanState extends WindowState {
  sum: Float64Array;
}

function meanStep(s: MeanState, x: number): number {
  if (x !== x) return x;
  const n = s.ring.length;
  if (s.pos[0] === n) s.sum[0] = s.sum[0]! - s.ring[s.pos[1]!]!;
  s.sum[0] = s.sum[0]! + x;
  const count = push(s, x);
  return s.sum[0]! / count;
}

/** Arithmetic mean of the last `n` values. */
export function movingAverageFilter(n: number): Filter<MeanState> {
  checkWindow('moving_average', n);
  const w = windowState(n);
  return { name: 'moving_average', state: { ring: w.ring, scratch: w.scratch, pos: w.pos, sum: new Float64Array(1) }, step: meanStep };
}

/** [band, held, started] */
function deadbandStep(s: Float64Array, x: number): number {
  if (x !== x) return x;
  if (s[2] === 0 || Math.abs(x - s[1]!) > s[0]!) {
    s[1] = x;
    s[2] = 1;
  }
  return s[1]!;
}

/** Holds the last reported value until the input moves more than `band` away from it (reporting by exception). */
export function deadbandFilter(band: number): Filter<Float64Array> {
  if (!(band >= 0)) throw edgeError('EDGE_CONFIG', `deadband: band must be >= 0, got ${band}`);
  const s = new Float64Array(3);
  s[0] = band;
  return { name: 'deadband', state: s, step: deadbandStep };
}

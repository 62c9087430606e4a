// Benchmark rows and timing helpers. A figure is reported next to the raw limit measured in the same run.
import { createPrivateKey, createPublicKey, sign as rawSign, verify as rawVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface BenchRow {
  /** What was measured, e.g. "verify (meterchain node backend)". */
  name: string;
  value: number;
  unit: string;
  /** The raw limit this figure is compared with, measured in the same run. */
  limit?: { name: string; value: number };
  /** value / limit.value (or as stated in `note` when a lower value is better). */
  ratio?: number;
  /** The target, e.g. ">= 0.9 of raw", and whether this run met it. */
  target?: { text: string; met: boolean };
  note?: string;
}

export interface BenchOptions {
  /** Shorter runs (CI smoke, `--quick`). */
  quick: boolean;
}

export interface Bench {
  run(opts: BenchOptions): Promise<BenchRow[]>;
}

/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up) and returns operations per second. */
export function opsPerSecond(fn: () => void, ms: number, opsPerCall = 1): number {
  const warmUntil = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
    now = performance.now();
  }
  return (calls * opsPerCall * 1000) / (now - start);
}

/** Same as opsPerSecond for an async operation. */
export async function opsPerSecondAsync(fn: () => Promise<unknown>, ms: number, opsPerCall = 1): Promise<number> {
  const warmUntil = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmUntil) await fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    calls++;
    now = performance.now();
  }
  return (calls * opsPerCall * 1000) / (now - start);
}

/** Builds a row comparing `value` with a limit measured in the same run; `min` is the smallest acceptable ratio. */
export function ratioRow(name: string, value: number, unit: string, limitName: string, limit: number, min?: number, note?: string): BenchRow {
  const ratio = value / limit;
  const row: BenchRow = { name, value, unit, limit: { name: limitName, value: limit }, ratio };
  if (min !== undefined) row.target = { text: `>= ${min} x ${limitName}`, met: ratio >= min };
  if (note) row.note = note;
  return row;
}

/** DER prefix of a PKCS #8 Ed25519 private key: followed by the 32-byte seed. */
export const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Raw node:crypto Ed25519 verifications per second on a reading-sized message, KeyObject built once. */
export function rawVerifyRate(ms: number): number {
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.alloc(32, 7)]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(priv);
  const msg = Buffer.alloc(180, 3);
  const sig = rawSign(null, msg, priv);
  return opsPerSecond(() => {
    rawVerify(null, msg, pub, sig);
  }, ms);
}

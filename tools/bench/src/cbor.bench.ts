// Deterministic CBOR of one reading-sized value: the portable codec and the cbor-x fast path, next to raw cbor-x
// (same profile, no checks, value handed over pre-sorted with its timestamp as BigInt) measured in the same run.
import { decode, encode } from '@meterchain/core';
import { decodeFast, encodeFast } from '@meterchain/codec';
import { Decoder, Encoder } from 'cbor-x';
import { sampleReadingValue } from '@meterchain/testkit/fixtures';
import { opsPerSecond, ratioRow, type BenchOptions, type BenchRow } from './harness.ts';

/** A reading as meterchain builds it (keys in the order a reading is written, not sorted): about 210 bytes. */
const readingValue = sampleReadingValue;

/** The same reading the way raw cbor-x must be given it to write the deterministic bytes: the cost of no checks. */
function rawReadyValue(): unknown {
  const r = readingValue() as { [k: string]: unknown };
  return { v: 1, ts: BigInt(r['ts'] as number), seq: r['seq'], clock: r['clock'], meter: r['meter'], cluster: r['cluster'], quality: r['quality'], channels: r['channels'] };
}

/** Alternates the measurements round by round and keeps each one's best round, so a burst of load from other
 * processes on this shared machine cannot land on one side only. */
function interleaved(fns: (() => void)[], ms: number, rounds: number): number[] {
  const best = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < fns.length; i++) best[i] = Math.max(best[i]!, opsPerSecond(fns[i]!, ms));
  }
  return best;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const ms = opts.quick ? 80 : 300;
  const rounds = opts.quick ? 2 : 3;
  const profile = { useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false, int64AsNumber: true };
  const raw = new Encoder(profile as ConstructorParameters<typeof Encoder>[0]);
  const rawDecoder = new Decoder(profile as ConstructorParameters<typeof Decoder>[0]);

  const value = readingValue();
  const rawValue = rawReadyValue();
  const bytes = encode(value);
  // The three encoders must agree, or the comparison means nothing.
  if (hex(encodeFast(value)) !== hex(bytes) || hex(raw.encode(rawValue)) !== hex(bytes)) throw new Error('cbor bench: encoders disagree');
  if (!decode(bytes).ok || !decodeFast(bytes).ok) throw new Error('cbor bench: the reading does not decode');

  const [rawEnc, portableEnc, fastEnc] = interleaved([() => raw.encode(rawValue), () => encode(value), () => encodeFast(value)], ms, rounds);
  const [rawDec, portableDec, fastDec] = interleaved([() => rawDecoder.decode(bytes), () => decode(bytes), () => decodeFast(bytes)], ms, rounds);
  const size = `${bytes.length}-byte reading`;
  return [
    { name: 'encode, raw cbor-x (no checks, pre-sorted)', value: rawEnc!, unit: 'ops/s', note: size },
    ratioRow('encode, portable (@meterchain/core)', portableEnc!, 'ops/s', 'raw cbor-x encode', rawEnc!),
    ratioRow('encode, fast path (@meterchain/codec)', fastEnc!, 'ops/s', 'raw cbor-x encode', rawEnc!, undefined, `fast/portable ${(fastEnc! / portableEnc!).toFixed(2)}`),
    { name: 'decode, raw cbor-x (no checks)', value: rawDec!, unit: 'ops/s', note: size },
    ratioRow('decode, portable strict (@meterchain/core)', portableDec!, 'ops/s', 'raw cbor-x decode', rawDec!),
    ratioRow('decode, fast path strict (@meterchain/codec)', fastDec!, 'ops/s', 'raw cbor-x decode', rawDec!, undefined, `fast/portable ${(fastDec! / portableDec!).toFixed(2)}`),
  ];
}

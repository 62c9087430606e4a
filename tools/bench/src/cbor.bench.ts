// Deterministic CBOR of one reading-sized value: the portable codec next to raw cbor-x, the limit (a profile that
// writes the same bytes, no checks, value handed over pre-sorted with its timestamp as BigInt), measured in the same
// run. cbor-x has no other job: with the checks that make it safe it was slower than the portable codec both ways
// (docs/cbor.md).
// Also what a node does with each member's submission every round: open a signed reading envelope (leaf hash,
// strict decode of envelope and reading, member lookup), next to the hash and an unchecked cbor-x decode of the same.
import { addressFromPublicKey, createManifest, decode, encode, signReading, verifyManifest, type Channel, type Manifest, type Reading, type Signer } from '@meterchain/core';
import { openSubmission } from '@meterchain/consensus';
import { nodeVerifier } from '@meterchain/crypto';
import { Decoder, Encoder } from 'cbor-x';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
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

const MEMBERS = 64;
const GENESIS_MS = 1767225600000;

/**
 * A 64-member cluster's manifest and one member's signed reading of round 5: the sample reading's channels,
 * with the member's address and the cluster's name, as the envelope bytes that travel.
 */
function signedReadingSubmission(): { manifest: Manifest; bytes: Uint8Array } {
  const signers: Signer[] = [];
  for (let i = 0; i < MEMBERS; i++) signers.push(signerFrom(`bench:cbor:member:${i}`));
  const manifestBytes = createManifest(
    {
      cluster: 'north-7',
      rule: 'bft',
      voteMode: 'broadcast',
      members: signers.map((s) => ({ publicKey: s.publicKey })),
      params: { roundMs: 1000, blockRounds: 10, skewMs: 250, timeoutMs: 3000 },
      genesisMs: GENESIS_MS,
    },
    signerFrom('bench:cbor:operator'),
  );
  const checked = verifyManifest(manifestBytes, nodeVerifier(), { hash: nodeSha256 });
  if (!checked.ok) throw new Error(`cbor bench: ${checked.reason}`);
  const sample = sampleReadingValue() as { [k: string]: unknown };
  const signer = signers[17]!;
  const reading: Reading = {
    v: 1,
    cluster: 'north-7',
    meter: addressFromPublicKey(signer.publicKey),
    seq: sample['seq'] as number,
    ts: GENESIS_MS + 5 * 1000 + 120,
    clock: 0,
    channels: sample['channels'] as Channel[],
    quality: 0,
  };
  return { manifest: checked.manifest, bytes: signReading(reading, signer) };
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const ms = opts.quick ? 80 : 300;
  const rounds = opts.quick ? 2 : 3;
  const profile = { useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false, int64AsNumber: true };
  const raw = new Encoder(profile as ConstructorParameters<typeof Encoder>[0]);
  const rawDecoder = new Decoder(profile as ConstructorParameters<typeof Decoder>[0]);

  const value = readingValue();
  const rawValue = rawReadyValue();
  const bytes = encode(value);
  // The two encoders must agree, or the comparison means nothing.
  if (hex(raw.encode(rawValue)) !== hex(bytes)) throw new Error('cbor bench: encoders disagree');
  if (!decode(bytes).ok) throw new Error('cbor bench: the reading does not decode');

  const [rawEnc, portableEnc] = interleaved([() => raw.encode(rawValue), () => encode(value)], ms, rounds);
  const [rawDec, portableDec] = interleaved([() => rawDecoder.decode(bytes), () => decode(bytes)], ms, rounds);
  const size = `${bytes.length}-byte reading`;

  const submission = signedReadingSubmission();
  const opened = openSubmission(submission.manifest, submission.bytes, nodeSha256);
  if (!opened.ok || opened.submission.index < 0) throw new Error('cbor bench: the signed reading does not open');
  const leaf = new Uint8Array(submission.bytes.length + 1);
  leaf.set(submission.bytes, 1);
  const rawOpen = () => {
    nodeSha256(leaf);
    rawDecoder.decode(rawDecoder.decode(submission.bytes).body);
  };
  const [rawOpened, opens] = interleaved([rawOpen, () => openSubmission(submission.manifest, submission.bytes, nodeSha256)], ms, rounds);
  const envelopeSize = `${submission.bytes.length}-byte envelope, ${MEMBERS} members`;
  return [
    { name: 'encode, raw cbor-x (no checks, pre-sorted)', value: rawEnc!, unit: 'ops/s', note: size },
    ratioRow('encode, portable (@meterchain/core)', portableEnc!, 'ops/s', 'raw cbor-x encode', rawEnc!),
    { name: 'decode, raw cbor-x (no checks)', value: rawDec!, unit: 'ops/s', note: size },
    ratioRow('decode, portable strict (@meterchain/core)', portableDec!, 'ops/s', 'raw cbor-x decode', rawDec!),
    { name: 'open a reading submission, raw (leaf hash + cbor-x decode, no checks)', value: rawOpened!, unit: 'ops/s', note: envelopeSize },
    ratioRow('open a reading submission (openSubmission)', opens!, 'ops/s', 'raw leaf hash + cbor-x decode', rawOpened!, undefined, `${(1e6 / opens!).toFixed(2)} µs each`),
  ];
}

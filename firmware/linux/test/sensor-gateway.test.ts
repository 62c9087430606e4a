// The full node's side of a sensor node: frames the Espruino firmware's composition writes (firmware/espruino's
// createSensorNode, as on the board) are checked and submitted in the sensor's own manifest membership, signed with
// its member key; replays, other keys and other meters are refused, and the last sequence number survives a restart.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClockStatus,
  createManifest,
  createSensorFrameReader,
  crc32,
  decodeReading,
  Domain,
  openEnvelope,
  sha256 as portableSha256,
  verifyEnvelope,
  verifyManifest,
  type Manifest,
} from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, publicKeyFromSeed } from '@meterchain/crypto';
import { createSensorNode } from '../../espruino/src/node.ts';
import { createLogger } from '../src/log.ts';
import { SensorGateway, type SensorVerdict } from '../src/sensor-gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-sensor-gateway-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROUND_MS = 1000;
const GENESIS = 1_800_000_000_000;
const sensorSeed = generateSeed();
const sensorSigner = createNodeSigner(sensorSeed);
const linkKey = new Uint8Array(32).map((_, i) => i + 1);
const fullSeeds = [0, 1, 2, 3].map(() => generateSeed());

function manifestWith(): Manifest {
  const bytes = createManifest(
    {
      cluster: 'lab',
      rule: 'bft',
      members: [...fullSeeds.map((s, i) => ({ publicKey: publicKeyFromSeed(s), name: `m0${i + 1}` })), { publicKey: sensorSigner.publicKey, role: 'sensor' as const, name: 's01' }],
      params: { roundMs: ROUND_MS, blockRounds: 4, skewMs: 500, timeoutMs: 2000 },
      genesisMs: GENESIS,
    },
    createNodeSigner(generateSeed()),
  );
  const v = verifyManifest(bytes, nodeVerifier());
  if (!v.ok) throw new Error(v.reason);
  return v.manifest;
}

const manifest = manifestWith();
const sensorAddress = manifest.members.find((m) => m.role === 'sensor')!.address;

/** A board as the firmware composes it, with a clock the test sets and frames collected. */
function board(opts: { key?: Uint8Array; meter?: Uint8Array; cluster?: string; mark?: { v: number } } = {}) {
  const frames: Uint8Array[] = [];
  let now = GENESIS;
  const mark = opts.mark ?? { v: 0 };
  const node = createSensorNode(
    {
      hash: portableSha256,
      crc32: (b) => crc32(b),
      key: opts.key ?? linkKey,
      now: () => now,
      send: (f) => frames.push(f),
      reserveSequence: (n) => {
        mark.v += n;
        return mark.v - n;
      },
    },
    { cluster: opts.cluster ?? 'lab', meter: opts.meter ?? sensorAddress },
  );
  return {
    /** One reading at `at` ms; returns the frame's payload as the serial reader finds it. */
    read(at: number): Uint8Array {
      now = at;
      node.publish([{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 }], 0);
      const found = createSensorFrameReader().push(frames[frames.length - 1]!);
      expect(found).toHaveLength(1);
      return found[0]!;
    },
  };
}

function gateway(stateFile: string, submitted: Uint8Array[], now: { v: number }): SensorGateway {
  return new SensorGateway({
    name: 's01',
    manifest,
    signer: sensorSigner,
    linkKey,
    stateFile,
    submit: async (bytes) => {
      submitted.push(bytes);
    },
    now: () => now.v,
    log: createLogger({ level: 'error', write: () => undefined }),
  });
}

describe('sensor gateway', () => {
  test('a board\'s frame becomes a submission signed with the sensor member\'s key, carrying the board\'s reading', async () => {
    const submitted: Uint8Array[] = [];
    const now = { v: GENESIS + 100 };
    const g = gateway(join(dir, 'a.json'), submitted, now);
    await g.open();
    const b = board();
    expect(await g.receive(b.read(GENESIS + 50))).toBe('submitted');
    expect(submitted).toHaveLength(1);
    const env = openEnvelope(submitted[0]!);
    expect(env.ok).toBe(true);
    if (!env.ok) return;
    expect(verifyEnvelope(Domain.READING, env.envelope, sensorSigner.publicKey, nodeVerifier())).toBe(true);
    const r = decodeReading(env.envelope.body);
    expect(r.ok && r.reading.seq === 0 && r.reading.ts === GENESIS + 50 && r.reading.channels[0]!.value === 2301).toBe(true);
    expect(r.ok && Buffer.from(r.reading.meter).equals(Buffer.from(sensorAddress))).toBe(true);
  });

  test('replays, other keys, other meters, other clusters and a second reading in a round are refused', async () => {
    const submitted: Uint8Array[] = [];
    const now = { v: GENESIS + 100 };
    const g = gateway(join(dir, 'b.json'), submitted, now);
    await g.open();
    const b = board();
    const first = b.read(GENESIS + 50);
    const verdicts: SensorVerdict[] = [];
    verdicts.push(await g.receive(first));
    verdicts.push(await g.receive(first)); // the same frame again
    verdicts.push(await g.receive(b.read(GENESIS + 60))); // newer, but the round already has one
    verdicts.push(await g.receive(board({ key: new Uint8Array(32).fill(7) }).read(GENESIS + 1050)));
    verdicts.push(await g.receive(board({ meter: new Uint8Array(20).fill(1), mark: { v: 1000 } }).read(GENESIS + 1050)));
    verdicts.push(await g.receive(board({ cluster: 'other', mark: { v: 1000 } }).read(GENESIS + 1050)));
    expect(verdicts).toEqual(['submitted', 'replay', 'same-round', 'bad-tag', 'wrong-meter', 'wrong-cluster']);
    expect(submitted).toHaveLength(1);
  });

  test('the last sequence number survives a restart: a frame taken before is refused after it', async () => {
    const file = join(dir, 'c.json');
    const submitted: Uint8Array[] = [];
    const now = { v: GENESIS + 100 };
    const g1 = gateway(file, submitted, now);
    await g1.open();
    const b = board();
    const early = b.read(GENESIS + 40);
    const later = b.read(GENESIS + 1040);
    expect(await g1.receive(later)).toBe('submitted');
    const g2 = gateway(file, submitted, now);
    await g2.open();
    expect(g2.lastSeq).toBe(1);
    expect(await g2.receive(early)).toBe('replay');
    expect(await g2.receive(later)).toBe('replay');
  });

  test('a board whose clock was never set is stamped on arrival, so its reading lands in the round it came in', async () => {
    const submitted: Uint8Array[] = [];
    const now = { v: GENESIS + 5300 };
    const g = gateway(join(dir, 'd.json'), submitted, now);
    await g.open();
    expect(await g.receive(board().read(12_000))).toBe('submitted'); // 12 s after 1970: the board's clock at boot
    const env = openEnvelope(submitted[0]!);
    const r = env.ok ? decodeReading(env.envelope.body) : undefined;
    expect(r?.ok && r.reading.ts === GENESIS + 5300 && r.reading.clock === ClockStatus.UNSYNCED).toBe(true);
    expect(g.restamped).toBe(1);
  });

  test('a key that is not a sensor member of the manifest is refused at start', () => {
    expect(() => new SensorGateway({ name: 'x', manifest, signer: createNodeSigner(fullSeeds[0]!), linkKey, stateFile: join(dir, 'x.json'), submit: async () => undefined, now: () => 0, log: createLogger({ level: 'error', write: () => undefined }) })).toThrow(/is a 'full' member, not a 'sensor' one/);
    expect(() => new SensorGateway({ name: 'y', manifest, signer: createNodeSigner(generateSeed()), linkKey, stateFile: join(dir, 'y.json'), submit: async () => undefined, now: () => 0, log: createLogger({ level: 'error', write: () => undefined }) })).toThrow(/is not a member of cluster 'lab'/);
  });
});

// Frame proofs (docs/ledger.md, "Frame proofs"): four PMU members batch the simulator's frames at 60 frames/s, the
// cluster commits the batches, and one frame is proven from its bytes to the batch root, the batch's accept votes and
// the committed block — with the manifest alone. Every field of the proof, changed, fails with a one-line reason.
import { afterAll, describe, expect, test } from '@jest/globals';
import { createManifest, decode, encode, verifyManifest, type CborValue, type Manifest } from '@meterchain/core';
import { effectsOf, ConsensusNode, batchSummaryJudge, decodeStoredBlock, encodeBlockCertificate, defaultJudges, merkleRoot, pmuIslandJudge, roundStart, type Batch, type Effect, type Topic } from '@meterchain/consensus';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { signerFrom } from '@meterchain/crypto/sim';
import { FrameStore, makeProof, verifyProof, type FrameRecord } from '@meterchain/ledger';
import { encodeStationConfig, frameTimeUs, measurements, stationConfig, stationFrame, summarizeFrames } from '@meterchain/pmu';
import { DEFAULT_GRID, gridConfig, gridFrame, type GridOptions } from '@meterchain/pmu/sim';
import { removeTempDirs, tempDir } from './support/tmp.ts';

afterAll(removeTempDirs);

const GENESIS = 1_800_000_000_000;
const FPS = 60;
const grid: GridOptions = { ...DEFAULT_GRID, stations: 4, nominalHz: 60, dataRate: FPS, events: [] };

interface Run {
  manifest: Manifest;
  /** Member 0's committed blocks and its frame records by round. */
  blocks: Uint8Array[];
  records: FrameRecord[];
  store: string;
}

/** Four PMU members, 4 rounds of batches, delivered in order; ends when member 0 has committed the rounds. */
async function run(): Promise<Run> {
  const signers = [0, 1, 2, 3].map((i) => signerFrom(`frame-proof:${i}`));
  const bytes = createManifest(
    { cluster: 'pmu-7', rule: 'bft', voteMode: 'broadcast', members: signers.map((s) => ({ publicKey: s.publicKey })), params: { roundMs: 1000, blockRounds: 2, skewMs: 300, timeoutMs: 400 }, genesisMs: GENESIS },
    signerFrom('frame-proof:operator'),
  );
  const v = verifyManifest(bytes, nodeVerifier(), { hash: nodeSha256 });
  if (!v.ok) throw new Error(v.reason);
  const manifest = v.manifest;
  const bySigner = manifest.members.map((m) => signers.find((s) => Buffer.from(s.publicKey).equals(Buffer.from(m.publicKey)))!);
  const nodes = bySigner.map(
    (signer) =>
      new ConsensusNode({
        manifest,
        manifestDigest: v.digest,
        signer,
        verifier: nodeVerifier(),
        hash: nodeSha256,
        judges: (() => {
          const j = defaultJudges();
          j.submission.push(batchSummaryJudge({ fps: FPS, roundMs: 1000, genesisMs: GENESIS, frequency: [45, 65] }));
          j.round.push(pmuIslandJudge({ roundMs: 1000, nominalHz: 60 }));
          return j;
        })(),
      }),
  );
  const queue: { from: number; topic: Topic; bytes: Uint8Array; to?: number }[] = [];
  const blocks: Uint8Array[] = [];
  const take = (i: number, effects: Effect[]) => {
    for (const e of effects) {
      if (e.type === 'publish') queue.push({ from: i, topic: e.topic, bytes: e.bytes, ...(e.to ? { to: manifest.members.findIndex((m) => Buffer.from(m.address).equals(Buffer.from(e.to!))) } : {}) });
      if (e.type === 'committed' && i === 0) blocks.push(e.block);
    }
  };
  let now = GENESIS;
  const deliver = () => {
    while (queue.length > 0) {
      const m = queue.shift()!;
      for (let j = 0; j < 4; j++) if (j !== m.from && (m.to === undefined || m.to === j)) take(j, effectsOf(nodes[j]!.step({ type: 'message', now, topic: m.topic, bytes: m.bytes })));
    }
  };
  const until = (t: number) => {
    while (now < t) {
      now = Math.min(t, now + 20);
      for (let i = 0; i < 4; i++) take(i, effectsOf(nodes[i]!.step({ type: 'tick', now })));
      deliver();
    }
  };
  const dir = tempDir('frames');
  const store = await FrameStore.open(dir, { segmentRounds: 2, keepSegments: 8 });
  const cfg = gridConfig(grid, 'cfg2', 0, GENESIS / 1000);
  const records: FrameRecord[] = [];
  const seq = [0, 0, 0, 0];
  for (let r = 0; r < 4; r++) {
    until(roundStart(manifest, r + 1) + 80);
    for (let i = 0; i < 4; i++) {
      const station = stationConfig(cfg, i);
      const frames: Uint8Array[] = [];
      const samples = [];
      for (let k = r * FPS; k < (r + 1) * FPS; k++) {
        const f = gridFrame(grid, cfg, GENESIS / 1000, k, false);
        const m = measurements(f, cfg)[i]!;
        frames.push(stationFrame(f, i, station));
        samples.push({ timeUs: frameTimeUs(f.soc, f.fraction, cfg.timeBase), frequency: m.frequency, angle: m.phasors[0]!.angle });
      }
      const config = encodeStationConfig(station);
      if (i === 0) {
        const record = { round: r, first: store.nextSeq, config, frames };
        await store.append(record);
        records.push(record);
      }
      const summary = summarizeFrames(samples, (GENESIS + r * 1000 + 500) * 1000);
      const batch: Batch = { v: 1, cluster: 'pmu-7', meter: manifest.members[i]!.address, round: r, count: FPS, first: seq[i]!, last: seq[i]! + FPS - 1, root: merkleRoot(nodeSha256, frames), summary: { ...summary, config: nodeSha256(config) } };
      seq[i]! += FPS;
      take(i, effectsOf(nodes[i]!.step({ type: 'batch', now, batch })));
    }
    deliver();
  }
  until(roundStart(manifest, 7));
  await store.close();
  return { manifest, blocks, records, store: dir };
}

const ran = run();

function proofOf(r: Run, frame: number): Uint8Array {
  const record = r.records.find((x) => x.first <= frame && frame < x.first + x.frames.length)!;
  for (const block of r.blocks) {
    const made = makeProof(r.manifest, block, r.manifest.members[0]!.address, frame, record);
    if (made.ok) return made.proof;
  }
  throw new Error(`no block proves frame ${frame}`);
}

describe('frame proofs', () => {
  test('the cluster commits the batches of 4 PMUs, and a proof of one frame verifies with the manifest alone', async () => {
    const r = await ran;
    expect(r.blocks.length).toBeGreaterThanOrEqual(2);
    const v = verifyProof([r.manifest], proofOf(r, 75), nodeVerifier());
    if (!v.ok) throw new Error(`${v.fault}: ${v.reason}`);
    expect([v.proven.round, v.proven.seq, v.proven.frame?.seq, v.proven.frame?.timeUs]).toEqual([1, 119, 75, (GENESIS + 1250) * 1000]);
    expect(v.proven.frame!.data.pmus.length).toBe(1);
    expect(v.proven.votes).toBeGreaterThanOrEqual(3);
  });

  test('the frame store finds a frame by its sequence number, and keeps only its last segments', async () => {
    const r = await ran;
    const store = await FrameStore.open(r.store, { readOnly: true });
    expect([store.nextSeq, store.lastRound]).toEqual([240, 3]);
    expect((await store.find(130))?.round).toBe(2);
    expect(await store.find(240)).toBeUndefined();
    await store.close();
    const small = tempDir('frames-bounded');
    const bounded = await FrameStore.open(small, { segmentRounds: 2, keepSegments: 2 });
    for (let round = 0; round < 10; round++) await bounded.append({ round, first: round * 2, config: Uint8Array.of(1), frames: [Uint8Array.of(round), Uint8Array.of(round, 1)] });
    expect(await bounded.get(1)).toBeUndefined();
    expect((await bounded.get(7))?.frames.length).toBe(2);
    await bounded.close();
  });

  test('every field of a frame proof, changed, makes it fail with a one-line reason', async () => {
    const r = await ran;
    const proof = decode(proofOf(r, 75)).ok ? (decode(proofOf(r, 75)) as { ok: true; value: Record<string, CborValue> }).value : undefined;
    if (!proof) throw new Error('proof does not decode');
    const flip = (b: Uint8Array, at = b.length >> 1) => {
      const c = b.slice(0);
      c[at]! ^= 0x01;
      return c;
    };
    const o = decodeStoredBlock(r.blocks[r.blocks.length - 1]!);
    if (!o.ok) throw new Error(o.reason);
    const other = o.block;
    const frame = proof['frame'] as { bytes: Uint8Array; index: number; path: Uint8Array[]; config: Uint8Array };
    const changes: [string, (p: Record<string, CborValue>) => void, string][] = [
      ['frame bytes', (p) => (p['frame'] = { ...frame, bytes: flip(frame.bytes) }), 'frame'],
      ['frame index', (p) => (p['frame'] = { ...frame, index: frame.index + 1 }), 'frame'],
      ['frame path', (p) => (p['frame'] = { ...frame, path: [flip(frame.path[0]!), ...frame.path.slice(1)] }), 'frame'],
      ['frame path shortened', (p) => (p['frame'] = { ...frame, path: frame.path.slice(1) }), 'frame'],
      ['configuration', (p) => (p['frame'] = { ...frame, config: flip(frame.config, 30) }), 'frame'],
      ['submission', (p) => (p['submission'] = flip(p['submission'] as Uint8Array, 40)), 'signature'],
      ['leaf', (p) => (p['leaf'] = (p['leaf'] as number) + 1), 'merkle-path'],
      ['path', (p) => (p['path'] = (p['path'] as Uint8Array[]).map((x) => flip(x))), 'merkle-path'],
      ['votes', (p) => (p['votes'] = (p['votes'] as CborValue[]).slice(0, 1)), 'votes'],
      ['header (another block\'s)', (p) => (p['header'] = other.header), 'commit'],
      ['header (a byte changed)', (p) => (p['header'] = flip(p['header'] as Uint8Array, 10)), 'malformed'],
      ['commit (another block\'s)', (p) => (p['commit'] = encodeBlockCertificate(other.commit)), 'commit'],
    ];
    const faults: string[] = [];
    for (const [name, change, fault] of changes) {
      const p = { ...proof };
      change(p);
      const v = verifyProof([r.manifest], encode(p), nodeVerifier());
      if (v.ok) throw new Error(`${name}: still verifies`);
      expect(v.reason).not.toMatch(/\n/);
      faults.push(`${name}: ${v.fault}`);
      if (v.fault !== fault) faults.push(`  (${v.reason})`);
    }
    expect(faults).toEqual(changes.map(([name, , fault]) => `${name}: ${fault}`));
  });

  test('a frame store record that is not the batch (other frames) gets no proof', async () => {
    const r = await ran;
    const record = r.records[1]!;
    const other = { ...record, frames: [...record.frames.slice(1), record.frames[0]!] };
    const made = r.blocks.map((b) => makeProof(r.manifest, b, r.manifest.members[0]!.address, 75, other)).find((m) => !m.ok && /root/.test(m.reason));
    expect(made).toBeDefined();
  });
});

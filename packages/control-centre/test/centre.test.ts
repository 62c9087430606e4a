// The control centre against both databases it runs on, embedded PGlite and the real PostgreSQL server: it loads
// two regional chains verified block by block, its totals equal the chains' readings, consumption is what the
// registers advanced, a reading's proof verifies with the manifest alone, a chain that grows is followed, a forged
// block stops its region with the fault served, and bad requests get a JSON error.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText, decodeReading, fromHex, openEnvelope, rescale, verifyManifest, type Manifest } from '@meterchain/core';
import { decodeBody, decodeStoredBlock } from '@meterchain/consensus';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { blockFileName, verifyProof } from '@meterchain/ledger';
import { generateChain, writeChainFiles, writeChainStore, type GeneratedChain } from '@meterchain/ledger/testing';
import { dropSchema, requirePostgres, scratchSchema, TEST_POSTGRES_URL } from '@meterchain/testkit/postgres';
import { BATCH_VERSION, merkleRoot } from '@meterchain/consensus';
import { anchorOfStoredBlock, encodeAnchor } from '@meterchain/widearea';
import { runWideArea, trustedOf } from '@meterchain/widearea/testing';
import { ControlCentre, type RegionSource } from '../src/index.ts';

const verifier = nodeVerifier();
const north = generateChain({ blocks: 5, seed: 1, cluster: 'north', rejectEvery: 7, evidenceAt: [2] });
const south = generateChain({ blocks: 3, seed: 2, cluster: 'south', members: 5, rule: 'majority' });
const root = mkdtempSync(join(tmpdir(), 'mc-control-'));
// North's quorum also co-signed another block at height 1 (same manifest and keys, other submissions rejected).
const northFork = generateChain({ blocks: 2, seed: 1, cluster: 'north', rejectEvery: 3 });
// The wide-area chain of four substations anchoring both regions whole; substation 3 submits north's other block.
const wide = runWideArea({
  regions: [north, south],
  verifier,
  rounds: 6,
  extra: (round, member, manifest) => {
    if (member !== 3 || round !== 2) return undefined;
    const a = anchorOfStoredBlock('north', northFork.blocks[1]!);
    if (!a.ok) throw new Error(a.reason);
    const items = [encodeAnchor(a.anchor)];
    return { v: BATCH_VERSION, cluster: manifest.cluster, meter: manifest.members[3]!.address, round, count: 1, first: 0, last: 0, root: merkleRoot(nodeSha256, items), items };
  },
});

function manifestOf(chain: GeneratedChain): { manifest: Manifest; digest: Uint8Array } {
  const v = verifyManifest(chain.manifest, verifier, { hash: nodeSha256 });
  if (!v.ok) throw new Error(v.reason);
  return { manifest: v.manifest, digest: v.digest };
}

/** Every accepted reading of a chain: meter, seq, ts and its energy import register. */
function readingsOf(chain: GeneratedChain): { meter: string; seq: number; ts: number; energy: number }[] {
  const out: { meter: string; seq: number; ts: number; energy: number }[] = [];
  for (const stored of chain.blocks) {
    const s = decodeStoredBlock(stored);
    if (!s.ok) throw new Error(s.reason);
    const b = decodeBody(s.block.body);
    if (!b.ok) throw new Error(b.reason);
    for (const sub of b.body.submissions) {
      const e = openEnvelope(sub);
      if (!e.ok) throw new Error(e.reason);
      const r = decodeReading(e.envelope.body);
      if (!r.ok) throw new Error(r.reason);
      const c = r.reading.channels.find((x) => x.id === '1-0:1.8.0')!;
      out.push({ meter: addressToText(r.reading.meter), seq: r.reading.seq, ts: r.reading.ts, energy: rescale(c.value, c.scale, 0)! });
    }
  }
  return out;
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

const engines: { name: string; url?: string }[] = [{ name: 'PGlite' }, { name: 'PostgreSQL', url: TEST_POSTGRES_URL }];

describe.each(engines)('control centre on $name', (engine) => {
  let available = true;
  let schema: string | undefined;
  let dir: string;
  let centre: ControlCentre;
  let base: string;

  beforeAll(async () => {
    if (engine.url) {
      available = await requirePostgres('the control centre on PostgreSQL');
      if (!available) return;
      schema = scratchSchema('mc_cc');
    }
    dir = mkdtempSync(join(root, 'run-'));
    // North as a member's block store, three blocks of five for now; south as block files.
    await writeChainStore(join(dir, 'north'), { ...north, blocks: north.blocks.slice(0, 3) });
    writeChainFiles(join(dir, 'south'), south);
    writeChainFiles(join(dir, 'wide'), { manifest: wide.manifestBytes, blocks: wide.blocks, readings: 0 });
    const widearea = { dir: join(dir, 'wide'), manifests: [{ manifest: wide.manifest, digest: wide.digest }], trusted: trustedOf([north, south], verifier) };
    const regions: RegionSource[] = [
      { dir: join(dir, 'north'), manifests: [manifestOf(north)] },
      { dir: join(dir, 'south'), manifests: [manifestOf(south)] },
    ];
    centre = await ControlCentre.open({ ...(engine.url ? { url: engine.url } : {}), ...(schema ? { schema } : {}), regions, widearea, verifier, now: () => 1700000100000, pollMs: 3600000 });
    await centre.catchUp();
    base = (await centre.start(0)).url;
  }, 120000);

  afterAll(async () => {
    if (centre) await centre.close();
    if (schema) await dropSchema(schema);
  });

  const it = (name: string, fn: () => Promise<void>) => test(name, async () => (available ? fn() : undefined), 60000);

  it('loads the verified chains: regions, heights and totals equal to the chains’ readings', async () => {
    const regions = await getJson(`${base}/api/regions`);
    expect(regions.body.map((r: any) => [r.region, r.height, r.fault])).toEqual([
      ['north', 2, null],
      ['south', 2, null],
    ]);
    const totals = await getJson(`${base}/api/totals`);
    const northRows = readingsOf({ ...north, blocks: north.blocks.slice(0, 3) }).length;
    expect(totals.body.regions.map((r: any) => [r.region, r.readings, r.readingRows])).toEqual([
      ['north', northRows, northRows],
      ['south', south.readings, south.readings],
    ]);
    expect(totals.body.readings).toBe(northRows + south.readings);
  });

  it('consumption per interval adds up to what every meter’s register advanced', async () => {
    const rows = readingsOf(south);
    const byMeter: { [m: string]: { first: number; last: number } } = {};
    for (const r of rows) {
      const x = byMeter[r.meter];
      if (!x) byMeter[r.meter] = { first: r.energy, last: r.energy };
      else x.last = r.energy;
    }
    let expected = 0;
    for (const m of Object.keys(byMeter)) expected += byMeter[m]!.last - byMeter[m]!.first;
    const c = await getJson(`${base}/api/regions/south/consumption?interval=5000`);
    expect(c.status).toBe(200);
    expect(c.body.intervals.length).toBe(6); // 30 rounds of 1 s in 5-s intervals
    let sum = 0;
    for (const i of c.body.intervals) sum += i.energyInWh;
    expect(sum).toBe(expected);
    expect(expected).toBeGreaterThan(0);
  });

  it('voltage extremes and load per interval come from the verified round summaries', async () => {
    const v = await getJson(`${base}/api/regions/south/voltage?interval=10000`);
    expect(v.body.intervals.length).toBe(3);
    for (const i of v.body.intervals) {
      expect(i.vminMv).toBeGreaterThanOrEqual(225000);
      expect(i.vmaxMv).toBeLessThan(240000);
      expect(i.vminMv).toBeLessThanOrEqual(i.vmaxMv);
    }
    const l = await getJson(`${base}/api/regions/south/load?interval=10000`);
    expect(l.body.intervals.map((i: any) => i.readings)).toEqual([50, 50, 50]);
  });

  it('a meter’s readings come with a proof that verifies with the manifest alone', async () => {
    const meters = await getJson(`${base}/api/regions/north/meters`);
    expect(meters.body.length).toBe(4);
    const meter = meters.body[1].meter;
    const readings = await getJson(`${base}/api/regions/north/meters/${meter}/readings?limit=3`);
    expect(readings.body.length).toBe(3);
    const p = await getJson(`${base}${readings.body[2].proof}`);
    expect(p.status).toBe(200);
    const v = verifyProof([manifestOf(north).manifest], fromHex(p.body.proof), verifier);
    if (!v.ok) throw new Error(v.reason);
    expect(addressToText(v.proven.meter)).toBe(meter);
    expect(v.proven.seq).toBe(readings.body[2].seq);
  });

  it('evidence is served: an equivocation in a block, and north’s split view from the wide-area chain', async () => {
    const e = await getJson(`${base}/api/evidence`);
    expect(e.body.map((x: any) => [x.region, x.kind, x.height]).sort()).toEqual([
      ['north', 'equivocation-submission', 2],
      ['north', 'view-split', 1],
    ]);
  });

  it('anchoring: every loaded block anchored by the wide-area chain, with the lag from its end to its anchor', async () => {
    expect(wide.blocks.length).toBeGreaterThan(2);
    const a = await getJson(`${base}/api/anchoring`);
    expect(a.body.map((x: any) => [x.region, x.height, x.anchoredHeight, x.unanchoredBlocks, x.anchorsUpTo, x.mismatched])).toEqual([
      ['north', 2, 2, 0, 4, 0],
      ['south', 2, 2, 0, 2, 0],
    ]);
    // The regional chains are generated at an earlier genesis than the wide-area chain's: the lag is that gap plus
    // the rounds the gates took, positive and the same on both engines.
    expect(a.body[0].anchorLagMs.worst).toBeGreaterThan(0);
  });

  it('follows a chain that grows; a forged block stops its region, with the fault served', async () => {
    // South's block files: append a copy of block 1 as block 3 (wrong height and prev).
    writeFileSync(join(dir, 'south', 'blocks', blockFileName(3)), south.blocks[1]!);
    const store = await import('@meterchain/ledger');
    const { store: s } = await store.ChainStore.open(join(dir, 'north'), { genesis: nodeSha256(north.manifest) });
    for (const b of north.blocks.slice(3)) await s.append(b);
    await s.close();
    await centre.catchUp();
    const regions = await getJson(`${base}/api/regions`);
    expect(regions.body[0]).toMatchObject({ region: 'north', height: 4, fault: null });
    expect(regions.body[1]).toMatchObject({ region: 'south', height: 2 });
    expect(regions.body[1].fault).toMatch(/^block 3 .*height/);
    const totals = await getJson(`${base}/api/totals`);
    expect(totals.body.regions[0].readings).toBe(north.readings);
  });

  it('bad requests get one JSON error line and a 4xx status', async () => {
    expect(await getJson(`${base}/api/regions/nowhere/consumption`)).toEqual({ status: 404, body: { error: "no region 'nowhere'" } });
    expect((await getJson(`${base}/api/regions/north/consumption?interval=abc`)).status).toBe(400);
    expect((await getJson(`${base}/api/regions/north/consumption?interval=0`)).status).toBe(400);
    expect((await getJson(`${base}/api/regions/north/meters/zz/readings/1/proof`)).status).toBe(400);
    expect((await getJson(`${base}/api/regions/%E0%A4%A/meters`)).status).toBe(400);
    expect((await getJson(`${base}/api/nothing`)).status).toBe(404);
  });
});

test('a restarted centre goes on where it stopped and loads nothing twice (PGlite on disk)', async () => {
  const dir = mkdtempSync(join(root, 'restart-'));
  writeChainFiles(join(dir, 'south'), { ...south, blocks: south.blocks.slice(0, 2) });
  const regions: RegionSource[] = [{ dir: join(dir, 'south'), manifests: [manifestOf(south)] }];
  const first = await ControlCentre.open({ dataDir: join(dir, 'db'), regions, verifier });
  await first.catchUp();
  await first.close();
  writeChainFiles(join(dir, 'south'), south);
  const second = await ControlCentre.open({ dataDir: join(dir, 'db'), regions, verifier });
  const r = await second.pollOnce();
  expect(r['south']).toEqual({ loaded: 1, height: 2 });
  const rows = await second.db.query('SELECT COUNT(*) AS n FROM readings');
  expect(rows[0]!['n']).toBe(south.readings);
  await second.close();
}, 120000);

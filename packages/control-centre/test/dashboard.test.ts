// The dashboard in headless Chromium (Debian's, driven by playwright-core): every region on one page with a load curve
// actually drawn (screenshot pixels of the curve's colour), block and anchor progress, meters' states, the evidence,
// and a reading's proof checked in the browser by the bundled verifier (a changed byte fails there too).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyManifest } from '@meterchain/core';
import { BATCH_VERSION, merkleRoot } from '@meterchain/consensus';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { generateChain, writeChainFiles, type GeneratedChain } from '@meterchain/ledger/testing';
import { decodePng, launchChromium, requireChromium, type Browser } from '@meterchain/testkit/browser';
import { anchorOfStoredBlock, encodeAnchor } from '@meterchain/widearea';
import { runWideArea, trustedOf } from '@meterchain/widearea/testing';
import { ControlCentre, type RegionSource } from '../src/index.ts';

// The functions given to waitForFunction and $$eval run in the page, where `document` is the page's.
interface PageElement {
  textContent: string | null;
  className: string;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement> };

const verifier = nodeVerifier();
const north = generateChain({ blocks: 4, seed: 1, cluster: 'north', blockRounds: 5 });
const south = generateChain({ blocks: 3, seed: 2, cluster: 'south', blockRounds: 5 });
const fork = generateChain({ blocks: 2, seed: 1, cluster: 'north', blockRounds: 5, rejectEvery: 3 });
const haveChromium = requireChromium('the dashboard test');

function source(dir: string, chain: GeneratedChain): RegionSource {
  const v = verifyManifest(chain.manifest, verifier, { hash: nodeSha256 });
  if (!v.ok) throw new Error(v.reason);
  return { dir, manifests: [{ manifest: v.manifest, digest: v.digest }], manifestBytes: [chain.manifest] };
}

(haveChromium ? describe : describe.skip)('the dashboard (headless Chromium)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mc-dashboard-'));
  let centre: ControlCentre;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    writeChainFiles(join(root, 'north'), north);
    writeChainFiles(join(root, 'south'), south);
    const wide = runWideArea({
      regions: [north, south],
      verifier,
      rounds: 5,
      // Substation 3 hands in north's other block at height 1: a split view for the evidence table.
      extra: (round, member, manifest) => {
        if (member !== 3 || round !== 2) return undefined;
        const a = anchorOfStoredBlock('north', fork.blocks[1]!);
        if (!a.ok) throw new Error(a.reason);
        const items = [encodeAnchor(a.anchor)];
        return { v: BATCH_VERSION, cluster: manifest.cluster, meter: manifest.members[3]!.address, round, count: 1, first: 0, last: 0, root: merkleRoot(nodeSha256, items), items };
      },
    });
    writeChainFiles(join(root, 'wide'), { manifest: wide.manifestBytes, blocks: wide.blocks, readings: 0 });
    centre = await ControlCentre.open({
      regions: [source(join(root, 'north'), north), source(join(root, 'south'), south)],
      widearea: { dir: join(root, 'wide'), manifests: [{ manifest: wide.manifest, digest: wide.digest }], trusted: trustedOf([north, south], verifier) },
      verifier,
      pollMs: 200,
    });
    url = (await centre.start(0)).url;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await centre?.close();
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  test('regions on one page: load curves drawn, blocks anchored, meters reporting, the split view listed', async () => {
    const page = await browser.context.newPage();
    await page.goto(url + '/');
    await page.waitForFunction(() => document.querySelectorAll('section.region[data-points]').length === 2 && document.querySelectorAll('#evidence tbody tr').length > 0, undefined, { timeout: 60_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('section.region')].every((s) => s.querySelector('.height')?.textContent === s.querySelector('.anchored')?.textContent), undefined, { timeout: 60_000 });
    const facts = await page.$$eval('section.region', (ss) => ss.map((s) => [s.getAttribute('data-region'), s.querySelector('.height')!.textContent, s.querySelector('.anchored')!.textContent, s.querySelectorAll('td.state-reporting').length]));
    expect(facts).toEqual([
      ['north', '3', '3', 4],
      ['south', '2', '2', 4],
    ]);
    expect(await page.$$eval('#evidence tbody tr', (rows) => rows.map((r) => r.textContent))).toContainEqual(expect.stringMatching(/^northview-split1/));
    // The curve's colour (#1565c0) covers a line's worth of each canvas: the plot is not empty.
    for (const region of ['north', 'south']) {
      const png = await page.locator(`section[data-region="${region}"] canvas`).screenshot();
      const { rgba } = decodePng(png);
      let curve = 0;
      for (let i = 0; i < rgba.length; i += 4) if (Math.abs(rgba[i]! - 0x15) < 40 && Math.abs(rgba[i + 1]! - 0x65) < 40 && Math.abs(rgba[i + 2]! - 0xc0) < 40) curve++;
      expect({ region, curve: curve > 300 }).toEqual({ region, curve: true });
    }
    await page.close();
  }, 120_000);

  test('a reading’s proof is checked in the browser; a changed byte fails there', async () => {
    const page = await browser.context.newPage();
    await page.goto(url + '/');
    await page.waitForSelector('section[data-region="south"] button[data-meter]', { timeout: 60_000 });
    await page.click('section[data-region="south"] button[data-meter]');
    await page.waitForFunction(() => document.querySelector('#proof-result')?.className === 'ok' || document.querySelector('#proof-result')?.className === 'bad', undefined, { timeout: 60_000 });
    const text = await page.textContent('#proof-result');
    expect(text).toMatch(/^proof holds: reading of mc[0-9a-f]{40} seq 14, round 14, committed at height 2/);
    const tampered = await page.evaluate(async () => {
      const meter = document.querySelector('section[data-region="south"] button[data-meter]')!.getAttribute('data-meter')!;
      const m = (await (await fetch('/api/regions/south/manifests')).json()) as { manifest: string }[];
      const p = (await (await fetch(`/api/regions/south/meters/${meter}/readings/14/proof`)).json()) as { proof: string };
      const at = p.proof.length - 40;
      const changed = p.proof.slice(0, at) + (p.proof[at] === '0' ? '1' : '0') + p.proof.slice(at + 1);
      const w = globalThis as unknown as { meterchain: { checkProof(m: string[], p: string): { ok: boolean; text: string } } };
      return [w.meterchain.checkProof(m.map((x) => x.manifest), p.proof).ok, w.meterchain.checkProof(m.map((x) => x.manifest), changed)] as const;
    });
    expect(tampered[0]).toBe(true);
    expect(tampered[1]).toMatchObject({ ok: false, text: expect.stringMatching(/does not verify/) });
    await page.close();
  }, 120_000);
});

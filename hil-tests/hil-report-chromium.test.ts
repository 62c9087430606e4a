// The HTML report of `meterchain hil run`, opened in headless Chromium (Debian's, driven by playwright-core): it
// renders the verdict table, each scenario's plot with its readings and fault bands, and needs nothing but itself.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { inkShare, launchChromium, requireChromium, type Browser } from '@meterchain/testkit/browser';
import { meterchainBin, repoRoot } from './support/paths.ts';
import { runProgram } from './support/process.ts';
import { tempDir } from './support/pty.ts';

const run = requireChromium('the HIL report test') ? describe : describe.skip;
const dir = tempDir('hil-report');

run('the lab report in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let code: number | string;
  const requests: string[] = [];

  beforeAll(async () => {
    // One scenario that passes with a fault (a pulled cable), one that fails (it asks for a gap a clean line never has).
    const failing = join(dir.path, 'asks-for-a-gap.yaml');
    writeFileSync(failing, ['summary: a clean line asked to report a gap', 'profiles: [sdm630]', 'periodMs: 300', 'samples: 5', 'expect:', '  reference: first-clean', 'pass:', '  minGaps: 1', ''].join('\n'));
    const result = await runProgram(process.execPath, [meterchainBin, 'hil', 'run', '--profile', 'sdm630', '--scenario', join(repoRoot, 'hil-tests', 'scenarios', 'replug.yaml'), '--scenario', failing, '--out', join(dir.path, 'out')], 60_000);
    code = result.code;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir.path, 'out', 'report.html')).href);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    dir.remove();
  });

  test('the run exits 1 (one scenario failed) and the verdict table names each verdict', async () => {
    expect(code).toBe(1);
    expect(await page.title()).toBe('meterchain lab report: sdm630');
    expect(await page.locator('#summary').textContent()).toMatch(/^1 of 2 scenarios passed/);
    const rows = await page.locator('table.verdicts tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^replugsdm630tcpPASS/);
    expect(rows[1]).toMatch(/^asks-for-a-gapsdm630tcpFAIL.*at least 1 gap\(s\) reported$/);
  });

  test('each scenario plots its readings against time, the fault as a band and the gap as a bar', async () => {
    const replug = page.locator('#scenario-0');
    const readings = Number(await page.locator('table.verdicts tbody tr').first().locator('td').nth(4).textContent());
    expect(readings).toBeGreaterThan(3);
    expect(await replug.locator('svg.plot circle.reading').count()).toBe(readings);
    expect(await replug.locator('svg.plot rect.fault-band').count()).toBe(1);
    expect(await replug.locator('svg.plot rect.gap-band').count()).toBeGreaterThanOrEqual(1);
    const box = await replug.locator('svg.plot').boundingBox();
    expect(box!.width).toBeGreaterThan(600);
    expect(box!.height).toBeGreaterThan(150);
    expect(await replug.locator('table.counters').textContent()).toContain('reopens');
    expect(await replug.locator('table.faults').textContent()).toContain('cable pulled');
    expect(await page.locator('#scenario-1 svg.plot circle.reading').count()).toBe(5);
  });

  test('the plot is drawn (a screenshot of it has ink; the same measure finds a blank page empty)', async () => {
    const plot = inkShare(await page.locator('#scenario-0 svg.plot').screenshot());
    const blank = await browser.context.newPage();
    await blank.setContent('<html><body></body></html>');
    const empty = inkShare(await blank.screenshot());
    expect(empty).toBeLessThan(0.001);
    expect(plot).toBeGreaterThan(0.02);
  });

  test('the report is self-contained: the page asked for nothing but itself', () => {
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^file:.*report\.html$/);
    expect(readFileSync(join(dir.path, 'out', 'report.html'), 'utf8')).not.toMatch(/<script|<link|src=|https?:\/\//);
  });
});

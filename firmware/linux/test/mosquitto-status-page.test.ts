// The status page of a running node, in headless Chromium: a 4-meter cluster on a real Mosquitto, one node serving
// GET / on its metrics listener. The page shows the cluster, its members, rounds, blocks, the node's own readings
// and its device, and follows the node live.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';
import { inkShare, launchChromium, requireChromium, type Browser } from '@meterchain/testkit/browser';

const run = requireMosquitto('the status page test') && requireChromium('the status page test') ? describe : describe.skip;

// The functions given to waitForFunction run in the page, where `document` is the page's.
interface PageElement {
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>; getElementById(id: string): PageElement | null };

const rowsOf = (page: Page, table: string) => page.locator(`#${table} tbody tr`);
const summaryRound = async (page: Page) => Number(/round (\d+)/.exec((await page.locator('#summary').textContent()) ?? '')?.[1] ?? -1);

run('the status page of a running node', () => {
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    cluster = createTestCluster({ members: 4, brokerUrl: () => broker.url, roundMs: 500, blockRounds: 4, metricsListen: (i) => (i === 0 ? '127.0.0.1:0' : 'off') });
    broker = await startMosquitto({ users: cluster.members.map((m) => ({ username: m.address, password: m.password })) });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
    url = `http://${cluster.members[0]!.running!.metricsAddress}/`;
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stopAll();
    await broker?.close();
  });

  test('shows the cluster, every member with its state, recent rounds, blocks, own readings and the device', async () => {
    await waitFor('a committed block on the first meter', () => heightOf(cluster.members[0]!) >= 0, 30_000);
    await page.goto(url);
    await page.waitForFunction(() => document.querySelectorAll('#blocks tbody tr').length > 0 && document.querySelectorAll('#members tbody tr').length === 4, undefined, { timeout: 15_000 });
    expect(await page.title()).toBe('meterchain node');
    expect(await page.locator('#cluster').textContent()).toContain('test · epoch 0 · 4 members · rule bft');
    const members = await rowsOf(page, 'members').allTextContents();
    for (const m of cluster.members) expect(members.some((row) => row.startsWith(m.name))).toBe(true);
    expect(await rowsOf(page, 'members').filter({ hasText: 'self' }).count()).toBe(1);
    await page.waitForFunction(() => [...document.querySelectorAll('#members tbody tr')].filter((r) => r.textContent!.includes('active')).length === 3, undefined, { timeout: 10_000 });
    expect(await rowsOf(page, 'rounds').count()).toBeGreaterThan(2);
    // A round of four meters, all accepted: "accepted 4, rejected 0, not enough votes 0" and the own reading accepted.
    const full = rowsOf(page, 'rounds').filter({ has: page.locator('td:nth-child(2)', { hasText: /^4$/ }) });
    expect(await full.count()).toBeGreaterThan(0);
    expect(await rowsOf(page, 'blocks').first().locator('td').first().textContent()).toMatch(/^\d+$/);
    expect(await page.locator('#own-counts').textContent()).toMatch(/^[1-9]\d* accepted · 0 rejected/);
    expect(await rowsOf(page, 'own').first().textContent()).toContain('accepted');
    const device = await page.locator('#device').textContent();
    expect(device).toMatch(/samples taken[1-9]/);
    expect(device).toContain('gaps (sensor failed)0');
    expect(await page.locator('#summary').textContent()).toContain('broker connected');
  }, 60_000);

  test('follows the node live: the round and the blocks advance without a reload', async () => {
    const round = await summaryRound(page);
    const top = Number(await rowsOf(page, 'blocks').first().locator('td').first().textContent());
    await page.waitForFunction((r) => Number(/round (\d+)/.exec(document.getElementById('summary')!.textContent!)?.[1]) >= r + 3, round, { timeout: 15_000 });
    await page.waitForFunction((h) => Number(document.querySelector('#blocks tbody tr td')!.textContent) > h, top, { timeout: 20_000 });
    expect(await summaryRound(page)).toBeGreaterThanOrEqual(round + 3);
  }, 60_000);

  test('a screenshot shows a filled page (the same measure finds an empty one empty)', async () => {
    const shot = await page.screenshot({ fullPage: true });
    const filled = inkShare(shot);
    const blank = await browser.context.newPage();
    await blank.setContent('<html><body></body></html>');
    const empty = inkShare(await blank.screenshot({ fullPage: true }));
    await blank.close();
    expect(empty).toBeLessThan(0.001);
    expect(filled).toBeGreaterThan(0.05);
    // And the page it shows is not an error: the node answered its last poll.
    expect(await page.locator('#error').textContent()).toBe('');
  }, 30_000);
});

// A PMU member's feed (firmware/linux/src/pmu-feed.ts): a PMU that is not there at start is no start error; the feed
// connects once it is, keeps its station's frames as data frames of their own, and hands a round's frames over once.
import { afterEach, expect, test } from '@jest/globals';
import { decodeFrame, type ConfigFrame, type DataFrame } from '@meterchain/pmu';
import { PmuSimulator } from '@meterchain/pmu/sim';
import { freeLoopbackPort } from '@meterchain/testkit/mosquitto';
import { createLogger } from '../src/log.ts';
import { PmuFeed } from '../src/pmu-feed.ts';

const lines: string[] = [];
const log = createLogger({ level: 'info', write: (line: string) => lines.push(line) });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a PMU that comes up after the node is connected to when it does; its station frames are handed over by round', async () => {
  const port = await freeLoopbackPort();
  const feed = new PmuFeed({ host: '127.0.0.1', port, idcode: 7, station: 102, roundMs: 1000, log });
  cleanup.push(() => feed.close());
  await feed.configure();
  expect(lines.some((l) => l.includes('PMU not reachable'))).toBe(true);
  const sim = new PmuSimulator({ idcode: 7, stations: 3, nominalHz: 60, dataRate: 60 });
  await sim.listen(port);
  cleanup.push(() => sim.close());
  await until('frames', () => (feed.counters().frames ?? 0) >= 90);
  expect(lines.some((l) => l.includes('PMU stream connected again'))).toBe(true);
  const second = Math.floor(Date.now() / 1000) - 1;
  const taken = feed.take(second * 1_000_000, (second + 1) * 1_000_000);
  expect(taken).toBeDefined();
  const config = decodeFrame(taken!.config);
  if (!config.ok) throw new Error(config.reason);
  const cfg = config.value as ConfigFrame;
  expect(cfg.pmus.map((p) => p.idcode)).toEqual([102]);
  const times = taken!.frames.map((f) => f.timeUs);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(times.every((t) => t >= second * 1_000_000 && t < (second + 1) * 1_000_000)).toBe(true);
  const d = decodeFrame(taken!.frames[0]!.bytes, cfg);
  expect(d.ok && (d.value as DataFrame).pmus.length).toBe(1);
  // Taken once: the same round gives nothing more.
  expect(feed.take(second * 1_000_000, (second + 1) * 1_000_000)).toBeUndefined();
}, 30_000);

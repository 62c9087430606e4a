// The PDC client against the PMU simulator on loopback: TCP, and TCP commands with UDP data; configuration, header,
// streaming on and off, and what it must notice — lost, repeated and swapped frames, a configuration change.
import { afterEach, describe, expect, test } from '@jest/globals';
import { PdcClient, type PdcEvent } from '../src/node/index.ts';
import { PmuSimulator, type PmuSimulatorOptions } from '../src/sim/index.ts';
import type { DataFrame, PmuMeasurement } from '../src/index.ts';
import { createSocket } from 'node:dgram';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function setup(sim: PmuSimulatorOptions, udp = false) {
  const udpPort = udp ? await freeUdpPort() : undefined;
  const pmu = new PmuSimulator({ stations: 2, ...sim, udpDataPort: udpPort });
  open.push(pmu);
  const port = await pmu.listen(0);
  const client = new PdcClient({ host: '127.0.0.1', port, idcode: 7, udpPort, timeoutMs: 5000 });
  open.push(client);
  const frames: { frame: DataFrame; values: PmuMeasurement[] }[] = [];
  const events: PdcEvent[] = [];
  client.on({ data: (frame, values) => frames.push({ frame, values }), event: (e) => events.push(e) });
  await client.connect();
  return { pmu, client, frames, events };
}

/** Resolves when `n` data frames arrived (fails after a bounded wait). */
async function frames(list: unknown[], n: number, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (list.length < n) {
    if (Date.now() > until) throw new Error(`only ${list.length} of ${n} data frames within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const udp of [false, true]) {
  describe(udp ? 'TCP commands, UDP data' : 'TCP', () => {
    test('reads the header and CFG-2, streams data frames at the configured rate, stops on command', async () => {
      const { client, frames: got, events } = await setup({ dataRate: 50 }, udp);
      expect(await client.requestHeader()).toMatch(/meterchain PMU simulator: 2 station/);
      const cfg = await client.requestConfig();
      expect(cfg.pmus.map((p) => p.station)).toEqual(['SIM-PMU-1', 'SIM-PMU-2']);
      expect(cfg.dataRate).toBe(50);
      client.start();
      await frames(got, 30);
      client.stop();
      const first = got[0]!;
      expect(first.values).toHaveLength(2);
      expect(first.values[0]!.frequency).toBeCloseTo(50, 5);
      expect(first.values[0]!.phasors[0]!.magnitude).toBeCloseTo(400_000 / Math.sqrt(3), -1);
      // Stations 4° apart along the line.
      const spread = first.values[0]!.phasors[0]!.angle - first.values[1]!.phasors[0]!.angle;
      expect((spread * 180) / Math.PI).toBeCloseTo(4, 3);
      // Consecutive timestamps 20 ms apart, none missing, none repeated.
      for (let i = 1; i < got.length; i++) {
        const a = got[i - 1]!.frame;
        const b = got[i]!.frame;
        expect(b.soc - a.soc + (b.fraction - a.fraction) / 1e6).toBeCloseTo(0.02, 9);
      }
      expect(client.monitor.counts).toMatchObject({ missing: 0, duplicates: 0, outOfOrder: 0, timeQualityFrames: 0 });
      expect(events.filter((e) => e.kind === 'gap' || e.kind === 'undecodable')).toEqual([]);
      // Frames in flight when the command left may still land; after that, nothing more comes.
      await new Promise((r) => setTimeout(r, 300));
      const settled = got.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(got.length).toBe(settled);
    }, 20_000);
  });
}

test('reports a lost frame as a gap, a repeated one as a duplicate and a swapped pair as out of order', async () => {
  const { client, frames: got, events } = await setup({ dataRate: 50, drop: [5], duplicate: [10], swap: [15] });
  await client.requestConfig();
  client.start();
  await frames(got, 25);
  client.stop();
  expect(client.monitor.counts).toMatchObject({ missing: 1 + 1, duplicates: 1, outOfOrder: 1 });
  const kinds = events.map((e) => e.kind).filter((k) => k !== 'config');
  // The swap: frame 16 arrives before 15 (a gap of one, then 15 out of order).
  expect(kinds).toEqual(['gap', 'duplicate', 'gap', 'out-of-order']);
}, 20_000);

test('follows a configuration change: STAT bit 10, a new CFG-2 asked for, frames decoded with it', async () => {
  const { pmu, client, frames: got, events } = await setup({ dataRate: 50 });
  const before = await client.requestConfig();
  expect(before.pmus[0]!.phasors).toHaveLength(4);
  client.start();
  await frames(got, 5);
  pmu.changeConfiguration(8);
  await frames(got, 40);
  client.stop();
  expect(events.some((e) => e.kind === 'config-change-announced')).toBe(true);
  expect(client.config!.pmus[0]!.changeCount).toBe(1);
  expect(client.config!.pmus[0]!.phasors).toHaveLength(3);
  expect(got[got.length - 1]!.values[0]!.phasors).toHaveLength(3);
}, 20_000);

test('reads CFG-3 when asked for it', async () => {
  const pmu = new PmuSimulator({ stations: 1 });
  open.push(pmu);
  const port = await pmu.listen(0);
  const client = new PdcClient({ host: '127.0.0.1', port, idcode: 7, cfg3: true });
  open.push(client);
  await client.connect();
  const cfg = await client.requestConfig();
  expect(cfg.kind).toBe('cfg3');
  expect(cfg.pmus[0]).toMatchObject({ serviceClass: 'P', window: 40_000, globalId: '00000000000000000000000000000001' });
}, 20_000);

test('a PMU that does not answer its IDCODE ends in a one-line timeout, not a hang', async () => {
  const pmu = new PmuSimulator({ stations: 1 });
  open.push(pmu);
  const port = await pmu.listen(0);
  const client = new PdcClient({ host: '127.0.0.1', port, idcode: 99, timeoutMs: 500 });
  open.push(client);
  await client.connect();
  await expect(client.requestConfig()).rejects.toThrow('no CFG-2 frame from IDCODE 99 within 500 ms');
});

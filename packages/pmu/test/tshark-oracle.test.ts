// Protocol oracle: tshark's synchrophasor dissector reads every frame type the codec writes — CFG-1/2/3, data frames
// in all four phasor formats and both FREQ formats, several PMUs per stream, header and command frames — over TCP
// and UDP, with a correct checksum and no malformed field; and reads the values the codec meant.
import { afterAll, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, encodeCommand, encodeConfig12, encodeConfig3, encodeData, encodeHeader, LOCKED, type ConfigFrame } from '../src/index.ts';
import { config, data } from './support/fixtures.ts';
import { writePcap, type Segment } from './support/pcap.ts';
import { randomConfig, randomData, seeded } from './support/random-frames.ts';

// A missing tshark fails the suite (CI installs it): an oracle that silently did not run proves nothing.
const dir = mkdtempSync(join(tmpdir(), 'pmu-tshark-'));
afterAll(() => (process.env.PMU_KEEP ? undefined : rmSync(dir, { recursive: true, force: true })));

function tshark(file: string, decodeAs: string, filter: string, fields: string[]): string[][] {
  const args = ['-r', file, '-d', decodeAs, '-Y', filter, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const run = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw new Error(`tshark could not run: ${run.error.message} (install it: Debian package tshark)`);
  if (run.status !== 0) throw new Error(`tshark failed (${run.status}): ${run.stderr}`);
  return run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('|'));
}

function command(cmd: number, extended = new Uint8Array(0)): Segment {
  return { fromPmu: false, payload: encodeCommand({ kind: 'command', version: 2, idcode: 7, soc: 1_700_000_000, fraction: 0, timeQuality: LOCKED, command: cmd, extended }) };
}

/** Every frame type, and a data frame under every configuration kind and every FORMAT combination. */
function everyFrame(): { segments: Segment[]; types: number[] } {
  const segments: Segment[] = [];
  for (const cmd of [Command.sendHeader, Command.sendCfg1, Command.sendCfg2, Command.sendCfg3, Command.dataOn, Command.dataOff]) segments.push(command(cmd));
  segments.push(command(Command.extended, new Uint8Array([0, 1, 0, 2])));
  segments.push({ fromPmu: true, payload: encodeHeader({ kind: 'header', version: 2, idcode: 7, soc: 1_700_000_000, fraction: 0, timeQuality: LOCKED, text: 'meterchain PMU: 2 stations, P class, 50 frames/s' }) });
  let fraction = 0;
  for (const kind of ['cfg1', 'cfg2', 'cfg3'] as const) {
    for (let bits = 0; bits < 16; bits++) {
      const cfg = config(kind);
      cfg.pmus[0]!.format = { freqFloat: (bits & 8) !== 0, analogFloat: (bits & 4) !== 0, phasorFloat: (bits & 2) !== 0, polar: (bits & 1) !== 0 };
      const frame = data((fraction += 20_000) % 1_000_000);
      if (cfg.pmus[0]!.format.phasorFloat) frame.pmus[0]!.phasors = [{ x: 1000.5, y: cfg.pmus[0]!.format.polar ? 0.5 : -20.25 }, { x: 10, y: cfg.pmus[0]!.format.polar ? -1 : 3 }];
      else if (!cfg.pmus[0]!.format.polar) frame.pmus[0]!.phasors = [{ x: 20_000, y: -300 }, { x: -200, y: 100 }];
      if (cfg.pmus[0]!.format.freqFloat) {
        frame.pmus[0]!.freq = Math.fround(50.02);
        frame.pmus[0]!.dfreq = Math.fround(-0.125);
      }
      if (cfg.pmus[0]!.format.analogFloat) frame.pmus[0]!.analogs = [Math.fround(123.5)];
      segments.push({ fromPmu: true, payload: kind === 'cfg3' ? encodeConfig3(cfg) : encodeConfig12(cfg) });
      // CFG-1 states what a PMU can send; data frames follow CFG-2 or CFG-3 (§6.4), and so does the dissector.
      if (kind === 'cfg1') segments.push({ fromPmu: true, payload: encodeConfig12({ ...cfg, kind: 'cfg2' }) });
      segments.push({ fromPmu: true, payload: encodeData(frame, cfg) });
    }
  }
  // Random configurations (seeded): names, counts, scales, time bases and rates the fixtures do not have.
  for (let seed = 1; seed <= 30; seed++) {
    const rand = seeded(seed);
    const kind = (['cfg2', 'cfg3'] as const)[seed % 2]!;
    const cfg: ConfigFrame = randomConfig(rand, kind);
    cfg.dataRate = 50;
    cfg.timeQuality = LOCKED;
    const frame = randomData(rand, cfg);
    frame.timeQuality = LOCKED;
    for (const p of frame.pmus) p.stat = { ...p.stat, dataError: 0, notSynchronized: false };
    segments.push({ fromPmu: true, payload: kind === 'cfg3' ? encodeConfig3(cfg) : encodeConfig12(cfg) });
    segments.push({ fromPmu: true, payload: encodeData(frame, cfg) });
  }
  const types = segments.map((s) => (s.payload[1]! >> 4) & 7);
  return { segments, types };
}

for (const transport of ['tcp', 'udp'] as const) {
  test(`tshark dissects every frame type over ${transport.toUpperCase()} with a correct checksum and no malformed field`, () => {
    const { segments, types } = everyFrame();
    const file = join(dir, `every-${transport}.pcap`);
    writeFileSync(file, writePcap(segments, transport, 4712, 40_000));
    const decodeAs = `${transport}.port==4712,synphasor`;
    const rows = tshark(file, decodeAs, 'synphasor', ['frame.number', 'synphasor.frtype', 'synphasor.checksum.status', 'synphasor.frsize']);
    expect(rows.length).toBe(segments.length);
    expect(rows.map((r) => Number(r[1]))).toEqual(types);
    expect(rows.every((r) => r[2] === '1')).toBe(true); // checksum status 1 = good
    expect(rows.map((r) => Number(r[3]))).toEqual(segments.map((s) => s.payload.length));
    // Data frames were dissected with their configuration (not as unknown data).
    const data = tshark(file, decodeAs, 'synphasor.frtype == 0', ['synphasor.data.conf_frame']);
    expect(data.length).toBe(types.filter((t) => t === 0).length);
    expect(data.every((r) => r[0] !== '')).toBe(true);
    expect(tshark(file, decodeAs, '_ws.malformed || _ws.expert.severity >= "warning" || synphasor.data.unknown', ['frame.number', '_ws.expert.message'])).toEqual([]);
  }, 120_000);
}

test('tshark reads the values the codec wrote: FREQ, DFREQ, STAT flags, station names', () => {
  const cfg = config('cfg2');
  const good = data(20_000);
  const flagged = data(40_000);
  flagged.pmus[0]!.stat = { ...flagged.pmus[0]!.stat, notSynchronized: true, configChange: true, unlockedTime: 2 };
  const file = join(dir, 'values.pcap');
  writeFileSync(file, writePcap([{ fromPmu: true, payload: encodeConfig12(cfg) }, { fromPmu: true, payload: encodeData(good, cfg) }, { fromPmu: true, payload: encodeData(flagged, cfg) }], 'tcp', 4712, 40_000));
  const decodeAs = 'tcp.port==4712,synphasor';
  const cfg3 = join(dir, 'names.pcap');
  writeFileSync(cfg3, writePcap([{ fromPmu: true, payload: encodeConfig3(config('cfg3')) }], 'tcp', 4712, 40_000));
  expect(tshark(cfg3, decodeAs, 'synphasor.frtype == 5', ['synphasor.station_name', 'synphasor.conf.window', 'synphasor.conf.fnom'])).toEqual([['SUB-A 400kV,SUB-B 220kV', '20000,20000', '1,1']]);
  const rows = tshark(file, decodeAs, 'synphasor.frtype == 0', ['synphasor.frequency_deviation_from_nominal', 'synphasor.actual_frequency_value', 'synphasor.data.sync', 'synphasor.data.CFGchange', 'synphasor.data.t_unlock']);
  expect(rows).toHaveLength(2);
  expect(rows[0]![0]).toBe('-20');
  expect(Number(rows[0]![1])).toBeCloseTo(49.98, 5);
  expect(rows[0]!.slice(2)).toEqual(['0,0', '0,0', '0x0000,0x0000']);
  expect(rows[1]!.slice(2)).toEqual(['1,0', '1,0', '0x0002,0x0000']);
  // tshark flags the unsynchronized PMU as an expert finding on that frame only.
  expect(tshark(file, decodeAs, 'synphasor.pmu_not_sync', ['frame.number'])).toEqual([['3']]);
}, 60_000);

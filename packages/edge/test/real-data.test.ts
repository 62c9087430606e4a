// The residential profile on real household data (DESIGN §6): the two real gap rows are flagged as gaps, other
// rows stay quiet, and seeded faults of every class the data can carry are found.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { createPipeline, replay, residentialProfile } from '@meterchain/edge';
import { runInjection } from '@meterchain/edge/inject';
import { parseChannelMap, readCsv, type CsvRecording } from '@meterchain/edge/node';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const UCI = join(resolve(repoRoot, '../shared'), 'data', 'uci-household-2006-12.csv');
const MAP = 'voltage=Voltage:V,current=Global_intensity:A,activePower=Global_active_power:kW,reactivePower=Global_reactive_power:kvar';

let csv: CsvRecording;

beforeAll(() => {
  csv = readCsv(readFileSync(UCI, 'utf8'), { time: ['Date', 'Time'], map: parseChannelMap(MAP) });
});

describe('UCI household data, December 2006, residential profile', () => {
  test('reads every row with its line number (header = line 1)', () => {
    expect(csv.recording.length).toBe(15921);
    expect(csv.lines[0]).toBe(2);
    expect(csv.timeText[0]).toBe('16/12/2006 17:24:00');
  });

  test('flags the two real gap rows (lines 6841 and 6842) as gaps and at most 0.1 % of the other rows', () => {
    const flagged = new Map<number, string[]>();
    replay(createPipeline(residentialProfile, csv.recording.channels), csv.recording, (n, f) => {
      const line = csv.lines[n]!;
      flagged.set(line, [...(flagged.get(line) ?? []), f.check]);
    });
    expect(flagged.get(6841)).toEqual(['gap']);
    expect(flagged.get(6842)).toEqual(['gap']);
    const others = [...flagged.keys()].filter((line) => line !== 6841 && line !== 6842);
    expect(others.length).toBeLessThanOrEqual(Math.floor(0.001 * (csv.recording.length - 2)));
  });

  test.each([1, 2, 3])('seed %i: at least 95 %% of injected faults of every class are found, false findings within 0.1 %%', (seed) => {
    const report = runInjection(residentialProfile, csv.recording, seed);
    expect(report.classes.map((c) => c.fault)).toEqual([
      'limits', 'rate-of-change', 'spike', 'stuck', 'gap', 'duplicate', 'time-backwards', 'clock-unsynced',
      'energy-rollback', 'energy-jump', 'energy-rollover', 'physics',
    ]);
    for (const c of report.classes) {
      expect(c.events).toBeGreaterThanOrEqual(20);
      expect({ fault: c.fault, rate: c.rate >= 0.95 }).toEqual({ fault: c.fault, rate: true });
    }
    expect(report.cleanRows).toBeGreaterThan(100_000);
    expect(report.falseRate).toBeLessThanOrEqual(0.001);
  });

  test('the same seed gives the same report', () => {
    const a = runInjection(residentialProfile, csv.recording, 9, { eventsPerClass: 5, only: ['spike', 'gap'] });
    const b = runInjection(residentialProfile, csv.recording, 9, { eventsPerClass: 5, only: ['spike', 'gap'] });
    expect(a).toEqual(b);
  });
});

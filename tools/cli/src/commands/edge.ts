// `meterchain edge replay`: runs a device profile's edge pipeline over a recorded CSV file and reports every
// finding; with --inject, also the detection and false-finding rates of seeded synthetic faults.
import { createPipeline, replay } from '@meterchain/edge';
import { runInjection, type InjectionReport } from '@meterchain/edge/inject';
import { loadProfile, parseChannelMap, readCsv, type CsvRecording } from '@meterchain/edge/node';
import { readFileSync } from 'node:fs';
import { InputError, intOption, parse, required, UsageError, type Command, type Io } from '../command.ts';

const usage = `usage: meterchain edge replay --csv FILE --time COLUMNS --map CHANNEL=COLUMN[:UNIT],... [--profile NAME]
                              [--seq COLUMN] [--json] [--inject SEED]

Replays a recorded CSV file (';' or ',' separated, header line, quoted fields allowed, '?' or empty for a
missing value) through the edge pipeline of a device profile and reports every finding, by 1-based line of the
file (the header is line 1).

  --csv FILE          the recording
  --time COLUMNS      column(s) holding the time, comma-separated, joined by a space
                      (dd/mm/yyyy hh:mm:ss, ISO 8601, or epoch seconds or milliseconds; no zone = UTC)
  --map ITEMS         CHANNEL=COLUMN[:UNIT],... e.g. voltage=Voltage:V,activePower=Global_active_power:kW
                      channels: voltage, current, activePower, reactivePower, apparentPower, powerFactor,
                      frequency, rocof, energyImport, energyExport (L1/L2/L3 suffixes for phases)
  --profile NAME      residential (default), three-phase, pmu, or a YAML profile file
  --seq COLUMN        column of the device's sequence numbers, if it has one
  --json              one JSON document: {"rows", "counts", "findings": [{"line", "time", "check", "channel",
                      "detail"}]} (plus "inject" with --inject)
  --inject SEED       also inject seeded synthetic faults of every check class the channels allow and print
                      the detection rate per class and the false-finding rate on the rows no fault touched`;

interface Row {
  line: number;
  time: string;
  check: string;
  channel: string;
  detail: string;
}

function edgeFailure(e: unknown): Error {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'EDGE_USAGE') return new UsageError(message);
  if (code === 'EDGE_INPUT' || code === 'EDGE_PROFILE' || code === 'EDGE_CONFIG') return new InputError(message);
  return e instanceof Error ? e : new Error(message);
}

function percent(x: number, digits: number): string {
  return `${(x * 100).toFixed(digits)} %`;
}

function printInjection(io: Io, report: InjectionReport, csv: CsvRecording): void {
  io.out('');
  io.out(`fault injection, seed ${report.seed}${report.synthetic.length > 0 ? ` (synthetic ${report.synthetic.join('; ')})` : ''}:`);
  io.out(`  ${'class'.padEnd(16)} ${'events'.padStart(6)} ${'found'.padStart(6)} ${'rate'.padStart(8)}  injected as`);
  for (const c of report.classes) {
    io.out(`  ${c.fault.padEnd(16)} ${String(c.events).padStart(6)} ${String(c.detected).padStart(6)} ${percent(c.rate, 1).padStart(8)}  ${c.how}`);
    if (c.missed.length > 0) io.out(`  ${''.padEnd(16)} missed at line ${c.missed.map((m) => csv.lines[m]).join(', ')}`);
  }
  for (const n of report.notApplicable) io.out(`  ${n.fault.padEnd(16)} not applicable: ${n.reason}`);
  io.out(`  false findings: ${report.falseFindings} of ${report.cleanRows} clean rows over ${report.passes} replays (${percent(report.falseRate, 3)})`);
}

function injectionJson(report: InjectionReport, csv: CsvRecording): object {
  return {
    seed: report.seed,
    classes: report.classes.map((c) => ({
      fault: c.fault,
      check: c.check,
      how: c.how,
      events: c.events,
      detected: c.detected,
      rate: c.rate,
      missed: c.missed.map((m) => csv.lines[m]),
    })),
    not_applicable: report.notApplicable,
    synthetic: report.synthetic,
    passes: report.passes,
    clean_rows: report.cleanRows,
    false_findings: report.falseFindings,
    false_rate: report.falseRate,
  };
}

async function replayCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    csv: { type: 'string' },
    time: { type: 'string' },
    map: { type: 'string' },
    profile: { type: 'string' },
    seq: { type: 'string' },
    json: { type: 'boolean' },
    inject: { type: 'string' },
  });
  const file = required(values.csv, 'csv');
  const time = required(values.time, 'time')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (time.length === 0) throw new UsageError('--time expects one or more column names');
  const seed = values.inject === undefined ? undefined : intOption(values.inject, 'inject');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let csv: CsvRecording;
  let profileName: string;
  const rows: Row[] = [];
  const counts: Record<string, number> = {};
  const flaggedRows = new Set<number>();
  let report: InjectionReport | undefined;
  try {
    const map = parseChannelMap(required(values.map, 'map'));
    const profile = loadProfile(values.profile ?? 'residential');
    profileName = profile.name;
    for (const m of map) {
      if (profile.channels.indexOf(m.channel) < 0) throw new UsageError(`--map: profile ${profile.name} has no channel '${m.channel}' (it has ${profile.channels.join(', ')})`);
    }
    csv = readCsv(text, values.seq === undefined ? { time, map } : { time, map, seq: values.seq });
    const pipeline = createPipeline(profile, csv.recording.channels);
    const lines = csv.lines;
    const when = csv.timeText;
    replay(pipeline, csv.recording, (n, f) => {
      rows.push({ line: lines[n]!, time: when[n]!, check: f.check, channel: f.channel, detail: f.detail });
      counts[f.check] = (counts[f.check] ?? 0) + 1;
      flaggedRows.add(n);
    });
    if (seed !== undefined) report = runInjection(profile, csv.recording, seed);
  } catch (e) {
    throw edgeFailure(e);
  }
  const total = csv.recording.length;
  if (values.json) {
    const doc: Record<string, unknown> = { rows: total, counts, findings: rows };
    if (report) doc.inject = injectionJson(report, csv);
    io.out(JSON.stringify(doc));
    return 0;
  }
  io.out(`${file}: ${total} rows, profile ${profileName}, channels ${csv.recording.channels.join(', ')}`);
  io.out(`${rows.length} finding${rows.length === 1 ? '' : 's'} on ${flaggedRows.size} row${flaggedRows.size === 1 ? '' : 's'} (${percent(total === 0 ? 0 : flaggedRows.size / total, 3)})`);
  for (const check of Object.keys(counts).sort()) io.out(`  ${check}: ${counts[check]}`);
  for (const r of rows) io.out(`line ${r.line}  ${r.time}  ${r.check}  ${r.channel}  ${r.detail}`);
  if (report) printInjection(io, report, csv);
  return 0;
}

export const command: Command = {
  name: 'edge',
  summary: 'replay recorded data through an edge profile (filters, checks, quality flags)',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'replay') return replayCommand(rest, io);
    throw new UsageError(sub === undefined ? 'missing subcommand (replay)' : `unknown subcommand '${sub}' (replay)`);
  },
};

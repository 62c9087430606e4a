// Reads recorded meter data from CSV (`;` or `,` separated, header line, quoted fields, `?` or empty for missing
// values) into a Recording. Every error names the 1-based line of the file (the header is line 1).
import { emptyRecording, type Recording } from '../recording.ts';
import { edgeError } from '../types.ts';

/** One `CHANNEL=COLUMN[:UNIT]` item of a channel map. */
export interface ChannelMapping {
  channel: string;
  column: string;
  unit: string;
}

/** A recording read from CSV, with where each sample came from in the file. */
export interface CsvRecording {
  recording: Recording;
  /** 1-based line number of each sample's record. */
  lines: Int32Array;
  /** The time text of each sample as written in the file (time columns joined by a space). */
  timeText: string[];
  separator: string;
}

/** SI unit of a channel, from its name (phase suffixes L1..L3 and N allowed). */
export function channelUnit(channel: string): string | undefined {
  const base = channel.replace(/(L[123]|N)$/, '');
  if (base === 'voltage') return 'V';
  if (base === 'current') return 'A';
  if (base === 'activePower') return 'W';
  if (base === 'reactivePower') return 'var';
  if (base === 'apparentPower') return 'VA';
  if (base === 'powerFactor') return '1';
  if (base === 'frequency') return 'Hz';
  if (base === 'rocof') return 'Hz/s';
  if (/^energy/.test(base)) return /Reactive$/.test(base) ? 'varh' : 'Wh';
  return undefined;
}

// Units a column may be written in: [SI unit, factor to it].
const UNITS: Record<string, [string, number]> = {
  V: ['V', 1],
  mV: ['V', 1e-3],
  kV: ['V', 1e3],
  A: ['A', 1],
  mA: ['A', 1e-3],
  kA: ['A', 1e3],
  W: ['W', 1],
  kW: ['W', 1e3],
  MW: ['W', 1e6],
  var: ['var', 1],
  kvar: ['var', 1e3],
  Mvar: ['var', 1e6],
  VA: ['VA', 1],
  kVA: ['VA', 1e3],
  MVA: ['VA', 1e6],
  '1': ['1', 1],
  '%': ['1', 0.01],
  Hz: ['Hz', 1],
  mHz: ['Hz', 1e-3],
  'Hz/s': ['Hz/s', 1],
  'mHz/s': ['Hz/s', 1e-3],
  Wh: ['Wh', 1],
  kWh: ['Wh', 1e3],
  MWh: ['Wh', 1e6],
  varh: ['varh', 1],
  kvarh: ['varh', 1e3],
};

/** Splits on commas outside double quotes. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  return items;
}

/** Parses `CHANNEL=COLUMN[:UNIT],...` (a column name with a comma or colon in double quotes). The unit defaults to
 * the channel's SI unit. Throws EDGE_USAGE. */
export function parseChannelMap(text: string): ChannelMapping[] {
  const items: ChannelMapping[] = [];
  for (const part of splitItems(text)) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^([A-Za-z][A-Za-z0-9_]*)=("[^"]*"|[^:"]+?)(?::([^:"]+))?$/.exec(item);
    if (!m) throw edgeError('EDGE_USAGE', `--map: expected CHANNEL=COLUMN[:UNIT], got '${item}'`);
    const channel = m[1]!;
    const si = channelUnit(channel);
    if (si === undefined) throw edgeError('EDGE_USAGE', `--map: unknown channel '${channel}' (voltage, current, activePower, reactivePower, apparentPower, powerFactor, frequency, rocof, energy..., with L1/L2/L3 for phases)`);
    const unit = m[3] === undefined ? si : m[3].trim();
    const known = UNITS[unit];
    if (known === undefined) throw edgeError('EDGE_USAGE', `--map ${channel}: unknown unit '${unit}' (${Object.keys(UNITS).join(', ')})`);
    if (known[0] !== si) throw edgeError('EDGE_USAGE', `--map ${channel}: unit '${unit}' is not a unit of ${si}`);
    for (const other of items) if (other.channel === channel) throw edgeError('EDGE_USAGE', `--map: channel '${channel}' mapped twice`);
    const column = m[2]!.trim();
    items.push({ channel, column: column[0] === '"' ? column.slice(1, -1) : column, unit });
  }
  if (items.length === 0) throw edgeError('EDGE_USAGE', '--map: no channels given');
  return items;
}

function inputError(line: number, message: string): Error {
  return edgeError('EDGE_INPUT', `line ${line}: ${message}`);
}

/** Splits CSV text into records with their 1-based starting line (RFC 4180 quoting; blank lines skipped). */
function records(text: string, sep: string, onRecord: (fields: string[], line: number) => void): void {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let fieldStarted = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (ch === sep) {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (fieldStarted || field !== '' || fields.length > 0) {
        fields.push(field);
        onRecord(fields, start);
      }
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      start = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw inputError(start, 'quoted field not closed before the end of the file');
  if (fieldStarted || field !== '' || fields.length > 0) {
    fields.push(field);
    onRecord(fields, start);
  }
}

function detectSeparator(text: string): string {
  const end = text.indexOf('\n');
  const header = end < 0 ? text : text.slice(0, end);
  let semicolons = 0;
  let commas = 0;
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ';') semicolons++;
    else if (!quoted && ch === ',') commas++;
  }
  return semicolons > 0 ? ';' : ',';
}

const MISSING = ['', '?'];

function parseNumber(text: string, sep: string): number {
  let s = text.trim();
  if (MISSING.indexOf(s) >= 0) return NaN;
  // In `;`-separated files a decimal comma is common ("4,216").
  if (sep === ';' && /^[+-]?\d+,\d+$/.test(s)) s = s.replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Infinity; // caller reports it
  return Number(s);
}

/**
 * Milliseconds since the epoch for a time text: `dd/mm/yyyy hh:mm[:ss[.fff]]`, ISO 8601
 * (`yyyy-mm-dd[T ]hh:mm[:ss[.fff]][Z|±hh:mm]`), or a number of seconds (< 10^11) or milliseconds since the epoch.
 * Times without a zone are read as UTC (a recording's local time, shifted alike for every row). NaN if unreadable.
 */
export function parseTime(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const x = Number(s);
    return Math.round(x < 1e11 ? x * 1000 : x);
  }
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/.exec(s);
  let y: number, mo: number, d: number, h: number, mi: number, sec: number, frac: string | undefined, zone: string | undefined;
  if (m) {
    d = Number(m[1]);
    mo = Number(m[2]);
    y = Number(m[3]);
    h = Number(m[4]);
    mi = Number(m[5]);
    sec = Number(m[6] ?? 0);
    frac = m[7];
  } else {
    m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
    if (!m) return NaN;
    y = Number(m[1]);
    mo = Number(m[2]);
    d = Number(m[3]);
    h = Number(m[4] ?? 0);
    mi = Number(m[5] ?? 0);
    sec = Number(m[6] ?? 0);
    frac = m[7];
    zone = m[8];
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return NaN;
  let t = Date.UTC(y, mo - 1, d, h, mi, sec) + (frac ? Math.round(Number(frac) * 1000) : 0);
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return NaN; // 31/02
  if (zone && zone !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (Number(zm[2]) * 60 + Number(zm[3])) * 60000;
    t -= zm[1] === '+' ? offset : -offset;
  }
  return t;
}

export interface CsvOptions {
  /** Names of the columns that make up the time, joined by a space before parsing. */
  time: string[];
  map: ChannelMapping[];
  /** Optional column of sequence numbers. */
  seq?: string;
}

/** Reads a CSV text into a recording. Throws EDGE_INPUT naming the line for malformed content. */
export function readCsv(text: string, options: CsvOptions): CsvRecording {
  const sep = detectSeparator(text);
  let header: string[] | undefined;
  let timeCols: number[] = [];
  let valueCols: number[] = [];
  let seqCol = -1;
  const factors = options.map.map((m) => UNITS[m.unit]![1]);
  const t: number[] = [];
  const seq: number[] = [];
  const values: number[] = [];
  const lines: number[] = [];
  const timeText: string[] = [];
  const findColumn = (name: string, what: string): number => {
    const c = header!.indexOf(name);
    if (c < 0) throw inputError(1, `no column '${name}' for ${what}; the header has: ${header!.join(', ')}`);
    return c;
  };
  records(text, sep, (fields, line) => {
    if (header === undefined) {
      header = fields.map((f) => f.trim());
      timeCols = options.time.map((name) => findColumn(name, '--time'));
      valueCols = options.map.map((m) => findColumn(m.column, `--map ${m.channel}`));
      if (options.seq !== undefined) seqCol = findColumn(options.seq, '--seq');
      return;
    }
    if (fields.length !== header.length) throw inputError(line, `${fields.length} fields, the header has ${header.length}`);
    const when = timeCols.map((c) => fields[c]!.trim()).join(' ');
    const ms = parseTime(when);
    if (ms !== ms) throw inputError(line, `cannot read the time '${when}' (dd/mm/yyyy hh:mm:ss, ISO 8601, or epoch seconds or ms)`);
    for (let k = 0; k < valueCols.length; k++) {
      const raw = fields[valueCols[k]!]!;
      const x = parseNumber(raw, sep);
      if (x === Infinity) throw inputError(line, `column '${options.map[k]!.column}': '${raw.trim()}' is not a number`);
      values.push(x * factors[k]!);
    }
    if (seqCol >= 0) {
      const raw = fields[seqCol]!.trim();
      if (!/^\d+$/.test(raw)) throw inputError(line, `column '${options.seq}': '${raw}' is not a sequence number`);
      seq.push(Number(raw));
    } else seq.push(-1);
    t.push(ms);
    lines.push(line);
    timeText.push(when);
  });
  if (header === undefined) throw inputError(1, 'empty file: expected a header line');
  const rec = emptyRecording(options.map.map((m) => m.channel), t.length);
  rec.t.set(t);
  rec.seq.set(seq);
  rec.values.set(values);
  return { recording: rec, lines: Int32Array.from(lines), timeText, separator: sep };
}

// Entry point of `meterchain-gate`: runs the gate and prints one line per finding and a summary line.
import { resolve } from 'node:path';
import { runGate, discoverTargets, defaultRoot, type GateReport } from './gate.ts';
import { packageTarget, type GateTarget } from './build.ts';
import { formatFinding } from './finding.ts';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export const usage = `usage: meterchain-gate [options] [package-dir ...]

Builds each portable package (and the Espruino firmware entry) into an Espruino-compatible bundle with esbuild,
lints the bundle for what Espruino lacks, and runs the package's smoke.ts in a sandbox without those features.
Exit status: 0 when clean, 1 on any finding, 2 on bad usage.

options:
  --no-smoke      build and lint only
  --quiet         print findings and the summary line only
  --json          print the report as JSON
  --root DIR      repository root (default: this workspace)
  --out DIR       where bundles are written (default: <root>/.cache/gate)
  --espruino BIN  also run each runnable bundle, minified, from flash on this Espruino interpreter (its Linux build)
  -h, --help      this text`;

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function summary(report: GateReport): string {
  const failed = report.targets.filter((t) => t.findings.length > 0).length;
  const verdict = report.ok ? 'passed' : 'FAILED';
  return `gate ${verdict}: ${report.targets.length} targets, ${failed} failing, ${report.findings.length} findings, ${(report.ms / 1000).toFixed(2)} s`;
}

function printTargets(report: GateReport, io: Io): void {
  for (const t of report.targets) {
    const parts = [t.bytes > 0 ? `bundle ${kb(t.bytes)}${t.target.minify ? ' minified' : ''} (${t.bundleFile})` : 'no bundle'];
    if (t.smoke) parts.push(t.target.smoke ? `smoke ${t.smoke.ok ? 'ok' : 'failed'} in ${t.smoke.ms.toFixed(0)} ms` : `loaded ${t.smoke.ok ? 'ok' : 'failed'} (no smoke.ts)`);
    else if (t.target.main) parts.push('firmware entry: not run');
    if (t.espruino) {
      const memory = t.espruino.memory ? `, ${t.espruino.memory.used} of ${t.espruino.memory.total} variables at the end` : '';
      const verdict = t.espruino.ok ? 'ok' : (t.espruino.outOfMemory || t.espruino.timedOut) && !t.fit?.claimed ? `does not fit (${t.espruino.outOfMemory ? 'out of memory' : 'time limit'}; not claimed)` : 'FAILED';
      parts.push(`Espruino from flash ${verdict} in ${(t.espruino.ms / 1000).toFixed(2)} s${memory}`);
    }
    if (!t.target.api && !t.target.smoke && !t.target.main) parts.push('nothing to build yet (no src/index.ts, no smoke.ts)');
    io.out(`${t.target.name}: ${parts.join(', ')}, ${t.findings.length} findings, ${t.ms.toFixed(0)} ms`);
    for (const line of t.smoke?.output ?? []) io.out(`  | ${line}`);
    for (const line of t.espruino?.output ?? []) io.out(`  E ${line}`);
  }
}

/** Which bundles fit the interpreter's board, and which claim to. */
function printBoard(report: GateReport, io: Io): void {
  if (!report.board) return;
  const run = report.targets.filter((t) => t.fit);
  const list = (ts: typeof run) => (ts.length ? ts.map((t) => t.target.name + (t.fit!.claimed ? ' (claimed)' : '')).join(', ') : 'none');
  io.out(`board ${report.board.name} (${report.board.variables} variables), from flash: fit ${list(run.filter((t) => t.fit!.fits))}; do not fit ${list(run.filter((t) => !t.fit!.fits))}`);
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let root = defaultRoot;
  let outDir: string | undefined;
  let espruino: string | undefined;
  let smoke = true;
  let quiet = false;
  let json = false;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      io.out(usage);
      return 0;
    } else if (arg === '--no-smoke') smoke = false;
    else if (arg === '--quiet') quiet = true;
    else if (arg === '--json') json = true;
    else if (arg === '--root' || arg === '--out' || arg === '--espruino') {
      const value = argv[++i];
      if (value === undefined) {
        io.err(`meterchain-gate: ${arg} needs a path`);
        return 2;
      }
      if (arg === '--root') root = resolve(value);
      else if (arg === '--out') outDir = resolve(value);
      else espruino = resolve(value);
    } else if (arg.startsWith('-')) {
      io.err(`meterchain-gate: unknown option '${arg}' (see --help)`);
      return 2;
    } else dirs.push(resolve(arg));
  }
  let targets: GateTarget[] | undefined;
  if (dirs.length > 0) {
    const known = discoverTargets(root);
    targets = dirs.map((dir) => known.find((t) => t.dir === dir) ?? packageTarget(dir, dir));
  }
  try {
    const report = await runGate({ root, smoke, ...(outDir ? { outDir } : {}), ...(espruino ? { espruino } : {}), ...(targets ? { targets } : {}) });
    if (json) {
      io.out(JSON.stringify(report, null, 2));
    } else {
      if (!quiet) printTargets(report, io);
      printBoard(report, io);
      for (const f of report.findings) io.out(formatFinding(f));
      io.out(summary(report));
    }
    return report.ok ? 0 : 1;
  } catch (e) {
    io.err(`meterchain-gate: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return 2;
  }
}

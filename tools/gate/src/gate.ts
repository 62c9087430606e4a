// The portability gate: build, lint and smoke-run every portable package (and the Espruino firmware entry) as
// Espruino would meet it. Any finding fails the gate.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOARDS, bundleTarget, packageTarget, type GateTarget } from './build.ts';
import { SourceLocator, type Finding } from './finding.ts';
import { lintBundle } from './lint.ts';
import { probeHeap, runFromFlash, type InterpreterResult } from './interpreter.ts';
import { runInSandbox, type SmokeResult } from './sandbox.ts';

export interface GateOptions {
  /** Repository root. Default: the root of the workspace this tool lives in. */
  root?: string;
  /** What to gate. Default: every workspace package marked `"meterchain": {"portable": true}`, and every package
   * naming an Espruino entry (`"meterchain": {"espruino": {"main": "src/main.ts"}}`). */
  targets?: GateTarget[];
  /** Where bundles and source maps are written for inspection. Default: `<root>/.cache/gate`. */
  outDir?: string;
  /** Run the smoke step (default true). */
  smoke?: boolean;
  /** Bound on each smoke run (default 10 s). */
  timeoutMs?: number;
  /** Path of an Espruino interpreter (its Linux build): runnable bundles also run there (rule `espruino`). */
  espruino?: string;
}

export interface TargetReport {
  target: GateTarget;
  /** Bundle path relative to the root (written when the build succeeded). */
  bundleFile: string;
  /** Bundle size in bytes; 0 when the build failed. */
  bytes: number;
  findings: Finding[];
  /** Smoke run, when the target has a smoke test (or is a package API with none: then the bundle is just loaded). */
  smoke?: SmokeResult;
  /** Run under the real interpreter, when one was given. */
  espruino?: InterpreterResult;
  /** With `--espruino`: whether the bundle fit the interpreter's board (ran to its end from flash), and whether it
   * claims to (`fits`). A bundle that does not fit a board it does not claim is reported, not failed. */
  fit?: { board: string; fits: boolean; claimed: boolean };
  ms: number;
}

export interface GateReport {
  ok: boolean;
  targets: TargetReport[];
  findings: Finding[];
  /** With `--espruino`: the board the interpreter's heap stands for, or its heap when it matches none. */
  board?: { name: string; variables: number };
  ms: number;
}

export const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface PackageJson {
  name?: string;
  workspaces?: string[];
  meterchain?: { portable?: boolean; fits?: string[]; espruino?: { main?: string; modules?: string[]; fits?: string[] } };
}

function readJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

/** Package directories of the workspace (`dir/*` and plain `dir` patterns, as the root package.json uses). */
export function workspaceDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const pattern of readJson(join(root, 'package.json')).workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const base = join(root, pattern.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const d of readdirSync(base, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (d.isDirectory() && existsSync(join(base, d.name, 'package.json'))) dirs.push(join(base, d.name));
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      dirs.push(join(root, pattern));
    }
  }
  return dirs;
}

/** The default targets: portable packages, then Espruino firmware entries. */
export function discoverTargets(root: string): GateTarget[] {
  const portable: GateTarget[] = [];
  const firmware: GateTarget[] = [];
  for (const dir of workspaceDirs(root)) {
    const pkg = readJson(join(dir, 'package.json'));
    const name = pkg.name ?? relative(root, dir);
    const fits = pkg.meterchain?.fits;
    if (pkg.meterchain?.portable === true) portable.push(packageTarget(name, dir, fits));
    const espruino = pkg.meterchain?.espruino;
    if (espruino?.main) firmware.push(...firmwareTargets(name, dir, espruino.main, espruino.modules ?? [], espruino.fits));
  }
  return [...portable, ...firmware];
}

/** A firmware package gives two targets: its program (built and linted: it talks to hardware, so it is not run)
 * and, when there is a `smoke.ts` beside package.json, its smoke test of the composition (built, linted, run). */
export function firmwareTargets(name: string, dir: string, main: string, modules: string[], fits?: string[]): GateTarget[] {
  const targets: GateTarget[] = [{ name, dir, main: join(dir, main), modules, minify: true }];
  const smoke = join(dir, 'smoke.ts');
  if (existsSync(smoke)) targets.push({ name: `${name} (smoke)`, dir, smoke, ...(fits ? { fits } : {}) });
  return targets;
}

function bundleName(target: GateTarget): string {
  return target.name.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+$/, '') + '.js';
}

/** Builds, lints and (when it has something to run) smoke-runs one target. */
export async function gateTarget(
  target: GateTarget,
  root: string,
  outDir: string,
  opts: { smoke?: boolean; timeoutMs?: number; espruino?: string; board?: string } = {},
): Promise<TargetReport> {
  const started = performance.now();
  const outfile = join(outDir, bundleName(target));
  const bundleFile = relative(root, outfile).split('\\').join('/');
  const findings: Finding[] = [];
  // One finding per place and rule: esbuild and the lint often see the same construct.
  const add = (f: Finding) => {
    if (!findings.some((g) => g.file === f.file && g.line === f.line && g.rule === f.rule)) findings.push(f);
  };
  if (target.minify) {
    // The same sources unminified: helpers keep their names there, so their uses are checked (the minified lint
    // below skips them), and findings point at readable code.
    const plain = await bundleTarget(target, root, outfile);
    plain.findings.forEach(add);
    const lintable = plain.lintOnly ?? (plain.code !== undefined && plain.map !== undefined ? { code: plain.code, map: plain.map } : undefined);
    if (lintable) {
      const locator = new SourceLocator(lintable.map, outfile, root);
      const locate = (line: number, column: number) => locator.origin(line, column);
      lintBundle({ code: lintable.code, target: target.name, locate, bundleFile, modules: target.modules ?? [] }).forEach(add);
    }
  }
  const built = await bundleTarget(target, root, outfile, target.minify === true);
  built.findings.forEach(add);
  if (built.lintOnly) {
    const locator = new SourceLocator(built.lintOnly.map, outfile, root);
    const locate = (line: number, column: number) => locator.origin(line, column);
    const minified = target.minify ? { mapsWithin: locator.mapsWithin.bind(locator) } : undefined;
    lintBundle({ code: built.lintOnly.code, target: target.name, locate, bundleFile, modules: target.modules ?? [], ...(minified ? { minified } : {}) }).forEach(add);
  }
  for (const board of target.fits ?? []) {
    if (!BOARDS.some((b) => b.name === board)) add({ target: target.name, file: relative(root, join(target.dir, 'package.json')), line: 0, rule: 'espruino', message: `fits: unknown board '${board}' (known: ${BOARDS.map((b) => b.name).join(', ')})` });
  }
  const report: TargetReport = { target, bundleFile, bytes: 0, findings, ms: 0 };
  if (built.code !== undefined && built.map !== undefined) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(outfile, built.code + `//# sourceMappingURL=${bundleName(target)}.map\n`);
    writeFileSync(outfile + '.map', built.map);
    report.bytes = Buffer.byteLength(built.code);
    const locator = new SourceLocator(built.map, outfile, root);
    const locate = (line: number, column: number) => locator.origin(line, column);
    const minified = target.minify ? { mapsWithin: locator.mapsWithin.bind(locator) } : undefined;
    lintBundle({ code: built.code, target: target.name, locate, bundleFile, modules: target.modules ?? [], ...(minified ? { minified } : {}) }).forEach(add);
    // A firmware program talks to hardware: it is built and linted, not run.
    const runnable = target.main === undefined;
    if (opts.smoke !== false && runnable) {
      // A name that is no file on disk: a stack-mapping hook in the host (Jest installs one) must not rewrite the
      // frames, which are mapped here.
      const smoke = runInSandbox(built.code, `espruino-sandbox/${bundleName(target)}`, opts.timeoutMs);
      report.smoke = smoke;
      if (!smoke.ok && smoke.error) {
        // The innermost frame in source code (frames in esbuild's helpers have no source).
        const frames = smoke.error.frames;
        const origin = frames.map((f) => locate(f.line, f.column)).find((o) => o !== undefined);
        findings.push({
          target: target.name,
          file: origin?.file ?? bundleFile,
          line: origin?.line ?? frames[0]?.line ?? 0,
          rule: 'smoke',
          message: `threw in the Espruino-like sandbox: ${smoke.error.message}`,
        });
      }
    }
    if (opts.espruino && runnable) {
      // As a board runs it: minified, saved to flash and booted from there (functions then stay in flash).
      const shipped = target.minify ? built : await bundleTarget(target, root, outfile, true);
      const flashDir = mkdtempSync(join(tmpdir(), 'gate-flash-'));
      const result = await runFromFlash(opts.espruino, shipped.code ?? built.code, flashDir);
      rmSync(flashDir, { recursive: true, force: true });
      report.espruino = result;
      const board = opts.board ?? 'unknown';
      const claimed = (target.fits ?? []).includes(board);
      report.fit = { board, fits: result.ok, claimed };
      // Out of memory or time on a board the bundle does not claim: it does not fit there, which is reported, not
      // failed. Any other failure (an uncaught error that is not memory) fails on every board.
      const unfit = result.outOfMemory === true || result.timedOut === true;
      if (!result.ok && (claimed || !unfit)) add({ target: target.name, file: bundleFile, line: 0, rule: 'espruino', message: `${claimed ? `does not fit ${board}, which it claims (package.json meterchain fits): ` : ''}${result.error ?? 'failed'}` });
    }
  }
  report.ms = performance.now() - started;
  return report;
}

/** Runs the gate over all targets. `ok` is false on any finding. */
export async function runGate(opts: GateOptions = {}): Promise<GateReport> {
  const started = performance.now();
  const root = resolve(opts.root ?? defaultRoot);
  const outDir = resolve(opts.outDir ?? join(root, '.cache', 'gate'));
  const targets = opts.targets ?? discoverTargets(root);
  const reports: TargetReport[] = [];
  let board: { name: string; variables: number } | undefined;
  if (opts.espruino) {
    const variables = probeHeap(opts.espruino, mkdtempSync(join(tmpdir(), 'gate-heap-')));
    board = { name: BOARDS.find((b) => b.variables === variables)?.name ?? `${variables} variables`, variables };
  }
  for (const target of targets) reports.push(await gateTarget(target, root, outDir, { ...opts, ...(board ? { board: board.name } : {}) }));
  // Targets share sources (core is in every bundle): each place and rule is listed once, under the first target.
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const f of reports.flatMap((r) => r.findings)) {
    const key = `${f.file}:${f.line}:${f.rule}`;
    if (!seen.has(key)) findings.push(f);
    seen.add(key);
  }
  return { ok: findings.length === 0, targets: reports, findings, ...(board ? { board } : {}), ms: performance.now() - started };
}

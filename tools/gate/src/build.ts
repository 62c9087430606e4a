// Build step of the gate: one Espruino-compatible IIFE bundle per target, with esbuild told what Espruino lacks.
import { build, type Message } from 'esbuild';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SUPPORTED } from './espruino.ts';
import type { Finding } from './finding.ts';

/** What the gate bundles: a portable package (its public API plus its smoke test) or a firmware entry. */
export interface GateTarget {
  /** Package name, printed with each finding. */
  name: string;
  /** Absolute directory of the package. */
  dir: string;
  /** Absolute path of a module whose exports are all kept in the bundle (a package's `src/index.ts`). */
  api?: string;
  /** Absolute path of the smoke test: a module exporting `smoke()`, which the bundle calls when it runs. */
  smoke?: string;
  /** Absolute path of a module that is the program itself (firmware `src/main.ts`): built and linted, not run. */
  main?: string;
  /** Espruino built-in modules the program may `require` (firmware only: `crypto`, `Storage`). */
  modules?: string[];
  /** Build minified, as it ships to a board (firmware programs): fewer bytes to flash, shorter names for the
   * interpreter to hold. The gate lints both this bundle and the same sources unminified. */
  minify?: boolean;
  /** Boards (names in BOARDS) this target's bundle is meant to fit, from flash: with `--espruino`, running out of
   * memory or time on an interpreter with one of these boards' heaps fails the gate; on another board it is
   * reported, not failed. Declared in package.json: `"meterchain": {"fits": ["puck", "bangle2"]}`. */
  fits?: string[];
}

/** Boards by their heap (Espruino variables), for `--espruino`: an interpreter built with that heap stands for them. */
export const BOARDS: readonly { name: string; variables: number; boards: string }[] = [
  { name: 'puck', variables: 2630, boards: 'Puck.js' },
  { name: 'bangle2', variables: 12000, boards: 'Bangle.js 2, Jolt.js' },
];

/** The target of a portable package by convention: `src/index.ts` for the API, `smoke.ts` beside package.json. */
export function packageTarget(name: string, dir: string, fits?: string[]): GateTarget {
  const api = join(dir, 'src', 'index.ts');
  const smoke = join(dir, 'smoke.ts');
  return {
    name,
    dir,
    ...(fits ? { fits } : {}),
    ...(existsSync(api) ? { api } : {}),
    ...(existsSync(smoke) ? { smoke } : {}),
  };
}

export interface Bundle {
  /** The bundle's JavaScript, or undefined when the build failed. */
  code?: string;
  /** Its source map (JSON text), sources relative to `file`'s directory. */
  map?: string;
  /** When the build failed on syntax esbuild cannot lower: a bundle built with that syntax let through, so the lint
   * can report everything else at once. Never run. */
  lintOnly?: { code: string; map: string };
  /** The absolute path the bundle stands for (written there only by callers that want a file). */
  file: string;
  findings: Finding[];
}

/** The entry esbuild starts from: re-exports the API (so all of it is bundled and linted), then calls the smoke. */
const entryName = 'gate-entry.ts';

function entrySource(target: GateTarget): string {
  const lines: string[] = [];
  const spec = (abs: string) => JSON.stringify('./' + relative(target.dir, abs).split('\\').join('/'));
  if (target.api) lines.push(`export * from ${spec(target.api)};`);
  if (target.main) lines.push(`import ${spec(target.main)};`);
  if (target.smoke) lines.push(`import { smoke } from ${spec(target.smoke)};`, 'smoke();');
  return lines.join('\n') + '\n';
}

// esbuild's messages for what it cannot lower, by the rule name the lint uses for the same construct.
const BUILD_RULES: readonly [RegExp, string][] = [
  [/destructuring|rest binding/i, 'destructuring'],
  [/rest arguments|array spread|object rest|spread/i, 'spread'],
  [/default arguments/i, 'default-param'],
  [/async generator|for-await|for await/i, 'async'],
  [/generator/i, 'generator'],
  [/async|await/i, 'async'],
  [/big ?int/i, 'bigint'],
  [/new\.target/i, 'new-target'],
  [/could not resolve "node:/i, 'node-import'],
];

function ruleOf(message: Message): string {
  for (const [pattern, rule] of BUILD_RULES) if (pattern.test(message.text)) return rule;
  return 'build';
}

function toFinding(target: GateTarget, root: string, message: Message): Finding {
  const loc = message.location;
  // With absWorkingDir set to the root, esbuild reports files relative to it.
  const file = loc ? loc.file.split('\\').join('/') : relative(root, target.dir);
  return { target: target.name, file: file || '.', line: loc?.line ?? 0, rule: ruleOf(message), message: message.text };
}

// What esbuild cannot lower: let through for the lint-only bundle (the lint names each of them).
const UNLOWERABLE = [
  'array-spread', 'object-rest-spread', 'rest-argument', 'destructuring', 'nested-rest-binding', 'default-argument',
  'generator', 'async-await', 'async-generator', 'for-await', 'top-level-await', 'new-target', 'using', 'decorators',
];

async function esbuild(target: GateTarget, root: string, outfile: string, supported: Record<string, boolean>, minify: boolean) {
  return build({
      stdin: { contents: entrySource(target), resolveDir: target.dir, sourcefile: entryName, loader: 'ts' },
      bundle: true,
      format: 'iife',
      platform: 'neutral',
      // `neutral` resolves no `main` field by default; workspace packages and pure-JS dependencies use these.
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      supported,
      external: target.modules ?? [],
      minify,
      sourcemap: 'external',
      sourcesContent: false,
      outfile,
      absWorkingDir: root,
      write: false,
      logLevel: 'silent',
      charset: 'utf8',
      legalComments: 'none',
      // Fields as plain assignments in the constructor: what Espruino runs natively, no defineProperty helper.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    });
}

function outputs(result: { outputFiles: { path: string; text: string }[] }): { code?: string; map?: string } {
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text;
  return { ...(code === undefined ? {} : { code }), ...(map === undefined ? {} : { map }) };
}

/** Bundles one target. Build errors, and esbuild's warnings that something may crash at run time, are findings. */
export async function bundleTarget(target: GateTarget, root: string, outfile: string, minify = false): Promise<Bundle> {
  try {
    const result = await esbuild(target, root, outfile, SUPPORTED, minify);
    const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text;
    const findings = result.warnings.filter((w) => ruleOf(w) !== 'build').map((w) => toFinding(target, root, w));
    return { ...(code === undefined ? {} : { code }), ...(map === undefined ? {} : { map }), file: outfile, findings };
  } catch (e) {
    const failure = e as { errors?: Message[]; message?: string };
    if (!failure.errors) throw e;
    const findings = failure.errors.map((m) => toFinding(target, root, m));
    const permissive = { ...SUPPORTED };
    for (const feature of UNLOWERABLE) permissive[feature] = true;
    try {
      const { code, map } = outputs(await esbuild(target, root, outfile, permissive, minify));
      if (code !== undefined && map !== undefined) return { file: outfile, findings, lintOnly: { code, map } };
    } catch {
      // Unresolvable imports and the like: the build errors above say it all.
    }
    return { file: outfile, findings };
  }
}

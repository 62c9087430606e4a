// Builds the meter node daemon (src/node-daemon.ts) into one ESM file a device runs with plain `node`: no TypeScript
// loader at start-up, one file to ship. `node meterchain-node.mjs --config node.yaml` behaves as
// `meterchain node --config node.yaml`.
//
//   npm run build:node [-- --out dist/meterchain-node.mjs]
//
// serialport is native: it stays outside the bundle and is loaded, from node_modules beside the bundle, only when a
// serial line is opened. The SunSpec models are tables inside the bundle: no model files travel with it.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const defaultOutfile = join(repoRoot, 'dist', 'meterchain-node.mjs');
const entry = join(repoRoot, 'tools', 'cli', 'src', 'node-daemon.ts');

// Bundled CommonJS packages call `require` for Node's built-in modules; an ES module has none of its own.
const banner = "import { createRequire as __meterchainCreateRequire } from 'node:module';\nconst require = __meterchainCreateRequire(import.meta.url);";

export interface NodeBundleOptions {
  /** Output file (default dist/meterchain-node.mjs in the repository). */
  outfile?: string;
  /** Minify the bundle (smaller file; stack traces name minified functions). Default false. */
  minify?: boolean;
}

export interface NodeBundle {
  outfile: string;
  bytes: number;
  /** Wall time of the build, ms. */
  ms: number;
  /** esbuild's warnings, one line each. */
  warnings: string[];
}

/** Bundles the node daemon into `outfile`. Throws on a build error. */
export async function buildNodeBundle(options: NodeBundleOptions = {}): Promise<NodeBundle> {
  const started = performance.now();
  const outfile = resolve(options.outfile ?? defaultOutfile);
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: banner },
    external: ['serialport', '@serialport/*'],
    minify: options.minify ?? false,
    logLevel: 'silent',
  });
  const warnings = result.warnings.map((w) => `${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`);

  return { outfile, bytes: statSync(outfile).size, ms: Math.round(performance.now() - started), warnings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, minify: { type: 'boolean' } } });
  const bundle = await buildNodeBundle({ ...(values.out ? { outfile: values.out } : {}), minify: values.minify ?? false });
  for (const w of bundle.warnings) process.stderr.write(`warning: ${w}\n`);
  const shown = (p: string) => relative(process.cwd(), p) || p;
  process.stdout.write(`${shown(bundle.outfile)}: ${(bundle.bytes / 1024).toFixed(0)} KiB in ${bundle.ms} ms\n`);
}

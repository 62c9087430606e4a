// The layering check: products import products only, nothing imports in a circle. It reads every workspace's
// package.json and the import statements of its sources, and reports
//   - a product (a library, a firmware, the command-line tool) that depends on test gear (testkit, gate, tsx);
//   - a source file importing a workspace package its package.json does not declare (production code: in
//     `dependencies`; tests, scripts and smoke runs: in `dependencies` or `devDependencies`);
//   - a cycle between packages (over `dependencies`) or between the files of one package;
//   - a portable package (it runs on Espruino) depending on a workspace package that is not portable.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Packages that exist to test or build the others: no product may need them at run time. */
export const TEST_GEAR = ['@meterchain/testkit', '@meterchain/gate', 'tsx'];

/** Workspaces that are not products: test gear itself, and the tools and suites that only developers and labs run. */
export const NOT_PRODUCTS = ['@meterchain/testkit', '@meterchain/gate', '@meterchain/jest-setup', '@meterchain/bench', '@meterchain/campaign', '@meterchain/hil-tests', '@meterchain/examples', 'meterchain'];

/**
 * Test gear a product still needs at run time, by product, with the reason. Every package ships TypeScript sources
 * and Node 20 runs them only through a loader: the command-line tool's bin registers tsx, and a worker thread does
 * not inherit the loader of the thread that started it, so the ledger's verification workers register it again.
 * The gate in the CLI is a debt to pay: the Espruino firmware's build belongs in firmware/espruino.
 */
export const RUNTIME_TEST_GEAR: Record<string, Record<string, string>> = {
  '@meterchain/cli': {
    tsx: 'bin/meterchain.js runs the TypeScript sources through tsx',
    '@meterchain/gate': '`sensor run` and `demo --sensors` build the Espruino firmware and run it in the gate’s stripped sandbox',
  },
  '@meterchain/ledger': { tsx: 'src/verify-worker.mjs registers tsx in each verification worker thread' },
};

export interface Workspace {
  name: string;
  /** Directory relative to the root. */
  dir: string;
  dependencies: string[];
  devDependencies: string[];
  /** Marked `"meterchain": {"portable": true}`: its code runs on Espruino. */
  portable: boolean;
}

export interface LayeringFinding {
  rule: 'test-gear' | 'undeclared' | 'package-cycle' | 'file-cycle' | 'portable';
  message: string;
}

interface PackageJson {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  meterchain?: { portable?: boolean };
}

function readJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

/** The workspaces named by the root package.json (`dir/*` patterns and plain directories). */
export function readWorkspaces(root: string): Workspace[] {
  const patterns = readJson(join(root, 'package.json')).workspaces ?? [];
  const dirs: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('/*')) {
      const parent = p.slice(0, -2);
      for (const n of readdirSync(join(root, parent)).sort()) dirs.push(join(parent, n));
    } else dirs.push(p);
  }
  const out: Workspace[] = [];
  for (const dir of dirs) {
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const j = readJson(file);
    out.push({ name: j.name ?? dir, dir, dependencies: Object.keys(j.dependencies ?? {}), devDependencies: Object.keys(j.devDependencies ?? {}), portable: j.meterchain?.portable === true });
  }
  return out;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.cache', 'fixtures']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    if (SKIP_DIRS.has(n)) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(n) && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Production code: a package's `src/` and `bin/`; the rest (tests, scripts, smoke runs, benches) is development code. */
export function isProductionFile(pathInPackage: string): boolean {
  return /^(src|bin)\//.test(pathInPackage) && !pathInPackage.endsWith('.test.ts');
}

const IMPORT = /(?:^|[^\w$.])(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w$.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** The module specifiers a source imports or re-exports (static, dynamic with a literal, side-effect imports). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Strongly connected components with more than one member (or a self-loop): each is a cycle. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Runs every rule over the workspaces under `root`. */
export function checkLayering(root: string): LayeringFinding[] {
  const workspaces = readWorkspaces(root);
  const names = new Set(workspaces.map((w) => w.name));
  const findings: LayeringFinding[] = [];
  const packageGraph = new Map<string, string[]>();

  for (const ws of workspaces) {
    const product = !NOT_PRODUCTS.includes(ws.name);
    if (product) {
      for (const dep of ws.dependencies) {
        if (!TEST_GEAR.includes(dep)) continue;
        if (RUNTIME_TEST_GEAR[ws.name]?.[dep] !== undefined) continue;
        findings.push({ rule: 'test-gear', message: `${ws.dir}/package.json: the product ${ws.name} depends on ${dep} (test gear belongs in devDependencies)` });
      }
    }
    packageGraph.set(ws.name, ws.dependencies.filter((d) => names.has(d)));
    if (ws.portable) {
      for (const dep of ws.dependencies) {
        const target = workspaces.find((w) => w.name === dep);
        if (target && !target.portable) findings.push({ rule: 'portable', message: `${ws.dir}/package.json: the portable ${ws.name} depends on ${dep}, which does not run on Espruino` });
      }
    }

    const fileGraph = new Map<string, string[]>();
    const base = join(root, ws.dir);
    for (const file of sourceFiles(base)) {
      const inPackage = relative(base, file);
      const production = isProductionFile(inPackage);
      const edges: string[] = [];
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (existsSync(target) && target.startsWith(base)) edges.push(relative(root, target));
          continue;
        }
        if (spec.startsWith('node:')) continue;
        const pkg = packageOf(spec);
        if (pkg === ws.name) continue;
        const allowed = production ? ws.dependencies : [...ws.dependencies, ...ws.devDependencies];
        if (!allowed.includes(pkg) && (names.has(pkg) || TEST_GEAR.includes(pkg))) {
          const where = production ? 'dependencies' : 'dependencies or devDependencies';
          findings.push({ rule: 'undeclared', message: `${ws.dir}/${inPackage}: imports ${spec}, which ${ws.name} does not list in its ${where}` });
        }
      }
      fileGraph.set(relative(root, file), edges);
    }
    for (const c of cycles(fileGraph)) findings.push({ rule: 'file-cycle', message: `files import each other in a circle: ${c.join(', ')}` });
  }
  for (const c of cycles(packageGraph)) findings.push({ rule: 'package-cycle', message: `packages depend on each other in a circle: ${c.join(', ')}` });
  return findings;
}

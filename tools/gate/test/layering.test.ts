import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkLayering, cycles, defaultRoot, importsOf } from '../src/index.ts';

/** A throwaway workspace: `files` maps paths to contents (objects are written as JSON). */
function workspace(files: Record<string, string | object>): string {
  const root = mkdtempSync(join(tmpdir(), 'layering-'));
  const all: Record<string, string | object> = { 'package.json': { name: 'meterchain', workspaces: ['packages/*'] }, ...files };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

function rulesOf(files: Record<string, string | object>): string[] {
  const root = workspace(files);
  try {
    return checkLayering(root).map((f) => f.rule);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const core = { 'packages/core/package.json': { name: '@meterchain/core' }, 'packages/core/src/index.ts': 'export const one = 1;\n' };
const testkit = { 'packages/testkit/package.json': { name: '@meterchain/testkit', dependencies: { '@meterchain/core': '0.1.0' } }, 'packages/testkit/src/index.ts': "export { one } from '@meterchain/core';\n" };

describe('the layering check', () => {
  test('passes on this repository', () => {
    expect(checkLayering(defaultRoot).map((f) => f.message)).toEqual([]);
  });

  test('passes on a product that imports only what it declares', () => {
    expect(rulesOf({ ...core, 'packages/meters/package.json': { name: '@meterchain/meters', dependencies: { '@meterchain/core': '0.1.0' } }, 'packages/meters/src/index.ts': "import { one } from '@meterchain/core';\nexport const two = one + 1;\n" })).toEqual([]);
  });

  test('finds a product that depends on the test kit', () => {
    expect(rulesOf({ ...core, ...testkit, 'packages/meters/package.json': { name: '@meterchain/meters', dependencies: { '@meterchain/testkit': '0.1.0' } }, 'packages/meters/src/index.ts': "import { one } from '@meterchain/testkit';\nexport const two = one;\n" })).toEqual(['test-gear']);
  });

  test('finds production code importing a package declared only for development', () => {
    expect(rulesOf({ ...core, ...testkit, 'packages/meters/package.json': { name: '@meterchain/meters', devDependencies: { '@meterchain/testkit': '0.1.0' } }, 'packages/meters/src/index.ts': "import { one } from '@meterchain/testkit/sub';\nexport const two = one;\n" })).toEqual(['undeclared']);
  });

  test('lets tests import development dependencies', () => {
    expect(rulesOf({ ...core, ...testkit, 'packages/meters/package.json': { name: '@meterchain/meters', devDependencies: { '@meterchain/testkit': '0.1.0' } }, 'packages/meters/src/index.ts': 'export const two = 2;\n', 'packages/meters/test/two.test.ts': "import { one } from '@meterchain/testkit';\n" })).toEqual([]);
  });

  test('finds a portable package depending on one that is not portable', () => {
    expect(rulesOf({
      'packages/core/package.json': { name: '@meterchain/core', meterchain: { portable: true } },
      'packages/core/src/index.ts': 'export const one = 1;\n',
      'packages/crypto/package.json': { name: '@meterchain/crypto', dependencies: { '@meterchain/core': '0.1.0' } },
      'packages/crypto/src/index.ts': "export { one } from '@meterchain/core';\n",
      'packages/consensus/package.json': { name: '@meterchain/consensus', meterchain: { portable: true }, dependencies: { '@meterchain/core': '0.1.0', '@meterchain/crypto': '0.1.0' } },
      'packages/consensus/src/index.ts': "export { one } from '@meterchain/crypto';\n",
    })).toEqual(['portable']);
  });

  test('finds two packages that depend on each other', () => {
    expect(rulesOf({
      'packages/a/package.json': { name: '@meterchain/a', dependencies: { '@meterchain/b': '0.1.0' } },
      'packages/a/src/index.ts': "export { b } from '@meterchain/b';\n",
      'packages/b/package.json': { name: '@meterchain/b', dependencies: { '@meterchain/a': '0.1.0' } },
      'packages/b/src/index.ts': "import type { a } from '@meterchain/a';\nexport const b = 1;\n",
    })).toEqual(['package-cycle']);
  });

  test('finds files of one package that import each other, a dynamic import included', () => {
    expect(rulesOf({
      'packages/a/package.json': { name: '@meterchain/a' },
      'packages/a/src/walk.ts': "export async function walk() { return (await import('./workers.ts')).run(); }\n",
      'packages/a/src/workers.ts': "import type { walk } from './walk.ts';\nexport function run() { return 1; }\n",
    })).toEqual(['file-cycle']);
  });
});

describe('import scanning', () => {
  test('reads static, type-only, re-export, dynamic and side-effect imports, and skips comments', () => {
    const source = [
      "import { a } from 'x';",
      "import type { B } from './b.ts';",
      "export { c } from '@s/c/sub';",
      "const d = await import('./d.ts');",
      "import './e.ts';",
      "// import { f } from 'f';",
      "/* import { g } from 'g'; */",
      "const url = 'http://h'; import {",
      "  i,",
      "} from 'i';",
    ].join('\n');
    expect(importsOf(source)).toEqual(['x', './b.ts', '@s/c/sub', './d.ts', './e.ts', 'i']);
  });

  test('cycles() reports a self-import and a three-file ring, not a chain', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['d']], ['e', ['a']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });
});

// What importing @meterchain/edge costs a small board: the production entry carries no fault-injection tables
// (a lab tool, built when its module loads); they are in @meterchain/edge/inject.
import { describe, expect, test } from '@jest/globals';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const edgeDir = fileURLToPath(new URL('..', import.meta.url));

async function minifiedBundle(entry: string): Promise<string> {
  const result = await build({
    stdin: { contents: `export * from ${JSON.stringify(entry)};`, resolveDir: edgeDir, loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

describe('the production entry of @meterchain/edge', () => {
  test('does not bundle the fault-injection tables', async () => {
    const edge = await minifiedBundle('./src/index.ts');
    expect(edge).not.toContain('of the band beyond a limit');
    expect(edge).not.toContain('FAULT_CLASSES');
  });

  test('the injection entry has them, and the production entry is smaller by them', async () => {
    const edge = await minifiedBundle('./src/index.ts');
    const inject = await minifiedBundle('./src/inject.ts');
    expect(inject).toContain('of the band beyond a limit');
    expect(edge.length).toBeLessThan(34_000);
  });
});

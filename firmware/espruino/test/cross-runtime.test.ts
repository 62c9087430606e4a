// The same raw registers give the same frames on Node and on Espruino: the corpus runs here on Node and, bundled by
// the gate, in its Espruino-like context (whose Math.round and parseFloat compute as Espruino's do); with
// ESPRUINO=<binary> also on the real interpreter. Byte for byte, frame by frame.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleTarget, runInEspruino, runInSandbox } from '@meterchain/gate';
import { decodeRegisters, eastronPoints, planPointReads, EASTRON_MAX_GAP, EASTRON_MAX_READ } from '@meterchain/meters';
import { corpusFrames, corpusRegisters, CORPUS_READINGS } from './corpus.ts';

const firmwareDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'cross-runtime-'));

async function corpusBundle(): Promise<string> {
  const target = { name: 'corpus', dir: firmwareDir, smoke: join(firmwareDir, 'test', 'corpus.ts') };
  // Minified, as a board gets it: the text of the whole bundle sits in the interpreter's heap while it loads.
  const built = await bundleTarget(target, join(firmwareDir, '..', '..'), join(outDir, 'corpus.js'), true);
  expect(built.findings).toEqual([]);
  return built.code!;
}

describe('frames from raw registers are the same on every runtime', () => {
  const node = corpusFrames(CORPUS_READINGS);

  test('the corpus holds positive and negative halves at the channels\' scales', () => {
    const points = eastronPoints('SDM630', 'big');
    const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
    let positive = 0;
    let negative = 0;
    for (const reading of corpusRegisters(CORPUS_READINGS)) {
      for (const point of points) {
        const b = blocks.findIndex((k) => point.address >= k.address && point.address < k.address + k.count);
        const scaled = decodeRegisters(reading[b]!, point.address - blocks[b]!.address, 'float32', 'big', 'big') * (point.factor ?? 1) * 10 ** -point.scale;
        if (scaled - Math.floor(scaled) === 0.5) scaled < 0 ? negative++ : positive++;
      }
    }
    expect(node).toHaveLength(CORPUS_READINGS);
    expect(negative).toBeGreaterThan(1000);
    expect(positive).toBeGreaterThan(500);
  });

  test('Node and the Espruino-like context give identical frames for every reading', async () => {
    const run = runInSandbox(await corpusBundle(), 'espruino-sandbox/corpus.js', 60_000);
    expect(run.error).toBeUndefined();
    const mismatched = run.output.map((hex, i) => (hex === node[i] ? -1 : i)).filter((i) => i >= 0);
    expect({ frames: run.output.length, mismatched: mismatched.length }).toEqual({ frames: CORPUS_READINGS, mismatched: 0 });
  });

  const espruino = process.env['ESPRUINO'];
  (espruino ? test : test.skip)('Node and the real interpreter (ESPRUINO=<binary>) give identical frames', async () => {
    const run = runInEspruino(espruino!, await corpusBundle(), join(outDir, 'corpus.espruino.js'), 600_000);
    expect(run.error).toBeUndefined();
    expect(run.output).toEqual(node);
  }, 700_000);
});

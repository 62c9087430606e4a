// npm run bench:sensor [-- --espruino BIN]: what one sensor-node reading of 17 channels costs (encode, HMAC, frame,
// the whole publish), beside the native SHA-256 of the frame it sends, on Node and, given its Linux build, on an
// Espruino interpreter running the minified bundle (native crypto.SHA256 there).
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeReading } from '@meterchain/core';
import { bundleTarget, runFromFlash, runInEspruino } from '@meterchain/gate';
import { formatCost, measureReading } from '../../../firmware/espruino/bench.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const firmwareDir = join(root, 'firmware', 'espruino');

function usage(problem: string): never {
  process.stderr.write(`bench:sensor: ${problem} (usage: npm run bench:sensor [-- --espruino BIN [--flash]])\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let espruino: string | undefined;
let fromFlash = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--espruino') espruino = args[++i] ?? usage('--espruino needs a path');
  else if (args[i] === '--flash') fromFlash = true;
  else usage(`unknown argument '${args[i]}'`);
}

const nodeHash = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
process.stdout.write(`Node ${process.version}:\n`);
for (const line of formatCost(measureReading({ hash: nodeHash, crc32: (b) => zlib.crc32(b), now: () => performance.now(), generic: encodeReading }, 2000, 5))) process.stdout.write(line + '\n');

if (espruino) {
  const out = mkdtempSync(join(tmpdir(), 'bench-sensor-'));
  const target = { name: 'bench', dir: firmwareDir, smoke: join(firmwareDir, 'bench.ts'), modules: ['crypto'], minify: true };
  const built = await bundleTarget(target, root, join(out, 'bench.js'), true);
  if (built.code === undefined) usage(`the bench does not build: ${built.findings.map((f) => f.message).join('; ')}`);
  // From RAM by default: the Linux board file reads its emulated flash through file I/O, 16 bytes at a time, which a
  // Puck.js's memory-mapped flash does not (docs/portability.md says how to build it memory-mapped). --flash runs it
  // as a board runs a saved program (as the gate does), so it fits the heap a board has.
  const run = fromFlash ? await runFromFlash(espruino, built.code, out, 300_000) : runInEspruino(espruino, built.code, join(out, 'bench.espruino.js'), 300_000);
  rmSync(out, { recursive: true, force: true });
  const memory = run.memory ? `, ${run.memory.used} of ${run.memory.total} variables in use at the end` : '';
  process.stdout.write(`Espruino (${espruino}), minified bundle ${(built.code.length / 1024).toFixed(1)} KB, ${fromFlash ? 'from flash' : 'from RAM'}${memory}:\n`);
  for (const line of run.output) process.stdout.write(line + '\n');
  if (!run.ok) {
    process.stderr.write(`bench:sensor: the Espruino run failed: ${run.error}\n`);
    process.exit(1);
  }
}

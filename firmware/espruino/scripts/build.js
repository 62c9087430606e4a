#!/usr/bin/env node
// Builds dist/meterchain.js, the Espruino sensor-node bundle, through the portability gate: the same esbuild
// settings, lint and smoke run as the portable packages. Nothing is written unless the gate passes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { defaultRoot, discoverTargets, formatFinding, runGate } = await import('@meterchain/gate');

const firmwareDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(firmwareDir, 'package.json'), 'utf8'));
const out = join(firmwareDir, pkg.meterchain.espruino.out);

const targets = discoverTargets(defaultRoot).filter((t) => t.dir === firmwareDir);
const report = await runGate({ targets });
for (const t of report.targets) {
  for (const line of t.smoke?.output ?? []) console.log(`  | ${line}`);
}
for (const f of report.findings) console.log(formatFinding(f));
if (!report.ok) {
  console.log(`firmware: not built, ${report.findings.length} findings`);
  process.exit(1);
}
const program = report.targets.find((t) => t.target.main !== undefined);
const bundle = join(defaultRoot, program.bundleFile);
mkdirSync(dirname(out), { recursive: true });
const name = out.split(/[\\/]/).pop();
const code = readFileSync(bundle, 'utf8').replace(/\/\/# sourceMappingURL=.*\n$/, `//# sourceMappingURL=${name}.map\n`);
writeFileSync(out, code);
// The map's sources are relative to the map: re-anchor them from the gate's cache to dist/.
const map = JSON.parse(readFileSync(bundle + '.map', 'utf8'));
map.sources = map.sources.map((s) => relative(dirname(out), resolve(dirname(bundle), s)).split('\\').join('/'));
writeFileSync(out + '.map', JSON.stringify(map));
console.log(`firmware: ${pkg.meterchain.espruino.out} ${(program.bytes / 1024).toFixed(1)} KB, gate passed in ${(report.ms / 1000).toFixed(2)} s`);

// `npm run bench [-- --json] [--quick] [NAME...]`: runs every tools/bench/src/*.bench.ts and prints its rows.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const only = argv.filter((a) => !a.startsWith('--'));
  const names = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .filter((n) => only.length === 0 || only.includes(n))
    .sort();
  const report: Record<string, BenchRow[]> = {};
  let missed = 0;
  for (const name of names) {
    const bench = (await import(join(here, `${name}.bench.ts`))) as Bench;
    const rows = await bench.run({ quick });
    report[name] = rows;
    for (const r of rows) if (r.target && !r.target.met) missed++;
    if (!json) {
      process.stdout.write(`\n## ${name}\n`);
      for (const r of rows) {
        let line = `  ${r.name}: ${fmt(r.value)} ${r.unit}`;
        if (r.limit) line += `  (${r.limit.name}: ${fmt(r.limit.value)}; ratio ${r.ratio!.toFixed(3)})`;
        if (r.target) line += `  target ${r.target.text}: ${r.target.met ? 'met' : 'NOT MET'}`;
        if (r.note) line += `  [${r.note}]`;
        process.stdout.write(line + '\n');
      }
    }
  }
  const machine = { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: (await import('node:os')).cpus().length };
  if (json) process.stdout.write(JSON.stringify({ machine, quick, benches: report, targetsMissed: missed }, null, 2) + '\n');
  else process.stdout.write(`\nmachine: node ${machine.node}, ${machine.platform}, ${machine.cpus} cores; targets missed: ${missed}\n`);
  return missed === 0 ? 0 : 1;
}

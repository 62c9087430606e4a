// Modbus RTU poll cycle of an SDM630 at 9600 baud 8E1 over a socat pty pair, against the wire-time limit computed
// from the frame sizes (11 bits per character, 3.5 character silence before each frame).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EastronMeter, ModbusBus, charTimeMs } from '@meterchain/modbus';
import { startSimulator } from '@meterchain/modbus/sim';
import type { ReadBlock } from '@meterchain/meters';
import { ratioRow, type BenchOptions, type BenchRow } from './harness.ts';

const BAUD = 9600;

/** Wire time of one poll cycle: each read is a request (8 bytes) and a reply (5 + 2 × count bytes). */
export function wireTimeMs(reads: readonly ReadBlock[], baudRate: number): number {
  let chars = 0;
  for (const read of reads) chars += 8 + 3.5 + (5 + 2 * read.count) + 3.5;
  return chars * charTimeMs(baudRate);
}

async function ptyPair(dir: string): Promise<{ a: string; b: string; stop: () => void }> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(a) || !existsSync(b)) throw new Error('socat did not create the pty pair');
  return { a, b, stop: () => child.kill('SIGTERM') };
}

async function cycleMs(paceLine: boolean, cycles: number, dir: string): Promise<{ ms: number; reads: readonly ReadBlock[] }> {
  const pty = await ptyPair(dir);
  const sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: BAUD, parity: 'even', paceLine }, unit: 1, tickMs: 0 });
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty.a, baudRate: BAUD, parity: 'even' }, timeoutMs: 2000 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  try {
    await meter.sample();
    const start = performance.now();
    for (let i = 0; i < cycles; i++) await meter.sample();
    return { ms: (performance.now() - start) / cycles, reads: meter.reads };
  } finally {
    await bus.close();
    await sim.close();
    pty.stop();
  }
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-modbus-'));
  try {
    const cycles = opts.quick ? 8 : 30;
    const paced = await cycleMs(true, cycles, dir);
    const limit = wireTimeMs(paced.reads, BAUD);
    const raw = await cycleMs(false, cycles * 4, dir);
    const reads = `${paced.reads.length} reads, ${paced.reads.reduce((n, r) => n + r.count, 0)} registers`;
    // Throughput-like figure: the line limit divided by the cycle time (1.0 = the line is the only cost).
    const efficiency = ratioRow('SDM630 poll cycles/s on a line paced at 9600 8E1', 1000 / paced.ms, 'cycles/s', 'wire-time limit', 1000 / limit, 0.85, reads);
    const overhead = ratioRow('SDM630 poll cycle on an unpaced pty (software cost alone)', raw.ms, 'ms', 'wire time at 9600', limit, undefined, 'ratio = share of the wire time the software adds');
    return [efficiency, overhead];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

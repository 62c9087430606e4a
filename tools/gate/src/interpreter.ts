// Optional step of the gate: runs a bundle under a real Espruino interpreter (its Linux build), where one is at
// hand, to check what the sandbox only approximates.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InterpreterResult {
  ok: boolean;
  /** What the bundle printed (Espruino's banner and prompt removed). */
  output: string[];
  /** The first `Uncaught …` line, or why the run did not finish. */
  error?: string;
  ms: number;
  /** Variables in use at the end and the heap's size (process.memory()), when the program reports them. */
  memory?: { used: number; total: number };
  /** The interpreter ran out of variables (LOW_MEMORY, "Out of Memory"). */
  outOfMemory?: boolean;
  /** Stopped at the time limit. */
  timedOut?: boolean;
}

/** The heap of an Espruino interpreter, in variables (process.memory().total); throws when it cannot be read. */
export function probeHeap(bin: string, dir: string): number {
  const scratch = join(dir, 'heap.js');
  writeFileSync(scratch, 'print("HEAP " + process.memory().total);\nquit();\n');
  const run = spawnSync(bin, [scratch], { cwd: dir, input: '', timeout: 30_000, encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const m = /HEAP (\d+)/.exec(`${run.stdout ?? ''}`);
  if (run.error || !m) throw new Error(`--espruino ${bin}: could not read its heap size (${run.error?.message ?? 'no answer to process.memory()'})`);
  return Number(m[1]);
}

const END = '--- meterchain gate: end of bundle ---';

/** Runs `code` with the Espruino binary `bin`; `scratch` is a file path the runnable copy is written to. */
export function runInEspruino(bin: string, code: string, scratch: string, timeoutMs = 120_000): InterpreterResult {
  // An uncaught error stops the script before the marker; quit() ends the interpreter instead of its prompt.
  writeFileSync(scratch, `${code}\nprint(${JSON.stringify(END)});\nquit();\n`);
  const started = performance.now();
  const run = spawnSync(bin, [scratch], { input: '', timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (run.error) return { ok: false, output: [], error: `could not run ${bin}: ${run.error.message}`, ms };
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  // The Linux build prints a banner ending with the donation address before running the script.
  const body = text.includes('espruino.com/Donate') ? text.slice(text.indexOf('espruino.com/Donate') + 19) : text;
  const lines = body.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && l.trim() !== '>');
  const uncaught = lines.find((l) => l.includes('Uncaught'));
  const finished = lines.includes(END);
  const output = lines.filter((l) => l !== END);
  if (uncaught) return { ok: false, output, error: uncaught.trim(), ms };
  if (!finished) return { ok: false, output, error: run.signal ? `stopped by ${run.signal} (time limit?)` : 'did not reach the end of the bundle', ms };
  return { ok: true, output, ms };
}

/**
 * Runs `code` as a board runs a saved program: written to flash (Storage `.bootcde`, in pieces, so the text never
 * sits in RAM whole) through the interpreter's console, then booted with load(). Functions then run from flash, as
 * on a board whose RAM holds only variables. The Linux build keeps its flash in `espruino.flash` in its working
 * directory: `dir` is a scratch directory for it. The console's input buffer is small, so each piece waits for the
 * answer to the previous one.
 */
export function runFromFlash(bin: string, code: string, dir: string, timeoutMs = 120_000): Promise<InterpreterResult> {
  // ASCII only: Storage counts bytes, and a piece's offset must not depend on how the console encodes text.
  const ascii = code.replace(/[^\x00-\x7f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  // No quit() at the end: load() resets the globals the Linux build adds, quit among them, so a program booted from
  // flash cannot call it (a `setTimeout(quit, …)` threw once the marker was out, and a fast run saw the throw). The
  // runner kills the interpreter once the marker is printed.
  const program = `${ascii}\nprint(${JSON.stringify(END)}, process.memory().usage, process.memory().total);\n`;
  const pieces: string[] = ['require("Storage").eraseAll();'];
  const PIECE = 256;
  for (let at = 0; at < program.length; at += PIECE) {
    pieces.push(`require("Storage").write(".bootcde",${JSON.stringify(program.slice(at, at + PIECE))},${at},${program.length});`);
  }
  pieces.push('load();');
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(bin, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let text = ''; // latin1, to count answers and find markers
    const raw: Buffer[] = []; // the output as bytes, decoded as UTF-8 at the end
    let sent = 0;
    let answers = 0;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL'); // it ignores SIGTERM
      const all = Buffer.concat(raw).toString('utf8');
      const booted = all.includes('load();') ? all.slice(all.lastIndexOf('load();') + 7) : all;
      const lines = booted.split('\n').map((l) => l.replace(/\r$/, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')).filter((l) => l.trim() !== '' && l.trim() !== '>' && l.trim() !== '=undefined');
      const uncaught = lines.find((l) => l.includes('Uncaught') || l.includes('LOW_MEMORY') || l.includes('FIFO_FULL'));
      const output = lines.filter((l) => !l.startsWith(END));
      const end = lines.find((l) => l.startsWith(END));
      const memory = end ? end.slice(END.length).trim().split(' ').map(Number) : undefined;
      const ms = performance.now() - started;
      const result: InterpreterResult = { ok: !uncaught && end !== undefined && !error, output, ms };
      if (memory) result.memory = { used: memory[0]!, total: memory[1]! };
      if (!result.ok) result.error = uncaught?.trim() ?? error ?? 'did not reach the end of the program';
      if (!result.ok && lines.some((l) => /LOW_MEMORY|Out of Memory|MEMORY_BUSY/i.test(l))) result.outOfMemory = true;
      if (!result.ok && error === 'stopped at the time limit') result.timedOut = true;
      resolve(result);
    };
    const timer = setTimeout(() => finish('stopped at the time limit'), timeoutMs);
    const next = () => {
      if (sent < pieces.length && answers >= sent) child.stdin.write(pieces[sent++] + '\n');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      text += chunk.toString('latin1');
      answers = (text.match(/\n=(true|undefined|false)/g) ?? []).length;
      next();
      // The marker as printed with its figures (the write that carries it echoes it without them).
      if (new RegExp(`${END} \\d+ \\d+`).test(text)) setTimeout(() => finish(), 50);
      else if (sent < pieces.length && /Uncaught|FIFO_FULL/.test(text)) finish('writing the program to flash failed');
      else if (sent === pieces.length && /LOW_MEMORY|Uncaught/.test(text.slice(text.lastIndexOf('load();')))) setTimeout(() => finish(), 200);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      text += chunk.toString('latin1');
    });
    child.on('error', (e) => finish(`could not run ${bin}: ${e.message}`));
    child.on('exit', () => setTimeout(() => finish(), 20));
    setTimeout(next, 300);
  });
}

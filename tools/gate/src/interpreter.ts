// Optional step of the gate: runs a bundle under a real Espruino interpreter (its Linux build), where one is at
// hand, to check what the sandbox only approximates.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export interface InterpreterResult {
  ok: boolean;
  /** What the bundle printed (Espruino's banner and prompt removed). */
  output: string[];
  /** The first `Uncaught …` line, or why the run did not finish. */
  error?: string;
  ms: number;
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

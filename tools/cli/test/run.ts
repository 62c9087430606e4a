// Runs the real `meterchain` command in a child process, as a user would.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(repoRoot, 'tools', 'cli', 'bin', 'meterchain.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function meterchain(args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, MC_DEBUG: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A failed command says one line on stderr and shows no stack trace. */
export function isOneLineError(r: Run): boolean {
  const lines = r.stderr.trim().split('\n');
  return lines.length === 1 && lines[0]!.length > 0 && !/\n\s+at /.test(r.stderr) && !r.stderr.includes('    at ');
}

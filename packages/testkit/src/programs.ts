// Outside programs a test needs (socat, tshark, ...): present → run against them; missing → fail in CI, skip loudly
// elsewhere, so a test that did not run is never counted as passed.
import { spawnSync } from 'node:child_process';

/** True when `name` is on PATH. */
export function hasProgram(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** True when every program is installed; otherwise throws under CI, or warns and returns false (the caller skips). */
export function requirePrograms(what: string, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasProgram(n));
  if (missing.length === 0) return true;
  const message = `${what}: missing ${missing.join(', ')} (Debian packages of the same names)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPING: ${message} ***\n`);
  return false;
}

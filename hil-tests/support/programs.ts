// Outside programs a suite needs: present → run against them; missing → fail in CI, skip loudly elsewhere.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Path of `name` on PATH (or the given absolute path), or null. */
export function findProgram(name: string): string | null {
  if (name.startsWith('/')) return existsSync(name) ? name : null;
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * True when every program is installed. When one is missing: throws under CI (the suite must run there),
 * otherwise prints a loud notice and returns false so the caller skips its tests (shown as skipped, not passed).
 */
export function requirePrograms(...names: string[]): boolean {
  const missing = names.filter((n) => findProgram(n) === null);
  if (missing.length === 0) return true;
  const message = `HIL: missing ${missing.join(', ')}; install them (Debian: socat mbpoll ser2net tshark python3-pymodbus)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPING: ${message} ***\n`);
  return false;
}

/** The Debian interpreter that has pymodbus (not the first python3 on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** True when the Debian python can import pymodbus, and serial_asyncio for an RTU peer (`serial`). */
export function requirePymodbus(serial = false): boolean {
  if (!requirePrograms(DEBIAN_PYTHON)) return false;
  const modules = serial ? 'pymodbus, serial_asyncio' : 'pymodbus';
  const check = spawnSync(DEBIAN_PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  if (check.status === 0) return true;
  const message = `HIL: /usr/bin/python3 cannot import ${modules} (Debian: python3-pymodbus${serial ? ' python3-serial-asyncio' : ''})`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPING: ${message} ***\n`);
  return false;
}

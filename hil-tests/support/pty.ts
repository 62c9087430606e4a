// Virtual serial lines: a socat pty pair, each end reachable through a symlink in a temp directory. Closing the
// pair and creating it again at the same paths is how a test unplugs and replugs a USB adapter.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type Peer } from './process.ts';

export interface PtyPair {
  /** End used by meterchain (the master side of the Modbus link). */
  readonly a: string;
  /** End used by the peer (the device side). */
  readonly b: string;
  stop(): Promise<void>;
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `mc-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts `socat` linking two ptys at `dir/a` and `dir/b` (names may be overridden) and waits for both links. */
export async function ptyPair(dir: string, names: [string, string] = ['a', 'b']): Promise<PtyPair> {
  const a = join(dir, names[0]);
  const b = join(dir, names[1]);
  const peer: Peer = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
  await peer.waitFor(/starting data transfer loop/, 10_000);
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(a) || !existsSync(b)) throw new Error(`socat did not create ${a} and ${b}:\n${peer.output()}`);
  return { a, b, stop: () => peer.stop() };
}

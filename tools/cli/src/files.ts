// File helpers for commands: every failure becomes an InputError with one line naming the file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { verifyManifest, type Manifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { InputError } from './command.ts';

export function readInput(path: string, what: string, maxBytes = 16 << 20): Uint8Array {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message}`);
  }
  if (data.length > maxBytes) throw new InputError(`${what} ${path} is too large: ${data.length} bytes (limit ${maxBytes})`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

export function readJson(path: string, what: string): unknown {
  const text = Buffer.from(readInput(path, what, 1 << 20)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Writes a new file, creating its folder; refuses to overwrite unless `overwrite`. */
export function writeOutput(path: string, data: Uint8Array | string, opts: { overwrite?: boolean; mode?: number } = {}): void {
  if (!opts.overwrite && existsSync(path)) throw new InputError(`refusing to overwrite ${path}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data, { mode: opts.mode ?? 0o644 });
  } catch (e) {
    throw new InputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Reads and verifies a signed manifest file; an unusable manifest is an input error (exit 2). */
export function loadManifest(path: string, operator?: Uint8Array): { manifest: Manifest; digest: Uint8Array; bytes: Uint8Array } {
  const bytes = readInput(path, 'manifest', 1 << 20);
  const v = verifyManifest(bytes, nodeVerifier(), operator ? { operator } : {});
  if (!v.ok) throw new InputError(`${path}: ${v.reason}`);
  return { manifest: v.manifest, digest: v.digest, bytes };
}

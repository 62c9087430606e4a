// Key generation and key files. A private key file holds the 32-byte seed, mode 0600, never overwritten; a public key
// file holds the public key and its address. Formats in docs/crypto.md.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fstatSync, openSync, readFileSync, writeSync, constants as fs } from 'node:fs';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText } from '@meterchain/core';
import { assertSeed, publicKeyFromSeed } from './node.ts';

export const PRIVATE_KEY_TYPE = 'meterchain-ed25519-private-key';
export const PUBLIC_KEY_TYPE = 'meterchain-ed25519-public-key';
export const KEY_FILE_VERSION = 1;

export type KeyFileErrorCode =
  | 'KEY_FILE_MISSING'
  | 'KEY_FILE_EXISTS'
  | 'KEY_FILE_PERMISSIONS'
  | 'KEY_FILE_INVALID'
  | 'KEY_FILE_UNREADABLE';

/** An Error with a `code` from KeyFileErrorCode and the file's path; the message is one line for a user. */
export interface KeyFileError extends Error {
  code: KeyFileErrorCode;
  path: string;
}

function keyFileError(code: KeyFileErrorCode, path: string, message: string): KeyFileError {
  const err = new Error(message) as KeyFileError;
  err.code = code;
  err.path = path;
  return err;
}

/** 32 fresh random bytes from the operating system's generator: a new Ed25519 seed. */
export function generateSeed(): Uint8Array {
  const buf = randomBytes(32);
  const seed = new Uint8Array(buf);
  buf.fill(0);
  return seed;
}

/** Writes `text` to a new file with `mode`; refuses to replace an existing file (a key must not vanish silently). */
function writeNewFile(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw keyFileError('KEY_FILE_EXISTS', path, `key file ${path} already exists; refusing to overwrite it`);
    throw keyFileError('KEY_FILE_UNREADABLE', path, `cannot create key file ${path}: ${code ?? 'error'}`);
  }
  const bytes = Buffer.from(text, 'utf8');
  try {
    fchmodSync(fd, mode); // the umask may have taken bits away; never leave more than asked
    writeSync(fd, bytes);
  } finally {
    bytes.fill(0);
    closeSync(fd);
  }
}

/**
 * Writes a private key file: JSON {"type":"meterchain-ed25519-private-key","version":1,"seed":"<64 hex>"} with mode
 * 0600. Throws KEY_FILE_EXISTS rather than overwrite an existing file.
 */
export function writeKeyFile(path: string, seed: Uint8Array): void {
  assertSeed(seed);
  const text = JSON.stringify({ type: PRIVATE_KEY_TYPE, version: KEY_FILE_VERSION, seed: Buffer.from(seed).toString('hex') }) + '\n';
  writeNewFile(path, text, 0o600);
}

/**
 * Reads a private key file and returns its seed. Refuses, like ssh, a file that group or others may read or write
 * (KEY_FILE_PERMISSIONS, with the chmod that fixes it). Error messages never quote the file's contents.
 */
export function readKeyFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, fs.O_RDONLY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw keyFileError('KEY_FILE_MISSING', path, `key file ${path} not found`);
    throw keyFileError('KEY_FILE_UNREADABLE', path, `cannot read key file ${path}: ${code ?? 'error'}`);
  }
  let raw: Buffer;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw keyFileError('KEY_FILE_INVALID', path, `key file ${path} is not a regular file`);
    // POSIX modes only; Windows reports synthetic ones.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw keyFileError('KEY_FILE_PERMISSIONS', path, `key file ${path} has mode ${mode}: group or others can access it; run chmod 600 ${path}`);
    }
    if (stat.size > 4096) throw keyFileError('KEY_FILE_INVALID', path, `key file ${path} is ${stat.size} bytes; a key file is under 200`);
    raw = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    return parsePrivateKey(raw.toString('utf8'), path);
  } finally {
    raw.fill(0);
  }
}

function parsePrivateKey(text: string, path: string): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which here is the secret.
    throw keyFileError('KEY_FILE_INVALID', path, `key file ${path} is not JSON`);
  }
  const d = doc as { type?: unknown; version?: unknown; seed?: unknown } | null;
  if (d === null || typeof d !== 'object' || d.type !== PRIVATE_KEY_TYPE) {
    throw keyFileError('KEY_FILE_INVALID', path, `key file ${path}: expected "type": "${PRIVATE_KEY_TYPE}"`);
  }
  if (d.version !== KEY_FILE_VERSION) throw keyFileError('KEY_FILE_INVALID', path, `key file ${path}: unsupported version (expected ${KEY_FILE_VERSION})`);
  if (typeof d.seed !== 'string' || !/^[0-9a-fA-F]{64}$/.test(d.seed)) {
    throw keyFileError('KEY_FILE_INVALID', path, `key file ${path}: "seed" must be 64 hex digits`);
  }
  return new Uint8Array(Buffer.from(d.seed, 'hex'));
}

export interface PublicKeyFile {
  publicKey: Uint8Array;
  /** Text form of the address, "mc" + 40 hex digits. */
  address: string;
}

/** Writes a public key file: JSON {"type":"meterchain-ed25519-public-key","version":1,"publicKey":hex,"address":"mc…"}, mode 0644. */
export function writePublicKeyFile(path: string, publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new RangeError('writePublicKeyFile: expected a 32-byte public key');
  const doc = {
    type: PUBLIC_KEY_TYPE,
    version: KEY_FILE_VERSION,
    publicKey: Buffer.from(publicKey).toString('hex'),
    address: addressToText(addressFromPublicKey(publicKey)),
  };
  writeNewFile(path, JSON.stringify(doc, null, 2) + '\n', 0o644);
}

/** Reads a public key file and checks that its address is the one derived from its key. */
export function readPublicKeyFile(path: string): PublicKeyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw keyFileError('KEY_FILE_MISSING', path, `public key file ${path} not found`);
    throw keyFileError('KEY_FILE_UNREADABLE', path, `cannot read public key file ${path}: ${code ?? 'error'}`);
  }
  let doc: { type?: unknown; version?: unknown; publicKey?: unknown; address?: unknown };
  try {
    doc = JSON.parse(text);
  } catch {
    throw keyFileError('KEY_FILE_INVALID', path, `public key file ${path} is not JSON`);
  }
  if (doc === null || typeof doc !== 'object' || doc.type !== PUBLIC_KEY_TYPE || doc.version !== KEY_FILE_VERSION) {
    throw keyFileError('KEY_FILE_INVALID', path, `public key file ${path}: expected "type": "${PUBLIC_KEY_TYPE}", "version": ${KEY_FILE_VERSION}`);
  }
  if (typeof doc.publicKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(doc.publicKey)) {
    throw keyFileError('KEY_FILE_INVALID', path, `public key file ${path}: "publicKey" must be 64 hex digits`);
  }
  const publicKey = new Uint8Array(Buffer.from(doc.publicKey, 'hex'));
  const address = addressToText(addressFromPublicKey(publicKey));
  if (doc.address !== address) throw keyFileError('KEY_FILE_INVALID', path, `public key file ${path}: "address" does not match the public key (expected ${address})`);
  return { publicKey, address };
}

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  publicKey: Uint8Array;
  address: string;
}

/** Writes `<name>.key` (0600) and `<name>.pub` (0644) in `dir` (default name "meter"); refuses to overwrite either. */
export function writeKeyPair(dir: string, seed: Uint8Array, name = 'meter'): KeyPairFiles {
  assertSeed(seed);
  const privateKeyPath = join(dir, `${name}.key`);
  const publicKeyPath = join(dir, `${name}.pub`);
  const publicKey = publicKeyFromSeed(seed);
  for (const p of [privateKeyPath, publicKeyPath]) {
    if (existsSync(p)) throw keyFileError('KEY_FILE_EXISTS', p, `key file ${p} already exists; refusing to overwrite it`);
  }
  // Private file first: if it cannot be written, no public key without its private half is left behind.
  writeKeyFile(privateKeyPath, seed);
  writePublicKeyFile(publicKeyPath, publicKey);
  return { privateKeyPath, publicKeyPath, publicKey, address: addressToText(addressFromPublicKey(publicKey)) };
}

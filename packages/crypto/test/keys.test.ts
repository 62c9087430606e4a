import { afterAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText } from '@meterchain/core';
import {
  generateSeed,
  readKeyFile,
  readPublicKeyFile,
  writeKeyFile,
  writeKeyPair,
  writePublicKeyFile,
  type KeyFileError,
} from '../src/keys.ts';
import { publicKeyFromSeed } from '../src/node.ts';
import { hex, toHex } from './support/vectors.ts';

const dir = mkdtempSync(join(tmpdir(), 'meterchain-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string): string => join(dir, `${n++}-${name}`);
const SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const posix = process.platform !== 'win32';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as KeyFileError).code;
  }
  return undefined;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('generateSeed', () => {
  test('gives 32 fresh bytes each call', () => {
    const a = generateSeed();
    const b = generateSeed();
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe('private key file', () => {
  test('round-trips the seed', () => {
    const path = fresh('meter.key');
    writeKeyFile(path, SEED);
    expect(readKeyFile(path)).toEqual(SEED);
  });
  (posix ? test : test.skip)('is created with mode 0600 whatever the umask allows', () => {
    const old = process.umask(0o000);
    try {
      const path = fresh('meter.key');
      writeKeyFile(path, SEED);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });
  test('is the documented JSON: type, version, seed in hex', () => {
    const path = fresh('meter.key');
    writeKeyFile(path, SEED);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ type: 'meterchain-ed25519-private-key', version: 1, seed: toHex(SEED) });
  });
  test('is never overwritten', () => {
    const path = fresh('meter.key');
    writeKeyFile(path, SEED);
    expect(codeOf(() => writeKeyFile(path, generateSeed()))).toBe('KEY_FILE_EXISTS');
    expect(readKeyFile(path)).toEqual(SEED);
  });
  test('missing: a clear error naming the path', () => {
    const path = fresh('absent.key');
    expect(codeOf(() => readKeyFile(path))).toBe('KEY_FILE_MISSING');
    expect(messageOf(() => readKeyFile(path))).toBe(`key file ${path} not found`);
  });
  (posix ? test : test.skip)('readable by group or others: refused, with the chmod that fixes it', () => {
    const path = fresh('meter.key');
    writeKeyFile(path, SEED);
    chmodSync(path, 0o644);
    expect(codeOf(() => readKeyFile(path))).toBe('KEY_FILE_PERMISSIONS');
    expect(messageOf(() => readKeyFile(path))).toMatch(/mode 0644.*chmod 600/);
    chmodSync(path, 0o640);
    expect(codeOf(() => readKeyFile(path))).toBe('KEY_FILE_PERMISSIONS');
  });
  test('not JSON: refused without quoting the contents', () => {
    const path = fresh('meter.key');
    writeFileSync(path, `{"seed": "${toHex(SEED)}" oops`, { mode: 0o600 });
    expect(codeOf(() => readKeyFile(path))).toBe('KEY_FILE_INVALID');
    expect(messageOf(() => readKeyFile(path))).not.toContain(toHex(SEED).slice(0, 16));
  });
  test('wrong type, version or seed length: refused', () => {
    const cases = [
      { type: 'ed25519', version: 1, seed: toHex(SEED) },
      { type: 'meterchain-ed25519-private-key', version: 2, seed: toHex(SEED) },
      { type: 'meterchain-ed25519-private-key', version: 1, seed: toHex(SEED).slice(2) },
      { type: 'meterchain-ed25519-private-key', version: 1, seed: 'zz' + toHex(SEED).slice(2) },
      null,
    ];
    for (const doc of cases) {
      const path = fresh('meter.key');
      writeFileSync(path, JSON.stringify(doc), { mode: 0o600 });
      expect(codeOf(() => readKeyFile(path))).toBe('KEY_FILE_INVALID');
    }
  });
  test('refuses a seed that is not 32 bytes before touching the disk', () => {
    const path = fresh('meter.key');
    expect(() => writeKeyFile(path, new Uint8Array(16))).toThrow(/32-byte seed/);
    expect(codeOf(() => readKeyFile(path))).toBe('KEY_FILE_MISSING');
  });
});

describe('public key file', () => {
  const publicKey = publicKeyFromSeed(SEED);
  test('holds the public key and its address, and reads back', () => {
    const path = fresh('meter.pub');
    writePublicKeyFile(path, publicKey);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(doc).toEqual({ type: 'meterchain-ed25519-public-key', version: 1, publicKey: toHex(publicKey), address: addressToText(addressFromPublicKey(publicKey)) });
    expect(readPublicKeyFile(path)).toEqual({ publicKey, address: doc.address });
  });
  test('an address that does not match the key is refused', () => {
    const path = fresh('meter.pub');
    const other = publicKeyFromSeed(new Uint8Array(32).fill(1));
    writeFileSync(path, JSON.stringify({ type: 'meterchain-ed25519-public-key', version: 1, publicKey: toHex(publicKey), address: addressToText(addressFromPublicKey(other)) }));
    expect(codeOf(() => readPublicKeyFile(path))).toBe('KEY_FILE_INVALID');
  });
});

describe('writeKeyPair', () => {
  test('writes NAME.key (0600) and NAME.pub and returns the address', () => {
    const d = mkdtempSync(fresh('pair'));
    const out = writeKeyPair(d, SEED);
    expect(out.privateKeyPath).toBe(join(d, 'meter.key'));
    expect(readKeyFile(out.privateKeyPath)).toEqual(SEED);
    expect(readPublicKeyFile(out.publicKeyPath).address).toBe(out.address);
    if (posix) expect(statSync(out.privateKeyPath).mode & 0o777).toBe(0o600);
  });
  test('writes nothing when either file already exists', () => {
    const d = mkdtempSync(fresh('pair'));
    writeFileSync(join(d, 'meter.pub'), 'old');
    expect(codeOf(() => writeKeyPair(d, SEED))).toBe('KEY_FILE_EXISTS');
    expect(codeOf(() => readKeyFile(join(d, 'meter.key')))).toBe('KEY_FILE_MISSING');
  });
});

// `meterchain chain verify|prove|inspect|export` and `meterchain proof verify`, run as a user runs them.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText, verifyManifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { generateChain, writeChainFiles, writeChainStore, type GeneratedChain } from '@meterchain/ledger/testing';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-chain-'));
const files = join(dir, 'files');
const store = join(dir, 'store');
const manifestFile = join(dir, 'manifest.cbor');
let chain: GeneratedChain;
let meter = '';

beforeAll(async () => {
  chain = generateChain({ blocks: 6, members: 4, rule: 'bft', blockRounds: 2, seed: 5, rejectEvery: 9, evidenceAt: [1] });
  writeChainFiles(files, chain);
  await writeChainStore(store, chain);
  writeFileSync(manifestFile, chain.manifest);
  const v = verifyManifest(chain.manifest, nodeVerifier());
  if (!v.ok) throw new Error(v.reason);
  meter = addressToText(v.manifest.members[2]!.address);
}, 60_000);

describe('meterchain chain verify', () => {
  test('an untouched directory of block files is valid (exit 0)', () => {
    const r = meterchain(['chain', 'verify', files, '--manifest', manifestFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid — 6 blocks (heights 0..5)');
  });

  test('an untouched block store is valid, in JSON', () => {
    const r = meterchain(['chain', 'verify', store, '--manifest', manifestFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, layout: 'store', blocks: 6, readings: chain.readings });
  });

  test('a flipped byte fails with exit 1 and one line naming the block file', () => {
    const copy = join(dir, 'flipped');
    writeChainFiles(copy, chain);
    const file = join(copy, 'blocks', '00000003.cbor');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x20;
    writeFileSync(file, bytes);
    const r = meterchain(['chain', 'verify', copy, '--manifest', manifestFile]);
    expect(r.code).toBe(1);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain('first bad block: blocks/00000003.cbor (height 3)');
  });

  test('a directory without a chain is unusable input (exit 2)', () => {
    const r = meterchain(['chain', 'verify', dir, '--manifest', manifestFile]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  });

  test('a missing --manifest is a usage error (exit 2)', () => {
    expect(meterchain(['chain', 'verify', files]).code).toBe(2);
  });
});

describe('meterchain chain prove and proof verify', () => {
  test('a proof written from the store verifies with the manifest alone', () => {
    const out = join(dir, 'p.cbor');
    expect(meterchain(['chain', 'prove', store, '--meter', meter, '--seq', '7', '--out', out]).code).toBe(0);
    const r = meterchain(['proof', 'verify', out, '--manifest', manifestFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, meter, seq: 7, round: 7, height: 3 });
  });

  test('a proof with a byte changed does not verify (exit 1, one line)', () => {
    const out = join(dir, 'p2.cbor');
    expect(meterchain(['chain', 'prove', files, '--meter', meter, '--seq', '2', '--out', out]).code).toBe(0);
    const bytes = readFileSync(out);
    bytes[bytes.length - 40]! ^= 0x01;
    writeFileSync(out, bytes);
    const r = meterchain(['proof', 'verify', out, '--manifest', manifestFile]);
    expect(r.code).toBe(1);
    expect(isOneLineError(r)).toBe(true);
  });

  test('a reading that is not in the chain gets no proof (exit 1)', () => {
    const r = meterchain(['chain', 'prove', store, '--meter', meter, '--seq', '999', '--out', join(dir, 'p3.cbor')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no committed reading');
  });
});

describe('meterchain chain import', () => {
  test('imports block files into a new store that then verifies, and a second import adds nothing', () => {
    const into = join(dir, 'imported');
    const r = meterchain(['chain', 'import', files, '--into', into]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('imported 6 blocks');
    expect(meterchain(['chain', 'import', files, '--into', into]).stdout).toContain('already holds all 6 blocks');
    expect(meterchain(['chain', 'verify', into, '--manifest', manifestFile]).code).toBe(0);
  });
});

describe('meterchain chain inspect and export', () => {
  test('inspect shows heights, members, counts and the evidence', () => {
    const r = meterchain(['chain', 'inspect', store, '--manifest', manifestFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('6 blocks, heights 0..5, rounds 0..11');
    expect(r.stdout).toContain('members (4)');
    expect(r.stdout).toMatch(/height 1: submission equivocation by mc[0-9a-f]{40} \(round 2\)/);
    expect(r.stdout).toMatch(/\d+ accepted, \d+ rejected/);
  });

  test('export writes one CSV row per accepted reading with its channels', () => {
    const r = meterchain(['chain', 'export', files, '--csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('height,round,meter,seq,ts,time,clock,quality,quality_flags,1-0:1.8.0 [Wh],1-0:16.7.0 [W],1-0:32.7.0 [V]');
    expect(lines.length - 1).toBe(chain.readings);
    expect(lines[1]).toMatch(/^0,0,mc[0-9a-f]{40},0,\d+,[-0-9T:.Z]+,synced,0,,\d+,\d+,\d+(\.\d)?$/);
  });
});

// Cross-tier proofs from the command line: `chain prove --widearea` bundles a reading's proof with the wide-area
// anchor of its block; `proof verify` checks it with the region's and the wide-area chain's manifests.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText, verifyManifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { generateChain, writeChainFiles } from '@meterchain/ledger/testing';
import { runWideArea } from '@meterchain/widearea/testing';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-cross-'));
const east = generateChain({ blocks: 3, seed: 3, cluster: 'east' });
writeChainFiles(join(dir, 'east'), east);
const wide = runWideArea({ regions: [east], verifier: nodeVerifier(), rounds: 4 });
writeChainFiles(join(dir, 'wide'), { manifest: wide.manifestBytes, blocks: wide.blocks, readings: 0 });
const m = verifyManifest(east.manifest, nodeVerifier());
if (!m.ok) throw new Error(m.reason);
const meter = addressToText(m.manifest.members[2]!.address);
const proof = join(dir, 'cross.proof');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cross-tier proofs on the command line', () => {
  test('chain prove --widearea writes one bundle; proof verify checks it with the two manifests', () => {
    const made = meterchain(['chain', 'prove', join(dir, 'east'), '--meter', meter, '--seq', '14', '--widearea', join(dir, 'wide'), '--out', proof]);
    expect(made.stderr).toBe('');
    expect(made.stdout).toMatch(/^cross-tier proof of mc[0-9a-f]{40} seq 14: regional height 1, anchored in wide-area block \d+/);
    const r = meterchain(['proof', 'verify', proof, '--manifest', join(dir, 'east', 'manifest.cbor'), '--widearea-manifest', join(dir, 'wide', 'manifest.cbor')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/committed at height 1 of east/);
    expect(r.stdout).toMatch(/anchored in wide-area block \d+ .*co-signed by [34] substations/);
  }, 120_000);

  test('without the wide-area manifest: exit 2; under another manifest: exit 1, naming the tier', () => {
    const missing = meterchain(['proof', 'verify', proof, '--manifest', join(dir, 'east', 'manifest.cbor')]);
    expect(missing.code).toBe(2);
    expect(isOneLineError(missing)).toBe(true);
    expect(missing.stderr).toMatch(/--widearea-manifest/);
    writeFileSync(join(dir, 'wrong.cbor'), east.manifest);
    const wrong = meterchain(['proof', 'verify', proof, '--manifest', join(dir, 'east', 'manifest.cbor'), '--widearea-manifest', join(dir, 'wrong.cbor')]);
    expect(wrong.code).toBe(1);
    expect(isOneLineError(wrong)).toBe(true);
    expect(wrong.stderr).toMatch(/\(wide-area\)/);
  }, 120_000);
});

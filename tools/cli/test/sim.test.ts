// `meterchain sim`: the command from the consensus issue, the chain it writes, and its usage errors.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoVerifier, nodeSha256 } from '@meterchain/testkit';
import { verifyManifest } from '@meterchain/core';
import { verifyChain } from '@meterchain/consensus';
import { isOneLineError, meterchain } from './run.ts';

describe('meterchain sim', () => {
  test('7 meters, 2 byzantine forging and equivocating under bft: nothing invalid accepted, no conflicting commit, evidence against the equivocators', () => {
    const r = meterchain(['sim', '--meters', '7', '--rounds', '100', '--byzantine', '2', '--behaviour', 'forge,equivocate', '--rule', 'bft', '--json'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.invalidSubmissionsAccepted).toBe(0);
    expect(report.conflictingCommits).toBe(0);
    expect(report.evidence).toBeGreaterThan(0);
    const equivocators = report.byzantine.map((b: { address: string }) => b.address).sort();
    expect(report.accused).toEqual(equivocators);
    expect(report.blocksCommitted).toBe(report.blocksExpected);
    expect(report.honestAcceptedRatio).toBeGreaterThanOrEqual(0.99);
  }, 120_000);

  test('--out writes the manifest and a chain that verifies from the manifest alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-sim-'));
    const r = meterchain(['sim', '--meters', '5', '--rounds', '12', '--out', dir]);
    expect(r.code).toBe(0);
    const verifier = new MemoVerifier();
    const m = verifyManifest(new Uint8Array(readFileSync(join(dir, 'manifest.cbor'))), verifier, { hash: nodeSha256 });
    if (!m.ok) throw new Error(m.reason);
    const names = readdirSync(join(dir, 'blocks')).sort();
    expect(names[0]).toBe('00000000.cbor');
    const blocks = names.map((f) => new Uint8Array(readFileSync(join(dir, 'blocks', f))));
    const v = verifyChain([{ manifest: m.manifest, digest: m.digest }], blocks, verifier, nodeSha256);
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.readings).toBe(60);
  });

  test('beyond the bound (3 forking members of 7 under bft) it reports conflicting commits and exits 1', () => {
    const r = meterchain(['sim', '--meters', '7', '--rounds', '20', '--rule', 'bft', '--byzantine', '3', '--behaviour', 'fork']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/conflicting commits: [1-9]/);
    expect(isOneLineError(r)).toBe(true);
  });

  test('an unknown behaviour is a usage error on one line', () => {
    const r = meterchain(['sim', '--meters', '4', '--rounds', '2', '--byzantine', '1', '--behaviour', 'lie']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown behaviour 'lie'");
    expect(isOneLineError(r)).toBe(true);
  });

  test('byzantine members without a behaviour are a usage error', () => {
    const r = meterchain(['sim', '--meters', '4', '--rounds', '2', '--byzantine', '1']);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  });
});

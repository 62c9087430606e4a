// npm run bench:control-centre [-- --members 64 --blocks 20]: how fast the control centre verifies and loads a
// regional chain into PostgreSQL (the server tests use, a schema of its own dropped afterwards) and into the
// embedded PGlite, against the raw limit measured in the same run: verifying the same chain with no database.
// Bounded: one generated chain, loaded once per engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyManifest } from '@meterchain/core';
import { verifyChain } from '@meterchain/consensus';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { generateChain, writeChainFiles } from '@meterchain/ledger/testing';
import { dropSchema, requirePostgres, scratchSchema, TEST_POSTGRES_URL } from '@meterchain/testkit/postgres';
import { ControlCentre } from '@meterchain/control-centre';

const { values } = parseArgs({ options: { members: { type: 'string' }, blocks: { type: 'string' } } });
const members = Number(values.members ?? 64);
const blocks = Number(values.blocks ?? 20);
if (!Number.isInteger(members) || members < 4 || members > 256 || !Number.isInteger(blocks) || blocks < 1 || blocks > 200) {
  process.stderr.write('bench:control-centre: --members 4..256 and --blocks 1..200\n');
  process.exit(2);
}
const verifier = nodeVerifier();
const chain = generateChain({ blocks, members, seed: 7, cluster: 'bench' });
const verdict = verifyManifest(chain.manifest, verifier, { hash: nodeSha256 });
if (!verdict.ok) throw new Error(verdict.reason);
const m = verdict;
const dir = mkdtempSync(join(tmpdir(), 'mc-bench-cc-'));
writeChainFiles(join(dir, 'chain'), chain);

let t = performance.now();
const v = verifyChain([{ manifest: m.manifest, digest: m.digest }], chain.blocks, verifier, nodeSha256);
if (!v.ok) throw new Error(v.reason);
const verifyMs = performance.now() - t;
console.log(`chain: ${members} members, ${blocks} blocks, ${chain.readings} readings; verification alone ${verifyMs.toFixed(0)} ms (${((chain.readings / verifyMs) * 1000).toFixed(0)} readings/s)`);

async function load(engine: string, options: { url?: string; schema?: string }): Promise<void> {
  const centre = await ControlCentre.open({ ...options, regions: [{ dir: join(dir, 'chain'), manifests: [{ manifest: m.manifest, digest: m.digest }] }], verifier });
  try {
    t = performance.now();
    await centre.catchUp();
    const ms = performance.now() - t;
    const rows = await centre.db.query('SELECT COUNT(*) AS n FROM readings');
    if (rows[0]!['n'] !== chain.readings) throw new Error(`${engine}: ${rows[0]!['n']} rows loaded of ${chain.readings}`);
    const size = await centre.db.query("SELECT pg_total_relation_size('readings') AS readings, pg_total_relation_size('blocks') AS blocks");
    const perRow = (size[0]!['readings'] as number) / chain.readings;
    const perReading = (size[0]!['blocks'] as number) / chain.readings;
    console.log(`${engine}: storage ${perRow.toFixed(0)} bytes a reading row (with its indexes), ${perReading.toFixed(0)} bytes a reading in the stored blocks`);
    console.log(`${engine}: verified and loaded in ${ms.toFixed(0)} ms: ${((chain.readings / ms) * 1000).toFixed(0)} readings/s, ${(ms / verifyMs).toFixed(2)}x verification alone (database ${(ms - verifyMs).toFixed(0)} ms, ${((chain.readings / Math.max(1, ms - verifyMs)) * 1000).toFixed(0)} rows/s)`);
  } finally {
    await centre.close();
  }
}

try {
  if (await requirePostgres('bench:control-centre against PostgreSQL')) {
    const schema = scratchSchema('mc_bench');
    try {
      await load(`PostgreSQL (${TEST_POSTGRES_URL.replace(/\/\/[^@]*@/, '//')})`, { url: TEST_POSTGRES_URL, schema });
    } finally {
      await dropSchema(schema);
    }
  }
  await load('PGlite (in memory)', {});
} finally {
  rmSync(dir, { recursive: true, force: true });
}

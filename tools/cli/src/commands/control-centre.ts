// `meterchain control-centre`: follows regional chains, verifies them block by block, loads verified aggregates and
// readings into a database (embedded PGlite by default, PostgreSQL with --database) and serves them as JSON.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { ControlCentre, type RegionSource } from '@meterchain/control-centre';
import { InputError, UsageError, intOption, parse, type Command, type Io } from '../command.ts';
import { loadManifest } from '../files.ts';

const usage = `usage: meterchain control-centre --region DIR[,MANIFEST] [--region …] [--widearea DIR[,MANIFEST]]
                                 [--database URL | --data DIR] [--schema NAME] [--port N] [--host ADDR]
                                 [--poll-ms N] [--once]

Follows each region's chain in DIR (a member's block store, DIR/blocks.log, or block files, DIR/blocks/), verifies
every block against the region's manifest (MANIFEST, default DIR/manifest.cbor) from height 0, and loads each
verified block with its round summaries and readings into the database. A block that does not verify stops its
region; the fault is served. The API (docs/control-centre.md) answers on http://ADDR:N (default 127.0.0.1, port
8080; 0 takes a free port); the address is printed.

--widearea DIR   the wide-area chain (a substation's store or block files; its manifest, default DIR/manifest.cbor):
                 verified like a region's, its anchors checked against the regions' manifests (the --region ones,
                 trusted by their operator keys); anchoring status and split views are served
--database URL   PostgreSQL (postgres://user@host:port/db); without it an embedded PGlite, kept in --data DIR
                 (in memory without --data)
--schema NAME    tables in schema NAME (created when missing)
--poll-ms N      between polls of the chains (default 1000)
--once           load what the chains hold now, print the totals and exit (no server)`;

function regionSource(spec: string): RegionSource {
  const comma = spec.lastIndexOf(',');
  const dir = comma >= 0 ? spec.slice(0, comma) : spec;
  const manifestPath = comma >= 0 ? spec.slice(comma + 1) : join(dir, 'manifest.cbor');
  if (dir === '') throw new UsageError(`--region '${spec}' names no directory`);
  if (!existsSync(dir)) throw new InputError(`region chain ${dir}: no such directory`);
  const m = loadManifest(manifestPath);
  return { dir, manifests: [{ manifest: m.manifest, digest: m.digest }], manifestBytes: [m.bytes] };
}

async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    region: { type: 'string', multiple: true },
    widearea: { type: 'string' },
    database: { type: 'string' },
    data: { type: 'string' },
    schema: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'poll-ms': { type: 'string' },
    once: { type: 'boolean' },
  });
  const specs = values.region ?? [];
  if (specs.length === 0) throw new UsageError('missing required option --region');
  if (values.database !== undefined && values.data !== undefined) throw new UsageError('--database and --data exclude each other (--data is the embedded database’s directory)');
  if (values.database !== undefined && !/^postgres(ql)?:\/\//.test(values.database)) throw new UsageError(`--database expects a postgres:// URL, got '${values.database}'`);
  if (values.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(values.schema)) throw new UsageError(`--schema expects a lower-case SQL name, got '${values.schema}'`);
  const port = intOption(values.port, 'port', 8080);
  if (port > 65535) throw new UsageError(`--port out of range: ${port}`);
  const pollMs = intOption(values['poll-ms'], 'poll-ms', 1000);
  if (pollMs < 10) throw new UsageError(`--poll-ms must be at least 10, got ${pollMs}`);
  const regions = specs.map(regionSource);
  const wide = values.widearea !== undefined ? regionSource(values.widearea) : undefined;
  const widearea = wide ? { ...wide, trusted: regions.map((r) => ({ region: r.manifests[0]!.manifest.cluster, operator: r.manifests[0]!.manifest.operator })) } : undefined;

  let centre: ControlCentre;
  try {
    centre = await ControlCentre.open({
      regions,
      verifier: nodeVerifier(),
      pollMs,
      ...(widearea ? { widearea } : {}),
      ...(values.database !== undefined ? { url: values.database } : {}),
      ...(values.data !== undefined ? { dataDir: values.data } : {}),
      ...(values.schema !== undefined ? { schema: values.schema } : {}),
      onPoll: (region, r) => {
        const name = region === '*' ? 'wide-area chain' : `region ${region}`;
        if (r.fault !== undefined) io.err(`control-centre: ${name} stopped: ${r.fault}`);
        else io.out(`${name}: loaded ${r.loaded} block${r.loaded === 1 ? '' : 's'}, height ${r.height}`);
      },
    });
  } catch (e) {
    throw new InputError(`database: ${(e as Error).message}`);
  }
  if (values.once) {
    try {
      await centre.catchUp();
      const rows = await centre.db.query('SELECT region, height, tip, fault FROM regions ORDER BY region');
      const totals = await centre.db.query('SELECT region, COUNT(*) AS blocks, COALESCE(SUM(readings), 0) AS readings, COALESCE(SUM(energy_in), 0) AS energy FROM blocks GROUP BY region');
      let faults = 0;
      for (const r of rows) {
        const t = totals.find((x) => x['region'] === r['region']);
        const tip = r['tip'] ? `${String(r['tip']).slice(0, 16)}…` : 'none';
        const blocks = t ? (t['blocks'] as number) : 0;
        io.out(`${r['region']}: ${blocks} block${blocks === 1 ? '' : 's'} verified and loaded, height ${r['height']}, ${t ? t['readings'] : 0} readings, tip ${tip}${r['fault'] ? `; stopped: ${r['fault']}` : ''}`);
        if (r['fault']) faults++;
      }
      if (centre.widearea) {
        const w = centre.widearea;
        const anchored = await centre.db.query('SELECT COUNT(*) AS n FROM anchors a JOIN blocks b ON a.region = b.region AND a.height = b.height AND a.hash = b.hash');
        const views = await centre.db.query("SELECT COUNT(*) AS n FROM evidence WHERE kind LIKE 'view-%'");
        io.out(`wide-area chain: height ${w.height}, ${anchored[0]!['n']} loaded blocks anchored, ${views[0]!['n']} split views${w.fault ? `; stopped: ${w.fault}` : ''}`);
        if (w.fault) faults++;
      }
      return faults > 0 ? 1 : 0;
    } finally {
      await centre.close();
    }
  }
  let address;
  try {
    address = await centre.start(port, values.host ?? '127.0.0.1');
  } catch (e) {
    await centre.close();
    throw new InputError(`cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(e as Error).message}`);
  }
  io.out(`control centre: ${address.url}/api/regions (database ${centre.db.engine}; regions ${regions.map((r) => `${r.manifests[0]!.manifest.cluster} ${toHex(r.manifests[0]!.digest).slice(0, 12)}…`).join(', ')})`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await centre.close();
  return 0;
}

export const command: Command = {
  name: 'control-centre',
  summary: 'follow and verify regional chains, load them into a database, serve the API',
  usage,
  run,
};

// The control centre's HTTP API: JSON over GET, read from the database only (docs/control-centre.md, "API").
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { addressFromText, isAddressText, toHex, type Manifest } from '@meterchain/core';
import { makeProof } from '@meterchain/ledger';
import type { Database, Row } from './db.ts';

export interface ApiContext {
  db: Database;
  /** Manifests of a region by epoch (for proofs). */
  manifests(region: string): Manifest[] | undefined;
  /** Their signed bytes, when the region was given them. */
  manifestBytes(region: string): Uint8Array[] | undefined;
  now(): number;
  /** Extra routes (the dashboard): answers or returns false. */
  extra?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Intervals the API aggregates over: from one round to a day. */
const MIN_INTERVAL_MS = 1;
const MAX_INTERVAL_MS = 86400000;
const MAX_LIMIT = 10000;

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (!/^-?\d{1,16}$/.test(text)) throw new HttpError(400, `${name} must be an integer, got '${text.slice(0, 40)}'`);
  const n = Number(text);
  if (n < min || n > max) throw new HttpError(400, `${name} must be within ${min}..${max}, got ${n}`);
  return n;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function regionRow(ctx: ApiContext, region: string): Promise<Row> {
  const rows = await ctx.db.query('SELECT * FROM regions WHERE region = $1', [region]);
  if (rows.length === 0) throw new HttpError(404, `no region '${region.slice(0, 64)}'`);
  return rows[0]!;
}

function timeRange(url: URL): { from: number; to: number } {
  return { from: intParam(url, 'from', 0, 0, 8.64e15), to: intParam(url, 'to', 8.64e15, 0, 8.64e15) };
}

type Handler = (ctx: ApiContext, url: URL, parts: string[]) => Promise<unknown>;

const routes: { pattern: RegExp; handler: Handler }[] = [
  {
    pattern: /^\/api\/regions$/,
    handler: async (ctx) => {
      const rows = await ctx.db.query(
        `SELECT r.region, r.height, r.tip, r.members, r.round_ms, r.block_rounds, r.fault, r.updated_ms,
                COALESCE(SUM(b.readings), 0) AS readings, COALESCE(SUM(b.energy_in), 0) AS energy_in, COUNT(b.height) AS blocks
           FROM regions r LEFT JOIN blocks b ON b.region = r.region GROUP BY r.region ORDER BY r.region`,
      );
      return rows.map((r) => ({
        region: r['region'],
        height: r['height'],
        tip: r['tip'],
        blocks: r['blocks'],
        readings: r['readings'],
        members: r['members'],
        roundMs: r['round_ms'],
        blockRounds: r['block_rounds'],
        fault: r['fault'] ?? null,
        updatedMs: r['updated_ms'] ?? null,
      }));
    },
  },
  {
    pattern: /^\/api\/totals$/,
    handler: async (ctx) => {
      const rows = await ctx.db.query(
        `SELECT region, COUNT(*) AS blocks, SUM(readings) AS readings, SUM(energy_in) AS energy_in, SUM(energy_out) AS energy_out, MIN(vmin) AS vmin, MAX(vmax) AS vmax
           FROM blocks GROUP BY region ORDER BY region`,
      );
      const counted = await ctx.db.query('SELECT region, COUNT(*) AS rows FROM readings GROUP BY region ORDER BY region');
      const loaded: { [region: string]: number } = {};
      for (const r of counted) loaded[r['region'] as string] = r['rows'] as number;
      const regions = rows.map((r) => ({
        region: r['region'],
        blocks: r['blocks'],
        readings: r['readings'],
        readingRows: loaded[r['region'] as string] ?? 0,
        energyInWh: r['energy_in'],
        energyOutWh: r['energy_out'],
        vminMv: r['vmin'],
        vmaxMv: r['vmax'],
      }));
      let readings = 0;
      for (const r of regions) readings += r.readings as number;
      return { readings, regions };
    },
  },
  {
    pattern: /^\/api\/regions\/([^/]+)\/consumption$/,
    handler: async (ctx, url, p) => {
      await regionRow(ctx, p[0]!);
      const interval = intParam(url, 'interval', 60000, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
      const { from, to } = timeRange(url);
      // Consumption is what the energy registers advanced: each reading's register minus the same meter's previous
      // reading's, counted in the interval of the later reading.
      const rows = await ctx.db.query(
        `SELECT (ts / $2::bigint) * $2::bigint AS start, SUM(d) AS wh, COUNT(*) AS readings, COUNT(DISTINCT meter) AS meters
           FROM (SELECT meter, ts, energy_in - LAG(energy_in) OVER (PARTITION BY meter ORDER BY seq) AS d FROM readings WHERE region = $1) x
          WHERE d IS NOT NULL AND ts >= $3 AND ts < $4 GROUP BY 1 ORDER BY 1`,
        [p[0], interval, from, to],
      );
      return { region: p[0], intervalMs: interval, intervals: rows.map((r) => ({ startMs: r['start'], energyInWh: r['wh'], readings: r['readings'], meters: r['meters'] })) };
    },
  },
  {
    pattern: /^\/api\/regions\/([^/]+)\/(load|voltage)$/,
    handler: async (ctx, url, p) => {
      await regionRow(ctx, p[0]!);
      const interval = intParam(url, 'interval', 60000, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
      const { from, to } = timeRange(url);
      const rows = await ctx.db.query(
        `SELECT (start_ms / $2::bigint) * $2::bigint AS start, AVG(power)::float8 AS power, MAX(power) AS peak, MIN(vmin) AS vmin, MAX(vmax) AS vmax, SUM(accepted) AS readings
           FROM rounds WHERE region = $1 AND start_ms >= $3 AND start_ms < $4 GROUP BY 1 ORDER BY 1`,
        [p[0], interval, from, to],
      );
      if (p[1] === 'load') return { region: p[0], intervalMs: interval, intervals: rows.map((r) => ({ startMs: r['start'], powerW: r['power'], peakW: r['peak'], readings: r['readings'] })) };
      return { region: p[0], intervalMs: interval, intervals: rows.map((r) => ({ startMs: r['start'], vminMv: r['vmin'], vmaxMv: r['vmax'] })) };
    },
  },
  {
    pattern: /^\/api\/regions\/([^/]+)\/meters$/,
    handler: async (ctx, _url, p) => {
      await regionRow(ctx, p[0]!);
      const rows = await ctx.db.query(
        'SELECT meter, COUNT(*) AS readings, MAX(seq) AS last_seq, MAX(ts) AS last_ts, MAX(height) AS last_height FROM readings WHERE region = $1 GROUP BY meter ORDER BY meter',
        [p[0]],
      );
      return rows.map((r) => ({ meter: r['meter'], readings: r['readings'], lastSeq: r['last_seq'], lastMs: r['last_ts'], lastHeight: r['last_height'] }));
    },
  },
  {
    pattern: /^\/api\/regions\/([^/]+)\/meters\/([^/]+)\/readings$/,
    handler: async (ctx, url, p) => {
      await regionRow(ctx, p[0]!);
      const limit = intParam(url, 'limit', 100, 1, MAX_LIMIT);
      const { from, to } = timeRange(url);
      const rows = await ctx.db.query(
        'SELECT seq, round, height, ts, quality, channels, digest FROM readings WHERE region = $1 AND meter = $2 AND ts >= $3 AND ts < $4 ORDER BY seq DESC LIMIT $5',
        [p[0], p[1], from, to, limit],
      );
      return rows.map((r) => ({
        seq: r['seq'],
        round: r['round'],
        height: r['height'],
        ts: r['ts'],
        quality: r['quality'],
        channels: JSON.parse(r['channels'] as string),
        digest: r['digest'],
        proof: `/api/regions/${encodeURIComponent(p[0]!)}/meters/${encodeURIComponent(p[1]!)}/readings/${r['seq']}/proof`,
      }));
    },
  },
  {
    pattern: /^\/api\/regions\/([^/]+)\/meters\/([^/]+)\/readings\/(\d{1,15})\/proof$/,
    handler: async (ctx, _url, p) => {
      await regionRow(ctx, p[0]!);
      if (!isAddressText(p[1]!)) throw new HttpError(400, `not a meter address: '${p[1]!.slice(0, 60)}'`);
      const rows = await ctx.db.query(
        'SELECT b.stored, b.epoch, b.height FROM readings r JOIN blocks b ON b.region = r.region AND b.height = r.height WHERE r.region = $1 AND r.meter = $2 AND r.seq = $3',
        [p[0], p[1], Number(p[2])],
      );
      if (rows.length === 0) throw new HttpError(404, `no reading ${p[2]} of ${p[1]} in region '${p[0]}'`);
      const manifest = (ctx.manifests(p[0]!) ?? []).find((m) => m.epoch === rows[0]!['epoch']);
      if (!manifest) throw new HttpError(404, `no manifest of epoch ${rows[0]!['epoch']} for region '${p[0]}'`);
      const proof = makeProof(manifest, new Uint8Array(rows[0]!['stored'] as Uint8Array), addressFromText(p[1]!), Number(p[2]));
      if (!proof.ok) throw new HttpError(500, proof.reason);
      return { region: p[0], meter: p[1], seq: Number(p[2]), height: rows[0]!['height'], epoch: rows[0]!['epoch'], proof: toHex(proof.proof) };
    },
  },
  {
    pattern: /^\/api\/regions\/([^/]+)\/manifests$/,
    handler: async (ctx, _url, p) => {
      await regionRow(ctx, p[0]!);
      const bytes = ctx.manifestBytes(p[0]!);
      if (!bytes) throw new HttpError(404, `the signed manifests of region '${p[0]}' were not given to the control centre`);
      return bytes.map((b, epoch) => ({ epoch, manifest: toHex(b) }));
    },
  },
  {
    pattern: /^\/api\/anchoring$/,
    handler: async (ctx) => {
      const now = ctx.now();
      // A block is anchored when the wide-area chain anchored its hash at its height; an anchor of another hash at a
      // loaded height is a mismatch (the region showed the control centre and the wide-area tier different blocks).
      const rows = await ctx.db.query(
        `SELECT r.region, r.height, r.round_ms, r.genesis_ms,
                (SELECT MAX(b.height) FROM blocks b JOIN anchors a ON a.region = b.region AND a.height = b.height AND a.hash = b.hash WHERE b.region = r.region) AS anchored,
                (SELECT COUNT(*) FROM blocks b JOIN anchors a ON a.region = b.region AND a.height = b.height AND a.hash <> b.hash WHERE b.region = r.region) AS mismatched,
                (SELECT MAX(a.height) FROM anchors a WHERE a.region = r.region) AS anchors_to,
                (SELECT last_round FROM blocks b WHERE b.region = r.region AND b.height = r.height) AS last_round,
                (SELECT loaded_ms FROM blocks b WHERE b.region = r.region AND b.height = r.height) AS loaded_ms
           FROM regions r ORDER BY r.region`,
      );
      const lags = await ctx.db.query(
        `SELECT b.region, MAX(a.wide_end_ms - (r.genesis_ms + (b.last_round + 1) * r.round_ms)) AS worst, AVG(a.wide_end_ms - (r.genesis_ms + (b.last_round + 1) * r.round_ms))::float8 AS mean
           FROM blocks b JOIN anchors a ON a.region = b.region AND a.height = b.height AND a.hash = b.hash JOIN regions r ON r.region = b.region GROUP BY b.region`,
      );
      return rows.map((r) => {
        const height = r['height'] as number;
        const anchored = (r['anchored'] as number | null) ?? -1;
        const endMs = r['last_round'] === null ? null : (r['genesis_ms'] as number) + ((r['last_round'] as number) + 1) * (r['round_ms'] as number);
        const lag = lags.find((x) => x['region'] === r['region']);
        return {
          region: r['region'],
          height,
          anchoredHeight: anchored,
          unanchoredBlocks: height - anchored,
          anchorsUpTo: (r['anchors_to'] as number | null) ?? -1,
          mismatched: r['mismatched'],
          anchorLagMs: lag ? { mean: lag['mean'], worst: lag['worst'] } : null,
          tipEndMs: endMs,
          loadLagMs: endMs === null ? null : (r['loaded_ms'] as number) - endMs,
          ageMs: endMs === null ? null : now - endMs,
        };
      });
    },
  },
  {
    pattern: /^\/api\/evidence$/,
    handler: async (ctx) => {
      const rows = await ctx.db.query('SELECT region, kind, height, detail, bytes, found_ms FROM evidence ORDER BY found_ms, region, height');
      return rows.map((r) => ({ region: r['region'], kind: r['kind'], height: r['height'], detail: r['detail'], evidence: toHex(new Uint8Array(r['bytes'] as Uint8Array)), foundMs: r['found_ms'] }));
    },
  },
];

export async function handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} not allowed`);
    const path = url.pathname;
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      let parts: string[];
      try {
        parts = m.slice(1).map((x) => decodeURIComponent(x));
      } catch {
        throw new HttpError(400, 'malformed percent-encoding in the path');
      }
      send(res, 200, await r.handler(ctx, url, parts));
      return;
    }
    if (ctx.extra && (await ctx.extra(req, res, path))) return;
    throw new HttpError(404, `no such resource: ${path.slice(0, 100)}`);
  } catch (e) {
    if (e instanceof HttpError) send(res, e.status, { error: e.message });
    else send(res, 500, { error: (e as Error).message });
  }
}

export function createApiServer(ctx: ApiContext): Server {
  return createServer((req, res) => {
    void handle(ctx, req, res);
  });
}

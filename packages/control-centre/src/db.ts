// The control centre's database: PostgreSQL in production (`postgres://…`, the pg client) and an embedded Postgres
// (PGlite) by default, behind one small interface so that every statement is the same SQL on both.
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';

export type Row = { [column: string]: unknown };

export interface Database {
  /** Which engine: 'pglite' or 'postgres'. */
  readonly engine: string;
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs statements in one transaction: all or none. */
  transaction(run: (tx: { query(sql: string, params?: unknown[]): Promise<Row[]> }) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…` (or `postgresql://…`); absent: embedded PGlite. */
  url?: string;
  /** PGlite's data directory (absent: in memory). */
  dataDir?: string;
  /** A schema of its own to create and use (tests, several centres on one server). */
  schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** 64-bit integers and numerics (sums of bigint columns) come back as numbers on both engines: every value the
 * control centre keeps is below 2^53 (energies in Wh, times in ms). */
const toNumber = (v: string): number => Number(v);

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`database schema '${options.schema}' is not a plain lower-case SQL name`);
  const db = options.url ? await openPostgres(options.url) : await openPglite(options.dataDir);
  if (options.schema !== undefined) {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await db.query(`SET search_path TO ${options.schema}`);
  }
  return db;
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const parsers = { [pgliteTypes.INT8]: toNumber, [pgliteTypes.NUMERIC]: toNumber };
  const lite = dataDir ? new PGlite(dataDir, { parsers }) : new PGlite({ parsers });
  await lite.waitReady;
  const query = async (sql: string, params?: unknown[]): Promise<Row[]> => (await lite.query<Row>(sql, params ?? [])).rows;
  return {
    engine: 'pglite',
    query,
    transaction: async (run) => {
      await lite.transaction(async (tx) => {
        await run({ query: async (sql, params) => (await tx.query<Row>(sql, params ?? [])).rows });
      });
    },
    close: () => lite.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`database URL must start with postgres:// or postgresql://, got '${url}'`);
  const client = new pg.Client({
    connectionString: url,
    types: {
      getTypeParser: (oid: number, format?: string) => (oid === 20 || oid === 1700 ? toNumber : pg.types.getTypeParser(oid, format as 'text')),
    },
  });
  // A lost connection is reported by the next query; without a listener the error would end the process.
  client.on('error', () => undefined);
  await client.connect();
  const query = async (sql: string, params?: unknown[]): Promise<Row[]> => (await client.query(sql, params ?? [])).rows as Row[];
  // One connection, one statement at a time: a transaction must not interleave with another caller's statements.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f, f);
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    engine: 'postgres',
    query: (sql, params) => serial(() => query(sql, params)),
    transaction: (run) =>
      serial(async () => {
        await query('BEGIN');
        try {
          await run({ query });
          await query('COMMIT');
        } catch (e) {
          await query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }),
    close: () => client.end(),
  };
}

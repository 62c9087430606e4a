// The real PostgreSQL server tests load data into: 127.0.0.1:5432, database `test`, trust authentication (override
// with MC_TEST_POSTGRES). Each test takes a schema of its own and drops it, so runs never see each other's rows.
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.MC_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * Whether tests needing PostgreSQL can run: a server answers at TEST_POSTGRES_URL. Unreachable, it fails a CI run
 * (throws) and elsewhere returns false after a loud warning, so the caller skips.
 */
export async function requirePostgres(what: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (e) {
    const message = `PostgreSQL not reachable at ${TEST_POSTGRES_URL} (${(e as Error).message}): ${what} cannot run`;
    if (isCi()) throw new Error(`${message}; CI requires it`);
    console.warn(`\n!!! SKIPPED: ${message}\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let counter = 0;

/** A fresh schema name for one test (lower case, unique per process and call). */
export function scratchSchema(prefix: string): string {
  counter++;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** Drops a test's schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a plain schema name: '${schema}'`);
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

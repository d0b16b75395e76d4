/**
 * One query interface over two drivers: embedded PGlite (default, data in a local
 * folder) and PostgreSQL through `pg` (when a URL is given). The same SQL runs on both.
 */
import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import { UserError, errorMessage } from '../util/errors.js';

export interface QueryResult<T> {
  rows: T[];
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Db extends Queryable {
  readonly driver: 'pglite' | 'postgres';
  /** Runs several statements (a migration file). No parameters. */
  exec(sql: string): Promise<void>;
  /** Runs fn inside one transaction on one connection. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** postgres://... ; when absent, embedded PGlite under dataDir. */
  url?: string;
  dataDir?: string;
  /** pg only: schema to use (tests put each suite in its own schema). Created if missing. */
  schema?: string;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export async function openDb(opts: DbOptions): Promise<Db> {
  return opts.url ? openPostgres(opts.url, opts) : openPglite(opts.dataDir);
}

/** Hides the password in a database URL so it can go into a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

async function openPostgres(url: string, opts: DbOptions): Promise<Db> {
  const schema = opts.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new UserError(`invalid schema name '${schema}'`);
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    statement_timeout: opts.statementTimeoutMs ?? 60_000,
    max: 8,
    // search_path set per connection so a suite's schema isolates all unqualified names
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', () => {
    /* an idle client died; the next query reconnects or reports it */
  });
  try {
    const c = await pool.connect();
    try {
      if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      c.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new UserError(
      `cannot connect to PostgreSQL at ${redactUrl(url)}: ${errorMessage(err)}. Check DATABASE_URL / --db and that the server is running.`,
      2,
      { cause: err },
    );
  }
  return {
    driver: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows as T[] };
    },
    exec: async (sql: string) => {
      await pool.query(sql);
    },
    transaction: async <T>(fn: (tx: Queryable) => Promise<T>) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn({
          query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await c.query(sql, params as unknown[])).rows as R[] }),
        });
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) await mkdir(dataDir, { recursive: true });
  let db: InstanceType<typeof PGlite>;
  try {
    db = new PGlite(dataDir ? { dataDir } : {});
    await db.waitReady;
  } catch (err) {
    throw new UserError(
      `cannot open the embedded database in ${dataDir ?? 'memory'}: ${errorMessage(err)}. Is another casb process using it? Use --data-dir for a separate one.`,
      2,
      { cause: err },
    );
  }
  // PGlite is a single connection: serialise transactions so two callers never interleave inside one.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => {});
    return next;
  };
  return {
    driver: 'pglite',
    query: <T>(sql: string, params?: unknown[]) =>
      serial(async () => ({ rows: (await db.query<T>(sql, params)).rows })),
    exec: (sql: string) => serial(async () => void (await db.exec(sql))),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      serial(() =>
        db.transaction(async (tx) =>
          fn({ query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await tx.query<R>(sql, params)).rows }) }),
        ),
      ),
    close: () => serial(() => db.close()),
  };
}

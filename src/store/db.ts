/**
 * One query interface over two drivers: embedded PGlite (default, data in a local
 * folder) and PostgreSQL through `pg` (when a URL is given). The same SQL runs on both.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
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

/**
 * PGlite is one process's database: a second process opening the same folder (a `casb findings`
 * while a scan runs) can corrupt it for good. So the folder is locked while it is open, by a
 * `<dir>.lock` file holding host and pid. Written here rather than with proper-lockfile: that one
 * decides staleness by time, so a scan killed with SIGKILL would block its own resume for the stale
 * period; for a local folder the holder's pid says exactly whether the lock is still held.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = `${dataDir.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as typeof holder;
    } catch {
      // empty or half-written: its writer died between create and write, or is writing right now
      const age = Date.now() - (await stat(file).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < 5_000) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
    }
    const stale = !holder.pid || (holder.host === os.hostname() && holder.pid !== process.pid && !processAlive(holder.pid));
    if (!stale) {
      throw new UserError(
        `the embedded database in ${dataDir} is in use by another casb process (pid ${holder.pid}${holder.host && holder.host !== os.hostname() ? ` on ${holder.host}` : ''}). Wait for it to finish, give this one its own --data-dir, or use PostgreSQL (DATABASE_URL) for concurrent access.`,
        2,
      );
    }
    await rm(file, { force: true }); // its process is gone: take the lock over
  }
  throw new UserError(`cannot lock the embedded database in ${dataDir} (${file}). Remove the file if no casb process is running.`, 2);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string | undefined): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const unlock = dataDir ? await lockDataDir(dataDir) : async () => {};
  let db: InstanceType<typeof PGlite>;
  try {
    db = new PGlite(dataDir ? { dataDir } : {});
    await db.waitReady;
  } catch (err) {
    await unlock().catch(() => {});
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
    close: () =>
      serial(async () => {
        try {
          await db.close();
        } finally {
          await unlock().catch(() => {});
        }
      }),
  };
}

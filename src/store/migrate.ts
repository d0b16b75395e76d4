/**
 * Applies migrations/NNNN_name.sql in order, in one transaction, and records
 * name + sha256 in schema_migrations. An already-applied file whose contents changed is
 * an error (migrations are forward-only).
 *
 * Written here rather than taken from a library: the maintained runners (node-pg-migrate,
 * postgres-migrations) drive a `pg` client, and PGlite is not one; this is ~40 lines of SQL
 * that serves both drivers through the Db interface.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Db } from './db.js';
import { UserError } from '../util/errors.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const sources = await Promise.all(files.map(async (name) => {
    const sql = await readFile(path.join(dir, name), 'utf8');
    return { name, sql, sha: createHash('sha256').update(sql).digest('hex') };
  }));
  // One transaction under one advisory lock: a second process migrating at the same moment
  // waits, then finds everything applied. PostgreSQL's DDL is transactional, so a failing
  // migration leaves the schema as it was.
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727274)');
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map(
      (await tx.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM schema_migrations')).rows.map((r) => [r.name, r.sha256]),
    );
    const applied: string[] = [];
    for (const m of sources) {
      const seen = done.get(m.name);
      if (seen) {
        if (seen !== m.sha) {
          throw new UserError(
            `the database's migration ${m.name} differs from this version's (it was changed after it was applied). Use a database made by this version, or add a new migration instead of editing an applied one.`,
          );
        }
        continue;
      }
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [m.name, m.sha]);
      applied.push(m.name);
    }
    return applied;
  });
}

/** Splits a migration into statements on `;` at line ends. Our migrations keep to that form (no function bodies). */
function splitStatements(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, '')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

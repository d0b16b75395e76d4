/**
 * Applies migrations/NNNN_name.sql in order, each in its own transaction, and records
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

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const done = new Map(
    (await db.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM schema_migrations')).rows.map((r) => [r.name, r.sha256]),
  );
  const applied: string[] = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    const sha = createHash('sha256').update(sql).digest('hex');
    const seen = done.get(file);
    if (seen) {
      if (seen !== sha) throw new Error(`migration ${file} was changed after it was applied; add a new migration instead`);
      continue;
    }
    await db.transaction(async (tx) => {
      // Two processes migrating at once: the loser waits here, then finds the row and skips.
      await tx.query('SELECT pg_advisory_xact_lock(727274)');
      const again = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [file]);
      if (again.rows.length) return;
      for (const stmt of splitStatements(sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [file, sha]);
      applied.push(file);
    });
  }
  return applied;
}

/** Splits a migration into statements on `;` at line ends. Our migrations keep to that form (no function bodies). */
function splitStatements(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, '')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The store on both drivers: migrations applied once and recorded, upserts on natural keys.
 * PostgreSQL-only checks are skipped (and say so) when DATABASE_URL is not set.
 */
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { openDb } from '../src/store/db.js';
import { migrate, MIGRATIONS_DIR } from '../src/store/migrate.js';
import { openStore, type ItemRecord } from '../src/store/index.js';
import { PG_URL, tempDir, testStoreOptions } from './helpers/env.js';

const item = (over: Partial<ItemRecord> = {}): ItemRecord => ({
  externalId: 'k1', path: '/k1', size: 10, etag: 'e1', modifiedAt: null, contentType: 'image/png', contentSha256: 'a'.repeat(64),
  modelVersion: 'm@1', policyVersion: 'p@1', outcome: 'scanned', outcomeDetail: null, label: 'passport', score: 0.9, scores: { passport: 0.9 },
  exposure: null, exposureDetails: null, ...over,
});
const finding = { label: 'passport', score: 0.9, entityType: '', valueHash: '', redactedValue: null, boxes: [], explanation: {}, severity: 'high' };

test('migrations apply once, are recorded, and re-opening is a no-op', async (t) => {
  const so = await testStoreOptions(t);
  const s1 = await openStore(so);
  const rows = (await s1.db.query<{ name: string }>('SELECT name FROM schema_migrations')).rows;
  assert.deepEqual(rows.map((r) => r.name), ['0001_init.sql', '0002_policy_version.sql', '0003_changes.sql', '0004_remediation.sql', '0005_verdict_cache.sql']);
  assert.deepEqual(await migrate(s1.db), []);
  await s1.close();
  const s2 = await openStore(so);
  assert.equal((await s2.db.query('SELECT name FROM schema_migrations')).rows.length, 5);
  await s2.close();
});

test('a migration edited after it was applied is refused', async (t) => {
  const so = await testStoreOptions(t);
  const store = await openStore(so);
  t.after(() => store.close());
  const dir = await tempDir(t);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  await writeFile(path.join(dir, '0001_init.sql'), '-- edited\nSELECT 1;\n');
  await assert.rejects(migrate(store.db, dir), /was changed after it was applied/);
});

test('items and findings are upserts on their natural keys; stale findings resolve', async (t) => {
  const so = await testStoreOptions(t);
  const store = await openStore(so);
  t.after(() => store.close());
  const src = await store.upsertSource('file:///x', 'local');
  assert.equal(await store.upsertSource('file:///x', 'local'), src);
  const r1 = await store.startRun(src, 'cli', 'm@1');
  await store.recordItem(src, r1, item(), [finding]);
  await store.recordItem(src, r1, item({ size: 11 }), [finding]);
  const r2 = await store.startRun(src, 'cli', 'm@1');
  await store.recordItem(src, r2, item({ etag: 'e2' }), [{ ...finding, score: 0.95 }]);
  const count = async (table: string) => Number((await store.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  assert.equal(await count('items'), 1);
  assert.equal(await count('findings'), 1);
  const [f] = await store.listFindings({});
  assert.equal(f!.score.toFixed(2), '0.95');
  // the item is re-scanned and no longer looks like a passport: its finding resolves, and is not deleted
  const r3 = await store.startRun(src, 'cli', 'm@1');
  await store.recordItem(src, r3, item({ etag: 'e3', label: 'other' }), []);
  assert.equal((await store.listFindings({ status: 'open' })).length, 0);
  assert.equal((await store.listFindings({ status: 'resolved' })).length, 1);
  // and opens again if it comes back
  const r4 = await store.startRun(src, 'cli', 'm@1');
  await store.recordItem(src, r4, item({ etag: 'e4' }), [finding]);
  assert.equal((await store.listFindings({ status: 'open' })).length, 1);
  assert.equal(await count('findings'), 1);
});

test('PostgreSQL: two processes migrating one database at once apply each migration exactly once', { skip: PG_URL ? false : 'needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it' }, async (t) => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const a = await openDb({ url: PG_URL, schema });
  const b = await openDb({ url: PG_URL, schema });
  t.after(async () => {
    await a.exec(`DROP SCHEMA ${schema} CASCADE`);
    await a.close();
    await b.close();
  });
  const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
  assert.deepEqual([...ra, ...rb].sort(), ['0001_init.sql', '0002_policy_version.sql', '0003_changes.sql', '0004_remediation.sql', '0005_verdict_cache.sql']);
  assert.equal((await a.query('SELECT * FROM schema_migrations')).rows.length, 5);
});

test('PostgreSQL: the statement timeout is applied to every connection', { skip: PG_URL ? false : 'needs PostgreSQL: set DATABASE_URL to run it' }, async (t) => {
  const db = await openDb({ url: PG_URL, statementTimeoutMs: 200 });
  t.after(() => db.close());
  await assert.rejects(db.query('SELECT pg_sleep(2)'), /statement timeout/);
});

test('the embedded database is locked while open: a second process gets one clear line, and the lock goes with close', async (t) => {
  const dataDir = await tempDir(t, 'casb-lock-');
  // db: '' = the embedded database even when DATABASE_URL is set (the lock is PGlite's)
  const a = await openStore({ dataDir, db: '' });
  await assert.rejects(openStore({ dataDir, db: '' }), /the embedded database in .* is in use by another casb process \(pid \d+\)\. Wait for it to finish/);
  await a.close();
  const b = await openStore({ dataDir, db: '' });
  await b.close();
});

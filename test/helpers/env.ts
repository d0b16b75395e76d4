/**
 * Shared test plumbing: temp folders, the database under test, a small real model.
 *
 * The suite runs against PGlite by default and against real PostgreSQL when DATABASE_URL
 * is set (.ci/run does both); each test then gets its own schema, dropped afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { writeDevModel } from '../../src/model/dev-head.js';
import { openDb } from '../../src/store/db.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const PG_URL = process.env.DATABASE_URL || undefined;

export async function tempDir(t: { after: (fn: () => Promise<void> | void) => void }, prefix = 'casb-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Store options for one test: a fresh PGlite folder, or a fresh schema on DATABASE_URL. */
export async function testStoreOptions(t: { after: (fn: () => Promise<void> | void) => void }): Promise<StoreOptions & { label: string }> {
  if (PG_URL) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    // created up front, so a child process given only a URL with search_path finds it
    const db = await openDb({ url: PG_URL, schema });
    await db.close();
    t.after(async () => {
      const s = await openStore({ db: PG_URL, schema });
      await s.db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await s.close();
    });
    // the data dir still holds the per-installation hash key and the OCR cache
    return { db: PG_URL, schema, dataDir: await tempDir(t, 'casb-data-'), label: 'postgres' };
  }
  return { dataDir: await tempDir(t, 'casb-db-'), label: 'pglite' };
}

export async function testStore(t: TestContext): Promise<Store> {
  const store = await openStore(await testStoreOptions(t));
  t.after(() => store.close());
  return store;
}

let devModel: Promise<string> | undefined;
/**
 * A real ONNX model (the real backbone plus a seeded random head), for tests of the plumbing
 * where the label does not matter. Tests of the label use the shipped model.
 */
export function devModelDir(): Promise<string> {
  devModel ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'casb-devmodel-'));
    process.once('exit', () => void rm(dir, { recursive: true, force: true }));
    await writeDevModel(dir, { thresholds: { passport: 0, id_card: 0, ssn_card: 0, payment_card: 0 } });
    return dir;
  })();
  return devModel;
}

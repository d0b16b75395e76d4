/**
 * The scan pipeline over the local connector, end to end: real files, real sharp decode,
 * real ONNX inference, real store (PGlite, or PostgreSQL when DATABASE_URL is set).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile, utimes, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { scanSource } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import { pathToFileURL } from 'node:url';
import { bmpImage, corruptJpeg, HTML_AS_JPG, jpegImage, pngImage } from './helpers/images.js';
import { devModelDir, tempDir, testStoreOptions } from './helpers/env.js';

async function fixtureFolder(dir: string) {
  await mkdir(path.join(dir, 'sub dir', 'ünï'), { recursive: true });
  const files: Record<string, Buffer> = {
    'a.png': await pngImage(1),
    'b.jpg': await jpegImage(2),
    'sub dir/c 1+2%.png': await pngImage(3),
    'sub dir/ünï/d.jpeg': await jpegImage(4),
    'no-extension': await pngImage(5), // type comes from magic bytes, not the name
    'corrupt.jpg': await corruptJpeg(),
    'page.jpg': HTML_AS_JPG,
    'empty.png': Buffer.alloc(0),
    'old.bmp': bmpImage(),
    'notes.txt': Buffer.from('hello '.repeat(1000)),
  };
  for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(dir, name), bytes);
  return files;
}

const EXPECTED: Record<string, string> = {
  'a.png': 'scanned',
  'b.jpg': 'scanned',
  'sub dir/c 1+2%.png': 'scanned',
  'sub dir/ünï/d.jpeg': 'scanned',
  'no-extension': 'scanned',
  'corrupt.jpg': 'failed:corrupt',
  'page.jpg': 'skipped:not_image',
  'empty.png': 'skipped:empty',
  'old.bmp': 'skipped:unsupported_format',
  'notes.txt': 'skipped:not_image',
};

test('every listed item gets exactly one outcome, and bad input never stops the scan', async (t) => {
  const dir = await tempDir(t);
  await fixtureFolder(dir);
  const so = await testStoreOptions(t);
  const modelDir = await devModelDir();
  const s1 = await scanSource(dir, { ...so, modelDir });
  assert.equal(s1.status, 'completed');
  assert.equal(s1.listed, 10);
  assert.equal(s1.scanned, 5);
  assert.deepEqual(s1.failed, { corrupt: 1 });
  assert.deepEqual(s1.skipped, { not_image: 2, empty: 1, unsupported_format: 1 });

  const store = await openStore(so);
  t.after(() => store.close());
  const rows = await store.itemOutcomes(pathToFileURL(dir).href);
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.externalId, r.outcome])), EXPECTED);
  for (const r of rows.filter((x) => x.outcome === 'scanned')) {
    assert.match(r.contentSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok(r.label);
  }
});

test('a rescan of an unchanged folder downloads nothing and keeps the same rows; a changed file alone is rescanned', async (t) => {
  const dir = await tempDir(t);
  await fixtureFolder(dir);
  const so = await testStoreOptions(t);
  const modelDir = await devModelDir();
  await scanSource(dir, { ...so, modelDir });
  const store = await openStore(so);
  t.after(() => store.close());
  const uri = pathToFileURL(dir).href;
  const findings1 = await store.listFindings({ source: uri });
  const items1 = await store.itemOutcomes(uri);

  const s2 = await scanSource(dir, { ...so, modelDir, store });
  assert.equal(s2.downloaded, 0);
  assert.equal(s2.scanned, 0);
  assert.deepEqual(s2.skipped, { unchanged: 10 });
  assert.deepEqual(await store.itemOutcomes(uri), items1);
  const findings2 = await store.listFindings({ source: uri });
  assert.deepEqual(findings2.map((f) => [f.id, f.label, f.path]), findings1.map((f) => [f.id, f.label, f.path]));

  // Rewrite one file with other content and a new mtime: only it is downloaded again.
  const changed = path.join(dir, 'a.png');
  await writeFile(changed, await pngImage(42, 80));
  const later = new Date(Date.now() + 5000);
  await utimes(changed, later, later);
  const s3 = await scanSource(dir, { ...so, modelDir, store });
  assert.equal(s3.downloaded, 1);
  assert.equal(s3.scanned, 1);
  const items3 = await store.itemOutcomes(uri);
  assert.equal(items3.length, items1.length);
  const before = items1.find((i) => i.externalId === 'a.png')!;
  const after = items3.find((i) => i.externalId === 'a.png')!;
  assert.notEqual(after.contentSha256, before.contentSha256);

  // A deleted file is simply no longer listed; nothing crashes.
  await rm(path.join(dir, 'b.jpg'));
  const s4 = await scanSource(dir, { ...so, modelDir, store });
  assert.equal(s4.listed, 9);
});

test('findings are upserts: label findings are raised once per item and re-scans never duplicate them', async (t) => {
  const dir = await tempDir(t);
  for (let i = 0; i < 6; i++) await writeFile(path.join(dir, `img${i}.png`), await pngImage(i + 10, 96));
  const so = await testStoreOptions(t);
  const modelDir = await devModelDir();
  const store = await openStore(so);
  t.after(() => store.close());
  const s1 = await scanSource(dir, { ...so, modelDir, store, restart: true });
  // the dev model has zero thresholds, so every image whose top label is sensitive yields one finding
  const uri = pathToFileURL(dir).href;
  const items = await store.itemOutcomes(uri);
  const sensitive = items.filter((i) => ['passport', 'id_card', 'ssn_card', 'payment_card'].includes(i.label ?? ''));
  assert.equal(s1.findings, sensitive.length);
  const count = async () => Number((await store.db.query<{ n: string }>('SELECT count(*) AS n FROM findings')).rows[0]!.n);
  assert.equal(await count(), sensitive.length);
  // force a full re-analysis (different etag for every file) and check the counts hold
  await store.db.query(`UPDATE items SET etag = 'stale'`);
  const s2 = await scanSource(dir, { ...so, modelDir, store });
  assert.equal(s2.scanned, 6);
  assert.equal(await count(), sensitive.length);
});

test("casb's own data dir inside the scanned folder (`casb scan .`) is never listed", async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'a.png'), await pngImage(11));
  await mkdir(path.join(dir, '.casb'), { recursive: true });
  await writeFile(path.join(dir, '.casb', 'stray.png'), await pngImage(12)); // as if casb had written an image there
  const so = await testStoreOptions(t);
  const dataDir = path.join(dir, '.casb');
  const s1 = await scanSource(dir, { ...so, dataDir, modelDir: await devModelDir(), ocr: false });
  assert.equal(s1.listed, 1, 'only a.png: not the database, the hash key or anything else under .casb');
  const store = await openStore({ ...so, dataDir });
  t.after(() => store.close());
  assert.deepEqual((await store.itemOutcomes(pathToFileURL(dir).href)).map((r) => r.externalId), ['a.png']);
});

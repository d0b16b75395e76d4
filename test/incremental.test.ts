/**
 * Incremental scans through the real pipeline and store: after 3 adds, 1 edit and 1 delete on a
 * source of 2,000 items, the next scan downloads exactly the 4 new or changed items and marks the
 * deleted one gone. Here for a local folder (no change feed: a complete full listing marks what it
 * no longer lists as gone); the change-feed connectors run the same scenario in their own tests.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { scanSource } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import { pngImage } from './helpers/images.js';
import { devModelDir, tempDir, testStoreOptions } from './helpers/env.js';

const N = 2000;

test('local folder of 2,000 items: 3 adds, 1 edit, 1 delete → 4 downloads and 1 gone', async (t) => {
  const root = await tempDir(t, 'casb-incr-');
  const so = await testStoreOptions(t);
  const modelDir = await devModelDir();
  // mostly small text files (skipped:not_image after sniffing — cheap), a few real images
  for (let i = 0; i < N; i++) {
    const dir = path.join(root, `d${i % 20}`);
    await mkdir(dir, { recursive: true });
    if (i % 400 === 0) await writeFile(path.join(dir, `img${i}.png`), await pngImage(i));
    else await writeFile(path.join(dir, `n${i}.txt`), `note ${i}\n`);
  }
  const store = await openStore(so);
  t.after(() => store.close());
  const base = { ...so, modelDir, store, ocr: false };

  const s1 = await scanSource(root, { ...base, changes: true });
  assert.equal(s1.listed, N);
  assert.equal(s1.downloaded, N);
  assert.equal(s1.mode, 'full');
  assert.match(s1.fullBecause ?? '', /no change feed/);

  await writeFile(path.join(root, 'd0', 'added1.txt'), 'new 1\n');
  await writeFile(path.join(root, 'd1', 'added2.txt'), 'new 2\n');
  await writeFile(path.join(root, 'd2', 'added3.png'), await pngImage(9001));
  await writeFile(path.join(root, 'd3', 'n3.txt'), 'note 3, edited to be longer\n');
  await rm(path.join(root, 'd4', 'n4.txt'));

  const s2 = await scanSource(root, { ...base, changes: true });
  assert.equal(s2.status, 'completed');
  assert.equal(s2.downloaded, 4, 'only the 3 new and 1 edited items are downloaded');
  assert.equal(s2.deleted, 1);
  assert.equal(s2.skipped.unchanged, N - 2);
  const outcomes = new Map((await store.itemOutcomes(s2.source)).map((o) => [o.externalId, o.outcome]));
  assert.equal(outcomes.get('d4/n4.txt'), 'skipped:gone');
  assert.equal(outcomes.get('d2/added3.png'), 'scanned');
  assert.equal(outcomes.get('d3/n3.txt'), 'skipped:not_image');

  // the file comes back: it is scanned again (not left as gone, not skipped as unchanged)
  await writeFile(path.join(root, 'd4', 'n4.txt'), 'note 4\n');
  const s3 = await scanSource(root, { ...base });
  assert.equal(s3.downloaded, 1);
  assert.equal(s3.deleted, 0);
  const again = new Map((await store.itemOutcomes(s3.source)).map((o) => [o.externalId, o.outcome]));
  assert.equal(again.get('d4/n4.txt'), 'skipped:not_image');
});

test('a resumed full listing does not mark anything gone (it did not see the part before its cursor)', async (t) => {
  const root = await tempDir(t, 'casb-incr-resume-');
  const so = await testStoreOptions(t);
  const modelDir = await devModelDir();
  for (let i = 0; i < 450; i++) await writeFile(path.join(root, `n${String(i).padStart(4, '0')}.txt`), `note ${i}\n`);
  const store = await openStore(so);
  t.after(() => store.close());
  const ac = new AbortController();
  let done = 0;
  const s1 = await scanSource(root, {
    ...so, modelDir, store, ocr: false, signal: ac.signal,
    onProgress: (p) => {
      done = p.done;
      if (done >= 250) ac.abort();
    },
  });
  assert.equal(s1.status, 'interrupted');
  const s2 = await scanSource(root, { ...so, modelDir, store, ocr: false });
  assert.ok(s2.resumedFrom, 'resumed');
  assert.equal(s2.deleted, 0);
  const outcomes = await store.itemOutcomes(s2.source);
  assert.equal(outcomes.filter((o) => o.outcome === 'skipped:gone').length, 0);
  assert.equal(outcomes.length, 450);
});

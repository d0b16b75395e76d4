/**
 * The content-hash verdict cache: identical bytes seen again, in any source, reuse the stored
 * verdict (label, scores, findings) without decode, inference or OCR — only while the analysis
 * would be the same (model version, policy version, OCR on or off).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_POLICY } from '../src/policy/policy.js';
import { scanSource } from '../src/scan-source.js';
import { openStore, type Store } from '../src/store/index.js';
import { tempDir, testStore, testStoreOptions } from './helpers/env.js';
import sharp from 'sharp';
import { jpegImage } from './helpers/images.js';
import { cardPhoto } from './hostile-corpus.js';
import { listModels, newestModel } from '../src/model/select.js';

async function rows(store: Store, dir: string) {
  const r = await store.db.query<{ external_id: string; outcome: string; outcome_detail: string | null; label: string | null; scores: Record<string, number> | null; verdict_key: string | null }>(
    'SELECT i.external_id, i.outcome, i.outcome_detail, i.label, i.scores, i.verdict_key FROM items i JOIN sources s ON s.id = i.source_id WHERE s.uri = $1 ORDER BY i.external_id',
    [pathToFileURL(dir).href],
  );
  return new Map(r.rows.map((x) => [x.external_id, x]));
}

test('identical bytes in another source reuse the verdict and its findings; a new policy or OCR setting does not', async (t) => {
  const a = await tempDir(t, 'casb-verdict-a-');
  const b = await tempDir(t, 'casb-verdict-b-');
  // card photos (payment-card findings to copy), each a little brighter so that no two are the same bytes
  const card = await cardPhoto();
  for (let i = 0; i < 4; i++) await writeFile(path.join(a, `img${i}.png`), await sharp(card).modulate({ brightness: 1 + 0.04 * i }).png().toBuffer());
  // b: copies of three of them under other names, and one image seen nowhere else
  for (let i = 0; i < 3; i++) await copyFile(path.join(a, `img${i}.png`), path.join(b, `copy-of-${i}.png`));
  await writeFile(path.join(b, 'new.jpg'), await jpegImage(77, 96));

  const so = await testStoreOptions(t);
  const store = await openStore(so);
  t.after(() => store.close());
  const shipped = newestModel((await listModels()).filter((m) => m.root === 'shipped'))!;
  const base = { ...so, store, modelDir: shipped.dir, ocr: false };

  const sa = await scanSource(a, base);
  assert.equal(sa.scanned, 4);
  assert.equal(sa.verdictsReused, 0);

  const sb = await scanSource(b, base);
  assert.equal(sb.scanned, 4);
  assert.equal(sb.verdictsReused, 3, 'the three copies reuse the verdict; the new image is analysed');
  const ra = await rows(store, a);
  const rb = await rows(store, b);
  for (let i = 0; i < 3; i++) {
    const orig = ra.get(`img${i}.png`)!;
    const copy = rb.get(`copy-of-${i}.png`)!;
    assert.equal(copy.outcome, 'scanned');
    assert.match(copy.outcome_detail ?? '', /verdict reused: same content as item \d+/);
    assert.equal(copy.label, orig.label);
    assert.deepEqual(copy.scores, orig.scores);
    assert.equal(copy.verdict_key, orig.verdict_key);
  }
  assert.equal(rb.get('new.jpg')!.outcome_detail, null, 'analysed, not reused');
  // the copies' findings are their own rows, with the originals' labels, scores and severities
  const findingsOf = async (dir: string) =>
    (await store.listFindings({ source: pathToFileURL(dir).href })).map((f) => `${path.basename(f.path).replace(/^(img|copy-of-)/, '')}|${f.label}|${f.score}|${f.severity}`).sort();
  const fa = (await findingsOf(a)).filter((x) => !x.startsWith('3.png'));
  const fb = (await findingsOf(b)).filter((x) => !x.startsWith('new.jpg'));
  assert.ok(fa.length >= 3, `the card photos raised findings to copy (${fa.length})`);
  assert.deepEqual(fb, fa);

  // a changed policy is another analysis: nothing reused
  const c = await tempDir(t, 'casb-verdict-c-');
  await copyFile(path.join(a, 'img0.png'), path.join(c, 'again.png'));
  const policy = { ...DEFAULT_POLICY, ocr: { ...DEFAULT_POLICY.ocr, minScore: DEFAULT_POLICY.ocr.minScore + 0.01 } };
  const sc = await scanSource(c, { ...base, policy });
  assert.equal(sc.verdictsReused, 0, 'another policy version');
  // and so is a run with OCR: the OCR-less verdict lacks what OCR would have found
  const d = await tempDir(t, 'casb-verdict-d-');
  await copyFile(path.join(a, 'img1.png'), path.join(d, 'again.png'));
  const sd = await scanSource(d, { ...base, ocr: true });
  assert.equal(sd.verdictsReused, 0, 'OCR on vs off');
  // switched off: analysed again
  const e = await tempDir(t, 'casb-verdict-e-');
  await copyFile(path.join(a, 'img2.png'), path.join(e, 'again.png'));
  assert.equal((await scanSource(e, { ...base, verdictCache: false })).verdictsReused, 0);
});

test('the store hands back exactly the findings of the analysis that set the verdict, entity findings included', async (t) => {
  const store = await testStore(t);
  const src = await store.upsertSource('file:///verdict-test', 'local');
  const run1 = await store.startRun(src, 'test', 'm1', undefined, 'p1', 'full');
  const item = (id: string, key: string | null) => ({
    externalId: id, path: `/verdict-test/${id}`, size: 10, etag: 'e', modifiedAt: null, contentType: 'image/png', contentSha256: 'ab'.repeat(32),
    modelVersion: 'm1', policyVersion: 'p1', outcome: 'scanned', outcomeDetail: null, label: 'payment_card', score: 0.9,
    scores: { payment_card: 0.9, other: 0.1 }, exposure: null, exposureDetails: null, verdictKey: key,
  });
  const label = { label: 'payment_card', score: 0.9, entityType: '', valueHash: '', redactedValue: null, boxes: [], explanation: { summary: 'payment_card 0.90' }, severity: 'high' };
  const pan = { label: 'payment_card', score: 0.95, entityType: 'payment_card_number', valueHash: 'f'.repeat(64), redactedValue: '**** **** **** 1111', boxes: [{ x: 1, y: 2, w: 3, h: 4 }], explanation: { summary: 'Luhn valid' }, severity: 'high' };
  await store.recordItem(src, run1, item('a.png', 'm1|p1|ocr:on'), [label, pan]);
  // an OCR-less rescan keeps the entity finding open but is not the verdict under the OCR key
  const got = await store.cachedVerdict('ab'.repeat(32), 'm1|p1|ocr:on');
  assert.ok(got);
  assert.equal(got.label, 'payment_card');
  assert.deepEqual(got.findings.map((f) => [f.entityType, f.redactedValue, f.valueHash]).sort(), [['', null, ''], ['payment_card_number', '**** **** **** 1111', 'f'.repeat(64)]]);
  assert.deepEqual(got.findings.find((f) => f.entityType)!.boxes, [{ x: 1, y: 2, w: 3, h: 4 }]);
  assert.equal(await store.cachedVerdict('ab'.repeat(32), 'm1|p1|ocr:off'), undefined, 'another key');
  assert.equal(await store.cachedVerdict('cd'.repeat(32), 'm1|p1|ocr:on'), undefined, 'other bytes');
  // an item whose last analysis did not complete carries no key: not a verdict
  const run2 = await store.startRun(src, 'test', 'm1', undefined, 'p1', 'full');
  await store.recordItem(src, run2, { ...item('a.png', null), outcome: 'failed:ocr_timeout' }, [label], { keepOtherFindings: true });
  assert.equal(await store.cachedVerdict('ab'.repeat(32), 'm1|p1|ocr:on'), undefined);
});

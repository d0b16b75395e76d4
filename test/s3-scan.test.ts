/**
 * End to end over S3: scanSource('s3://bucket') against a real S3 server (s3rver, or Ceph
 * RGW when S3_ENDPOINT is set), through the fault proxy so one object answers AccessDenied
 * and one is listed as GLACIER, with a fresh store (PGlite temp folder, or a schema on
 * DATABASE_URL) and the real pipeline (sniff, sharp decode, ONNX dev model).
 *
 * Most of the 1,200+ objects are tiny non-images: they are skipped by magic-byte sniffing,
 * which keeps the paging part cheap.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { scanSource } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import { isFinal } from '../src/pipeline/outcome.js';
import { corruptJpeg, HTML_AS_JPG, jpegImage, pngImage } from './helpers/images.js';
import { devModelDir, testStoreOptions } from './helpers/env.js';
import { createBucket, s3Client, seedBucket, startS3, uniqueBucket, useS3Env } from './helpers/s3server.js';
import type { S3TestServer, SeedObject } from './helpers/s3server.js';
import { on, startFaultProxy } from './helpers/s3proxy.js';
import type { FaultProxy } from './helpers/s3proxy.js';

const BULK = 1200;
const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 };

let server: S3TestServer;
let client: S3Client;
let proxy: FaultProxy;
let restoreEnv: () => void;

before(async () => {
  server = await startS3();
  restoreEnv = useS3Env(server); // the connector uses the standard credential chain
  client = s3Client(server);
  proxy = await startFaultProxy(server.endpoint);
});

after(async () => {
  client?.destroy();
  await proxy?.stop();
  await server?.stop();
  restoreEnv?.();
});

test('scan of an S3 bucket: one outcome per object, rescans download only what changed', async (t) => {
  const t0 = Date.now();
  const bucket = uniqueBucket('scan');
  const source = `s3://${bucket}`;
  await createBucket(client, bucket);

  const expected: Record<string, string> = {};
  const objects: SeedObject[] = [];
  const add = (key: string, body: string | Uint8Array, outcome: string, contentType = 'application/octet-stream') => {
    objects.push({ key, body, contentType });
    expected[key] = outcome;
  };
  for (let i = 0; i < BULK; i++) add(`bulk/note-${String(i).padStart(5, '0')}.txt`, `note ${i}\n`, 'skipped:not_image', 'text/plain');
  add('img/plain.png', await pngImage(1), 'scanned', 'image/png');
  add('img/a b.png', await pngImage(2), 'scanned', 'image/png');
  add('img/a+b.jpg', await jpegImage(3), 'scanned', 'image/jpeg');
  add('img/100%.png', await pngImage(4), 'scanned', 'image/png');
  add('img/ünïcødé 日本語.jpg', await jpegImage(5), 'scanned', 'image/jpeg');
  add('img/changing.png', await pngImage(6), 'scanned', 'image/png');
  add('img/corrupt.jpg', await corruptJpeg(), 'failed:corrupt', 'image/jpeg');
  add('img/page.jpg', HTML_AS_JPG, 'skipped:not_image', 'image/jpeg'); // HTML named .jpg, typed image/jpeg
  add('img/cold.jpg', await jpegImage(8), 'skipped:archived', 'image/jpeg');
  add('img/denied.jpg', await jpegImage(9), 'failed:access_denied', 'image/jpeg');
  objects.push({ key: 'img/', body: '' }); // a folder marker: not an item
  await seedBucket(client, bucket, objects, 16);
  t.diagnostic(`seeded ${objects.length} objects on ${server.kind} in ${Date.now() - t0} ms`);

  // s3rver and RGW (without STORAGE_CLASSES) cannot list GLACIER: the proxy rewrites the real
  // ListObjectsV2 answer for that key. AccessDenied comes from the proxy too.
  proxy.reset();
  proxy.listRewrites.set('img/cold.jpg', { storageClass: 'GLACIER' });
  proxy.faults.push({ match: on.getObject('img/denied.jpg'), action: 'deny' });

  const so = await testStoreOptions(t);
  const modelDir = await devModelDir();
  const store = await openStore(so);
  t.after(() => store.close());
  const scan = () => scanSource(source, { ...so, store, modelDir, endpoint: proxy.endpoint, retry: FAST_RETRY, concurrency: 16 });
  const getsOf = () => [...new Set(proxy.log.filter((r) => r.method === 'GET' && r.key !== undefined).map((r) => r.key!))].sort();

  // ---- first scan
  let t1 = Date.now();
  const s1 = await scan();
  t.diagnostic(`scan 1: ${Date.now() - t1} ms, ${JSON.stringify({ listed: s1.listed, scanned: s1.scanned, skipped: s1.skipped, failed: s1.failed, downloaded: s1.downloaded })}, timings ${JSON.stringify(s1.timings)}`);
  assert.equal(s1.status, 'completed');
  assert.equal(s1.listed, BULK + 10);
  assert.equal(s1.scanned, 6);
  assert.deepEqual(s1.skipped, { not_image: BULK + 1, archived: 1 });
  assert.deepEqual(s1.failed, { corrupt: 1, access_denied: 1 });
  assert.ok(!getsOf().includes('img/cold.jpg'), 'an archived object is never fetched');
  assert.equal(proxy.log.filter((r) => r.key === 'img/denied.jpg').length, 1, 'AccessDenied is not retried');

  const rows1 = await store.itemOutcomes(source);
  const ids = rows1.map((r) => r.externalId);
  assert.equal(new Set(ids).size, ids.length, 'exactly one row per item');
  assert.deepEqual(Object.fromEntries(rows1.map((r) => [r.externalId, r.outcome])), expected);
  for (const r of rows1) assert.match(r.etag, /^[0-9a-f]{32}(-\d+)?$/, `etag of ${r.externalId} is stored without quotes`);

  // ---- second scan, nothing changed: only non-final failures (by the pipeline's rule) are tried again
  const retried = rows1.filter((r) => !isFinal(r.outcome)).map((r) => r.externalId).sort();
  assert.deepEqual(retried, retried.filter((k) => k === 'img/denied.jpg'), 'only the access-denied item may be retried');
  proxy.log.length = 0;
  t1 = Date.now();
  const s2 = await scan();
  t.diagnostic(`scan 2: ${Date.now() - t1} ms, downloaded ${s2.downloaded}, skipped ${JSON.stringify(s2.skipped)}`);
  assert.equal(s2.status, 'completed');
  assert.equal(s2.listed, BULK + 10);
  assert.equal(s2.downloaded, retried.length, 'an unchanged bucket downloads nothing (beyond retrying non-final failures)');
  assert.deepEqual(getsOf(), retried);
  assert.equal(s2.scanned, 0);
  const rows2 = await store.itemOutcomes(source);
  assert.deepEqual(
    rows2.map((r) => [r.externalId, r.outcome, r.etag]),
    rows1.map((r) => [r.externalId, r.outcome, r.etag]),
    'same rows after an unchanged rescan',
  );

  // ---- change one object: only it is downloaded again
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'img/changing.png', Body: await pngImage(60, 80), ContentType: 'image/png' }));
  proxy.log.length = 0;
  t1 = Date.now();
  const s3 = await scan();
  t.diagnostic(`scan 3: ${Date.now() - t1} ms, downloaded ${s3.downloaded}`);
  assert.equal(s3.status, 'completed');
  assert.equal(s3.downloaded, 1 + retried.length);
  assert.deepEqual(getsOf(), ['img/changing.png', ...retried].sort());
  assert.equal(s3.scanned, 1);
  const rows3 = await store.itemOutcomes(source);
  assert.equal(rows3.length, rows1.length);
  const before1 = rows1.find((r) => r.externalId === 'img/changing.png')!;
  const after3 = rows3.find((r) => r.externalId === 'img/changing.png')!;
  assert.equal(after3.outcome, 'scanned');
  assert.notEqual(after3.etag, before1.etag);
  assert.notEqual(after3.contentSha256, before1.contentSha256);
  assert.deepEqual(
    rows3.filter((r) => r.externalId !== 'img/changing.png').map((r) => [r.externalId, r.outcome, r.etag]),
    rows1.filter((r) => r.externalId !== 'img/changing.png').map((r) => [r.externalId, r.outcome, r.etag]),
  );
  t.diagnostic(`total ${Date.now() - t0} ms`);
});

test('scan of a missing bucket or an unreachable endpoint fails fast with one line', async (t) => {
  const so = await testStoreOptions(t);
  const missing = uniqueBucket('missing');
  await assert.rejects(scanSource(`s3://${missing}`, { ...so, endpoint: server.endpoint, retry: FAST_RETRY }), (err: Error) => {
    assert.equal(err.name, 'UserError');
    assert.doesNotMatch(err.message, /[\r\n]/);
    assert.match(err.message, new RegExp(`${missing}.*does not exist`));
    return true;
  });
  await assert.rejects(scanSource('s3://some-bucket', { ...so, endpoint: 'http://127.0.0.1:1', retry: FAST_RETRY }), (err: Error) => {
    assert.equal(err.name, 'UserError');
    assert.match(err.message, /Cannot reach .*127\.0\.0\.1:1/);
    return true;
  });
  await assert.rejects(scanSource('s3://Not_A_Bucket', { ...so }), (err: Error) => {
    assert.equal(err.name, 'UserError');
    assert.match(err.message, /Invalid S3 bucket name/);
    return true;
  });
});

test('flagged S3 objects get their exposure from ACLs; casb quarantine copies are not scanned again', async (t) => {
  if (server.kind !== 'rgw') return void t.skip('object ACLs need real S3 (S3_ENDPOINT, e.g. Ceph RGW via .ci/run); s3rver ignores them');
  const bucket = uniqueBucket('exposure');
  await createBucket(client, bucket);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'public.png', Body: await pngImage(11), ContentType: 'image/png', ACL: 'public-read' }));
  // the same picture twice: both get the same label, so both are flagged or neither
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'private.png', Body: await pngImage(11), ContentType: 'image/png' }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'casb-quarantine/private.png', Body: await pngImage(13), ContentType: 'image/png' }));
  const so = await testStoreOptions(t);
  const store = await openStore(so);
  t.after(() => store.close());
  // the dev model flags every image, so every scanned object has findings
  const s = await scanSource(`s3://${bucket}`, { ...so, store, modelDir: await devModelDir(), endpoint: server.endpoint, retry: FAST_RETRY });
  assert.equal(s.scanned, 2);
  assert.deepEqual(s.skipped, { quarantined: 1 });
  const flagged = new Set((await store.listFindings({ source: `s3://${bucket}` })).map((f) => f.external_id));
  assert.deepEqual([...flagged].sort(), ['private.png', 'public.png'], 'the dev model flags the picture');
  const rows = (await store.db.query<{ external_id: string; exposure: string | null }>(
    `SELECT i.external_id, i.exposure FROM items i JOIN sources s ON s.id = i.source_id WHERE s.uri = $1 AND i.outcome = 'scanned'`,
    [`s3://${bucket}`],
  )).rows;
  const want: Record<string, string> = { 'public.png': 'public', 'private.png': 'private' };
  for (const r of rows) {
    // only flagged items pay for the extra requests; the others keep no exposure
    assert.equal(r.exposure, flagged.has(r.external_id) ? want[r.external_id] : null, r.external_id);
  }
});

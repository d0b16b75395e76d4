/**
 * S3 connector against a real S3 server: s3rver (child process) by default, or Ceph RGW
 * when S3_ENDPOINT is set (`eval $(bash ../shared/scripts/start-rgw.sh)`). Faults are
 * injected by a loopback proxy so the real SDK sees real 503/403/reset answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  createS3Connector,
  decodeListedKey,
  isArchived,
  limitStream,
  toObjectRef,
} from '../connectors/s3/index.js';
import type { S3Connector } from '../connectors/s3/index.js';
import { bucketNameProblem, parseS3Uri } from '../connectors/s3/uri.js';
import { classifyS3Error, s3ErrorReason } from '../connectors/s3/errors.js';
import type { ObjectRef, Page } from '../connectors/contract.js';
import { ItemError, UserError } from '../src/util/errors.js';
import { createBucket, createSeededBucket, s3Client, seedBucket, startS3, uniqueBucket, useS3Env } from './helpers/s3server.js';
import type { S3TestServer } from './helpers/s3server.js';
import { on, startFaultProxy } from './helpers/s3proxy.js';
import type { FaultProxy } from './helpers/s3proxy.js';
import { rejectsWith } from './helpers/assert.js';

const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 };

async function collect(pages: AsyncIterable<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}


// ---------------------------------------------------------------------------------------
// Pure parts: no server needed.

describe('s3 uri', () => {
  test('parses bucket and prefix and gives a canonical uri', () => {
    assert.deepEqual(parseS3Uri('s3://my-bucket'), { bucket: 'my-bucket', prefix: '', uri: 's3://my-bucket' });
    assert.deepEqual(parseS3Uri('s3://my-bucket/'), { bucket: 'my-bucket', prefix: '', uri: 's3://my-bucket' });
    assert.deepEqual(parseS3Uri('s3://my.bucket.1/photos/2024/'), { bucket: 'my.bucket.1', prefix: 'photos/2024/', uri: 's3://my.bucket.1/photos/2024/' });
    assert.equal(parseS3Uri('s3://abc/a b+c%20').prefix, 'a b+c%20', 'prefix is used raw');
  });

  test('rejects bad URIs and bucket names with one clear line', () => {
    for (const bad of ['s3://', 's3:///x', 'gs://bucket', 's3://ab', 's3://Bucket', 's3://my_bucket', 's3://-abc', 's3://abc-', 's3://a..b', 's3://192.168.1.1', 's3://xn--abc', 's3://abc-s3alias', `s3://${'a'.repeat(64)}`, 's3://bu\ncket']) {
      assert.throws(
        () => parseS3Uri(bad),
        (err: unknown) => err instanceof UserError && !/[\r\n]/.test(err.message) && /S3|bucket/i.test(err.message),
        bad,
      );
    }
    assert.equal(bucketNameProblem('ok-bucket.name'), undefined);
    assert.match(bucketNameProblem('UPPER') ?? '', /lowercase/);
  });
});

describe('s3 list mapping', () => {
  test('archive classes are skipped, GLACIER_IR and restored copies are not', () => {
    const future = new Date(Date.now() + 86_400_000);
    const past = new Date(Date.now() - 86_400_000);
    assert.equal(isArchived({ StorageClass: 'GLACIER' }), true);
    assert.equal(isArchived({ StorageClass: 'DEEP_ARCHIVE' }), true);
    assert.equal(isArchived({ StorageClass: 'GLACIER_IR' }), false);
    assert.equal(isArchived({ StorageClass: 'STANDARD' }), false);
    assert.equal(isArchived({}), false);
    assert.equal(isArchived({ StorageClass: 'GLACIER', RestoreStatus: { IsRestoreInProgress: true } }), true);
    assert.equal(isArchived({ StorageClass: 'GLACIER', RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: future } }), false);
    assert.equal(isArchived({ StorageClass: 'GLACIER', RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: past } }), true);
  });

  test('maps entries, strips ETag quotes, drops folder markers, decodes url-encoded keys', () => {
    const ref = toObjectRef('b', { Key: 'a/x.jpg', Size: 12, ETag: '"abc-2"', LastModified: new Date(0), StorageClass: 'STANDARD' });
    assert.deepEqual(ref, { externalId: 'a/x.jpg', path: 's3://b/a/x.jpg', size: 12, etag: 'abc-2', modifiedAt: new Date(0) });
    assert.ok(ref && !('contentType' in ref), 'content type is unknown at list time');
    assert.equal(toObjectRef('b', { Key: 'folder/', Size: 0 }), undefined);
    // AWS's encoding-type=url: space as '+', '+' as %2B.
    assert.equal(decodeListedKey('a+b%2Bc%25d%ED%95%9C'), 'a b+c%d한');
    assert.equal(toObjectRef('b', { Key: 'run+books/x%2B1.jpg', Size: 1 }, { urlEncoded: true })?.externalId, 'run books/x+1.jpg');
  });

  test('classifies SDK-shaped and network errors', () => {
    const sdk = (name: string, status: number, headers: Record<string, string> = {}) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, $response: { statusCode: status, headers } });
    const net = (code: string, message = code) => Object.assign(new Error(message), { code });
    assert.deepEqual(classifyS3Error(sdk('SlowDown', 503, { 'retry-after': '3' })), { kind: 'throttled', retryAfterMs: 3000 });
    assert.deepEqual(classifyS3Error(sdk('ServiceUnavailable', 503)), { kind: 'throttled' });
    for (const s of [500, 502, 504]) assert.deepEqual(classifyS3Error(sdk('Unknown', s)), { kind: 'retryable' });
    assert.deepEqual(classifyS3Error(sdk('InternalError', 500)), { kind: 'retryable' });
    for (const c of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE']) assert.deepEqual(classifyS3Error(net(c)), { kind: 'retryable' }, c);
    assert.deepEqual(classifyS3Error(new Error('socket hang up')), { kind: 'retryable' });
    for (const n of ['NoSuchKey', 'NoSuchBucket']) assert.deepEqual(classifyS3Error(sdk(n, 404)), { kind: 'notFound' });
    assert.deepEqual(classifyS3Error(sdk('NotFound', 404)), { kind: 'notFound' });
    for (const n of ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']) assert.deepEqual(classifyS3Error(sdk(n, 403)), { kind: 'permanent' }, n);
    assert.deepEqual(classifyS3Error(sdk('Forbidden', 403)), { kind: 'permanent' });
    assert.deepEqual(classifyS3Error(new UserError('Cannot reach the network')), { kind: 'permanent' });
    assert.deepEqual(classifyS3Error(Object.assign(new Error('aborted'), { name: 'AbortError' })), { kind: 'permanent' });

    assert.equal(s3ErrorReason(sdk('AccessDenied', 403)), 'access_denied');
    assert.equal(s3ErrorReason(sdk('NoSuchKey', 404)), 'not_found');
    assert.equal(s3ErrorReason(sdk('SlowDown', 503)), 'throttled');
    assert.equal(s3ErrorReason(sdk('PreconditionFailed', 412)), 'changed');
    assert.equal(s3ErrorReason(sdk('InvalidObjectState', 403)), 'archived');
    assert.equal(s3ErrorReason(sdk('InternalError', 500)), 'server_error');
    assert.equal(s3ErrorReason(net('ECONNRESET')), 'network');
    assert.equal(s3ErrorReason(new ItemError('too_large', 'x')), 'too_large');
    assert.equal(s3ErrorReason(new ItemError('throttled', 'x', { cause: sdk('SlowDown', 503) })), 'throttled');
  });

  test('limitStream fails (not truncates) past maxBytes and on a short body', async () => {
    const chunks = () => Readable.from([Buffer.alloc(400), Buffer.alloc(400), Buffer.alloc(400)]);
    await rejectsWith(readAll(limitStream(chunks(), { maxBytes: 1000, what: 'x' })), (err) => {
      assert.ok(err instanceof ItemError);
      assert.equal(err.reason, 'too_large');
    });
    assert.equal((await readAll(limitStream(chunks(), { maxBytes: 1200, expectedBytes: 1200, what: 'x' }))).length, 1200);
    await rejectsWith(readAll(limitStream(chunks(), { expectedBytes: 2000, what: 'x' })), (err) => {
      assert.ok(err instanceof ItemError);
      assert.equal(err.reason, 'network');
    });
    // Destroying the wrapper destroys the source (the HTTP body / socket).
    const src = chunks();
    const out = limitStream(src, { what: 'x' });
    out.destroy();
    await new Promise((r) => setImmediate(r));
    assert.equal(src.destroyed, true);
  });
});

// ---------------------------------------------------------------------------------------
// Against the server.

describe('s3 connector against a server', () => {
  let server: S3TestServer;
  let client: S3Client;
  let proxy: FaultProxy;
  let restoreEnv: () => void;
  const open: S3Connector[] = [];

  /** A connector using the standard credential chain (env set by useS3Env), optionally via the proxy. */
  const connect = (bucket: string, opts: { viaProxy?: boolean; prefix?: string; retry?: typeof FAST_RETRY } = {}) => {
    const c = createS3Connector(`s3://${bucket}${opts.prefix ? `/${opts.prefix}` : ''}`, {
      endpoint: opts.viaProxy ? proxy.endpoint : server.endpoint,
      retry: opts.retry ?? FAST_RETRY,
    });
    open.push(c);
    return c;
  };

  before(async () => {
    server = await startS3();
    restoreEnv = useS3Env(server);
    client = s3Client(server);
    proxy = await startFaultProxy(server.endpoint);
  });

  after(async () => {
    for (const c of open) await c.close();
    client?.destroy();
    await proxy?.stop();
    await server?.stop();
    restoreEnv?.();
  });

  describe('paging over 1,205 objects', () => {
    let bucket: string;
    const keys: string[] = [];

    before(async () => {
      for (let i = 0; i < 1205; i++) keys.push(`obj/${String(i).padStart(5, '0')}.bin`);
      bucket = await createSeededBucket(client, 'paging', keys.map((key) => ({ key, body: key })));
    });

    test('every key comes back exactly once, in pages of at most 1,000', async () => {
      proxy.reset();
      const pages = await collect(connect(bucket, { viaProxy: true }).list());
      assert.ok(pages.length >= 2, `expected several pages, got ${pages.length}`);
      for (const p of pages) assert.ok(p.items.length <= 1000);
      assert.equal(pages.at(-1)!.nextCursor, undefined);
      for (const p of pages.slice(0, -1)) assert.equal(typeof p.nextCursor, 'string');
      const listed = pages.flatMap((p) => p.items.map((i) => i.externalId));
      assert.equal(listed.length, keys.length);
      assert.deepEqual([...listed].sort(), [...keys].sort());
      const lists = proxy.log.filter((r) => r.query.get('list-type') === '2');
      assert.equal(lists.length, pages.length);
      assert.ok(lists.slice(1).every((r) => r.query.has('continuation-token')), 'later pages resume with the continuation token');
      const sample = pages[0]!.items[0]!;
      assert.equal(sample.size, Buffer.byteLength(sample.externalId));
      assert.match(sample.etag, /^[0-9a-f]{32}$/);
      assert.ok(sample.modifiedAt instanceof Date);
    });

    test('listing from a mid cursor yields exactly the remainder', async () => {
      const c = connect(bucket);
      const it = c.list()[Symbol.asyncIterator]();
      const first = await it.next();
      assert.equal(first.done, false);
      const firstPage = first.value as Page;
      await it.return?.();
      const cursor = firstPage.nextCursor;
      assert.ok(cursor, 'first page has a cursor');
      // The cursor is a plain string that survives JSON (a checkpoint) and a new connector.
      const resumed = await collect(connect(bucket).list(JSON.parse(JSON.stringify(cursor)) as string));
      const rest = resumed.flatMap((p) => p.items.map((i) => i.externalId));
      const seen = new Set(firstPage.items.map((i) => i.externalId));
      assert.deepEqual([...rest].sort(), keys.filter((k) => !seen.has(k)).sort());
      assert.equal(rest.length + seen.size, keys.length);
    });

    test('a prefix limits the listing', async () => {
      const pages = await collect(connect(bucket, { prefix: 'obj/0000' }).list());
      assert.deepEqual(
        pages.flatMap((p) => p.items.map((i) => i.externalId)),
        keys.filter((k) => k.startsWith('obj/0000')),
      );
    });
  });

  describe('objects', () => {
    let bucket: string;
    const special = ['a b.jpg', 'a+b.jpg', '100%.jpg', 'x%20y.jpg', 'ünïcødé/日本語 ファイル.jpg', 'dir with space/plus+sign & amp.jpg', 'emoji-😀.png'];
    const big = Buffer.alloc(10_000, 7);

    before(async () => {
      bucket = await createSeededBucket(client, 'objects', [
        ...special.map((key) => ({ key, body: `body of ${key}` })),
        { key: 'folder/', body: '' },
        { key: 'big.bin', body: big },
        { key: 'denied.jpg', body: 'secret' },
        { key: 'slow.jpg', body: 'slow body' },
      ]);
    });

    test('keys with spaces, +, %, unicode round-trip through list and open; folder markers are not items', async () => {
      const c = connect(bucket);
      const refs = (await collect(c.list())).flatMap((p) => p.items);
      const ids = refs.map((r) => r.externalId);
      for (const k of special) assert.equal(ids.filter((x) => x === k).length, 1, `listed once: ${k}`);
      assert.ok(!ids.includes('folder/'));
      for (const k of special) {
        const ref = refs.find((r) => r.externalId === k)!;
        assert.equal(ref.path, `s3://${bucket}/${k}`);
        assert.equal((await readAll(await c.open(ref))).toString(), `body of ${k}`, k);
      }
    });

    test('SlowDown is retried (honouring Retry-After) and then succeeds', async () => {
      proxy.reset();
      proxy.faults.push({ match: on.getObject('slow.jpg'), action: 'slowdown', times: 2, retryAfter: '0' });
      proxy.faults.push({ match: on.list(), action: 'slowdown', times: 1, retryAfter: '0' });
      const c = connect(bucket, { viaProxy: true });
      const refs = (await collect(c.list())).flatMap((p) => p.items);
      const ref = refs.find((r) => r.externalId === 'slow.jpg')!;
      assert.equal((await readAll(await c.open(ref))).toString(), 'slow body');
      const gets = proxy.log.filter((r) => r.key === 'slow.jpg');
      assert.deepEqual(gets.map((r) => r.outcome), [503, 503, 200]);
      assert.equal(c.stats.throttled, 3);
    });

    test('when SlowDown persists, the item fails as throttled with the server Retry-After', async () => {
      proxy.reset();
      proxy.faults.push({ match: on.getObject('slow.jpg'), action: 'slowdown', retryAfter: '7' });
      const c = connect(bucket, { viaProxy: true, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
      const err = await rejectsWith(c.open({ externalId: 'slow.jpg', path: `s3://${bucket}/slow.jpg`, size: 9, etag: '' }), (e) => {
        assert.ok(e instanceof ItemError);
        assert.equal(e.reason, 'throttled');
      });
      assert.deepEqual(c.classifyError((err as ItemError).cause), { kind: 'throttled', retryAfterMs: 7000 });
      assert.equal(proxy.log.filter((r) => r.key === 'slow.jpg').length, 2);
    });

    test('a reset connection is retried', async () => {
      proxy.reset();
      proxy.faults.push({ match: on.getObject('slow.jpg'), action: 'reset', times: 1 });
      proxy.faults.push({ match: on.getObject('a b.jpg'), action: 'error500', times: 1 });
      const c = connect(bucket, { viaProxy: true });
      assert.equal((await readAll(await c.open({ externalId: 'slow.jpg', path: 'x', size: 9, etag: '' }))).toString(), 'slow body');
      assert.equal((await readAll(await c.open({ externalId: 'a b.jpg', path: 'x', size: 1, etag: '' }))).toString(), 'body of a b.jpg');
      assert.deepEqual(proxy.log.map((r) => r.outcome), ['reset', 200, 500, 200]);
    });

    test('AccessDenied on GetObject is permanent, not retried, and maps to access_denied', async () => {
      proxy.reset();
      proxy.faults.push({ match: on.getObject('denied.jpg'), action: 'deny' });
      const c = connect(bucket, { viaProxy: true });
      const refs = (await collect(c.list())).flatMap((p) => p.items);
      const ref = refs.find((r) => r.externalId === 'denied.jpg')!;
      const err = await rejectsWith(c.open(ref), (e) => {
        assert.ok(e instanceof ItemError, String(e));
        assert.equal(e.reason, 'access_denied');
        assert.doesNotMatch(e.message, /[\r\n]/);
      });
      assert.deepEqual(c.classifyError((err as ItemError).cause), { kind: 'permanent' });
      assert.deepEqual(c.classifyError(err), { kind: 'permanent' });
      assert.equal(c.errorReason(err), 'access_denied');
      assert.equal(s3ErrorReason((err as ItemError).cause), 'access_denied');
      assert.equal(proxy.log.filter((r) => r.key === 'denied.jpg').length, 1, 'not retried');
    });

    test('maxBytes: refused from the listed size, from Content-Length, and while streaming', async () => {
      const c = connect(bucket, { viaProxy: true });
      const ref = (await collect(c.list())).flatMap((p) => p.items).find((r) => r.externalId === 'big.bin')!;
      assert.equal(ref.size, big.length);
      proxy.reset();
      await rejectsWith(c.open(ref, { maxBytes: 5000 }), (e) => assert.ok(e instanceof ItemError && e.reason === 'too_large'));
      assert.equal(proxy.log.length, 0, 'no request when the listed size is already too large');
      // A stale listing (object grew): Content-Length catches it before any byte is read.
      await rejectsWith(c.open({ ...ref, size: 10 }, { maxBytes: 5000 }), (e) => assert.ok(e instanceof ItemError && e.reason === 'too_large'));
      assert.equal(proxy.log.length, 1);
      // At the limit exactly: fine.
      assert.equal((await readAll(await c.open(ref, { maxBytes: big.length }))).length, big.length);
    });

    test('a body cut short fails instead of truncating silently', async () => {
      proxy.reset();
      proxy.faults.push({ match: on.getObject('big.bin'), action: 'truncate', afterBytes: 3000, times: 1 });
      const c = connect(bucket, { viaProxy: true });
      const stream = await c.open({ externalId: 'big.bin', path: `s3://${bucket}/big.bin`, size: big.length, etag: '' });
      await rejectsWith(readAll(stream), (e) => {
        assert.ok(e instanceof ItemError, String(e));
        assert.equal(e.reason, 'network');
      });
    });

    test('an abort signal stops a download', async () => {
      const c = connect(bucket);
      const ac = new AbortController();
      const stream = await c.open({ externalId: 'big.bin', path: 'x', size: big.length, etag: '' }, { signal: ac.signal });
      ac.abort();
      await rejectsWith(readAll(stream), (e) => assert.ok(e instanceof ItemError && e.reason === 'aborted', String(e)));
    });

    test('a deleted object is notFound', async () => {
      const c = connect(bucket);
      const err = await rejectsWith(c.open({ externalId: 'no/such/key.jpg', path: 'x', size: 1, etag: '' }), (e) => {
        assert.ok(e instanceof ItemError);
        assert.equal(e.reason, 'not_found');
      });
      assert.deepEqual(c.classifyError((err as ItemError).cause), { kind: 'notFound' });
    });

    test('an object changed between list and open is not read under the old ETag (If-Match)', async (t) => {
      const key = 'changing.jpg';
      await seedBucket(client, bucket, [{ key, body: 'version one' }]);
      const c = connect(bucket);
      const ref = (await collect(c.list())).flatMap((p) => p.items).find((r) => r.externalId === key)!;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'version two!' }));
      try {
        const body = await readAll(await c.open(ref));
        // s3rver ignores If-Match on GET; AWS and RGW answer 412.
        assert.equal(server.kind, 's3rver', `If-Match was ignored by ${server.kind}`);
        t.diagnostic(`s3rver ignores If-Match; read "${body.toString()}"`);
      } catch (err) {
        assert.ok(err instanceof ItemError, String(err));
        assert.equal(err.reason, 'changed');
      } finally {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
    });
  });

  describe('archived objects', () => {
    test('GLACIER / DEEP_ARCHIVE are skipped as archived, GLACIER_IR and restored copies are readable', async (t) => {
      const bucket = uniqueBucket('archive');
      await createBucket(client, bucket);
      await seedBucket(client, bucket, [
        { key: 'hot.jpg', body: 'hot' },
        { key: 'ir.jpg', body: 'ir' },
        { key: 'deep.jpg', body: 'deep' },
        { key: 'restored.jpg', body: 'restored' },
        { key: 'restoring.jpg', body: 'restoring' },
      ]);
      // Can this server store an archive class at all? s3rver accepts GLACIER on PUT but always
      // lists STANDARD; RGW rejects it unless STORAGE_CLASSES configures it.
      let native = false;
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cold.jpg', Body: 'cold', StorageClass: 'GLACIER' }));
        const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'cold.jpg' }));
        native = res.Contents?.[0]?.StorageClass === 'GLACIER';
      } catch (err) {
        t.diagnostic(`${server.kind} refuses StorageClass GLACIER: ${(err as Error).name}`);
        await seedBucket(client, bucket, [{ key: 'cold.jpg', body: 'cold' }]);
      }
      if (native) {
        const refs = (await collect(connect(bucket).list())).flatMap((p) => p.items);
        assert.equal(refs.find((r) => r.externalId === 'cold.jpg')?.skipReason, 'archived', 'server-reported GLACIER');
      } else {
        t.diagnostic(`${server.kind} does not list GLACIER; classes are rewritten in the real list response by the proxy`);
      }
      // The real ListObjectsV2 response, with StorageClass / RestoreStatus rewritten per key.
      proxy.reset();
      proxy.listRewrites.set('cold.jpg', { storageClass: 'GLACIER' });
      proxy.listRewrites.set('deep.jpg', { storageClass: 'DEEP_ARCHIVE' });
      proxy.listRewrites.set('ir.jpg', { storageClass: 'GLACIER_IR' });
      proxy.listRewrites.set('restored.jpg', { storageClass: 'GLACIER', restoreStatus: { inProgress: false, expiry: new Date(Date.now() + 86_400_000) } });
      proxy.listRewrites.set('restoring.jpg', { storageClass: 'DEEP_ARCHIVE', restoreStatus: { inProgress: true } });
      const refs = (await collect(connect(bucket, { viaProxy: true }).list())).flatMap((p) => p.items);
      const skip = Object.fromEntries(refs.map((r) => [r.externalId, r.skipReason ?? null]));
      assert.deepEqual(skip, {
        'cold.jpg': 'archived',
        'deep.jpg': 'archived',
        'hot.jpg': null,
        'ir.jpg': null,
        'restored.jpg': null,
        'restoring.jpg': 'archived',
      });
      const listReq = proxy.log.find((r) => r.query.get('list-type') === '2');
      assert.ok(listReq);
    });
  });

  describe('probe', () => {
    const oneLine = (e: unknown, ...parts: (string | RegExp)[]) => {
      assert.ok(e instanceof UserError, String(e));
      assert.doesNotMatch(e.message, /[\r\n]/);
      for (const p of parts) assert.match(e.message, typeof p === 'string' ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : p);
      assert.ok(!e.message.includes(server.secretAccessKey), 'never shows the secret');
    };

    test('passes on a reachable bucket', async () => {
      const bucket = uniqueBucket('probe-ok');
      await createBucket(client, bucket);
      await connect(bucket).probe();
    });

    test('missing bucket', async () => {
      const bucket = uniqueBucket('probe-missing');
      await rejectsWith(connect(bucket).probe(), (e) => oneLine(e, bucket, /does not exist/, server.endpoint));
    });

    test('endpoint unreachable', async () => {
      const c = createS3Connector('s3://some-bucket', { endpoint: 'http://127.0.0.1:1', retry: FAST_RETRY });
      open.push(c);
      await rejectsWith(c.probe(), (e) => oneLine(e, 'http://127.0.0.1:1', 'some-bucket', /Cannot reach/, /ECONNREFUSED/));
      const dns = createS3Connector('s3://some-bucket', { endpoint: 'http://no-such-host.invalid:9000', retry: FAST_RETRY });
      open.push(dns);
      await rejectsWith(dns.probe(), (e) => oneLine(e, 'no-such-host.invalid', /Cannot reach/));
    });

    test('unknown access key', async () => {
      const bucket = uniqueBucket('probe-key');
      await createBucket(client, bucket);
      const c = createS3Connector(`s3://${bucket}`, {
        endpoint: server.endpoint,
        retry: FAST_RETRY,
        credentials: { accessKeyId: 'AKIANOTAREALKEY00000', secretAccessKey: 'not-the-secret' },
      });
      open.push(c);
      await rejectsWith(c.probe(), (e) => {
        oneLine(e, bucket, /InvalidAccessKeyId|Access denied/);
        assert.ok(!(e as Error).message.includes('not-the-secret'));
      });
    });

    test('wrong secret key', async (t) => {
      const bucket = uniqueBucket('probe-secret');
      await createBucket(client, bucket);
      const c = createS3Connector(`s3://${bucket}`, {
        endpoint: server.endpoint,
        retry: FAST_RETRY,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'wrong-secret-value' },
      });
      open.push(c);
      try {
        await c.probe();
        assert.equal(server.kind, 's3rver', `${server.kind} accepted a wrong secret`);
        t.diagnostic('s3rver does not verify signatures made with a wrong secret');
      } catch (e) {
        oneLine(e, bucket, /SignatureDoesNotMatch/);
        assert.ok(!(e as Error).message.includes('wrong-secret-value'));
      }
    });

    test('access denied (via proxy)', async () => {
      const bucket = uniqueBucket('probe-denied');
      await createBucket(client, bucket);
      proxy.reset();
      proxy.faults.push({ match: on.list(), action: 'deny' });
      await rejectsWith(connect(bucket, { viaProxy: true }).probe(), (e) => oneLine(e, bucket, /Access denied/, /s3:ListBucket/));
      assert.equal(proxy.log.length, 1, 'not retried');
      proxy.reset();
    });
  });
});

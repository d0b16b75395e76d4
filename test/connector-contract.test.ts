/**
 * The connector contract suite: every connector (local folder, S3, Google Drive, OneDrive) must
 * pass the same cases, each against a real or documented-API server the suite starts:
 *
 *   - lists everything exactly once (several pages);
 *   - open() streams the listed bytes;
 *   - resumes from a mid-way cursor with nothing lost or repeated;
 *   - picks up 3 adds, 1 edit and 1 delete incrementally — from the change feed where the
 *     connector has one (changesStart / a delta listing's changesCursor), else by re-listing and
 *     comparing etags (what the pipeline does for such sources);
 *   - survives throttling on ~20% of requests (where the source throttles at all);
 *   - an item that vanishes between list and open fails with ItemError `not_found`, which the
 *     pipeline records as skipped:not_found.
 *
 * A fixture builds a source of N small files and knows how to change it behind the connector's back.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { hasCapability, type ChangePage, type Connector, type ObjectRef } from '../connectors/contract.js';
import { createLocalConnector } from '../connectors/local/index.js';
import { createS3Connector } from '../connectors/s3/index.js';
import { ItemError } from '../src/util/errors.js';
import { createBucket, s3Client, seedBucket, startS3, uniqueBucket, type S3TestServer } from './helpers/s3server.js';
import { startFaultProxy, type FaultProxy } from './helpers/s3proxy.js';
import { contractFixtures as cloudFixtures } from './helpers/cloud-fixtures.js';

export interface SourceFixture {
  /** A connector over the current contents (a fresh one each call: nothing cached between phases). */
  connector(): Connector;
  /** The externalId → sha256 of the bytes the source holds now. */
  expected: Map<string, string>;
  add(name: string, body: Buffer): Promise<string>;
  edit(externalId: string, body: Buffer): Promise<void>;
  remove(externalId: string): Promise<void>;
  /** Make about `fraction` of requests answer "slow down / too many requests"; undefined: this source does not throttle. */
  throttle?(fraction: number): void;
  /** How many throttled answers the server gave. */
  throttledAnswers?(): number;
  close(): Promise<void>;
}

export interface ContractFixture {
  name: string;
  /** Why this fixture cannot run here (then its cases are skipped and say so). */
  unavailable?: () => Promise<string | undefined>;
  create(n: number): Promise<SourceFixture>;
}

const N = 230; // > 2 pages everywhere (local pages 100; the S3 fixture asks for 100; the API servers page smaller)
const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 20 };

function body(i: number, salt = ''): Buffer {
  return Buffer.from(`contract item ${i}${salt}\n`.repeat(1 + (i % 7)));
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function listAll(c: Connector, cursor?: string): Promise<{ items: ObjectRef[]; pages: { n: number; next?: string }[]; changesCursor?: string }> {
  const items: ObjectRef[] = [];
  const pages: { n: number; next?: string }[] = [];
  let changesCursor: string | undefined;
  for await (const p of c.list(cursor)) {
    items.push(...p.items);
    pages.push({ n: p.items.length, ...(p.nextCursor ? { next: p.nextCursor } : {}) });
    if (p.changesCursor) changesCursor = p.changesCursor;
  }
  return { items, pages, ...(changesCursor ? { changesCursor } : {}) };
}

async function readAll(c: Connector, ref: ObjectRef): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const ch of await c.open(ref)) chunks.push(Buffer.isBuffer(ch) ? ch : Buffer.from(ch as Uint8Array));
  return Buffer.concat(chunks);
}

// ------------------------------------------------------------------------------------ local folder
const localFixture: ContractFixture = {
  name: 'local',
  async create(n) {
    const root = await mkdtemp(path.join(tmpdir(), 'casb-contract-local-'));
    const expected = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const rel = `d${i % 3}/f${String(i).padStart(4, '0')}.bin`;
      await mkdir(path.join(root, path.dirname(rel)), { recursive: true });
      await writeFile(path.join(root, rel), body(i));
      expected.set(rel, sha(body(i)));
    }
    const idOf = (id: string) => path.join(root, ...id.split('/')); // local externalIds are paths relative to the root
    return {
      connector: () => createLocalConnector(root),
      expected,
      async add(name, b) {
        const id = `new/${name}`;
        await mkdir(path.dirname(idOf(id)), { recursive: true });
        await writeFile(idOf(id), b);
        expected.set(id, sha(b));
        return id;
      },
      async edit(id, b) {
        await writeFile(idOf(id), b);
        expected.set(id, sha(b));
      },
      async remove(id) {
        await unlink(idOf(id));
        expected.delete(id);
      },
      close: () => rm(root, { recursive: true, force: true }),
    };
  },
};

// ------------------------------------------------------------------------------------ S3
let s3: { server: S3TestServer; client: S3Client; proxy: FaultProxy } | undefined;
async function s3Env() {
  if (!s3) {
    const server = await startS3();
    s3 = { server, client: s3Client(server), proxy: await startFaultProxy(server.endpoint) };
  }
  return s3;
}
after(async () => {
  if (!s3) return;
  s3.client.destroy();
  await s3.proxy.stop();
  await s3.server.stop();
});

const s3Fixture: ContractFixture = {
  name: 's3',
  async create(n) {
    const env = await s3Env();
    env.proxy.reset();
    const bucket = uniqueBucket('contract');
    await createBucket(env.client, bucket);
    const expected = new Map<string, string>();
    const objects = Array.from({ length: n }, (_, i) => ({ key: `d${i % 3}/f${String(i).padStart(4, '0')}.bin`, body: body(i) }));
    await seedBucket(env.client, bucket, objects);
    for (const o of objects) expected.set(o.key, sha(o.body));
    let rate = 0;
    let seed = 7;
    let throttled = 0;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    env.proxy.faults.push({
      match: () => {
        const hit = rate > 0 && rand() < rate;
        if (hit) throttled++;
        return hit;
      },
      action: 'slowdown',
    });
    const put = (key: string, b: Buffer) => env.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: b }));
    return {
      connector: () =>
        createS3Connector(`s3://${bucket}`, {
          endpoint: env.proxy.endpoint,
          credentials: { accessKeyId: env.server.accessKeyId, secretAccessKey: env.server.secretAccessKey },
          region: env.server.region,
          pageSize: 100,
          retry: FAST_RETRY,
        }),
      expected,
      async add(name, b) {
        const key = `new/${name}`;
        await put(key, b);
        expected.set(key, sha(b));
        return key;
      },
      async edit(key, b) {
        await put(key, b);
        expected.set(key, sha(b));
      },
      async remove(key) {
        await env.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        expected.delete(key);
      },
      throttle: (f) => {
        rate = f;
      },
      throttledAnswers: () => throttled,
      close: async () => {
        rate = 0;
      },
    };
  },
};

const FIXTURES: ContractFixture[] = [localFixture, s3Fixture, ...cloudFixtures];

for (const fx of FIXTURES) {
  describe(`connector contract: ${fx.name}`, async () => {
    const why = await fx.unavailable?.();
    const opts = why ? { skip: `${fx.name}: ${why}` } : {};

    test('lists every item exactly once, over several pages', opts, async () => {
      const src = await fx.create(N);
      try {
        const { items, pages } = await listAll(src.connector());
        assert.ok(pages.length >= 2, `expected several pages, got ${pages.length}`);
        const ids = items.map((i) => i.externalId);
        assert.equal(new Set(ids).size, ids.length, 'no item listed twice');
        assert.deepEqual(new Set(ids), new Set(src.expected.keys()));
        for (const it of items) assert.ok(it.etag, `${it.externalId} has an etag`);
      } finally {
        await src.close();
      }
    });

    test('open streams the listed bytes', opts, async () => {
      const src = await fx.create(12);
      try {
        const c = src.connector();
        const { items } = await listAll(c);
        for (const ref of items) assert.equal(sha(await readAll(c, ref)), src.expected.get(ref.externalId), ref.path);
      } finally {
        await src.close();
      }
    });

    test('resumes from a mid-way cursor: nothing lost, nothing repeated', opts, async () => {
      const src = await fx.create(N);
      try {
        const c = src.connector();
        const first = await listAll(c);
        const cut = first.pages[0]!;
        assert.ok(cut.next, 'the first page has a cursor');
        const rest = await listAll(src.connector(), cut.next);
        const before = first.items.slice(0, cut.n).map((i) => i.externalId);
        const after_ = rest.items.map((i) => i.externalId);
        assert.equal(before.length + after_.length, src.expected.size);
        assert.deepEqual(new Set([...before, ...after_]), new Set(src.expected.keys()));
      } finally {
        await src.close();
      }
    });

    test('picks up 3 adds, 1 edit and 1 delete incrementally', opts, async () => {
      const src = await fx.create(40);
      try {
        const c0 = src.connector();
        const start = hasCapability(c0, 'changesStart') ? await c0.changesStart() : undefined;
        const full = await listAll(c0);
        const feedCursor = start ?? full.changesCursor;
        const ids = [...src.expected.keys()];
        const edited = ids[5]!;
        const removed = ids[9]!;
        const added = [await src.add('a1.bin', body(1001)), await src.add('a2.bin', body(1002)), await src.add('a3.bin', body(1003))];
        await src.edit(edited, body(5, ' edited'));
        await src.remove(removed);
        const c1 = src.connector();
        if (hasCapability(c1, 'changes')) {
          assert.ok(feedCursor, 'a connector with a change feed gives a cursor from changesStart() or the listing');
          const changed = new Set<string>();
          const deleted = new Set<string>();
          let next: string | undefined;
          for await (const p of c1.changes(feedCursor) as AsyncIterable<ChangePage>) {
            for (const it of p.items) changed.add(it.externalId);
            for (const d of p.deleted ?? []) deleted.add(d);
            if (p.changesCursor) next = p.changesCursor;
          }
          assert.deepEqual(changed, new Set([...added, edited]));
          assert.deepEqual(deleted, new Set([removed]));
          assert.ok(next, 'the feed ends with the next cursor');
          // nothing new since: the next cursor yields nothing
          let more = 0;
          for await (const p of src.connector().changes!(next) as AsyncIterable<ChangePage>) more += p.items.length + (p.deleted?.length ?? 0);
          assert.equal(more, 0);
        } else {
          // No change feed: the pipeline re-lists and compares etags (unchanged items are not downloaded).
          const before = new Map(full.items.map((i) => [i.externalId, i.etag]));
          const now = await listAll(c1);
          const after_ = new Map(now.items.map((i) => [i.externalId, i.etag]));
          const changed = [...after_].filter(([id, etag]) => before.get(id) !== etag).map(([id]) => id);
          const gone = [...before.keys()].filter((id) => !after_.has(id));
          assert.deepEqual(new Set(changed), new Set([...added, edited]));
          assert.deepEqual(gone, [removed]);
        }
      } finally {
        await src.close();
      }
    });

    test('survives throttling on ~20% of requests: every item listed and read once', opts, async (t) => {
      const src = await fx.create(60);
      try {
        if (!src.throttle) return t.skip(`${fx.name} sources are not throttled`);
        src.throttle(0.2);
        const c = src.connector();
        const { items } = await listAll(c);
        assert.deepEqual(new Set(items.map((i) => i.externalId)), new Set(src.expected.keys()));
        assert.equal(items.length, src.expected.size);
        for (const ref of items) assert.equal(sha(await readAll(c, ref)), src.expected.get(ref.externalId));
        const answers = src.throttledAnswers?.() ?? 0;
        assert.ok(answers > 0, 'the server did throttle');
        if (c.stats) assert.equal(c.stats.throttled, answers, 'each throttled answer is counted once');
      } finally {
        src.throttle?.(0);
        await src.close();
      }
    });

    test('an item that vanishes between list and open fails as not_found (recorded skipped:not_found)', opts, async () => {
      const src = await fx.create(5);
      try {
        const c = src.connector();
        const { items } = await listAll(c);
        const victim = items[2]!;
        await src.remove(victim.externalId);
        // what the pipeline keys on: an ItemError not_found, or an error the connector classifies as notFound
        await assert.rejects(
          async () => readAll(c, victim),
          (err: unknown) => (err instanceof ItemError ? err.reason === 'not_found' : c.classifyError(err).kind === 'notFound'),
        );
      } finally {
        await src.close();
      }
    });
  });
}

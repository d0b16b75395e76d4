/**
 * The OneDrive connector against the in-process Graph v1.0 fake (test/fakes/graph-server.ts),
 * through the official Graph client, and through the real pipeline and store (scanSource):
 * auth (app-only over a paged user directory, delegated refresh tokens, clear sign-in errors
 * without secrets), the delta walk, incremental scans from the stored deltaLink, download URLs
 * (expiry, never stored), cursor expiry (410 resyncRequired), throttling (a paused drive,
 * Retry-After, backoff), exposure from permissions, and per-item errors.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, test } from 'node:test';
import type { ObjectRef } from '../connectors/contract.js';
import { createOnedriveConnector } from '../connectors/onedrive/index.js';
import type { OnedriveConnectorOptions } from '../connectors/onedrive/index.js';
import { TokenClient } from '../connectors/onedrive/auth.js';
import { exposureFromPermissions } from '../connectors/onedrive/exposure.js';
import { scanSource } from '../src/scan-source.js';
import type { ScanSourceOptions } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import type { Store, StoreOptions } from '../src/store/index.js';
import { DEFAULT_POLICY } from '../src/policy/policy.js';
import type { Policy } from '../src/policy/policy.js';
import { UserError } from '../src/util/errors.js';
import { GraphFake } from './fakes/graph-server.js';
import type { GraphFakeOptions } from './fakes/graph-server.js';
import { pngImage } from './helpers/images.js';
import { devModelDir, tempDir, testStoreOptions } from './helpers/env.js';

const TENANT_URI = 'onedrive://contoso.onmicrosoft.com';
const FAST_RETRY = { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 20 };

type T = { after: (fn: () => Promise<void> | void) => void };

async function startFake(t: T, opts: GraphFakeOptions = {}): Promise<GraphFake> {
  const fake = await GraphFake.start(opts);
  t.after(() => fake.close());
  return fake;
}

function appCreds(fake: GraphFake, over: Record<string, string> = {}) {
  return { tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret, ...over };
}

function connector(fake: GraphFake, uri = TENANT_URI, opts: OnedriveConnectorOptions = {}) {
  return createOnedriveConnector(uri, { credentials: appCreds(fake), apiUrl: fake.url, tokenUrl: fake.url, retry: FAST_RETRY, ...opts });
}

async function credsFile(t: T, creds: unknown): Promise<string> {
  const dir = await tempDir(t, 'casb-od-creds-');
  const file = path.join(dir, 'onedrive.json');
  await writeFile(file, JSON.stringify(creds));
  return file;
}

async function listAll(c: ReturnType<typeof connector>): Promise<{ refs: ObjectRef[]; changesCursor?: string }> {
  const refs: ObjectRef[] = [];
  let changesCursor: string | undefined;
  for await (const p of c.list()) {
    refs.push(...p.items);
    if (p.changesCursor) changesCursor = p.changesCursor;
  }
  return { refs, changesCursor };
}

/**
 * One store for the whole file (opening an embedded database costs seconds); each test scans
 * sources of its own (its own tenant URI), so they do not see each other's items.
 */
let shared: Promise<{ so: StoreOptions; store: Store }> | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  if (shared) await (await shared).store.close();
  for (const fn of cleanups.reverse()) await fn();
});
function sharedStore() {
  shared ??= (async () => {
    const so = await testStoreOptions({ after: (fn) => cleanups.push(fn) });
    return { so, store: await openStore(so) };
  })();
  return shared;
}

/** Every label makes a finding (the dev model's random head picks any of them). */
const EVERY_LABEL_POLICY: Policy = {
  ...DEFAULT_POLICY,
  labels: Object.fromEntries(
    ['passport', 'id_card', 'ssn_card', 'payment_card', 'screenshot', 'other'].map((l) => [l, { ...DEFAULT_POLICY.labels.passport!, minScore: 0 }]),
  ),
};

/** The shared store, the dev model and the scanSource options for one test. */
async function pipeline(t: T, fake: GraphFake, creds: unknown = appCreds(fake)) {
  const { so, store } = await sharedStore();
  const base: ScanSourceOptions = {
    ...so,
    modelDir: await devModelDir(),
    store,
    ocr: false,
    credentialsFile: await credsFile(t, creds),
    apiUrl: fake.url,
    tokenUrl: fake.url,
    retry: FAST_RETRY,
  };
  return { store, base };
}

async function outcomesOf(store: Store, uri: string): Promise<Map<string, string>> {
  return new Map((await store.itemOutcomes(uri)).map((o) => [o.externalId, o.outcome]));
}

interface ItemRow {
  external_id: string;
  path: string;
  outcome: string;
  exposure: string | null;
  exposure_details: unknown;
  last_run_id: string | number;
}
async function itemRows(store: Store, uri: string): Promise<ItemRow[]> {
  const r = await store.db.query<ItemRow>(
    'SELECT i.external_id, i.path, i.outcome, i.exposure, i.exposure_details, i.last_run_id FROM items i JOIN sources s ON s.id = i.source_id WHERE s.uri = $1',
    [uri],
  );
  return r.rows;
}

/** Every row of every table of the store as text (for "never stored" checks). */
async function dbText(store: Store): Promise<string> {
  const tables = await store.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  assert.ok(tables.rows.some((r) => r.table_name === 'items'), 'the dump sees the store tables');
  const out: string[] = [];
  for (const { table_name } of tables.rows) {
    const r = await store.db.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
    for (const x of r.rows) out.push(x.row);
  }
  return out.join('\n');
}

/** The download tokens of the pre-authenticated URLs the fake handed out and saw used. */
function downloadTokens(fake: GraphFake): string[] {
  return fake
    .requestsMatching(/^\/download\//)
    .map((r) => new URL(r.path, fake.url).searchParams.get('token'))
    .filter((x): x is string => !!x);
}

function assertNoSecrets(text: string, fake: GraphFake, extra: string[] = []): void {
  for (const s of [fake.clientSecret, 'refresh-token-1', fake.refreshToken, ...fake.issuedAccessTokens(), ...extra]) {
    assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}…) appears in: ${text.slice(0, 300)}`);
  }
}

const ext = (it: { driveId: string; id: string }) => `${it.driveId}!${it.id}`;
const note = (i: number) => Buffer.from(`note ${i}\n`);

// ------------------------------------------------------------------------------------------ 1. auth

test('auth: app-only credentials enumerate every user over several /users pages; a user without a drive is skipped', async (t) => {
  const fake = await startFake(t, { usersPageSize: 2, deltaPageSize: 3 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  fake.addUser('carol@contoso.com', { drive: false }); // mysite not provisioned
  fake.addUser('dave@contoso.com'); // a drive, no images
  const erin = fake.addUser('erin@contoso.com');
  fake.addFile(alice.driveId!, 'a.png', 'image/png', note(1));
  fake.addFile(bob.driveId!, 'b.png', 'image/png', note(2));
  fake.addFile(erin.driveId!, 'e.png', 'image/png', note(3));
  const notes: string[] = [];
  const c = connector(fake, TENANT_URI, { debug: (m) => notes.push(m) });
  await c.probe();
  const { refs } = await listAll(c);
  assert.deepEqual(refs.map((r) => r.path).sort(), ['alice@contoso.com/a.png', 'bob@contoso.com/b.png', 'erin@contoso.com/e.png']);

  const userPages = fake.requestsMatching(/^\/v1\.0\/users\?/).filter((r) => !/\$top=1(&|$)/.test(r.path)); // not the probe
  assert.equal(userPages.length, 3, '5 users at 2 a page: 3 pages');
  assert.ok(!/skiptoken/.test(userPages[0]!.path));
  assert.ok(userPages.slice(1).every((r) => /\$skiptoken=/.test(r.path)), 'pages after the first follow @odata.nextLink');
  assert.equal(fake.requestsMatching(/^\/v1\.0\/users\/[^/]+\/drive/).length, 5, 'each user asked for a drive');
  const carolDrive = fake.requestsMatching(/^\/v1\.0\/users\/[^/]+\/drive/).filter((r) => r.status === 404);
  assert.equal(carolDrive.length, 1, 'one 404 (carol), not retried');
  assert.ok(notes.some((m) => m.includes('carol@contoso.com') && /no OneDrive/.test(m)), notes.join('\n'));
  // every drive with a drive was walked, carol's never
  for (const u of [alice, bob, erin]) assert.ok(fake.requestsMatching(new RegExp(`/drives/${u.driveId}/root/delta`)).length >= 1);
  assert.ok(fake.requests.filter((r) => r.path.startsWith('/v1.0/')).every((r) => r.auth), 'every Graph request carries the bearer token');
});

test('auth: delegated refresh-token credentials scan onedrive://user@domain (twice: the rotated token is kept in memory only)', async (t) => {
  const fake = await startFake(t, { deltaPageSize: 50 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  const a1 = fake.addFile(alice.driveId!, 'a1.png', 'image/png', await pngImage(1));
  fake.addFile(alice.driveId!, 'a2.png', 'image/png', note(2));
  fake.addFile(bob.driveId!, 'b1.png', 'image/png', note(3));
  const delegated = { tenantId: fake.tenantId, clientId: fake.clientId, refreshToken: 'refresh-token-1' };
  const { store, base } = await pipeline(t, fake, delegated);
  const uri = 'onedrive://alice@contoso.com';

  const s1 = await scanSource('onedrive://Alice@Contoso.com', { ...base, changes: true });
  assert.equal(s1.source, uri);
  assert.equal(s1.status, 'completed');
  assert.equal(s1.listed, 2, "only alice's drive");
  assert.equal(s1.downloaded, 2);
  assert.notEqual(fake.refreshToken, 'refresh-token-1', 'the refresh grant was used (AAD rotated the token)');
  assert.equal(fake.requestsMatching(/^\/v1\.0\/users(\?|$)/).length, 0, 'a user source does not enumerate the directory');
  assert.ok(fake.requestsMatching(/^\/v1\.0\/users\/alice%40contoso\.com\/drive/).length >= 1);
  const out = await outcomesOf(store, uri);
  assert.equal(out.get(ext(a1)), 'scanned');

  // a second scan starts from the credentials file again (the rotated token is never written back)
  fake.editFile(a1.id, await pngImage(11));
  const s2 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s2.mode, 'changes');
  assert.equal(s2.downloaded, 1);

  // a tenant source needs app-only credentials
  await assert.rejects(scanSource(TENANT_URI, { ...base }), (err: unknown) => err instanceof UserError && /app-only/.test(err.message));
  // a revoked refresh token: one clear line, no token in it
  fake.revokeRefreshTokens();
  await assert.rejects(scanSource(uri, { ...base }), (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    assert.ok(!/[\r\n]/.test(err.message), err.message);
    assert.match(err.message, /invalid_grant/);
    assert.match(err.message, /sign in again/);
    assertNoSecrets(err.message, fake);
    return true;
  });
  assertNoSecrets(await dbText(store), fake);
});

test('auth: a wrong client secret is one clear UserError line without the secret; no credential in any error', async (t) => {
  const fake = await startFake(t);
  const alice = fake.addUser('alice@contoso.com');
  fake.addFile(alice.driveId!, 'a.png', 'image/png', note(1));
  const wrong = 'Wr0ng~Secret.Value_123';
  const { base } = await pipeline(t, fake, appCreds(fake, { clientSecret: wrong }));
  const messages: string[] = [];
  await assert.rejects(scanSource(TENANT_URI, base), (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    messages.push(err.message);
    assert.ok(!/[\r\n]/.test(err.message), `one line: ${err.message}`);
    assert.match(err.message, /invalid_client/);
    assert.match(err.message, /clientSecret/, 'says what to check');
    assert.ok(!err.message.includes(wrong), err.message);
    return true;
  });
  assert.equal(fake.requests.filter((r) => r.path.startsWith('/v1.0/')).length, 0, 'no Graph request without a token');

  // the same through the connector's probe, for a user source and a wrong client id / tenant
  for (const [uri, creds] of [
    ['onedrive://alice@contoso.com', appCreds(fake, { clientSecret: wrong })],
    [TENANT_URI, appCreds(fake, { clientId: 'someone-elses-app' })],
    [TENANT_URI, appCreds(fake, { tenantId: 'fabrikam.onmicrosoft.com' })],
  ] as const) {
    const c = createOnedriveConnector(uri, { credentials: creds, apiUrl: fake.url, tokenUrl: fake.url, retry: FAST_RETRY });
    await assert.rejects(c.probe(), (err: unknown) => {
      assert.ok(err instanceof UserError, String(err));
      assert.ok(!/[\r\n]/.test(err.message), err.message);
      messages.push(err.message);
      return true;
    });
  }
  for (const m of messages) assertNoSecrets(m, fake, [wrong]);

  // a token endpoint that echoes the request (a proxy, a misbehaving server) still yields no secret
  const echo: typeof fetch = async (_url, init) =>
    new Response(JSON.stringify({ error: 'invalid_client', error_description: `AADSTS7000215: bad request body ${String(init?.body)}` }), { status: 401 });
  const tc = new TokenClient({ tenantId: 't', clientId: 'c', clientSecret: 'S3cr3t-echoed-value' }, { fetch: echo, tokenUrl: 'http://127.0.0.1:9' });
  await assert.rejects(tc.getToken(), (err: Error) => !err.message.includes('S3cr3t-echoed-value') && /invalid_client/.test(err.message));
  const rt = new TokenClient({ tenantId: 't', clientId: 'c', refreshToken: 'RT-echoed-0123456789' }, { fetch: echo, tokenUrl: 'http://127.0.0.1:9' });
  await assert.rejects(rt.getToken(), (err: Error) => !err.message.includes('RT-echoed-0123456789'));
});

// ------------------------------------------------------------------------------------------ 2. listing

test('listing: delta from @odata.nextLink to @odata.deltaLink per drive, folder paths rebuilt, only images', async (t) => {
  const fake = await startFake(t, { deltaPageSize: 3, usersPageSize: 5 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  const d = alice.driveId!;
  const photos = fake.addFolder(d, 'Photos');
  const y2024 = fake.addFolder(d, '2024', photos.id);
  const a = fake.addFile(d, 'a.png', 'image/png', note(1), y2024.id);
  const b = fake.addFile(d, 'b.jpg', 'image/jpeg', note(2));
  fake.addFile(d, 'notes.txt', 'text/plain', note(3), photos.id);
  fake.addFile(d, 'report.pdf', 'application/pdf', note(4), y2024.id);
  const scans = fake.addFolder(d, 'Scans');
  const s = fake.addFile(d, 's.png', 'image/png', note(5), scans.id);
  for (let i = 0; i < 3; i++) fake.addFile(d, `x${i}.txt`, 'text/plain', note(10 + i));
  // renamed after its child was added: the child comes a page before its folder in the delta feed
  fake.rename(scans.id, 'Scans 2026');
  const c1 = fake.addFile(bob.driveId!, 'c.png', 'image/png', note(6));

  const c = connector(fake, TENANT_URI, { pageSize: 100 });
  const { refs, changesCursor } = await listAll(c);
  const byId = new Map(refs.map((r) => [r.externalId, r]));
  assert.deepEqual([...byId.keys()].sort(), [ext(a), ext(b), ext(s), ext(c1)].sort(), 'only image/* files');
  assert.equal(byId.get(ext(a))!.path, 'alice@contoso.com/Photos/2024/a.png');
  assert.equal(byId.get(ext(b))!.path, 'alice@contoso.com/b.jpg');
  assert.equal(byId.get(ext(s))!.path, 'alice@contoso.com/Scans 2026/s.png');
  assert.equal(byId.get(ext(c1))!.path, 'bob@contoso.com/c.png');
  assert.equal(byId.get(ext(a))!.etag, fake.item(a.id).cTag, 'etag is the cTag');
  assert.equal(byId.get(ext(b))!.contentType, 'image/jpeg');

  // alice's drive: root + 3 folders + 8 files = 12 items at 3 a page → 4 delta requests
  const walk = fake.requestsMatching(new RegExp(`^/v1\\.0/drives/${d}/root/delta`));
  assert.equal(walk.length, 4);
  assert.ok(!/skiptoken|token=/.test(walk[0]!.path), 'starts without a token');
  assert.match(walk[0]!.path, /\$select=[^&]*cTag/);
  assert.ok(walk.slice(1).every((r) => /\$skiptoken=/.test(r.path) && /\$select=/.test(r.path)), 'then the @odata.nextLinks');
  assert.equal(new Set(walk.map((r) => r.path)).size, 4, 'each page once');
  assert.ok(walk.every((r) => r.status === 200));
  // folders come from the walk; only the folder listed a page after its child was looked up (once)
  const lookups = fake.requestsMatching(/^\/v1\.0\/drives\/[^/]+\/items\/[^/?]+\?/);
  assert.deepEqual(lookups.map((r) => r.path.split('?')[0]), [`/v1.0/drives/${d}/items/${scans.id}`]);

  // the final page's cursor holds each drive's @odata.deltaLink (relative to the API root)
  assert.ok(changesCursor);
  const cur = JSON.parse(changesCursor) as { drives: Record<string, { link: string }> };
  assert.deepEqual(Object.keys(cur.drives).sort(), [alice.driveId!, bob.driveId!].sort());
  for (const st of Object.values(cur.drives)) assert.match(st.link, /^\/drives\/[^/]+\/root\/delta\?.*token=\d+/);

  // the deltaLink is what changes() asks next; a new image, a deleted one
  const added = fake.addFile(d, 'new.png', 'image/png', note(7), photos.id);
  fake.deleteItem(b.id);
  const changed: string[] = [];
  const gone: string[] = [];
  for await (const p of c.changes(changesCursor)) {
    changed.push(...p.items.map((r) => r.path));
    gone.push(...(p.deleted ?? []));
  }
  assert.deepEqual(changed, ['alice@contoso.com/Photos/new.png']);
  assert.deepEqual(gone, [ext(b)]);
  assert.ok(added);
  const next = fake.requestsMatching(new RegExp(`^/v1\\.0/drives/${d}/root/delta`)).slice(4);
  assert.equal(next.length, 1);
  assert.match(next[0]!.path, new RegExp(`token=${cur.drives[d]!.link.match(/token=(\d+)/)![1]}`));
});

test('listing: a drive that cannot be walked is skipped, and the walk still ends with the other drives\' deltaLinks', async (t) => {
  const fake = await startFake(t, { deltaPageSize: 5 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com'); // listed last: its walk is refused
  fake.addFile(alice.driveId!, 'a.png', 'image/png', note(1));
  fake.addFile(bob.driveId!, 'b.png', 'image/png', note(2));
  fake.fail({ match: new RegExp(`^/v1\\.0/drives/${bob.driveId}/root/delta`), status: 403, times: Infinity });
  const notes: string[] = [];
  const c = connector(fake, TENANT_URI, { debug: (m) => notes.push(m) });
  const { refs, changesCursor } = await listAll(c);
  assert.deepEqual(refs.map((r) => r.path), ['alice@contoso.com/a.png']);
  assert.ok(notes.some((m) => m.includes('bob@contoso.com') && /skipped/.test(m)), notes.join('\n'));
  assert.ok(changesCursor, 'the last page carries the change cursor even though the last drive was skipped');
  assert.deepEqual(Object.keys((JSON.parse(changesCursor) as { drives: object }).drives), [alice.driveId!]);
});

test('a tenant drive that refuses its listing is a gap: nothing is marked gone, the summary names it', async (t) => {
  const uri = 'onedrive://gap.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'gap.contoso.onmicrosoft.com', deltaPageSize: 5 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  const a = fake.addFile(alice.driveId!, 'a.png', 'image/png', await pngImage(1));
  const b = fake.addFile(bob.driveId!, 'b.png', 'image/png', await pngImage(2));
  const { store, base } = await pipeline(t, fake);
  const s1 = await scanSource(uri, base);
  assert.equal(s1.listed, 2);
  const off = fake.fail({ match: new RegExp(`^/v1\\.0/drives/${bob.driveId}/root/delta`), status: 403, times: Infinity });
  const s2 = await scanSource(uri, { ...base, restart: true });
  off();
  assert.equal(s2.status, 'completed');
  assert.equal(s2.deleted, 0, "bob's unreadable drive is not taken for deleted files");
  assert.equal(s2.incomplete?.length, 1);
  assert.match(s2.incomplete![0]!, /drive of bob@contoso\.com \(access_denied/);
  const out = await outcomesOf(store, uri);
  assert.equal(out.get(ext(a)), 'scanned');
  assert.equal(out.get(ext(b)), 'scanned');
});

test('a user whose drive cannot be looked up is a gap; in a change run a refused drive keeps its position', async (t) => {
  const uri = 'onedrive://gap2.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'gap2.contoso.onmicrosoft.com', deltaPageSize: 5 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  fake.addFile(alice.driveId!, 'a.png', 'image/png', await pngImage(1));
  const b1 = fake.addFile(bob.driveId!, 'b1.png', 'image/png', await pngImage(2));
  const { store, base } = await pipeline(t, fake);
  const sourceId = await store.upsertSource(uri, 'onedrive');
  // the drive lookup of bob refused: a gap, the scan completes, no change cursor from it
  let off = fake.fail({ match: new RegExp(`^/v1\\.0/users/${bob.id}/drive`), status: 403, probability: 1 });
  const s1 = await scanSource(uri, { ...base, changes: true });
  off();
  assert.equal(s1.status, 'completed');
  assert.match((s1.incomplete ?? []).join(' '), /drive of bob@contoso\.com \(access_denied/);
  assert.equal(await store.getCursor(sourceId, 'changes'), undefined);
  const s2 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s2.mode, 'full');
  assert.equal(s2.listed, 2);
  assert.ok(await store.getCursor(sourceId, 'changes'));
  // bob's delta refused during a change run: bob keeps his old position, so the delete shows up next time
  fake.deleteItem(b1.id);
  off = fake.fail({ match: new RegExp(`^/v1\\.0/drives/${bob.driveId}/root/delta`), status: 403, probability: 1 });
  const s3 = await scanSource(uri, { ...base, changes: true });
  off();
  assert.equal(s3.mode, 'changes');
  assert.equal(s3.deleted, 0);
  assert.equal(s3.incomplete?.length, 1);
  const s4 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s4.mode, 'changes');
  assert.equal(s4.deleted, 1);
  assert.equal((await outcomesOf(store, uri)).get(ext(b1)), 'skipped:gone');
});

test('the tenant in the URI must be the tenant of the credentials', async (t) => {
  const fake = await startFake(t);
  fake.addUser('alice@contoso.com');
  await connector(fake, 'onedrive://contoso.com').probe(); // a verified domain of the tenant
  await connector(fake, `onedrive://${fake.tenantId}`).probe();
  for (const uri of ['onedrive://fabrikam.com', 'onedrive://alice']) {
    await assert.rejects(connector(fake, uri).probe(), (e: unknown) => e instanceof UserError && /credentials sign in to contoso\.onmicrosoft\.com/.test(e.message) && !e.message.includes('\n'), uri);
  }
});

test('a Graph access token revoked mid-scan is fetched again once, and the listing goes on', async (t) => {
  const fake = await startFake(t, { deltaPageSize: 2 });
  const alice = fake.addUser('alice@contoso.com');
  for (let i = 0; i < 6; i++) fake.addFile(alice.driveId!, `f${i}.png`, 'image/png', note(i));
  const c = connector(fake);
  const it = c.list()[Symbol.asyncIterator]();
  let n = ((await it.next()).value?.items.length ?? 0);
  const before = fake.counters.tokenRequests;
  fake.revokeAccessTokens();
  for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.items.length;
  assert.equal(n, 6);
  assert.equal(fake.counters.tokenRequests, before + 1, 'one new token');
});

test('an interrupted scan stops waiting out a long Retry-After', async (t) => {
  const uri = 'onedrive://patience.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'patience.contoso.onmicrosoft.com', deltaPageSize: 2 });
  const alice = fake.addUser('alice@contoso.com');
  for (let i = 0; i < 6; i++) fake.addFile(alice.driveId!, `f${i}.png`, 'image/png', note(i));
  const { base } = await pipeline(t, fake);
  fake.fail({ match: /root\/delta/, status: 429, retryAfter: '120', times: 1 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 500);
  const t0 = Date.now();
  const s = await scanSource(uri, { ...base, signal: ac.signal, retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 10 } });
  assert.equal(s.status, 'interrupted');
  assert.ok(Date.now() - t0 < 10_000, `stopped after ${Date.now() - t0} ms, not 120 s`);
});

// ------------------------------------------------------------------------------------------ 3. incremental pipeline

test('pipeline: 2,000 items; 3 adds, 1 edit, 1 delete → a --changes scan downloads 4 and marks 1 gone; the deltaLink is stored after commit', async (t) => {
  const uri = 'onedrive://incr.contoso.onmicrosoft.com';
  const N = 2000;
  const fake = await startFake(t, { tenantId: 'incr.contoso.onmicrosoft.com', deltaPageSize: 200, usersPageSize: 2 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  fake.addUser('carol@contoso.com', { drive: false });
  const drives = [alice.driveId!, bob.driveId!];
  const folders = drives.map((dr, i) => fake.addFolder(dr, i ? 'Scans' : 'Photos'));
  const items = [];
  for (let i = 0; i < N; i++) {
    const content = i % 400 === 0 ? await pngImage(i) : note(i);
    items.push(fake.addFile(drives[i % 2]!, `f${i}.png`, 'image/png', content, i % 3 ? folders[i % 2]!.id : undefined));
  }
  const { store, base } = await pipeline(t, fake);

  const s1 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s1.status, 'completed');
  assert.equal(s1.listed, N);
  assert.equal(s1.downloaded, N);
  assert.equal(s1.mode, 'full');
  assert.match(s1.fullBecause ?? '', /no change cursor/);
  const sourceId = await store.upsertSource(uri, 'onedrive');
  const cursor = await store.getCursor(sourceId, 'changes');
  assert.ok(cursor, 'a changes cursor is stored after the completed scan');
  const parsed = JSON.parse(cursor) as { v: number; drives: Record<string, { link: string; done?: boolean }> };
  assert.deepEqual(Object.keys(parsed.drives).sort(), [...drives].sort());
  for (const st of Object.values(parsed.drives)) {
    assert.match(st.link, /\/root\/delta\?.*token=\d+/, 'a deltaLink');
    assert.ok(!/skiptoken/.test(st.link), 'not a nextLink');
  }
  assert.ok(!cursor.includes('/download/') && !cursor.includes('/content'), 'no download URL in the cursor');
  assert.equal(await store.getCursor(sourceId, 'list'), undefined, 'the listing cursor is cleared');
  assert.equal(fake.counters.downloadsWithAuth, 0, 'the pre-authenticated URL gets no bearer token');

  const add1 = fake.addFile(alice.driveId!, 'added1.png', 'image/png', note(9001), folders[0]!.id);
  const add2 = fake.addFile(bob.driveId!, 'added2.png', 'image/png', note(9002));
  const add3 = fake.addFile(bob.driveId!, 'added3.png', 'image/png', await pngImage(9003), folders[1]!.id);
  const edited = items[3]!;
  fake.editFile(edited.id, Buffer.from('note 3, edited to be longer\n'));
  const removed = items[4]!;
  fake.deleteItem(removed.id);
  const before = fake.requestsMatching(/\/content$/).length;

  const s2 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s2.status, 'completed');
  assert.equal(s2.mode, 'changes');
  assert.equal(s2.downloaded, 4, 'only the 3 new and 1 edited items are downloaded');
  assert.equal(s2.deleted, 1);
  assert.equal(fake.requestsMatching(/\/content$/).length - before, 4);
  const out = await outcomesOf(store, uri);
  assert.equal(out.size, N + 3);
  assert.equal(out.get(ext(removed)), 'skipped:gone');
  assert.equal(out.get(ext(add3)), 'scanned');
  assert.equal(out.get(ext(add1)), 'skipped:not_image');
  assert.equal(out.get(ext(add2)), 'skipped:not_image');
  assert.equal(out.get(ext(edited)), 'skipped:not_image');
  const etags = new Map((await store.itemOutcomes(uri)).map((o) => [o.externalId, o.etag]));
  assert.equal(etags.get(ext(edited)), fake.item(edited.id).cTag, 'the new cTag is recorded');
  // the new cursor moved on: a third --changes scan sees nothing
  const s3 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s3.mode, 'changes');
  assert.equal(s3.downloaded, 0);
  assert.equal(s3.listed, 0);

  const text = await dbText(store);
  assert.ok(!text.includes('/download/'), 'no download URL in the database');
  const tokens = downloadTokens(fake);
  assert.ok(tokens.length >= N);
  for (const tok of tokens) assert.ok(!text.includes(tok), 'no download token in the database');
  assertNoSecrets(text, fake);
});

test('pipeline: an interrupted first scan stores no deltaLink; the resumed scan stores it once complete', async (t) => {
  const uri = 'onedrive://interrupt.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'interrupt.contoso.onmicrosoft.com', deltaPageSize: 20 });
  const alice = fake.addUser('alice@contoso.com');
  for (let i = 0; i < 200; i++) fake.addFile(alice.driveId!, `f${i}.png`, 'image/png', note(i));
  const { store, base } = await pipeline(t, fake);
  const sourceId = await store.upsertSource(uri, 'onedrive');
  const ac = new AbortController();
  const s1 = await scanSource(uri, {
    ...base, changes: true, signal: ac.signal, concurrency: 2,
    onProgress: (p) => {
      if (p.done >= 60) ac.abort();
    },
  });
  assert.equal(s1.status, 'interrupted');
  assert.equal(await store.getCursor(sourceId, 'changes'), undefined, 'no change cursor before the listing is committed');
  const list = await store.getCursor(sourceId, 'list');
  assert.ok(list, 'the resume point is kept');
  assert.ok(!list.includes('/download/'));

  const s2 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s2.status, 'completed');
  assert.ok(s2.resumedFrom);
  const cursor = await store.getCursor(sourceId, 'changes');
  assert.match(cursor ?? '', /token=\d+/);
  assert.equal((await store.itemOutcomes(uri)).length, 200);
});

// ------------------------------------------------------------------------------------------ 4. download

test('download: through /content; an expired pre-authenticated URL is fetched again and the item still scans', async (t) => {
  const uri = 'onedrive://download.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'download.contoso.onmicrosoft.com' });
  const alice = fake.addUser('alice@contoso.com');
  const imgs = [];
  for (let i = 0; i < 3; i++) imgs.push(fake.addFile(alice.driveId!, `p${i}.png`, 'image/png', await pngImage(i + 20)));
  const { store, base } = await pipeline(t, fake);
  fake.expireNextDownloadUrls(1);
  const s = await scanSource(uri, { ...base, concurrency: 1 });
  assert.equal(s.status, 'completed');
  assert.equal(s.scanned, 3);
  assert.equal(s.downloaded, 3, 'one download per item (the re-fetch is inside it)');
  assert.equal(fake.counters.expiredDownloads, 1);
  assert.equal((s.requests as unknown as { downloadUrlRefetches: number }).downloadUrlRefetches, 1);
  const out = await outcomesOf(store, uri);
  for (const it of imgs) assert.equal(out.get(ext(it)), 'scanned');
  // 3 items, one of them twice through /content; no bearer token on the download host
  assert.equal(fake.requestsMatching(/\/items\/[^/]+\/content$/).length, 4);
  assert.equal(fake.counters.downloadsWithAuth, 0);
  const text = await dbText(store);
  assert.ok(!text.includes('/download/'));
  for (const tok of downloadTokens(fake)) assert.ok(!text.includes(tok));

  // connector level: a URL that stays refused fails the item as access_denied after one re-fetch
  const c = connector(fake, 'onedrive://alice@contoso.com');
  const { refs } = await listAll(c);
  fake.expireNextDownloadUrls(2);
  await assert.rejects(c.open(refs[0]!), (err: Error & { reason?: string }) => err.reason === 'access_denied');
  fake.expireNextDownloadUrls(1);
  const body = await buffer(await c.open(refs[0]!));
  assert.deepEqual(body, fake.item(refs[0]!.externalId.slice(refs[0]!.externalId.lastIndexOf('!') + 1)).content);
});

// ------------------------------------------------------------------------------------------ 5. cursor expiry

test('cursor expiry: 410 resyncRequired → the --changes scan falls back to a full listing that downloads only what changed', async (t) => {
  const uri = 'onedrive://expiry.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'expiry.contoso.onmicrosoft.com', deltaPageSize: 10 });
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  const items = [];
  for (let i = 0; i < 40; i++) items.push(fake.addFile(i % 2 ? bob.driveId! : alice.driveId!, `f${i}.png`, 'image/png', i % 10 === 0 ? await pngImage(i) : note(i)));
  const { store, base } = await pipeline(t, fake);
  const s1 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s1.downloaded, 40);

  // alice's drive (walked first, its token still valid): an edit and a delete;
  // bob's drive (its tokens invalidated): a rename (eTag changes, cTag does not) and an add
  const edited = items[0]!; // alice, a real PNG
  fake.editFile(edited.id, await pngImage(500));
  const removed = items[2]!; // alice
  fake.deleteItem(removed.id);
  const renamed = items[1]!; // bob
  fake.rename(renamed.id, 'renamed.png');
  const added = fake.addFile(bob.driveId!, 'added.png', 'image/png', await pngImage(501));
  fake.invalidateDeltaTokens(bob.driveId!);

  const s2Started = Date.now();
  const s2 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s2.status, 'completed');
  assert.equal(s2.mode, 'full');
  assert.match(s2.fullBecause ?? '', /cursor/);
  assert.equal(fake.requestsMatching(new RegExp(`/drives/${bob.driveId}/root/delta`)).filter((r) => r.status === 410).length, 1);
  assert.equal(s2.downloaded, 2, 'the edited and the added item only');
  assert.equal(s2.deleted, 1);
  assert.equal(s2.skipped.unchanged, 38, 'everything else (the renamed one too) is unchanged');
  const out = await outcomesOf(store, uri);
  assert.equal(out.get(ext(edited)), 'scanned');
  assert.equal(out.get(ext(added)), 'scanned');
  assert.equal(out.get(ext(removed)), 'skipped:gone');
  // the unchanged ones (the renamed one too) keep their outcome, seen by this run, not downloaded
  const rows = new Map((await itemRows(store, uri)).map((r) => [r.external_id, r]));
  const s1Outcome = (i: number) => (i % 10 === 0 ? 'scanned' : 'skipped:not_image');
  for (const [i, it] of items.entries()) {
    if (it === edited || it === removed) continue;
    const r = rows.get(ext(it))!;
    assert.equal(r.outcome, s1Outcome(i), it.name);
    assert.equal(String(r.last_run_id), s2.runId, `${it.name} seen by the fallback listing`);
  }
  const downloadedIds = new Set(fake.requestsMatching(/\/content$/).filter((r) => r.at >= s2Started).map((r) => r.path.split('/')[5]));
  assert.deepEqual([...downloadedIds].sort(), [edited.id, added.id].sort(), 'only the really changed items were fetched');
  assert.equal(rows.get(ext(renamed))!.path, 'bob@contoso.com/renamed.png', 'the new name is recorded');

  // the fallback stored a fresh cursor: the next --changes scan is incremental again
  const s3 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s3.mode, 'changes');
  assert.equal(s3.downloaded, 0);
});

// ------------------------------------------------------------------------------------------ 6. throttling

test('throttling: 429/503 with Retry-After pause the whole drive; without the header, backoff', async (t) => {
  const fake = await startFake(t);
  const alice = fake.addUser('alice@contoso.com');
  const bob = fake.addUser('bob@contoso.com');
  const a = [0, 1, 2].map((i) => fake.addFile(alice.driveId!, `a${i}.png`, 'image/png', note(i)));
  const b0 = fake.addFile(bob.driveId!, 'b0.png', 'image/png', note(9));
  const c = connector(fake, TENANT_URI, { retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5000 } });
  const { refs } = await listAll(c);
  const ref = (it: { driveId: string; id: string }) => refs.find((r) => r.externalId === ext(it))!;
  const contentReqs = (it: { id: string }) => fake.requestsMatching(new RegExp(`/items/${it.id}/content$`));
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
    assert.ok(cond(), 'timed out waiting');
  };

  for (const status of [429, 503]) {
    const start = fake.requests.length;
    const throttledBefore = c.stats.throttled;
    fake.fail({ match: new RegExp(`/items/${a[0]!.id}/content$`), status, retryAfter: '0.4', times: 1 });
    const first = c.open(ref(a[0]!)).then(buffer);
    // once the client has the throttled answer, other requests for the same drive start
    await until(() => c.stats.throttled > throttledBefore);
    const others = [c.open(ref(a[1]!)).then(buffer), c.open(ref(a[2]!)).then(buffer)];
    const other = c.open(ref(b0)).then(buffer);
    await Promise.all([first, ...others, other]);
    const recs = fake.requests.slice(start);
    const throttled = recs.find((r) => r.status === status)!;
    assert.ok(throttled, `the fake answered ${status}`);
    const aliceAfter = recs.filter((r) => r !== throttled && r.path.includes(alice.driveId!) && r.at > throttled.at);
    assert.ok(aliceAfter.length >= 6, 'the retry and both other items (content + download each)');
    for (const r of aliceAfter) assert.ok(r.at >= throttled.at + 395, `${status}: ${r.path} sent ${r.at - throttled.at} ms after the throttled answer, before its Retry-After`);
    assert.equal(contentReqs(a[0]!).filter((r) => r.at > throttled.at).length, 1, 'retried once');
    // another drive is not paused
    const bobReq = recs.find((r) => r.path.includes(`/items/${b0.id}/content`))!;
    assert.ok(bobReq.at < throttled.at + 390, `another drive goes on (${bobReq.at - throttled.at} ms)`);
  }

  // no Retry-After: exponential backoff (with jitter), still pausing the drive
  const c2 = connector(fake, TENANT_URI, { retry: { maxAttempts: 5, baseDelayMs: 300, maxDelayMs: 300 } });
  await listAll(c2);
  for (let round = 0; round < 3; round++) {
    const start = fake.requests.length;
    fake.fail({ match: new RegExp(`/items/${a[0]!.id}/content$`), status: 503, times: 1 });
    const first = c2.open(ref(a[0]!)).then(buffer);
    await until(() => c2.stats.throttled > round);
    const second = c2.open(ref(a[1]!)).then(buffer);
    await Promise.all([first, second]);
    const recs = fake.requests.slice(start);
    const throttled = recs.find((r) => r.status === 503)!;
    const retry = recs.find((r) => r !== throttled && r.path.includes(`/items/${a[0]!.id}/content`))!;
    const secondReq = recs.find((r) => r.path.includes(`/items/${a[1]!.id}/content`))!;
    assert.ok(retry.at - throttled.at <= 300 + 250, `backoff is capped by maxDelayMs (${retry.at - throttled.at} ms)`);
    assert.ok(secondReq.at >= retry.at - 20, `the drive waited for the backoff too (${secondReq.at - throttled.at} vs ${retry.at - throttled.at} ms)`);
  }
  assert.equal(c2.stats.throttled, 3);
});

test('throttling: 20% of requests throttled → the full scan completes, each item scanned and downloaded once, throttled counted exactly', async (t) => {
  const uri = 'onedrive://throttle.contoso.onmicrosoft.com';
  const N = 80;
  const fake = await startFake(t, { tenantId: 'throttle.contoso.onmicrosoft.com', deltaPageSize: 7, usersPageSize: 1 });
  const users = ['alice', 'bob', 'carol'].map((u) => fake.addUser(`${u}@contoso.com`));
  fake.addUser('dave@contoso.com', { drive: false });
  const folders = users.map((u) => fake.addFolder(u.driveId!, 'Pictures'));
  const items = [];
  for (let i = 0; i < N; i++) {
    const u = i % 3;
    const it = fake.addFile(users[u]!.driveId!, `f${i}.png`, 'image/png', i % 16 === 0 ? await pngImage(i) : note(i), i % 2 ? folders[u]!.id : undefined);
    if (i % 10 === 5) fake.share(it.id, { roles: ['read'], link: { scope: 'organization', type: 'view' } });
    items.push(it);
  }
  const { store, base } = await pipeline(t, fake);
  // on Graph and on the download host; 429 with Retry-After: 0, 503 without the header (backoff)
  fake.fail({ match: /^\/(v1\.0|download)\//, status: 429, retryAfter: '0', probability: 0.1, seed: 7 });
  fake.fail({ match: /^\/(v1\.0|download)\//, status: 503, probability: 0.112, seed: 13 });
  const s = await scanSource(uri, { ...base, concurrency: 6 });
  assert.equal(s.status, 'completed');
  const matching = fake.requests.filter((r) => /^\/(v1\.0|download)\//.test(r.path)).length;
  assert.ok(fake.faultHits > 0.1 * matching && fake.faultHits < 0.3 * matching, `about 20% throttled (${fake.faultHits}/${matching})`);
  assert.equal(s.requests?.throttled, fake.faultHits, 'every throttled answer counted, once');
  assert.equal(s.listed, N);
  assert.equal(s.downloaded, N);
  const outcomes = await store.itemOutcomes(uri);
  assert.equal(outcomes.length, N, 'one outcome per item');
  assert.equal(new Set(outcomes.map((o) => o.externalId)).size, N);
  for (const o of outcomes) assert.ok(o.outcome === 'scanned' || o.outcome === 'skipped:not_image', `${o.externalId}: ${o.outcome}`);
  const ok = new Map<string, number>();
  for (const r of fake.requestsMatching(/^\/download\//)) if (r.status === 200) ok.set(r.path.split('/')[3]!.split('?')[0]!, (ok.get(r.path.split('/')[3]!.split('?')[0]!) ?? 0) + 1);
  for (const it of items) assert.equal(ok.get(it.id), 1, `${it.name} downloaded once`);
  const exposures = await itemRows(store, uri);
  assert.equal(exposures.filter((r) => r.exposure === 'domain').length, 8, 'permission look-ups survived the throttling');
});

// ------------------------------------------------------------------------------------------ 7. exposure

test('exposure from permissions: anonymous link, organization link, external and internal grants; items and findings carry it', async (t) => {
  const uri = 'onedrive://exposure.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'exposure.contoso.onmicrosoft.com', deltaPageSize: 20 });
  const alice = fake.addUser('alice@contoso.com');
  const d = alice.driveId!;
  const mk = async (name: string, seed: number) => fake.addFile(d, name, 'image/png', await pngImage(seed));
  const anon = await mk('anon.png', 1);
  const org = await mk('org.png', 2);
  const extGrant = await mk('external.png', 3);
  const extLink = await mk('external-link.png', 4);
  const intGrant = await mk('internal.png', 5);
  const ownerOnly = await mk('owner.png', 6);
  const none = await mk('none.png', 7);
  const guest = await mk('guest.png', 8);
  const later = await mk('later.png', 9);
  fake.share(anon.id, { roles: ['read'], link: { scope: 'anonymous', type: 'view' } });
  fake.share(anon.id, { roles: ['write'], grantedToV2: { user: { email: 'bob@contoso.com', displayName: 'Bob' } } });
  fake.share(org.id, { roles: ['write'], link: { scope: 'organization', type: 'edit' } });
  fake.share(extGrant.id, { roles: ['read'], grantedToV2: { user: { email: 'eve@fabrikam.com', displayName: 'Eve' } } });
  fake.share(extLink.id, { roles: ['read'], link: { scope: 'users', type: 'view' }, grantedToIdentitiesV2: [{ user: { email: 'bob@contoso.com' } }, { user: { email: 'Mallory@Fabrikam.COM' } }] });
  fake.share(intGrant.id, { roles: ['write'], grantedToV2: { user: { email: 'bob@contoso.com', displayName: 'Bob' } } });
  fake.share(ownerOnly.id, { roles: ['owner'], grantedToV2: { user: { email: 'alice@contoso.com' } } });
  fake.share(guest.id, { roles: ['read'], grantedToV2: { user: { email: 'eve_fabrikam.com#EXT#@contoso.onmicrosoft.com' } } });
  const { store, base: base0 } = await pipeline(t, fake);
  const base = { ...base0, policy: EVERY_LABEL_POLICY };
  const s = await scanSource(uri, { ...base, changes: true });
  assert.equal(s.scanned, 9);
  const rows = await itemRows(store, uri);
  const level = new Map(rows.map((r) => [r.external_id, r.exposure]));
  const details = new Map(rows.map((r) => [r.external_id, JSON.stringify(r.exposure_details)]));
  assert.equal(level.get(ext(anon)), 'anyone_with_link', 'widest wins over the internal grant');
  assert.equal(level.get(ext(org)), 'domain');
  assert.equal(level.get(ext(extGrant)), 'external');
  assert.equal(level.get(ext(extLink)), 'external');
  assert.equal(level.get(ext(intGrant)), 'internal');
  assert.equal(level.get(ext(guest)), 'external', 'a B2B guest account is outside the tenant');
  assert.equal(level.get(ext(ownerOnly)), 'private');
  assert.equal(level.get(ext(none)), 'private');
  assert.match(details.get(ext(anon))!, /link:anonymous:view/);
  assert.match(details.get(ext(extGrant))!, /user:eve@fabrikam\.com:read/);
  assert.match(details.get(ext(extLink))!, /user:mallory@fabrikam\.com:read/);
  // only shared items cost a permission request
  assert.equal(fake.requestsMatching(/\/permissions$/).length, 6);

  const findings = await store.listFindings({ source: uri });
  assert.ok(findings.length > 0, 'the dev model raises findings');
  for (const f of findings) assert.equal(f.exposure, level.get(f.external_id), `finding on ${f.path}`);

  // shared afterwards (content unchanged): the --changes scan updates the exposure without a download
  fake.share(later.id, { roles: ['read'], link: { scope: 'anonymous', type: 'view' } });
  const s2 = await scanSource(uri, { ...base, changes: true });
  assert.equal(s2.mode, 'changes');
  assert.equal(s2.downloaded, 0);
  const laterRow = (await itemRows(store, uri)).find((r) => r.external_id === ext(later))!;
  assert.equal(laterRow.exposure, 'anyone_with_link');
  assert.match(JSON.stringify(laterRow.exposure_details), /anonymous/, 'the grants are refreshed with the level');
  const f2 = await store.listFindings({ source: uri });
  for (const f of f2.filter((x) => x.external_id === ext(later))) assert.equal(f.exposure, 'anyone_with_link');

  // the mapping itself (Graph permission resource shapes)
  const dom = ['contoso.com'];
  assert.equal(exposureFromPermissions([{ link: { scope: 'anonymous', type: 'view' }, roles: ['read'] }], dom).level, 'anyone_with_link');
  assert.equal(exposureFromPermissions([{ link: { scope: 'organization', type: 'view' }, roles: ['read'] }], dom).level, 'domain');
  assert.equal(exposureFromPermissions([{ grantedToV2: { user: { email: 'x@sub.contoso.com' } }, roles: ['read'] }], dom).level, 'internal');
  assert.equal(exposureFromPermissions([{ invitation: { email: 'x@other.org' }, roles: ['read'] }], dom).level, 'external');
  assert.equal(exposureFromPermissions([], dom).level, 'private');
});

// ------------------------------------------------------------------------------------------ 8. errors

test('errors: 403 on one item is failed:access_denied and not retried; an item deleted between list and open is skipped:not_found', async (t) => {
  const uri = 'onedrive://errors.contoso.onmicrosoft.com';
  const fake = await startFake(t, { tenantId: 'errors.contoso.onmicrosoft.com', deltaPageSize: 20 });
  const alice = fake.addUser('alice@contoso.com');
  const d = alice.driveId!;
  const ok = fake.addFile(d, 'ok.png', 'image/png', await pngImage(1));
  const denied = fake.addFile(d, 'denied.png', 'image/png', await pngImage(2));
  const goneBeforeContent = fake.addFile(d, 'gone1.png', 'image/png', await pngImage(3));
  const goneBeforeDownload = fake.addFile(d, 'gone2.png', 'image/png', await pngImage(4));
  fake.fail({ match: new RegExp(`/items/${denied.id}/content$`), status: 403, code: 'accessDenied', message: 'Access denied', times: 1 });
  // deleted after the listing: when its /content (or its download URL) is asked for
  fake.onRequest((r) => {
    if (r.path.endsWith(`/items/${goneBeforeContent.id}/content`) && !fake.item(goneBeforeContent.id).deleted) fake.deleteItem(goneBeforeContent.id);
    if (r.path.startsWith(`/download/${encodeURIComponent(d)}/${goneBeforeDownload.id}?`) && !fake.item(goneBeforeDownload.id).deleted) fake.deleteItem(goneBeforeDownload.id);
  });
  const { store, base } = await pipeline(t, fake);
  const s = await scanSource(uri, base);
  assert.equal(s.status, 'completed');
  const out = await outcomesOf(store, uri);
  assert.equal(out.get(ext(ok)), 'scanned');
  assert.equal(out.get(ext(denied)), 'failed:access_denied');
  assert.equal(out.get(ext(goneBeforeContent)), 'skipped:not_found');
  assert.equal(out.get(ext(goneBeforeDownload)), 'skipped:not_found');
  assert.equal(fake.requestsMatching(new RegExp(`/items/${denied.id}/content$`)).length, 1, 'a 403 is not retried');
  assert.equal(fake.requestsMatching(new RegExp(`/items/${goneBeforeContent.id}/content$`)).length, 1, 'a 404 is not retried');
  assert.equal(fake.requestsMatching(new RegExp(`^/download/[^/]+/${goneBeforeDownload.id}\\?`)).length, 1);
  assert.equal(s.failed.access_denied, 1);
  assert.equal(s.skipped.not_found, 2);
  const failed = await store.failedItems(s.runId);
  assert.equal(failed.length, 1);
  assert.match(failed[0]!.detail ?? '', /accessDenied|403/);
  assertNoSecrets(await dbText(store), fake);

  // the next scan tries the denied item again (access errors are not final)
  const s2 = await scanSource(uri, base);
  assert.equal((await outcomesOf(store, uri)).get(ext(denied)), 'scanned');
  assert.equal(s2.downloaded, 1);
});

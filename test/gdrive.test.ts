/**
 * The Google Drive connector through the official client (@googleapis/drive, @googleapis/admin,
 * google-auth-library) pointed at the local documented-API server (test/fakes/drive-server.ts):
 * service account + domain-wide delegation and the Directory API, one user's refresh token,
 * shared drives once each, shortcuts, Google-native files, exposure, the documented errors, and
 * the change feed through the real pipeline and store.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { CursorExpiredError, type ChangePage, type ObjectRef } from '../connectors/contract.js';
import { createGdriveConnector, type GdriveConnectorOptions } from '../connectors/gdrive/index.js';
import { scanSource } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import { ItemError, UserError } from '../src/util/errors.js';
import { DOC_MIME, type FakeDriveServer } from './fakes/drive-server.js';
import { driveCredentials, testDriveTenant } from './helpers/cloud-fixtures.js';
import { devModelDir, tempDir, testStoreOptions } from './helpers/env.js';
import { pngImage } from './helpers/images.js';

const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 10 };
async function tenant() {
  const t = await testDriveTenant();
  return t;
}

function connector(server: FakeDriveServer, uri = 'gdrive://example.com', extra: GdriveConnectorOptions = {}) {
  return createGdriveConnector(uri, {
    credentials: driveCredentials(),
    adminUser: 'alice@example.com',
    apiUrl: server.rootUrl,
    tokenUrl: server.tokenUrl,
    pageSize: 7,
    retry: FAST_RETRY,
    ...extra,
  });
}

async function listAll(c: ReturnType<typeof connector>): Promise<ObjectRef[]> {
  const out: ObjectRef[] = [];
  for await (const p of c.list()) out.push(...p.items);
  return out;
}

async function readAll(c: ReturnType<typeof connector>, ref: ObjectRef): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const ch of await c.open(ref)) chunks.push(Buffer.from(ch as Uint8Array));
  return Buffer.concat(chunks);
}

describe('gdrive listing', () => {
  test('tenant-wide: directory users impersonated, shared drives once, shortcuts resolved once, native files and trash left out', async () => {
    const { server, sharedDriveId } = await tenant();
    server.addUser('carol@example.com', { suspended: true });
    const a1 = server.addFile({ name: 'passport.jpg', mimeType: 'image/jpeg', content: 'a1', owner: 'alice@example.com' });
    server.addFile({ name: 'notes', mimeType: DOC_MIME, owner: 'alice@example.com' });
    server.addFile({ name: 'old.png', content: 'old', owner: 'alice@example.com', trashed: true });
    server.addFile({ name: 'report.pdf', mimeType: 'application/pdf', content: '%PDF', owner: 'alice@example.com' });
    const b1 = server.addFile({ name: 'card.png', content: 'b1', owner: 'bob@example.com', permissions: [{ type: 'user', role: 'reader', emailAddress: 'alice@example.com' }] });
    const d1 = server.addFile({ name: 'scan.png', content: 'd1', driveId: sharedDriveId });
    server.addFile({ name: 'link to passport', shortcutTo: a1.id, owner: 'bob@example.com' });
    // a file from outside the tenant, shared with bob: listed through bob's shortcut to it, once
    const ext = server.addFile({ name: 'from-partner.png', content: 'ext', owner: 'eve@other.org', permissions: [{ type: 'user', role: 'reader', emailAddress: 'bob@example.com' }] });
    server.addFile({ name: 'link to partner file', shortcutTo: ext.id, owner: 'bob@example.com' });
    server.addFile({ name: 'second link to partner file', shortcutTo: ext.id, owner: 'bob@example.com' });
    server.addFile({ name: 'link to notes', shortcutTo: [...server.files.values()].find((f) => f.mimeType === DOC_MIME)!.id, owner: 'bob@example.com' });
    // many more in the shared drive: several pages of it
    for (let i = 0; i < 20; i++) server.addFile({ name: `d${i}.png`, content: `d${i}`, driveId: sharedDriveId });

    const c = connector(server);
    await c.probe();
    const refs = await listAll(c);
    const ids = refs.map((r) => r.externalId);
    assert.equal(new Set(ids).size, ids.length, 'nothing listed twice');
    assert.ok(ids.includes(a1.id) && ids.includes(b1.id) && ids.includes(d1.id) && ids.includes(ext.id));
    assert.equal(ids.length, 4 + 20, 'the doc, the trashed file, the PDF and the shortcuts are not items');
    assert.equal(refs.find((r) => r.externalId === d1.id)!.path, 'Finance/scan.png');
    assert.equal(refs.find((r) => r.externalId === b1.id)!.path, 'bob@example.com/card.png', 'listed under its owner');

    // the suspended user is never impersonated; the directory was read as the admin
    const tokenUsers = new Set(server.requestsTo('/token').map((r) => r.user));
    assert.deepEqual([...tokenUsers].sort(), ['alice@example.com', 'bob@example.com']);
    assert.ok(server.requestsTo('/admin/directory/v1/users').every((r) => r.user === 'alice@example.com' && r.query.domain === 'example.com'));
    // the shared drive is listed once, through one member, over several pages
    const driveLists = server.requestsTo('/drive/v3/files', (r) => r.query.corpora === 'drive');
    assert.ok(driveLists.length >= 3, 'paged to the end');
    assert.equal(new Set(driveLists.map((r) => r.user)).size, 1, 'one member lists the shared drive');
    assert.equal(driveLists.filter((r) => !r.query.pageToken).length, 1, 'the shared drive is listed once');
    // every Drive call carries the all-drives flags and a minimal field mask
    for (const r of server.requestsTo(/^\/drive\/v3\/(files|changes)/)) {
      assert.equal(r.query.supportsAllDrives, 'true', `${r.path} supportsAllDrives`);
      if (r.path === '/drive/v3/files') {
        assert.equal(r.query.includeItemsFromAllDrives, 'true');
        assert.match(r.query.q ?? '', /mimeType contains 'image\/'.*trashed = false/, 'images only, not trashed, filtered server-side');
        assert.ok(r.query.fields && !r.query.fields.includes('*'), 'a field mask, not everything');
      }
    }
    // a shortcut to a file already listed costs nothing; one to an unlisted file reads its target once
    assert.equal(server.requestsTo(`/drive/v3/files/${a1.id}`).length, 0);
    assert.equal(server.requestsTo(`/drive/v3/files/${ext.id}`).length, 1);
    assert.equal(refs.find((r) => r.externalId === ext.id)!.exposure?.level, 'external');
    // open downloads with alt=media
    assert.equal((await readAll(c, refs.find((r) => r.externalId === d1.id)!)).toString(), 'd1');
    assert.equal(server.requestsTo(`/drive/v3/files/${d1.id}`, (r) => r.query.alt === 'media').length, 1);
  });

  test('the fake hides shared-drive items from calls without the all-drives flags (as Drive does)', async () => {
    const { server, sharedDriveId } = await tenant();
    const d1 = server.addFile({ name: 'scan.png', content: 'd1', driveId: sharedDriveId });
    const token = server.issueToken('alice@example.com');
    const get = async (q: string) => {
      const res = await fetch(`${server.rootUrl}drive/v3/files${q}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as { files?: { id: string }[] } };
    };
    assert.ok(!(await get('?corpora=user')).body.files!.some((f) => f.id === d1.id));
    assert.ok((await get('?corpora=user&supportsAllDrives=true&includeItemsFromAllDrives=true')).body.files!.some((f) => f.id === d1.id));
    assert.equal((await get(`/${d1.id}`)).status, 404);
  });

  test('a configured user list replaces the directory', async () => {
    const { server } = await tenant();
    server.addFile({ name: 'b.png', content: 'b', owner: 'bob@example.com' });
    server.addFile({ name: 'a.png', content: 'a', owner: 'alice@example.com' });
    const c = connector(server, 'gdrive://example.com', { users: ['Bob@example.com'], adminUser: undefined, sharedDrives: false });
    const refs = await listAll(c);
    assert.deepEqual(refs.map((r) => r.path), ['bob@example.com/b.png']);
    assert.equal(server.requestsTo('/admin/directory/v1/users').length, 0);
    // the list is part of the source's identity, and the URI form says the same
    assert.equal(c.uri, 'gdrive://example.com?users=bob@example.com');
    assert.equal(connector(server, 'gdrive://example.com?users=bob@example.com,Bob@example.com').uri, c.uri);
    assert.throws(() => connector(server, 'gdrive://example.com?users='), UserError);
  });

  test("one user's OAuth refresh token: that user's corpus; a bad token is one clear line without the secret", async () => {
    const { server, sharedDriveId } = await tenant();
    server.addOAuthClient({ clientId: 'cid.apps.googleusercontent.com', clientSecret: 'S3CRET-value', refreshToken: '1//refresh-SECRET', user: 'alice@example.com' });
    server.addFile({ name: 'mine.png', content: 'm', owner: 'alice@example.com' });
    server.addFile({ name: 'shared.png', content: 's', owner: 'bob@example.com', permissions: [{ type: 'user', role: 'reader', emailAddress: 'alice@example.com' }] });
    server.addFile({ name: 'bobs.png', content: 'x', owner: 'bob@example.com' });
    server.addFile({ name: 'team.png', content: 't', driveId: sharedDriveId });
    const creds = { type: 'authorized_user', client_id: 'cid.apps.googleusercontent.com', client_secret: 'S3CRET-value', refresh_token: '1//refresh-SECRET' };
    const c = connector(server, 'gdrive://alice@example.com', { credentials: creds });
    await c.probe();
    assert.deepEqual((await listAll(c)).map((r) => r.path).sort(), ['Finance/team.png', 'alice@example.com/mine.png', 'alice@example.com/shared.png']);

    const bad = connector(server, 'gdrive://alice@example.com', { credentials: { ...creds, refresh_token: '1//revoked-SECRET' } });
    const err = await bad.probe().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof UserError, String(err));
    assert.doesNotMatch(err.message, /\n/);
    assert.doesNotMatch(err.message, /SECRET/);
    assert.match(err.message, /invalid_grant/);

    // a refresh token cannot cover a whole domain
    const wide = connector(server, 'gdrive://example.com', { credentials: creds });
    await assert.rejects(wide.probe(), (e: unknown) => e instanceof UserError && /domain-wide delegation/.test(e.message));
  });

  test('a service account without domain-wide delegation: one line naming the grant to make', async () => {
    const { server } = await tenant();
    server.addServiceAccount('nodwd@casb-test.iam.gserviceaccount.com', (await import('./helpers/cloud-fixtures.js')).serviceAccountKey().publicPem, { delegation: false });
    const c = connector(server, 'gdrive://example.com', { credentials: { ...driveCredentials(), client_email: 'nodwd@casb-test.iam.gserviceaccount.com' } });
    const err = await c.probe().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof UserError);
    assert.match(err.message, /domain-wide delegation.*drive\.readonly.*admin\.directory\.user\.readonly/);
    assert.doesNotMatch(err.message, /PRIVATE KEY|\n/);
  });
});

describe('gdrive credentials files', () => {
  test('a directory, a huge file, bad JSON or a missing file: one line naming the file, never its content', async (t) => {
    const { loadCredentials } = await import('../connectors/gdrive/auth.js');
    const dir = await tempDir(t, 'casb-gdrive-credfiles-');
    const big = path.join(dir, 'big.json');
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 0x20));
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"private_key": "-----BEGIN PRIVATE KEY----- SECRET');
    for (const [file, re] of [[dir, /is a directory/], [big, /too big/], [bad, /is not valid JSON/], [path.join(dir, 'none.json'), /no such file/]] as const) {
      await assert.rejects(loadCredentials(file), (e: unknown) => e instanceof UserError && re.test(e.message) && !/SECRET|\n/.test(e.message), file);
    }
  });
});

describe('gdrive exposure', () => {
  test('permissions reduce to public, anyone-with-link, domain, external or internal (shared drives via permissions.list)', async () => {
    const { server, sharedDriveId } = await tenant();
    const own = 'alice@example.com';
    const files = {
      public: server.addFile({ name: 'pub.png', content: '1', owner: own, permissions: [{ type: 'anyone', role: 'reader', allowFileDiscovery: true }] }),
      anyone_with_link: server.addFile({ name: 'link.png', content: '2', owner: own, permissions: [{ type: 'anyone', role: 'reader', allowFileDiscovery: false }] }),
      domain: server.addFile({ name: 'dom.png', content: '3', owner: own, permissions: [{ type: 'domain', role: 'reader', domain: 'example.com' }] }),
      external: server.addFile({ name: 'ext.png', content: '4', owner: own, permissions: [{ type: 'user', role: 'writer', emailAddress: 'eve@other.org' }] }),
      internal: server.addFile({ name: 'int.png', content: '5', owner: own, permissions: [{ type: 'user', role: 'reader', emailAddress: 'bob@example.com' }] }),
      externalDomain: server.addFile({ name: 'extdom.png', content: '6', owner: own, permissions: [{ type: 'domain', role: 'reader', domain: 'partner.org' }] }),
      sharedDriveExternal: server.addFile({ name: 'sd.png', content: '7', driveId: sharedDriveId, permissions: [{ type: 'user', role: 'reader', emailAddress: 'eve@other.org' }] }),
      sharedDriveInternal: server.addFile({ name: 'sd2.png', content: '8', driveId: sharedDriveId }),
    };
    const want: Record<keyof typeof files, string> = {
      public: 'public', anyone_with_link: 'anyone_with_link', domain: 'domain', external: 'external', internal: 'internal',
      externalDomain: 'external', sharedDriveExternal: 'external', sharedDriveInternal: 'internal',
    };
    const refs = new Map((await listAll(connector(server))).map((r) => [r.externalId, r]));
    for (const [k, f] of Object.entries(files)) assert.equal(refs.get(f.id)?.exposure?.level, want[k as keyof typeof files], k);
    assert.ok(refs.get(files.external.id)!.exposure!.details!.includes('user:eve@other.org:writer'));
    assert.ok(server.requestsTo(`/drive/v3/files/${files.sharedDriveExternal.id}/permissions`).length >= 1, 'shared-drive items ask permissions.list');
    // a secondary domain of the organisation is internal when configured
    const aliased = new Map((await listAll(connector(server, 'gdrive://example.com', { domains: ['partner.org'] }))).map((r) => [r.externalId, r]));
    assert.equal(aliased.get(files.externalDomain.id)?.exposure?.level, 'domain');
  });
});

describe('gdrive errors', () => {
  test('403 userRateLimitExceeded and 429 are retried and counted as throttling', async () => {
    const { server } = await tenant();
    server.addFile({ name: 'a.png', content: 'a', owner: 'alice@example.com' });
    server.fault({ count: 2, status: 403, reason: 'userRateLimitExceeded', match: (r) => r.path === '/drive/v3/files' });
    server.fault({ count: 1, status: 429, reason: 'rateLimitExceeded', retryAfter: '0', match: (r) => r.path === '/drive/v3/files' });
    server.fault({ count: 1, status: 403, reason: 'rateLimitExceeded', match: (r) => r.path === '/drive/v3/drives' });
    const c = connector(server);
    assert.equal((await listAll(c)).length, 1);
    assert.equal(c.stats.throttled, 4);
    assert.equal(c.stats.retries, 4);
  });

  test('other 403s and 404 are not retried; each is recorded with its reason', async () => {
    const { server } = await tenant();
    const denied = server.addFile({ name: 'denied.png', content: 'x', owner: 'alice@example.com' });
    const gone = server.addFile({ name: 'gone.png', content: 'y', owner: 'alice@example.com' });
    const c = connector(server);
    const refs = new Map((await listAll(c)).map((r) => [r.externalId, r]));
    server.fault({ count: 5, status: 403, reason: 'insufficientFilePermissions', message: 'The user does not have sufficient permissions for this file.', match: (r) => r.path === `/drive/v3/files/${denied.id}` });
    server.deleteFile(gone.id);
    await assert.rejects(readAll(c, refs.get(denied.id)!), (e: unknown) => e instanceof ItemError && e.reason === 'access_denied' && /insufficientFilePermissions/.test(e.message));
    await assert.rejects(readAll(c, refs.get(gone.id)!), (e: unknown) => e instanceof ItemError && e.reason === 'not_found');
    assert.equal(server.requestsTo(`/drive/v3/files/${denied.id}`).length, 1, 'a permission 403 is not retried');
    assert.equal(server.requestsTo(`/drive/v3/files/${gone.id}`, (r) => r.query.alt === 'media').length, 1, 'a 404 is not retried');
  });

  test("tenant-wide: a colleague losing access is not a delete; a real delete is reported once", async () => {
    const { server } = await tenant();
    const kept = server.addFile({ name: 'kept.png', content: 'k', owner: 'bob@example.com', permissions: [{ type: 'user', role: 'reader', emailAddress: 'alice@example.com' }] });
    const doomed = server.addFile({ name: 'doomed.png', content: 'd', owner: 'bob@example.com', permissions: [{ type: 'user', role: 'reader', emailAddress: 'alice@example.com' }] });
    const c = connector(server);
    const cursor = await c.changesStart();
    server.editFile(kept.id, { permissions: [] }); // bob unshares it from alice: gone from alice's feed, still bob's
    server.deleteFile(doomed.id); // gone from both feeds
    const deleted: string[] = [];
    const changed: string[] = [];
    for await (const p of connector(server).changes(cursor) as AsyncIterable<ChangePage>) {
      deleted.push(...(p.deleted ?? []));
      changed.push(...p.items.map((i) => i.externalId));
    }
    assert.deepEqual(deleted, [doomed.id]);
    assert.deepEqual(changed, [kept.id], 'the unshare is a change (exposure) of the kept file');
  });

  test('an expired change token raises CursorExpiredError', async () => {
    const { server } = await tenant();
    const c = connector(server);
    const cursor = await c.changesStart();
    server.addFile({ name: 'a.png', content: 'a', owner: 'alice@example.com' });
    server.expireChangeTokens();
    await assert.rejects(async () => {
      for await (const _ of c.changes(cursor) as AsyncIterable<ChangePage>) void _;
    }, CursorExpiredError);
  });
});

describe('gdrive through the pipeline', () => {
  /** A tenant where alice and bob own one image each, a store, and the scan options that reach them. */
  async function twoUserTenant(t: TestContext) {
    const { server } = await tenant();
    server.addFile({ name: 'a.png', content: await pngImage(1), owner: 'alice@example.com' });
    server.addFile({ name: 'b.png', content: await pngImage(2), owner: 'bob@example.com' });
    const so = await testStoreOptions(t);
    const store = await openStore(so);
    t.after(() => store.close());
    const base = { ...so, store, modelDir: await devModelDir(), ocr: false, credentialsFile: await credentialsFile(t), apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: FAST_RETRY };
    return { server, store, base };
  }

  test('a scan of some users is its own source: it never marks the other users\' files gone', async (t) => {
    const { store, base } = await twoUserTenant(t);
    const all = await scanSource('gdrive://example.com', { ...base, adminUser: 'alice@example.com' });
    assert.equal(all.listed, 2);
    const some = await scanSource('gdrive://example.com', { ...base, users: ['bob@example.com'] });
    assert.equal(some.source, 'gdrive://example.com?users=bob@example.com');
    assert.equal(some.listed, 1);
    assert.equal(some.deleted, 0);
    const outcomes = await store.itemOutcomes('gdrive://example.com');
    assert.deepEqual(outcomes.map((o) => o.outcome), ['scanned', 'scanned'], 'the whole-tenant source keeps both');
  });

  test('a tenant user whose files cannot be listed is a gap: the scan goes on, nothing is marked gone, the summary says so', async (t) => {
    const tenantScan = await twoUserTenant(t);
    const { server, store } = tenantScan;
    const base = { ...tenantScan.base, adminUser: 'alice@example.com', users: undefined };
    await scanSource('gdrive://example.com', base);
    const off = server.fault({ status: 403, reason: 'insufficientPermissions', message: 'Insufficient Permission', match: (r) => r.path === '/drive/v3/files' && r.user === 'bob@example.com' && Boolean(r.query.q) });
    const s = await scanSource('gdrive://example.com', base);
    off();
    assert.equal(s.status, 'completed');
    assert.equal(s.deleted, 0);
    assert.equal(s.incomplete?.length, 1);
    assert.match(s.incomplete![0]!, /files of bob@example\.com \(access_denied: HTTP 403 insufficientPermissions/);
    const outcomes = await store.itemOutcomes('gdrive://example.com');
    assert.ok(outcomes.every((o) => o.outcome === 'scanned'), JSON.stringify(outcomes));
    // once readable again, a complete listing covers bob and marks nothing gone either
    const s2 = await scanSource('gdrive://example.com', base);
    assert.equal(s2.incomplete, undefined);
    assert.equal(s2.deleted, 0);
  });

  test('a user refused on every Drive call is a gap end to end: feed position, shared drives, files; no cursor from a listing with gaps; a feed gap keeps its position', async (t) => {
    const { server } = await tenant();
    server.addFile({ name: 'a.png', content: await pngImage(1), owner: 'alice@example.com' });
    const b1 = server.addFile({ name: 'b1.png', content: await pngImage(2), owner: 'bob@example.com' });
    const so = await testStoreOptions(t);
    const store = await openStore(so);
    t.after(() => store.close());
    const base = { ...so, store, modelDir: await devModelDir(), ocr: false, credentialsFile: await credentialsFile(t), adminUser: 'alice@example.com', apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: FAST_RETRY, changes: true };
    const sourceId = await store.upsertSource('gdrive://example.com', 'gdrive');
    const refuseBob = () => server.fault({ status: 403, reason: 'insufficientPermissions', message: 'Insufficient Permission', match: (r) => r.user === 'bob@example.com' && r.path.startsWith('/drive/v3/') });

    // 1. first scan with bob refused everywhere: completes, reports gaps, stores no change cursor
    let off = refuseBob();
    const s1 = await scanSource('gdrive://example.com', base);
    off();
    assert.equal(s1.status, 'completed');
    assert.ok(s1.incomplete!.some((g) => /change feed of bob/.test(g)) && s1.incomplete!.some((g) => /files of bob/.test(g)), JSON.stringify(s1.incomplete));
    assert.equal(s1.listed, 1);
    assert.equal(await store.getCursor(sourceId, 'changes'), undefined, 'a listing with gaps stores no feed position');

    // 2. access back: --changes has no cursor, so a full listing covers bob, and stores the cursor
    const s2 = await scanSource('gdrive://example.com', base);
    assert.equal(s2.mode, 'full');
    assert.equal(s2.listed, 2);
    assert.equal(s2.incomplete, undefined);
    assert.ok(await store.getCursor(sourceId, 'changes'));

    // 3. a gap in the change feed keeps bob's position: what changed meanwhile comes with the next run
    const b2 = server.addFile({ name: 'b2.png', content: await pngImage(3), owner: 'bob@example.com' });
    server.deleteFile(b1.id);
    off = refuseBob();
    const s3 = await scanSource('gdrive://example.com', base);
    off();
    assert.equal(s3.mode, 'changes');
    assert.equal(s3.downloaded, 0);
    assert.equal(s3.deleted, 0);
    assert.ok(s3.incomplete!.some((g) => /change feed of bob/.test(g)));
    const s4 = await scanSource('gdrive://example.com', base);
    assert.equal(s4.mode, 'changes');
    assert.equal(s4.downloaded, 1);
    assert.equal(s4.deleted, 1);
    const out = new Map((await store.itemOutcomes('gdrive://example.com')).map((o) => [o.externalId, o.outcome]));
    assert.equal(out.get(b2.id), 'scanned');
    assert.equal(out.get(b1.id), 'skipped:gone');
  });

  test('an interrupt during a long Retry-After is not a gap: the resumed scan lists that user', async (t) => {
    const { server } = await tenant();
    server.addFile({ name: 'a.png', content: await pngImage(1), owner: 'alice@example.com' });
    for (let i = 0; i < 3; i++) server.addFile({ name: `b${i}.png`, content: await pngImage(10 + i), owner: 'bob@example.com' });
    const so = await testStoreOptions(t);
    const store = await openStore(so);
    t.after(() => store.close());
    const base = { ...so, store, modelDir: await devModelDir(), ocr: false, credentialsFile: await credentialsFile(t), adminUser: 'alice@example.com', apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: FAST_RETRY };
    const off = server.fault({ status: 429, reason: 'rateLimitExceeded', retryAfter: '120', match: (r) => r.path === '/drive/v3/files' && r.user === 'bob@example.com' && Boolean(r.query.q) });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1500);
    const s1 = await scanSource('gdrive://example.com', { ...base, signal: ac.signal });
    off();
    assert.equal(s1.status, 'interrupted');
    assert.equal(s1.incomplete, undefined, 'an interrupt is not a gap');
    const s2 = await scanSource('gdrive://example.com', base);
    assert.equal(s2.status, 'completed');
    const out = await store.itemOutcomes('gdrive://example.com');
    assert.equal(out.filter((o) => o.outcome === 'scanned').length, 4, JSON.stringify(out));
  });

  test('a revoked access token is refreshed once, not taken for bad credentials', async (t) => {
    const { server } = await tenant();
    for (let i = 0; i < 6; i++) server.addFile({ name: `f${i}.png`, content: `n${i}`, owner: 'alice@example.com' });
    const c = connector(server, 'gdrive://example.com', { pageSize: 2 });
    const it = c.list()[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value?.items.length, 2);
    server.revokeAllTokens();
    let n = first.value!.items.length;
    for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.items.length;
    assert.equal(n, 6);
  });

  async function credentialsFile(t: { after: (fn: () => Promise<void> | void) => void }): Promise<string> {
    const dir = await tempDir(t, 'casb-gdrive-creds-');
    const file = path.join(dir, 'sa.json');
    await writeFile(file, JSON.stringify(driveCredentials()), { mode: 0o600 });
    return file;
  }

  test('2,000 items: the change feed after 3 adds, 1 edit, 1 delete downloads exactly 4 and marks 1 gone', async (t) => {
    const { server, sharedDriveId } = await tenant();
    const N = 2000;
    const owners = ['alice@example.com', 'bob@example.com'];
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      // mostly tiny non-images with an image type (sniffed and skipped:not_image), a few real PNGs
      const content = i % 400 === 0 ? await pngImage(i) : `note ${i}\n`;
      const f = i % 5 === 4 ? server.addFile({ name: `f${i}.png`, content, driveId: sharedDriveId }) : server.addFile({ name: `f${i}.png`, content, owner: owners[i % 2]! });
      ids.push(f.id);
    }
    const so = await testStoreOptions(t);
    const store = await openStore(so);
    t.after(() => store.close());
    const base = { ...so, store, modelDir: await devModelDir(), ocr: false, credentialsFile: await credentialsFile(t), adminUser: 'alice@example.com', apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: FAST_RETRY };

    const s1 = await scanSource('gdrive://example.com', { ...base, changes: true });
    assert.equal(s1.status, 'completed');
    assert.equal(s1.mode, 'full');
    assert.equal(s1.listed, N);
    assert.equal(server.downloads.length, N);
    // the start page tokens were taken before the listing began
    const firstStart = server.requests.findIndex((r) => r.path === '/drive/v3/changes/startPageToken');
    const firstList = server.requests.findIndex((r) => r.path === '/drive/v3/files' && r.query.q);
    assert.ok(firstStart >= 0 && firstStart < firstList, 'changes.getStartPageToken before files.list');
    const sourceId = await store.upsertSource('gdrive://example.com', 'gdrive');
    const cursor1 = await store.getCursor(sourceId, 'changes');
    assert.ok(cursor1, 'the change cursor is stored once the full scan is committed');

    const added = [
      server.addFile({ name: 'new1.png', content: 'new 1', owner: 'alice@example.com' }).id,
      server.addFile({ name: 'new2.png', content: await pngImage(9002), owner: 'bob@example.com' }).id,
      server.addFile({ name: 'new3.png', content: 'new 3', driveId: sharedDriveId }).id,
    ];
    server.editFile(ids[3]!, { content: 'note 3, edited\n' });
    server.deleteFile(ids[8]!);
    server.resetCounters();

    const s2 = await scanSource('gdrive://example.com', { ...base, changes: true });
    assert.equal(s2.status, 'completed');
    assert.equal(s2.mode, 'changes');
    assert.equal(s2.downloaded, 4);
    assert.deepEqual(new Set(server.downloads), new Set([...added, ids[3]!]));
    assert.equal(s2.deleted, 1);
    assert.equal(server.requestsTo('/drive/v3/files', (r) => Boolean(r.query.q)).length, 0, 'no full listing');
    const outcomes = new Map((await store.itemOutcomes('gdrive://example.com')).map((o) => [o.externalId, o.outcome]));
    assert.equal(outcomes.get(ids[8]!), 'skipped:gone');
    assert.equal(outcomes.get(added[1]!), 'scanned');
    assert.equal(outcomes.size, N + 3);
    const cursor2 = await store.getCursor(sourceId, 'changes');
    assert.ok(cursor2 && cursor2 !== cursor1, 'the feed position moved on');

    // nothing changed since: nothing downloaded
    server.resetCounters();
    const s3 = await scanSource('gdrive://example.com', { ...base, changes: true });
    assert.equal(s3.mode, 'changes');
    assert.equal(s3.downloaded, 0);
    assert.equal(server.downloads.length, 0);

    // Drive expires the tokens: a full listing re-scans only what changed (nothing here)
    server.expireChangeTokens();
    const s4 = await scanSource('gdrive://example.com', { ...base, changes: true });
    assert.equal(s4.mode, 'full');
    assert.match(s4.fullBecause ?? '', /change token|cursor/i);
    assert.equal(s4.downloaded, 0);
    assert.equal(s4.skipped.unchanged, N + 2);
  });

  test('a full scan under 20% throttling scans every item once and reports the throttle events', async (t) => {
    const { server, sharedDriveId } = await tenant();
    const N = 300;
    for (let i = 0; i < N; i++) {
      const content = i % 60 === 0 ? await pngImage(i) : `note ${i}\n`;
      if (i % 3 === 2) server.addFile({ name: `f${i}.png`, content, driveId: sharedDriveId });
      else server.addFile({ name: `f${i}.png`, content, owner: i % 2 ? 'bob@example.com' : 'alice@example.com' });
    }
    server.fault({ probability: 0.1, seed: 3, status: 403, reason: 'userRateLimitExceeded' });
    server.fault({ probability: 0.1, seed: 4, status: 429, reason: 'rateLimitExceeded' });
    const so = await testStoreOptions(t);
    const store = await openStore(so);
    t.after(() => store.close());
    const s = await scanSource('gdrive://example.com', {
      ...so, store, modelDir: await devModelDir(), ocr: false, credentialsFile: await credentialsFile(t), adminUser: 'alice@example.com',
      apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: { maxAttempts: 12, baseDelayMs: 1, maxDelayMs: 10 },
    });
    const answers = server.requests.filter((r) => r.fault).length;
    assert.ok(answers > 0.1 * server.requests.length, `throttled ${answers} of ${server.requests.length}`);
    assert.equal(s.status, 'completed');
    assert.equal(s.listed, N);
    assert.equal(Object.values(s.failed).reduce((a, b) => a + b, 0), 0, JSON.stringify(s.failed));
    assert.equal(s.requests?.throttled, answers, 'the summary counts every throttle answer');
    assert.equal(server.downloads.length, N, 'each item downloaded once');
    assert.equal(new Set(server.downloads).size, N);
    const outcomes = await store.itemOutcomes('gdrive://example.com');
    assert.equal(outcomes.length, N);
    assert.ok(outcomes.every((o) => o.outcome === 'scanned' || o.outcome === 'skipped:not_image'), JSON.stringify(outcomes.find((o) => o.outcome !== 'scanned' && o.outcome !== 'skipped:not_image')));
  });
});

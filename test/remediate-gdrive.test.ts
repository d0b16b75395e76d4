/**
 * Google Drive remediation capabilities, called directly on the connector (no runner), through
 * @googleapis/drive against the local Drive v3 server (test/fakes/drive-server.ts), which
 * enforces Drive's access rules: who may delete or create permissions, who may move what where,
 * ownership transfers, the full-drive scope for writes, the appProperties limits. Every check
 * reads the server's own state, not what the connector says.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Grant, ObjectRef } from '../connectors/contract.js';
import { createGdriveConnector, type GdriveConnector } from '../connectors/gdrive/index.js';
import { ItemError, UserError } from '../src/util/errors.js';
import { FOLDER_MIME, type FakeDriveServer, type FakeFile } from './fakes/drive-server.js';
import { SA_EMAIL, driveCredentials, testDriveTenant } from './helpers/cloud-fixtures.js';
import { ADMIN, driveView, gdriveConnector, whoOfFake } from './helpers/remediation-fixtures-gdrive.js';

async function tenant() {
  const t = await testDriveTenant();
  t.server.addUser('carol@example.com');
  return t;
}

async function refOf(c: GdriveConnector, id: string): Promise<ObjectRef> {
  for await (const page of c.list()) {
    const r = page.items.find((x) => x.externalId === id);
    if (r) return r;
  }
  throw new Error(`${id} not listed`);
}

/** bob's Scans/passport.jpg, shared with anyone, partner.org (domain), eve@partner.org, carol@example.com and example.com. */
function bobsFile(server: FakeDriveServer, extra: Partial<Parameters<FakeDriveServer['addFile']>[0]> = {}): { file: FakeFile; folder: FakeFile } {
  const folder = server.addFile({ name: 'Scans', mimeType: FOLDER_MIME, owner: 'bob@example.com' });
  const file = server.addFile({
    name: 'passport.jpg',
    mimeType: 'image/jpeg',
    content: 'jpeg bytes',
    owner: 'bob@example.com',
    parents: [folder.id],
    permissions: [
      { type: 'anyone', role: 'reader' },
      { type: 'domain', role: 'reader', domain: 'example.com' },
      { type: 'domain', role: 'commenter', domain: 'partner.org' },
      { type: 'user', role: 'reader', emailAddress: 'eve@partner.org' },
      { type: 'user', role: 'writer', emailAddress: 'carol@example.com' },
    ],
    ...extra,
  });
  return { file, folder };
}

const grantsOf = (server: FakeDriveServer, id: string) => server.permissionsOf(id).map(whoOfFake).sort();
const writes = (server: FakeDriveServer) => server.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/drive/'));

describe('gdrive inspect', () => {
  test('every permission is a grant with its level; the owner and inherited shared-drive members are not revocable', async () => {
    const { server, sharedDriveId } = await tenant();
    const { file, folder } = bobsFile(server);
    server.editFile(file.id, {}); // a version bump: the etag is the md5, not the version
    const shared = server.addFile({ name: 'scan.png', content: 'png', driveId: sharedDriveId, permissions: [{ type: 'user', role: 'reader', emailAddress: 'eve@partner.org' }] });
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    const live = await c.inspect(ref);
    assert.equal(live.exists, true);
    assert.equal(live.etag, ref.etag, 'the etag is the one the listing gave');
    assert.equal(live.location, 'bob@example.com/My Drive/Scans/passport.jpg');
    assert.deepEqual(live.place, { parents: [folder.id], owner: 'bob@example.com', user: 'bob@example.com' });
    const by = new Map(live.grants.map((g) => [g.who, g]));
    const expect: Array<[string, string, boolean]> = [
      ['user:bob@example.com:owner', 'private', false],
      ['anyone:reader', 'anyone_with_link', true],
      ['domain:example.com:reader', 'domain', true],
      ['domain:partner.org:commenter', 'external', true],
      ['user:eve@partner.org:reader', 'external', true],
      ['user:carol@example.com:writer', 'internal', true],
    ];
    assert.equal(live.grants.length, expect.length);
    for (const [who, level, revocable] of expect) {
      const g = by.get(who);
      assert.ok(g, who);
      assert.equal(g.level, level, who);
      assert.equal(g.revocable, revocable, who);
      if (!revocable) assert.match(g.note!, /owner/);
      else assert.ok(g.spec && g.spec.type && g.spec.role, `${who} has a spec`);
    }
    assert.deepEqual(by.get('user:eve@partner.org:reader')!.spec, { type: 'user', role: 'reader', emailAddress: 'eve@partner.org' });
    assert.deepEqual(by.get('anyone:reader')!.spec, { type: 'anyone', role: 'reader', allowFileDiscovery: false });

    const sref = await refOf(c, shared.id);
    const s = await c.inspect(sref);
    assert.equal(s.location, 'shared drive Finance/scan.png');
    assert.equal((s.place as { driveId?: string }).driveId, sharedDriveId);
    const members = s.grants.filter((g) => g.who.endsWith(':organizer'));
    assert.equal(members.length, 2);
    for (const m of members) {
      assert.equal(m.revocable, false);
      assert.match(m.note!, new RegExp(`inherited from shared drive ${sharedDriveId}`));
      assert.equal(m.level, 'internal');
    }
    const eve = s.grants.find((g) => g.who === 'user:eve@partner.org:reader')!;
    assert.equal(eve.revocable, true);
    assert.equal(eve.level, 'external');
    assert.equal(writes(server).length, 0, 'inspect writes nothing');
  });

  test('a deleted file is exists:false; a trashed one still exists (its sharing still applies) and says so', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    server.trashFile(file.id);
    const t = await c.inspect(ref);
    assert.equal(t.exists, true);
    assert.match(t.location, /\(in trash\)$/);
    assert.ok(t.grants.some((g) => g.who === 'anyone:reader'));
    server.deleteFile(file.id);
    const gone = await c.inspect(ref);
    assert.equal(gone.exists, false);
    assert.deepEqual(gone.grants, []);
  });
});

describe('gdrive removeGrants / addGrants', () => {
  test('removes exactly the given grants (as the owner); again is a no-op; a grant already gone is done; addGrants restores them without e-mails', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    const before = grantsOf(server, file.id);
    const live = await c.inspect(ref);
    const wide = live.grants.filter((g) => g.level === 'anyone_with_link' || g.level === 'external');
    assert.equal(wide.length, 3);
    await c.removeGrants(ref, wide);
    const removed = new Set(wide.map((g) => g.who));
    assert.deepEqual(grantsOf(server, file.id), before.filter((w) => !removed.has(w)));
    const deletes = server.requests.filter((r) => r.method === 'DELETE');
    assert.equal(deletes.length, 3);
    assert.ok(deletes.every((r) => r.user === 'bob@example.com' && r.query.supportsAllDrives === 'true'));

    await c.removeGrants(ref, wide); // each answers 404 now: done
    assert.deepEqual(grantsOf(server, file.id), before.filter((w) => !removed.has(w)));

    server.resetCounters();
    await c.addGrants(ref, wide);
    assert.deepEqual(grantsOf(server, file.id), before);
    const creates = server.requests.filter((r) => r.method === 'POST');
    assert.equal(creates.length, 3);
    for (const r of creates) assert.equal(r.status, 200);
    // Drive takes sendNotificationEmail for users and groups only (the fake refuses it otherwise)
    assert.ok(server.requests.some((r) => r.method === 'POST' && r.query.sendNotificationEmail === 'false'));

    server.resetCounters();
    await c.addGrants(ref, wide); // all there again: nothing to create
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 0);
  });

  test('a file listed by a colleague with read access is changed as its owner (impersonated), not as that colleague', async () => {
    const { server } = await tenant();
    server.addUser('dave@example.com');
    const { file } = bobsFile(server);
    server.editFile(file.id, { permissions: [...server.files.get(file.id)!.permissions.filter((p) => p.role !== 'owner'), { type: 'user', role: 'reader', emailAddress: 'dave@example.com' }] });
    const dave = createGdriveConnector('gdrive://dave@example.com', { credentials: driveCredentials(), apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const ref = await refOf(dave, file.id);
    assert.equal(ref.extra?.user, 'dave@example.com');
    const live = await dave.inspect(ref);
    assert.equal(live.grants.length, 7);
    server.resetCounters();
    await dave.removeGrants(ref, live.grants.filter((g) => g.who === 'anyone:reader'));
    assert.ok(!grantsOf(server, file.id).includes('anyone:reader'));
    assert.deepEqual([...new Set(writes(server).map((r) => r.user))], ['bob@example.com']);
  });

  test('an owner or inherited grant is refused before Drive is asked, with what to do instead', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    const owner = (await c.inspect(ref)).grants.find((g) => g.role === 'owner')!;
    server.resetCounters();
    await assert.rejects(c.removeGrants(ref, [owner]), (e: unknown) => e instanceof ItemError && /cannot remove user:bob@example.com:owner from "passport.jpg"/.test(e.message) && /quarantine/.test(e.message));
    assert.equal(writes(server).length, 0);
  });

  test('a refused permission delete (403) is one clear line naming the file, the grant and the user', async () => {
    const { server } = await tenant();
    // alice lists this shared drive (its only member) but is only a Viewer there
    const legal = server.addDrive('Legal', ['alice@example.com'], undefined, { roles: { 'alice@example.com': 'reader' } });
    const f = server.addFile({ name: 'id-card.png', content: 'png', driveId: legal.id, permissions: [{ type: 'anyone', role: 'reader' }] });
    const c = gdriveConnector(server);
    const ref = await refOf(c, f.id);
    assert.equal(ref.extra?.user, 'alice@example.com');
    const anyone = (await c.inspect(ref)).grants.find((g) => g.who === 'anyone:reader')!;
    await assert.rejects(c.removeGrants(ref, [anyone]), (e: unknown) => {
      assert.ok(e instanceof ItemError, String(e));
      assert.equal(e.reason, 'access_denied');
      assert.match(e.message, /^Drive refused removing anyone:reader from "id-card.png" \(Drive file \S+\) as alice@example.com \(HTTP 403 insufficientFilePermissions/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.deepEqual(grantsOf(server, f.id), ['anyone:reader', 'user:alice@example.com:reader']);
    assert.equal(server.requests.filter((r) => r.method === 'DELETE').length, 1, 'a refusal is not retried');
  });

  test('403 userRateLimitExceeded and 429 on writes are retried and counted', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    const anyone = (await c.inspect(ref)).grants.filter((g) => g.who === 'anyone:reader');
    server.fault({ count: 2, status: 403, reason: 'userRateLimitExceeded', match: (r) => r.method === 'DELETE' });
    server.fault({ count: 1, status: 429, reason: 'rateLimitExceeded', retryAfter: '0', match: (r) => r.method === 'DELETE' });
    const t0 = c.stats.throttled;
    await c.removeGrants(ref, anyone);
    assert.equal(c.stats.throttled - t0, 3);
    assert.ok(!grantsOf(server, file.id).includes('anyone:reader'));
    server.fault({ count: 2, status: 429, reason: 'rateLimitExceeded', retryAfter: '0', match: (r) => r.method === 'POST' || r.method === 'PATCH' });
    await c.addGrants(ref, anyone);
    await c.tag(ref, { 'casb-finding': '7' });
    assert.ok(grantsOf(server, file.id).includes('anyone:reader'));
    assert.equal(server.files.get(file.id)!.appProperties?.['casb-finding'], '7');
    assert.equal(c.stats.throttled - t0, 5);
  });

  test('a delegation without the full drive scope: reads work, writes say which scope to grant', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    server.setDelegationScopes(SA_EMAIL, ['https://www.googleapis.com/auth/drive.readonly', 'https://www.googleapis.com/auth/admin.directory.user.readonly']);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    const live = await c.inspect(ref);
    await assert.rejects(
      c.removeGrants(ref, live.grants.filter((g) => g.who === 'anyone:reader')),
      (e: unknown) => e instanceof UserError && /include https:\/\/www.googleapis.com\/auth\/drive \(remediation changes files/.test(e.message) && /"passport.jpg"/.test(e.message),
    );
    assert.ok(grantsOf(server, file.id).includes('anyone:reader'));
  });
});

describe('gdrive tag', () => {
  test('merges casb-* appProperties, keeps the others; Drive limits are a clear error before any write', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    server.files.get(file.id)!.appProperties = { other: 'kept', 'casb-label': 'old' };
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    await c.tag(ref, { 'casb-finding': '42', 'casb-label': 'passport' });
    assert.deepEqual(server.files.get(file.id)!.appProperties, { other: 'kept', 'casb-label': 'passport', 'casb-finding': '42' });
    assert.deepEqual((await c.inspect(ref)).tags, { 'casb-label': 'passport', 'casb-finding': '42' });

    server.resetCounters();
    await assert.rejects(c.tag(ref, { 'casb-note': 'x'.repeat(120) }), (e: unknown) => e instanceof ItemError && /124 bytes per appProperty/.test(e.message));
    const many = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`casb-t${i}`, 'v']));
    await assert.rejects(c.tag(ref, many), (e: unknown) => e instanceof ItemError && /would carry 31 appProperties of this app, and Drive allows 30/.test(e.message) && /"passport.jpg"/.test(e.message));
    assert.equal(writes(server).length, 0);
  });
});

describe('gdrive quarantine / release', () => {
  test('My Drive: ownership to the admin, into her unshared casb-quarantine folder, every other grant gone; again is harmless; release puts it back', async () => {
    const { server } = await tenant();
    const { file, folder } = bobsFile(server);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    const before = await c.inspect(ref);
    const grantsBefore = grantsOf(server, file.id);
    const q = await c.quarantine(ref, { findingId: '1' });

    const f = server.files.get(file.id)!;
    const qfolder = [...server.files.values()].find((x) => x.mimeType === FOLDER_MIME && x.name === 'casb-quarantine')!;
    assert.ok(qfolder, 'the folder was created');
    assert.equal(qfolder.owner, ADMIN);
    assert.deepEqual(qfolder.parents, [server.rootId(ADMIN)], "in the admin's My Drive root");
    assert.deepEqual(grantsOf(server, qfolder.id), [`user:${ADMIN}:owner`], 'shared with nobody');
    assert.equal(f.owner, ADMIN);
    assert.deepEqual(f.parents, [qfolder.id]);
    assert.deepEqual(grantsOf(server, file.id), [`user:${ADMIN}:owner`], 'bob (now a writer after the transfer) and every share are gone');
    assert.equal(q.externalId, file.id);
    assert.equal(q.extra?.user, ADMIN);
    assert.equal(q.path, `${ADMIN}/My Drive/casb-quarantine/passport.jpg`);
    const transfer = server.requests.find((r) => r.method === 'POST' && r.query.transferOwnership === 'true')!;
    assert.equal(transfer.user, 'bob@example.com', 'the owner hands it over');
    assert.equal(transfer.query.sendNotificationEmail, undefined, 'Drive does not allow the e-mail to be turned off for a transfer');

    // both refs now find it in quarantine
    const live = await c.inspect(q);
    assert.equal(live.location, `${ADMIN}/My Drive/casb-quarantine/passport.jpg`);
    assert.equal((await c.inspect(ref)).location, live.location, 'the scan ref is followed to quarantine (read as the admin)');

    // again, with a fresh connector (nothing cached): no second folder, no change
    const view = driveView(server, file.id, [folder.id]);
    server.resetCounters();
    const c2 = gdriveConnector(server);
    const q2 = await c2.quarantine(ref, { findingId: '1' });
    assert.deepEqual(q2, q);
    assert.deepEqual(driveView(server, file.id, [folder.id]), view);
    assert.equal([...server.files.values()].filter((x) => x.name === 'casb-quarantine').length, 1);
    assert.equal(writes(server).length, 0, 'nothing left to change');

    // release: bob owns it again, in Scans; the admin's leftover access is gone; addGrants gives the rest back
    const back = await c2.release(q, before);
    assert.equal(server.files.get(file.id)!.owner, 'bob@example.com');
    assert.deepEqual(server.files.get(file.id)!.parents, [folder.id]);
    assert.deepEqual(grantsOf(server, file.id), ['user:bob@example.com:owner']);
    assert.equal(back.extra?.user, 'bob@example.com');
    const after = await c2.inspect(back);
    assert.equal(after.location, before.location);
    await c2.addGrants(back, before.grants.filter((g) => g.revocable));
    assert.deepEqual(grantsOf(server, file.id), grantsBefore);
    // and release again is harmless
    server.resetCounters();
    await c2.release(back, before);
    assert.equal(writes(server).length, 0);
  });

  test('a part-way quarantine (ownership moved, not yet moved to the folder) completes on the next call', async () => {
    const { server } = await tenant();
    const { file } = bobsFile(server);
    const c = gdriveConnector(server);
    const ref = await refOf(c, file.id);
    server.fault({ count: 1, status: 403, reason: 'insufficientFilePermissions', match: (r) => r.method === 'PATCH' });
    await assert.rejects(c.quarantine(ref, { findingId: '1' }), (e: unknown) => e instanceof ItemError && e.reason === 'access_denied' && /moving into the quarantine folder "passport.jpg"/.test(e.message));
    assert.equal(server.files.get(file.id)!.owner, ADMIN);
    const q = await gdriveConnector(server).quarantine(ref, { findingId: '1' });
    assert.equal(driveView(server, file.id, []).quarantinedCopies, 1);
    assert.deepEqual(grantsOf(server, file.id), [`user:${ADMIN}:owner`]);
    assert.equal(q.extra?.user, ADMIN);
  });

  test('two files, one connector: the folder is found or created once; target.to names another folder; a shared folder is refused', async () => {
    const { server } = await tenant();
    const a = bobsFile(server).file;
    const b = server.addFile({ name: 'card.png', content: 'card', owner: 'carol@example.com', permissions: [{ type: 'anyone', role: 'reader' }] });
    const c = gdriveConnector(server);
    const ra = await refOf(c, a.id);
    const rb = await refOf(c, b.id);
    await c.quarantine(ra, { findingId: '1' });
    await c.quarantine(rb, { findingId: '2' });
    assert.equal(server.requests.filter((r) => r.method === 'POST' && r.path === '/drive/v3/files').length, 1);
    const qf = [...server.files.values()].filter((x) => x.name === 'casb-quarantine');
    assert.equal(qf.length, 1);
    assert.deepEqual(server.files.get(b.id)!.parents, [qf[0]!.id]);

    const d = server.addFile({ name: 'd.png', content: 'd', owner: 'bob@example.com' });
    const rd = await refOf(c, d.id);
    await c.quarantine(rd, { findingId: '3', to: 'Held for review' });
    const held = [...server.files.values()].find((x) => x.name === 'Held for review')!;
    assert.deepEqual(server.files.get(d.id)!.parents, [held.id]);

    // an admin folder of that name that is shared is never used
    const open = server.addFile({ name: 'casb-open', mimeType: FOLDER_MIME, owner: ADMIN, permissions: [{ type: 'user', role: 'reader', emailAddress: 'bob@example.com' }] });
    const e = server.addFile({ name: 'e.png', content: 'e', owner: 'bob@example.com' });
    const re = await refOf(c, e.id);
    await assert.rejects(c.quarantine(re, { findingId: '4', to: 'casb-open' }), (err: unknown) => err instanceof UserError && /folder "casb-open" in alice@example.com's My Drive is shared \(user:bob@example.com:reader\)/.test(err.message));
    assert.equal(server.files.get(e.id)!.owner, 'bob@example.com', 'nothing changed');
    void open;
    await assert.rejects(c.quarantine(re, { findingId: '4', to: 'a/b' }), (err: unknown) => err instanceof UserError && /folder name \(no slashes\)/.test(err.message));
  });

  test('shared drive: the admin (a Manager there) moves it out and owns it; release moves it back; without Manager rights it is refused with what to do', async () => {
    const { server, sharedDriveId } = await tenant();
    const f = server.addFile({ name: 'scan.png', content: 'png', driveId: sharedDriveId, permissions: [{ type: 'user', role: 'reader', emailAddress: 'eve@partner.org' }, { type: 'anyone', role: 'reader' }] });
    const c = gdriveConnector(server);
    const ref = await refOf(c, f.id);
    const before = await c.inspect(ref);
    const q = await c.quarantine(ref, { findingId: '1' });
    const moved = server.files.get(f.id)!;
    assert.equal(moved.driveId, undefined);
    assert.equal(moved.owner, ADMIN);
    assert.deepEqual(grantsOf(server, f.id), [`user:${ADMIN}:owner`], 'members no longer inherit it; its direct grants are gone');
    assert.equal(driveView(server, f.id, [sharedDriveId]).quarantinedCopies, 1);

    const back = await c.release(q, before);
    assert.equal(server.files.get(f.id)!.driveId, sharedDriveId);
    assert.deepEqual(server.files.get(f.id)!.parents, [sharedDriveId]);
    await c.addGrants(back, before.grants.filter((g) => g.revocable));
    assert.deepEqual((await c.inspect(back)).grants.map((g) => g.who).sort(), before.grants.map((g: Grant) => g.who).sort());
    assert.equal((await c.inspect(back)).location, before.location);

    // a drive where the admin is only a Content manager
    const ops = server.addDrive('Ops', ['bob@example.com', ADMIN], undefined, { roles: { [ADMIN]: 'fileOrganizer' } });
    const g = server.addFile({ name: 'ops.png', content: 'o', driveId: ops.id, permissions: [{ type: 'anyone', role: 'reader' }] });
    const rg = await refOf(gdriveConnector(server), g.id);
    await assert.rejects(c.quarantine(rg, { findingId: '2' }), (e: unknown) => e instanceof ItemError && e.reason === 'access_denied' && /add alice@example.com as a Manager of shared drive/.test(e.message) && /"ops.png"/.test(e.message));
    assert.equal(server.files.get(g.id)!.driveId, ops.id, 'still in its drive');
    // a drive the admin is not a member of at all
    const hr = server.addDrive('HR', ['bob@example.com']);
    const h = server.addFile({ name: 'hr.png', content: 'h', driveId: hr.id });
    const rh = await refOf(gdriveConnector(server), h.id);
    await assert.rejects(c.quarantine(rh, { findingId: '3' }), (e: unknown) => e instanceof ItemError && e.reason === 'access_denied' && /cannot see it in its shared drive/.test(e.message));
  });

  test('a file owned outside the organisation, no admin, or one user\'s OAuth grant: refused with what to do', async () => {
    const { server } = await tenant();
    const ext = server.addFile({ name: 'from-partner.png', content: 'ext', owner: 'eve@partner.org', permissions: [{ type: 'user', role: 'writer', emailAddress: 'bob@example.com' }] });
    server.addFile({ name: 'link', shortcutTo: ext.id, owner: 'bob@example.com' });
    const c = gdriveConnector(server);
    const ref = await refOf(c, ext.id);
    await assert.rejects(c.quarantine(ref, { findingId: '1' }), (e: unknown) => e instanceof ItemError && e.reason === 'access_denied' && /owned by eve@partner.org, outside example.com/.test(e.message));
    assert.equal(server.files.get(ext.id)!.owner, 'eve@partner.org');

    const saved = process.env.GDRIVE_ADMIN_USER;
    delete process.env.GDRIVE_ADMIN_USER;
    try {
      const { file } = bobsFile(server);
      const noAdmin = gdriveConnector(server, { adminUser: undefined, users: ['bob@example.com'] });
      const r = await refOf(noAdmin, file.id);
      await assert.rejects(noAdmin.quarantine(r, { findingId: '1' }), (e: unknown) => e instanceof UserError && /--admin <email> or GDRIVE_ADMIN_USER/.test(e.message));
    } finally {
      if (saved !== undefined) process.env.GDRIVE_ADMIN_USER = saved;
    }

    server.addOAuthClient({ clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-bob', user: 'bob@example.com' });
    const bobOnly = createGdriveConnector('gdrive://bob@example.com', {
      credentials: { type: 'authorized_user', client_id: 'cid', client_secret: 'csecret', refresh_token: 'rt-bob' },
      adminUser: ADMIN, apiUrl: server.rootUrl, tokenUrl: server.tokenUrl, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const mine = server.addFile({ name: 'mine.png', content: 'm', owner: 'bob@example.com', permissions: [{ type: 'anyone', role: 'reader' }] });
    const rm = await refOf(bobOnly, mine.id);
    await assert.rejects(bobOnly.quarantine(rm, { findingId: '1' }), (e: unknown) => e instanceof UserError && /service-account key with domain-wide delegation/.test(e.message));
    // but bob's own grant may still remove his file's sharing
    await bobOnly.removeGrants(rm, (await bobOnly.inspect(rm)).grants.filter((g) => g.who === 'anyone:reader'));
    assert.deepEqual(grantsOf(server, mine.id), ['user:bob@example.com:owner']);
  });
});

/**
 * OneDrive remediation capabilities (connectors/onedrive/remediate.ts) straight against the Graph
 * v1.0 fake, through the official client: inspect (levels, revocable flags, notes, no link URL
 * anywhere), removeGrants (exactly those; 404 = done), addGrants (a new link; invites without
 * mail), quarantine (move, drop sharing, folder made once and never shared, idempotent), release,
 * tag (the description line), clear one-line errors, Retry-After — and the rules the fake
 * enforces, so that these tests can fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant, LiveState, ObjectRef } from '../connectors/contract.js';
import { createOnedriveConnector, mergeDescriptionTags, parseDescriptionTags } from '../connectors/onedrive/index.js';
import { ItemError, UserError } from '../src/util/errors.js';
import { GraphFake } from './fakes/graph-server.js';
import type { FakeItem, GraphFakeOptions } from './fakes/graph-server.js';
import { whoOfPermission } from './helpers/remediation-fixtures-onedrive.js';

type T = { after: (fn: () => Promise<void> | void) => void };
const FAST_RETRY = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 20 };

/**
 * alice's OneDrive: Scans/passport.jpg (anonymous view link, organisation edit link, eve@fabrikam.com
 * read, bob write), Team/ shared with bob (write) holding team.jpg (inherits it), Other/passport.jpg
 * (same name, unshared), and photo.png at the root.
 */
async function tenant(t: T, opts: GraphFakeOptions = {}) {
  const fake = await GraphFake.start(opts);
  t.after(() => fake.close());
  const alice = fake.addUser('alice@contoso.com');
  fake.addUser('bob@contoso.com');
  const drive = alice.driveId!;
  const scans = fake.addFolder(drive, 'Scans');
  const team = fake.addFolder(drive, 'Team');
  const other = fake.addFolder(drive, 'Other');
  const passport = fake.addFile(drive, 'passport.jpg', 'image/jpeg', Buffer.from('passport'), scans.id);
  const teamFile = fake.addFile(drive, 'team.jpg', 'image/jpeg', Buffer.from('team'), team.id);
  const twin = fake.addFile(drive, 'passport.jpg', 'image/jpeg', Buffer.from('twin'), other.id);
  fake.addFile(drive, 'photo.png', 'image/png', Buffer.from('photo'));
  const anon = fake.share(passport.id, { roles: ['read'], link: { scope: 'anonymous', type: 'view' } });
  const org = fake.share(passport.id, { roles: ['write'], link: { scope: 'organization', type: 'edit' } });
  const eve = fake.share(passport.id, { roles: ['read'], grantedToV2: { user: { email: 'eve@fabrikam.com', displayName: 'Eve' } } });
  const bob = fake.share(passport.id, { roles: ['write'], grantedToV2: { user: { email: 'bob@contoso.com', displayName: 'Bob' } } });
  const teamGrant = fake.share(team.id, { roles: ['write'], grantedToV2: { user: { email: 'bob@contoso.com', displayName: 'Bob' } } });
  const c = createOnedriveConnector('onedrive://alice@contoso.com', {
    credentials: { tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret },
    apiUrl: fake.url,
    tokenUrl: fake.url,
    retry: FAST_RETRY,
  });
  const refs = new Map<string, ObjectRef>();
  for await (const p of c.list()) for (const r of p.items) refs.set(r.path, r);
  const ref = (path: string) => {
    const r = refs.get(`alice@contoso.com/${path}`);
    assert.ok(r, `listed ${path}`);
    return r;
  };
  return { fake, c, drive, scans, team, other, passport, teamFile, twin, perms: { anon, org, eve, bob, teamGrant }, ref };
}

const grantsOf = (fake: GraphFake, it: FakeItem) => fake.effectivePermissions(it.id).map(whoOfPermission).sort();
const byWho = (s: LiveState, who: string): Grant => {
  const g = s.grants.find((x) => x.who === who);
  assert.ok(g, `grant ${who} in ${s.grants.map((x) => x.who).join(', ')}`);
  return g;
};

/** No sharing URL, token or any URL at all in what the connector hands back. */
function assertNoSecrets(fake: GraphFake, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const url of fake.issuedLinkUrls()) {
    assert.ok(!text.includes(url), 'a link URL leaked');
    assert.ok(!text.includes(url.split('/').pop()!), 'a link token leaked');
  }
  assert.doesNotMatch(text, /https?:\/\//, 'no URL at all');
  for (const tok of fake.issuedAccessTokens()) assert.ok(!text.includes(tok), 'an access token leaked');
}

const count = (fake: GraphFake, method: string, re: RegExp) => fake.requests.filter((r) => r.method === method && re.test(r.path)).length;

test('inspect: one grant per permission, levels from the exposure mapping, owner and inherited not revocable, no link URL anywhere', async (t) => {
  const { fake, c, ref, scans, passport, perms } = await tenant(t);
  const s = await c.inspect(ref('Scans/passport.jpg'));
  assert.equal(s.exists, true);
  assert.equal(s.location, 'alice@contoso.com/Scans/passport.jpg');
  assert.deepEqual(s.place, { driveId: passport.driveId, parentId: scans.id, name: 'passport.jpg', parentPath: 'Scans' });
  assert.equal(s.etag, passport.cTag, 'the content fingerprint is the cTag, as in the listing');
  assert.deepEqual(s.tags, {});
  assert.deepEqual(
    s.grants.map((g) => [g.who, g.level, g.role, g.revocable]).sort(),
    [
      ['link:anonymous:view', 'anyone_with_link', 'read', true],
      ['link:organization:edit', 'domain', 'write', true],
      ['user:alice@contoso.com', 'private', 'owner', false],
      ['user:bob@contoso.com', 'internal', 'write', true],
      ['user:eve@fabrikam.com', 'external', 'read', true],
    ],
  );
  assert.equal(byWho(s, 'link:anonymous:view').id, perms.anon.id);
  assert.match(byWho(s, 'user:alice@contoso.com').note!, /owns this OneDrive/);
  assert.deepEqual({ ...byWho(s, 'link:anonymous:view').spec, note: undefined }, { kind: 'link', type: 'view', scope: 'anonymous', note: undefined });
  assert.match(String(byWho(s, 'link:anonymous:view').spec!.note), /new link with a new URL/);
  assert.deepEqual(byWho(s, 'user:eve@fabrikam.com').spec, { kind: 'invite', recipients: [{ email: 'eve@fabrikam.com' }], roles: ['read'], requireSignIn: true, sendInvitation: false });
  assert.equal(byWho(s, 'user:alice@contoso.com').spec, undefined);
  assertNoSecrets(fake, s);
  // The fake does hand out URLs in the permissions it lists: the check above is not vacuous.
  assert.ok(fake.effectivePermissions(passport.id).some((p) => p.link?.webUrl?.startsWith('https://')));

  // Inherited from the shared folder: reported, not revocable, the note says where to act.
  const team = await c.inspect(ref('Team/team.jpg'));
  const inherited = byWho(team, 'user:bob@contoso.com');
  assert.equal(inherited.level, 'internal');
  assert.equal(inherited.revocable, false);
  assert.match(inherited.note!, /inherited from folder Team/);
  assert.equal(inherited.spec, undefined);

  // Gone: exists false, nothing else.
  fake.deleteItem(passport.id);
  assert.deepEqual(await c.inspect(ref('Scans/passport.jpg')), { exists: false, location: '', grants: [] });
});

test('removeGrants: removes exactly those; a second call is a no-op (404 = already gone); non-revocable grants are refused before any request', async (t) => {
  const { fake, c, ref, passport } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const s = await c.inspect(r);
  const drop = [byWho(s, 'link:anonymous:view'), byWho(s, 'user:eve@fabrikam.com')];
  await c.removeGrants(r, drop);
  assert.deepEqual(grantsOf(fake, passport), ['link:organization:edit', 'user:alice@contoso.com', 'user:bob@contoso.com']);
  const deletes = count(fake, 'DELETE', /\/permissions\//);
  assert.equal(deletes, 2);
  await c.removeGrants(r, drop);
  assert.equal(count(fake, 'DELETE', /\/permissions\//), 4, 'asked again');
  assert.equal(fake.requests.filter((x) => x.method === 'DELETE').slice(-2).every((x) => x.status === 404), true, 'Graph said 404, counted as done');
  assert.deepEqual(grantsOf(fake, passport), ['link:organization:edit', 'user:alice@contoso.com', 'user:bob@contoso.com']);

  await assert.rejects(c.removeGrants(r, [byWho(s, 'user:alice@contoso.com')]), (err: unknown) => err instanceof ItemError && err.reason === 'not_revocable' && /alice@contoso\.com\/Scans\/passport\.jpg/.test(err.message));
  assert.equal(count(fake, 'DELETE', /\/permissions\//), 4, 'nothing sent for the owner');
});

test('the fake enforces Graph rules: the owner cannot be removed (403), an inherited permission only on its folder (400)', async (t) => {
  const { fake, c, ref, teamFile } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const s = await c.inspect(r);
  // A grant forged as revocable: Graph itself refuses, and the error says what, where and what to do.
  const owner = { ...byWho(s, 'user:alice@contoso.com'), revocable: true };
  await assert.rejects(c.removeGrants(r, [owner]), (err: unknown) => {
    assert.ok(err instanceof ItemError);
    assert.equal(err.reason, 'access_denied');
    assert.match(err.message, /^Cannot remove user:alice@contoso\.com \(owner\) from alice@contoso\.com\/Scans\/passport\.jpg: accessDenied, HTTP 403/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  const tr = ref('Team/team.jpg');
  const inherited = { ...byWho(await c.inspect(tr), 'user:bob@contoso.com'), revocable: true };
  await assert.rejects(c.removeGrants(tr, [inherited]), (err: unknown) => err instanceof ItemError && err.reason === 'bad_request' && /inheritedFrom/.test(err.message) && /team\.jpg/.test(err.message));
  assert.deepEqual(grantsOf(fake, teamFile), ['user:alice@contoso.com', 'user:bob@contoso.com']);
});

test('a 403 on delete is one clear line naming the item and the permission to grant, not retried', async (t) => {
  const { fake, c, ref } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const s = await c.inspect(r);
  fake.fail({ match: /\/permissions\//, method: 'DELETE', status: 403, code: 'accessDenied', message: 'Access denied', times: 5 });
  await assert.rejects(c.removeGrants(r, [byWho(s, 'link:anonymous:view')]), (err: unknown) => {
    assert.ok(err instanceof ItemError);
    assert.equal(err.reason, 'access_denied');
    assert.equal(c.errorReason(err), 'access_denied');
    assert.match(err.message, /Cannot remove link:anonymous:view \(read\) from alice@contoso\.com\/Scans\/passport\.jpg/);
    assert.match(err.message, /Files\.ReadWrite\.All/);
    assertNoSecrets(fake, err.message);
    return true;
  });
  assert.equal(count(fake, 'DELETE', /\/permissions\//), 1, 'a refusal is not retried');
});

test('429 with Retry-After is honoured (the drive waits, the throttle is counted), then the request goes through', async (t) => {
  const { fake, c, ref, passport } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const s = await c.inspect(r);
  const before = c.stats.throttled;
  fake.fail({ match: /\/permissions\//, method: 'DELETE', status: 429, retryAfter: '0.4' });
  const t0 = Date.now();
  await c.removeGrants(r, [byWho(s, 'link:anonymous:view')]);
  assert.ok(Date.now() - t0 >= 380, `waited ${Date.now() - t0} ms`);
  assert.equal(c.stats.throttled, before + 1);
  assert.equal(count(fake, 'DELETE', /\/permissions\//), 2);
  assert.ok(!grantsOf(fake, passport).includes('link:anonymous:view'));
  // 503 without the header during a move: backoff, and the quarantine completes.
  fake.fail({ match: /\/items\/[^/?]+$/, method: 'PATCH', status: 503 });
  const q = await c.quarantine(r, { findingId: '1' });
  assert.equal(q.path, 'alice@contoso.com/casb-quarantine/passport.jpg');
  assert.equal(c.stats.throttled, before + 2);
});

test('addGrants re-creates removed grants: a NEW link (new id and URL), invites without mail; a second call changes nothing', async (t) => {
  const { fake, c, ref, passport, perms } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const s = await c.inspect(r);
  const want = grantsOf(fake, passport);
  const grants = [byWho(s, 'link:anonymous:view'), byWho(s, 'link:organization:edit'), byWho(s, 'user:eve@fabrikam.com'), byWho(s, 'user:bob@contoso.com')];
  await c.removeGrants(r, grants);
  assert.deepEqual(grantsOf(fake, passport), ['user:alice@contoso.com']);
  await c.addGrants(r, [...grants, byWho(s, 'user:alice@contoso.com')]); // the owner's has nothing to re-create
  assert.deepEqual(grantsOf(fake, passport), want);
  const now = fake.item(passport.id).permissions;
  const link = now.find((p) => p.link?.scope === 'anonymous')!;
  assert.notEqual(link.id, perms.anon.id, 'a new permission');
  assert.notEqual(link.link!.webUrl, perms.anon.link!.webUrl, 'with a new URL');
  const eve = now.find((p) => p.grantedToV2?.user.email === 'eve@fabrikam.com')!;
  assert.deepEqual(eve.roles, ['read']);
  assert.equal(eve.invitation?.signInRequired, true);
  assert.equal(fake.counters.invitationsSent, 0, 'sendInvitation false: nobody is mailed');
  const posts = fake.requests.filter((x) => x.method === 'POST').length;
  await c.addGrants(r, grants);
  assert.equal(fake.requests.filter((x) => x.method === 'POST').length, posts, 'there again: nothing created');
  assert.deepEqual(grantsOf(fake, passport), want);
});

test('a specific-people link is re-created with its people (createLink, then grant on the new link)', async (t) => {
  const { fake, c, ref, passport } = await tenant(t);
  fake.share(passport.id, { roles: ['read'], link: { scope: 'users', type: 'view' }, grantedToIdentitiesV2: [{ user: { email: 'bob@contoso.com' } }, { user: { email: 'mallory@fabrikam.com' } }] });
  const r = ref('Scans/passport.jpg');
  const s = await c.inspect(r);
  const g = byWho(s, 'link:users:view');
  assert.equal(g.level, 'external');
  assert.deepEqual(g.spec!.recipients, [{ email: 'bob@contoso.com' }, { email: 'mallory@fabrikam.com' }]);
  assertNoSecrets(fake, s);
  await c.removeGrants(r, [g]);
  assert.equal(fake.item(passport.id).permissions.some((p) => p.link?.scope === 'users'), false);
  await c.addGrants(r, [g]);
  const back = fake.item(passport.id).permissions.find((p) => p.link?.scope === 'users')!;
  assert.deepEqual(back.grantedToIdentitiesV2!.map((x) => x.user.email).sort(), ['bob@contoso.com', 'mallory@fabrikam.com']);
  assert.equal(count(fake, 'POST', /^\/v1\.0\/shares\/u!/), 1);
});

test('quarantine: moved into casb-quarantine (made once, shared with nobody), links and grants dropped, inherited ones left behind; again is harmless', async (t) => {
  const { fake, c, ref, drive, passport, teamFile, twin } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const q = await c.quarantine(r, { findingId: '7' });
  const folder = fake.itemAtPath(drive, 'casb-quarantine')!;
  assert.ok(folder?.folder, 'the folder exists');
  assert.equal(fake.item(passport.id).parentId, folder.id);
  assert.deepEqual(grantsOf(fake, passport), ['user:alice@contoso.com'], 'only the owner');
  assert.deepEqual(grantsOf(fake, folder), ['user:alice@contoso.com'], 'the folder is shared with nobody');
  assert.equal(q.externalId, r.externalId, 'same item id in Graph');
  assert.equal(q.path, 'alice@contoso.com/casb-quarantine/passport.jpg');
  assert.equal(q.etag, r.etag, 'a move does not change the content tag');
  assert.deepEqual(q.extra, r.extra);
  assert.deepEqual(q.exposure, { level: 'private' });

  const writes = fake.requests.filter((x) => x.method !== 'GET').length;
  assert.deepEqual(await c.quarantine(q, { findingId: '7' }), q, 'again: same answer');
  assert.equal(fake.requests.filter((x) => x.method !== 'GET').length, writes, 'and no write');

  // Another file of the same name: it gets its id in its name; the folder is not made twice.
  const q2 = await c.quarantine(ref('Other/passport.jpg'), { findingId: '8' });
  assert.equal(fake.item(twin.id).parentId, folder.id);
  assert.equal(fake.item(twin.id).name, `passport (${twin.id.slice(-8)}).jpg`);
  assert.equal(q2.path, `alice@contoso.com/casb-quarantine/passport (${twin.id.slice(-8)}).jpg`);
  // Out of its shared folder: the inherited grant no longer reaches it.
  await c.quarantine(ref('Team/team.jpg'), { findingId: '9' });
  assert.deepEqual(grantsOf(fake, teamFile), ['user:alice@contoso.com']);
  assert.equal(count(fake, 'POST', /\/children$/), 1, 'the quarantine folder was created once');
  assert.equal(fake.childrenOf(folder.id).length, 3);
});

test('quarantine: a fresh connector finds the existing folder; a folder path is created level by level; a shared folder is refused', async (t) => {
  const { fake, c, ref, drive, passport, teamFile, team } = await tenant(t);
  const nested = await c.quarantine(ref('Scans/passport.jpg'), { findingId: '1', to: 'Security/Quarantine' });
  assert.equal(nested.path, 'alice@contoso.com/Security/Quarantine/passport.jpg');
  assert.equal(fake.item(passport.id).parentId, fake.itemAtPath(drive, 'Security/Quarantine')!.id);
  assert.equal(count(fake, 'POST', /\/children$/), 2);

  // Someone made the default folder already (and it holds nothing shared): used, not duplicated.
  const made = fake.addFolder(drive, 'casb-quarantine');
  const c2 = createOnedriveConnector('onedrive://alice@contoso.com', { credentials: { tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret }, apiUrl: fake.url, tokenUrl: fake.url, retry: FAST_RETRY });
  await c2.quarantine(ref('photo.png'), { findingId: '2' });
  assert.equal(fake.childrenOf(made.id).length, 1);
  assert.equal(count(fake, 'POST', /\/children$/), 2);

  // A shared folder would leave what is moved there reachable: refused, nothing moved.
  await assert.rejects(c2.quarantine(ref('Scans/passport.jpg'), { findingId: '3', to: 'Team' }), (err: unknown) => {
    assert.ok(err instanceof ItemError);
    assert.equal(err.reason, 'quarantine_shared');
    assert.match(err.message, /Team in the OneDrive of alice@contoso\.com: that folder is shared \(user:bob@contoso\.com\)/);
    return true;
  });
  assert.notEqual(fake.item(passport.id).parentId, team.id);
  assert.equal(fake.item(teamFile.id).parentId, team.id);
  await assert.rejects(c2.quarantine(ref('photo.png'), { findingId: '4', to: 'bad:name' }), UserError);
});

test('release: back to the folder and name it had; again is harmless; a name taken meanwhile is a clear error, not an overwrite', async (t) => {
  const { fake, c, ref, scans, other, passport, twin } = await tenant(t);
  const r = ref('Scans/passport.jpg');
  const before = await c.inspect(r);
  const q = await c.quarantine(r, { findingId: '1' });
  const r2 = ref('Other/passport.jpg');
  const before2 = await c.inspect(r2);
  const q2 = await c.quarantine(r2, { findingId: '2' }); // renamed in quarantine
  const back = await c.release(q, before);
  assert.equal(fake.item(passport.id).parentId, scans.id);
  assert.equal(back.path, 'alice@contoso.com/Scans/passport.jpg');
  assert.equal((await c.inspect(back)).location, before.location);
  assert.deepEqual(await c.release(back, before), back, 'again: already there');

  const back2 = await c.release(q2, before2);
  assert.equal(fake.item(twin.id).parentId, other.id);
  assert.equal(fake.item(twin.id).name, 'passport.jpg', 'its own name again');
  assert.equal(back2.path, 'alice@contoso.com/Other/passport.jpg');
  // Grants are the runner's business (addGrants): release only moves.
  assert.deepEqual(grantsOf(fake, passport), ['user:alice@contoso.com']);

  const q3 = await c.quarantine(back, { findingId: '3' });
  fake.addFile(scans.driveId, 'passport.jpg', 'image/jpeg', Buffer.from('new one'), scans.id);
  await assert.rejects(c.release(q3, before), (err: unknown) => err instanceof ItemError && err.reason === 'conflict' && /an item of that name is there now/.test(err.message) && /Scans\/passport\.jpg/.test(err.message));
  assert.notEqual(fake.item(passport.id).parentId, scans.id, 'still in quarantine');
});

test('tag: merges into the casb line of the description, keeps the owner\'s text, reads back through inspect; a drive that drops descriptions is a clear error', async (t) => {
  const { fake, c, ref, passport } = await tenant(t);
  fake.item(passport.id).description = 'Scanned at the front desk';
  const r = ref('Scans/passport.jpg');
  await c.tag(r, { 'casb-finding': '42', 'casb-label': 'passport' });
  assert.equal(fake.item(passport.id).description, 'Scanned at the front desk\ncasb: casb-finding=42; casb-label=passport');
  await c.tag(r, { 'casb-label': 'id_card', 'casb-note': 'a;b=c%' });
  assert.deepEqual((await c.inspect(r)).tags, { 'casb-finding': '42', 'casb-label': 'id_card', 'casb-note': 'a;b=c%' });
  assert.match(fake.item(passport.id).description!, /^Scanned at the front desk\ncasb: /);
  const patches = count(fake, 'PATCH', /\/items\//);
  await c.tag(r, { 'casb-label': 'id_card' });
  assert.equal(count(fake, 'PATCH', /\/items\//), patches, 'already so: no write');
  await c.tag(r, { 'casb-note': '' });
  assert.deepEqual(parseDescriptionTags(fake.item(passport.id).description), { 'casb-finding': '42', 'casb-label': 'id_card' }, 'an empty value removes the key');
  assert.equal(mergeDescriptionTags('casb: a=1', { a: '' }), '');

  fake.descriptionWritable = false;
  await assert.rejects(c.tag(r, { 'casb-finding': '43' }), (err: unknown) => err instanceof ItemError && err.reason === 'unsupported' && /did not keep the item description/.test(err.message));
});

test('the fake answers moves and folder creation as Graph documents: 409 nameAlreadyExists, 400 across drives, 404 parent', async (t) => {
  const { fake, drive, scans, other, passport } = await tenant(t);
  const bob = fake.users.find((u) => u.userPrincipalName === 'bob@contoso.com')!;
  const tok = await (await fetch(`${fake.url}/${fake.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: 'https://graph.microsoft.com/.default' }) })).json() as { access_token: string };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${fake.url}/v1.0${path}`, { method, headers: { authorization: `Bearer ${tok.access_token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as { error?: { code: string; message: string; innerError: unknown } } & Record<string, unknown>) };
  };
  const item = `/drives/${encodeURIComponent(drive)}/items/${passport.id}`;
  let r = await call('PATCH', item, { parentReference: { id: other.id } });
  assert.equal(r.status, 409);
  assert.equal(r.body!.error!.code, 'nameAlreadyExists');
  assert.ok(r.body!.error!.innerError, 'Graph error body shape');
  r = await call('PATCH', item, { parentReference: { id: bob.driveId, driveId: bob.driveId } });
  assert.equal(r.status, 400);
  r = await call('PATCH', item, { parentReference: { id: 'nope' } });
  assert.equal(r.status, 404);
  assert.equal(r.body!.error!.code, 'itemNotFound');
  r = await call('PATCH', `${item}?@microsoft.graph.conflictBehavior=rename`, { parentReference: { id: other.id } });
  assert.equal(r.status, 200);
  assert.equal(r.body!.name, 'passport 1.jpg');
  assert.equal((r.body!.parentReference as { path: string }).path, '/drive/root:/Other');
  r = await call('POST', `/drives/${encodeURIComponent(drive)}/root/children`, { name: 'Scans', folder: {}, '@microsoft.graph.conflictBehavior': 'fail' });
  assert.equal(r.status, 409);
  r = await call('POST', `/drives/${encodeURIComponent(drive)}/items/${scans.id}/children`, { name: 'Sub', folder: {} });
  assert.equal(r.status, 201);
  r = await call('GET', `/drives/${encodeURIComponent(drive)}/root:/Scans/Sub`);
  assert.equal(r.status, 200);
  r = await call('POST', `${item}/createLink`, { type: 'view', scope: 'anonymous' });
  assert.equal(r.status, 200, 'the existing link of that type and scope');
  r = await call('POST', `${item}/createLink`, { type: 'embed' });
  assert.equal(r.status, 400);
  r = await call('DELETE', `${item}/permissions/does-not-exist`);
  assert.equal(r.status, 404);
  r = await call('POST', `${item}/invite`, { recipients: [{ email: 'x@contoso.com' }], roles: ['owner'] });
  assert.equal(r.status, 400);
});

/**
 * The remediation contract: every action on every connector, through the runner and a real
 * store (PGlite, or PostgreSQL with DATABASE_URL), against the real or documented-API server of
 * each platform. For each supported action:
 *
 *   - a dry run returns the plan and changes nothing (platform and audit alike);
 *   - apply changes exactly what the plan said (checked on the platform, not through the connector);
 *   - a second apply is a no-op;
 *   - restore brings back the before-snapshot.
 *
 * Plus: a failure between the copy and the delete of a copy-then-delete quarantine leaves the
 * original in place and records `failed`; running it again completes with exactly one copy.
 */
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { Grant, ObjectRef } from '../connectors/contract.js';
import { exposureOfGrants } from '../src/remediation/exposure.js';
import { createLocalConnector } from '../connectors/local/index.js';
import { remediate, restoreAction, type RemediateRequest } from '../src/remediation/runner.js';
import type { Store } from '../src/store/index.js';
import { ItemError, UserError } from '../src/util/errors.js';
import { tempDir, testStore } from './helpers/env.js';
import type { PlatformView, RemediationFixture, RemediationSource } from './helpers/remediation-fixture.js';
import { s3RemediationFixture } from './helpers/remediation-fixtures-s3.js';
import { gdriveRemediationFixture } from './helpers/remediation-fixtures-gdrive.js';
import { onedriveRemediationFixture } from './helpers/remediation-fixtures-onedrive.js';

/** A local folder: no sharing to revoke, quarantine moves the file out of the tree. */
function localFixture(t: TestContext): RemediationFixture {
  return {
    name: 'local',
    async create(): Promise<RemediationSource> {
      const dir = await tempDir(t, 'casb-rem-');
      const root = path.join(dir, 'src');
      const qdir = path.join(dir, 'quarantine');
      await mkdir(path.join(root, 'scans'), { recursive: true });
      await writeFile(path.join(root, 'scans', 'passport.jpg'), 'pretend jpeg bytes');
      const st = await stat(path.join(root, 'scans', 'passport.jpg'));
      const ref: ObjectRef = { externalId: 'scans/passport.jpg', path: path.join(root, 'scans', 'passport.jpg'), size: st.size, etag: `${st.size}-${Math.floor(st.mtimeMs)}` };
      const exists = (f: string) => stat(f).then(() => true, () => false);
      return {
        connector: () => createLocalConnector(root),
        ref,
        supports: { revokePublic: false, revokeExternal: false, tag: false, quarantine: true },
        quarantineTo: qdir,
        async view(): Promise<PlatformView> {
          return {
            atOrigin: await exists(path.join(root, 'scans', 'passport.jpg')),
            quarantinedCopies: (await exists(path.join(qdir, 'scans', 'passport.jpg'))) ? 1 : 0,
            grants: [],
            tags: {},
          };
        },
        close: async () => {},
      };
    },
  };
}

/** The flagged object as a scan would have left it in the store; returns the finding id. */
async function seed(store: Store, src: RemediationSource): Promise<string> {
  const c = src.connector();
  const sourceId = await store.upsertSource(c.uri, c.kind);
  const runId = await store.startRun(sourceId, 'cli', 'test-model');
  await store.recordItem(sourceId, runId, {
    externalId: src.ref.externalId, path: src.ref.path, size: src.ref.size, etag: src.ref.etag, modifiedAt: null, contentType: 'image/jpeg',
    contentSha256: null, modelVersion: 'test-model', policyVersion: null, outcome: 'scanned', outcomeDetail: null, label: 'passport',
    score: 0.99, scores: { passport: 0.99 }, exposure: src.ref.exposure?.level ?? null, exposureDetails: src.ref.exposure?.details ?? null,
    refExtra: src.ref.extra ?? null,
  }, [{ label: 'passport', score: 0.99, entityType: '', valueHash: '', redactedValue: null, boxes: [], explanation: { summary: 'passport 0.99' }, severity: 'high' }]);
  await c.close?.();
  const [f] = await store.listFindings({ source: c.uri });
  return f!.id;
}

async function auditCount(store: Store): Promise<number> {
  return (await store.listActions({})).length;
}

const fixtures = (t: TestContext): RemediationFixture[] => [localFixture(t), s3RemediationFixture, gdriveRemediationFixture, onedriveRemediationFixture];
const NAMES = ['local', 's3', 'gdrive', 'onedrive'];

for (const name of NAMES) {
  describe(`remediation contract: ${name}`, () => {
    /** A fresh source, store and finding for one case; undefined (and the case skipped, saying why) where it cannot run. */
    async function setup(t: TestContext, need?: keyof RemediationSource['supports']) {
      const fx = fixtures(t).find((f) => f.name === name)!;
      const why = await fx.unavailable?.();
      if (why) {
        t.skip(why);
        return undefined;
      }
      const src = await fx.create();
      t.after(() => src.close());
      if (need && !src.supports[need]) {
        t.skip(`${name} has no ${need}`);
        return undefined;
      }
      const store = await testStore(t);
      const findingId = await seed(store, src);
      const run = (action: string, extra: Partial<RemediateRequest> = {}) =>
        remediate(store, async () => src.connector(), {
          action, findingIds: [findingId], dryRun: false, cap: 25, actor: 'test', quarantineTo: () => src.quarantineTo, ...extra,
        });
      return { src, store, findingId, run };
    }

    for (const [action, need] of [['revoke-public', 'revokePublic'], ['revoke-external', 'revokeExternal'], ['tag', 'tag'], ['quarantine', 'quarantine']] as const) {
      test(`${action}: dry run changes nothing`, async (t) => {
        const s = await setup(t, need);
        if (!s) return;
        const before = await s.src.view();
        const r = await s.run(action, { dryRun: true });
        assert.equal(r.results.length, 1);
        assert.equal(r.results[0]!.status, 'planned', r.results[0]!.detail);
        assert.ok(r.results[0]!.steps.length > 0);
        assert.deepEqual(await s.src.view(), before);
        assert.equal(await auditCount(s.store), 0, 'a dry run records nothing');
      });
    }

    for (const [action, need, levels] of [
      ['revoke-public', 'revokePublic', ['public', 'anyone_with_link']],
      ['revoke-external', 'revokeExternal', ['external']],
    ] as const) {
      test(`${action}: removes exactly the planned grants; again is a no-op; restore grants them again`, async (t) => {
        const s = await setup(t, need);
        if (!s) return;
        const before = await s.src.view();
        const plan = (await s.run(action, { dryRun: true })).results[0]!;
        const planned = plan.steps.flatMap((st) => (st.op === 'remove-grant' ? [st.grant] : []));
        assert.ok(planned.length > 0, 'the fixture has grants to remove');
        assert.ok(planned.every((g) => (levels as readonly string[]).includes(g.level)), `only ${levels.join('/')} grants planned`);
        const applied = (await s.run(action)).results[0]!;
        assert.equal(applied.status, 'applied', applied.detail);
        const after = await s.src.view();
        const removed = new Set(planned.map((g) => g.who));
        assert.deepEqual(after.grants, before.grants.filter((w) => !removed.has(w)), 'exactly the planned grants are gone');
        assert.equal(after.atOrigin, true);
        const [f] = await s.store.listFindings({});
        assert.equal(f!.status, 'remediated');

        const again = (await s.run(action)).results[0]!;
        assert.equal(again.status, 'noop', again.detail);
        assert.deepEqual(await s.src.view(), after);

        const restored = await restoreAction(s.store, async () => s.src.connector(), applied.actionId!, { dryRun: false, actor: 'test' });
        assert.equal(restored.status, 'applied', restored.detail);
        assert.deepEqual((await s.src.view()).grants, before.grants, 'the before-snapshot is back');
        const [g] = await s.store.listFindings({});
        assert.equal(g!.status, 'open');
      });
    }

    test('tag: sets casb-finding and casb-label and nothing else; again is a no-op; restore takes them off', async (t) => {
      const s = await setup(t, 'tag');
      if (!s) return;
      const before = await s.src.view();
      const applied = (await s.run('tag')).results[0]!;
      assert.equal(applied.status, 'applied', applied.detail);
      const v = await s.src.view();
      assert.deepEqual(v.tags, { ...before.tags, 'casb-finding': s.findingId, 'casb-label': 'passport' });
      assert.deepEqual(v.grants, before.grants);
      assert.equal((await s.run('tag')).results[0]!.status, 'noop');
      const restored = await restoreAction(s.store, async () => s.src.connector(), applied.actionId!, { dryRun: false, actor: 'test' });
      assert.equal(restored.status, 'applied', restored.detail);
      assert.deepEqual(await s.src.view(), before);
    });

    test('quarantine: moves it out of reach with no sharing; again is a no-op; restore puts it back with its grants', async (t) => {
      const s = await setup(t, 'quarantine');
      if (!s) return;
      const before = await s.src.view();
      assert.equal(before.atOrigin, true);
      const applied = (await s.run('quarantine')).results[0]!;
      assert.equal(applied.status, 'applied', applied.detail);
      const after = await s.src.view();
      assert.equal(after.atOrigin, false, 'not at its original place');
      assert.equal(after.quarantinedCopies, 1, 'exactly one quarantined copy');
      const wide = after.grants.filter((w) => /anyone|AllUsers|AuthenticatedUsers|anonymous|organization|partner|external/i.test(w));
      assert.deepEqual(wide, [], 'no public or external sharing left');
      assert.equal((await s.store.listFindings({}))[0]!.status, 'remediated');

      const again = (await s.run('quarantine')).results[0]!;
      assert.equal(again.status, 'noop', again.detail);
      assert.deepEqual(await s.src.view(), after);

      const restored = await restoreAction(s.store, async () => s.src.connector(), applied.actionId!, { dryRun: false, actor: 'test' });
      assert.equal(restored.status, 'applied', restored.detail);
      const back = await s.src.view();
      assert.equal(back.atOrigin, true);
      assert.equal(back.quarantinedCopies, 0);
      assert.deepEqual(back.grants, before.grants, 'the before-snapshot grants are back');
      const again2 = await restoreAction(s.store, async () => s.src.connector(), applied.actionId!, { dryRun: false, actor: 'test' });
      assert.equal(again2.status, 'noop');
    });

    test('quarantine: a failure between the copy and the delete leaves the original; the rerun completes with one copy', async (t) => {
      const s = await setup(t, 'quarantine');
      if (!s) return;
      if (!s.src.failNextOriginalDelete) return void t.skip(`${name} quarantine is a move, not copy-then-delete`);
      s.src.failNextOriginalDelete();
      const first = (await s.run('quarantine')).results[0]!;
      assert.match(first.status, /^failed:/, first.detail);
      const mid = await s.src.view();
      assert.equal(mid.atOrigin, true, 'the original is still in place');
      assert.equal((await s.store.listFindings({}))[0]!.status, 'open');
      const second = (await s.run('quarantine')).results[0]!;
      assert.equal(second.status, 'applied', second.detail);
      const end = await s.src.view();
      assert.equal(end.atOrigin, false);
      assert.equal(end.quarantinedCopies, 1, 'exactly one copy');
      const audit = await s.store.listActions({});
      assert.deepEqual(audit.map((a) => a.status).reverse(), [first.status, 'applied']);
    });
  });
}

describe('remediation runner', () => {
  async function localSource(t: TestContext, n: number) {
    const dir = await tempDir(t, 'casb-rem-');
    const root = path.join(dir, 'src');
    await mkdir(root, { recursive: true });
    const store = await testStore(t);
    const c = createLocalConnector(root);
    const sourceId = await store.upsertSource(c.uri, c.kind);
    const runId = await store.startRun(sourceId, 'cli', 'm');
    for (let i = 0; i < n; i++) {
      await writeFile(path.join(root, `${i}.jpg`), `bytes ${i}`);
      const st = await stat(path.join(root, `${i}.jpg`));
      await store.recordItem(sourceId, runId, {
        externalId: `${i}.jpg`, path: path.join(root, `${i}.jpg`), size: st.size, etag: `${st.size}-${Math.floor(st.mtimeMs)}`, modifiedAt: null, contentType: null, contentSha256: null,
        modelVersion: 'm', policyVersion: null, outcome: 'scanned', outcomeDetail: null, label: 'passport', score: 0.9, scores: null,
        exposure: null, exposureDetails: null,
      }, [
        { label: 'passport', score: 0.9, entityType: '', valueHash: '', redactedValue: null, boxes: [], explanation: {}, severity: 'high' },
        { label: 'passport', score: 0.8, entityType: 'mrz', valueHash: `h${i}`, redactedValue: 'x', boxes: [], explanation: {}, severity: 'high' },
      ]);
    }
    return { dir, root, store, c };
  }

  test('a bulk request above the cap is refused without --force, and goes through with it', async (t) => {
    const { dir, root, store } = await localSource(t, 3);
    const req: RemediateRequest = { action: 'quarantine', filter: { label: 'passport' }, dryRun: false, cap: 2, actor: 'test', quarantineTo: () => path.join(dir, 'q') };
    await assert.rejects(remediate(store, async () => createLocalConnector(root), req), (err: unknown) => err instanceof UserError && /3 items match, above the cap of 2/.test(err.message));
    assert.equal((await store.listActions({})).length, 0, 'nothing recorded');
    assert.equal((await readFile(path.join(root, '0.jpg'), 'utf8')), 'bytes 0', 'nothing moved');
    // two findings per item: one action per item
    const forced = await remediate(store, async () => createLocalConnector(root), { ...req, force: true });
    assert.deepEqual(forced.results.map((r) => r.status), ['applied', 'applied', 'applied']);
    assert.equal((await store.listFindings({ status: 'remediated' })).length, 6);
  });

  test('bad parameters and unknown actions stop before anything is read', async (t) => {
    const { root, store } = await localSource(t, 1);
    const base: RemediateRequest = { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 'test' };
    const never = async () => {
      throw new Error('no connector may be opened');
    };
    await assert.rejects(remediate(store, never, { ...base, action: 'shred' }), /unknown action "shred"/);
    await assert.rejects(remediate(store, never, { ...base, params: { to: 7 } }), /bad parameter for quarantine \(to\)/);
    await assert.rejects(remediate(store, never, { ...base, findingIds: ['12x'] }), /not a finding id/);
    await assert.rejects(remediate(store, never, { ...base, findingIds: ['987654'] }), /no finding 987654/);
    void root;
  });

  test('an object gone since the scan is blocked:gone, and the finding stays open', async (t) => {
    const { dir, root, store } = await localSource(t, 1);
    await import('node:fs/promises').then((fs) => fs.unlink(path.join(root, '0.jpg')));
    const r = await remediate(store, async () => createLocalConnector(root), { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => path.join(dir, 'q') });
    assert.equal(r.results[0]!.status, 'blocked:gone');
    assert.equal((await store.listFindings({ status: 'open' })).length, 2);
    const [a] = await store.listActions({});
    assert.equal(a!.status, 'blocked:gone');
  });

  test('a local quarantine folder inside the scanned tree is refused', async (t) => {
    const { root, store } = await localSource(t, 1);
    const req: RemediateRequest = { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => path.join(root, 'q') };
    // refused for the whole run, before any item, in a dry run too
    for (const dryRun of [true, false]) {
      await assert.rejects(remediate(store, async () => createLocalConnector(root), { ...req, dryRun }), (e: unknown) => e instanceof UserError && /inside the scanned folder/.test(e.message));
    }
    // also through a symlink that points into the tree
    const link = path.join(path.dirname(root), 'sneaky');
    await symlink(root, link);
    await assert.rejects(remediate(store, async () => createLocalConnector(root), { ...req, quarantineTo: () => path.join(link, 'q') }), /through a symlink/);
    for (const [to, msg] of [['relative/q', /not an absolute path/], ['/proc/casbq', /kernel file system/], [path.join(root, '0.jpg', 'q'), /is not a folder/]] as const) {
      await assert.rejects(remediate(store, async () => createLocalConnector(root), { ...req, quarantineTo: () => to }), msg);
    }
    assert.equal((await readFile(path.join(root, '0.jpg'), 'utf8')), 'bytes 0');
    assert.equal((await store.listActions({})).length, 0);
  });

  test('a scanned file replaced by a symlink is not followed: nothing moves, the link target keeps its mode', async (t) => {
    const { dir, root, store } = await localSource(t, 1);
    const victim = path.join(dir, 'victim.txt');
    await writeFile(victim, 'not yours', { mode: 0o644 });
    await unlink(path.join(root, '0.jpg'));
    await symlink(victim, path.join(root, '0.jpg'));
    const r = await remediate(store, async () => createLocalConnector(root), { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => path.join(dir, 'q') });
    assert.equal(r.results[0]!.status, 'blocked:gone');
    assert.equal((await lstat(path.join(root, '0.jpg'))).isSymbolicLink(), true);
    assert.equal((await stat(victim)).mode & 0o777, 0o644);
  });

  test('a file changed since the scan is not quarantined until it is scanned again', async (t) => {
    const { dir, root, store } = await localSource(t, 1);
    const c = createLocalConnector(root);
    await new Promise((r) => setTimeout(r, 20)); // a different mtime
    await writeFile(path.join(root, '0.jpg'), 'edited after the scan');
    const r = await remediate(store, async () => c, { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => path.join(dir, 'q') });
    assert.equal(r.results[0]!.status, 'failed:changed');
    assert.equal(await readFile(path.join(root, '0.jpg'), 'utf8'), 'edited after the scan');
  });

  test('a quarantine killed after the move is finished by running it again, and the stuck audit row is closed', async (t) => {
    const { dir, root, store } = await localSource(t, 1);
    const q = path.join(dir, 'q');
    const local = createLocalConnector(root);
    await chmod(path.join(root, '0.jpg'), 0o640);
    await store.db.query(`UPDATE items SET etag = $1`, [(await local.inspect!({ externalId: '0.jpg', path: '', size: 0, etag: '' })).etag]);
    // the process "dies" right after the platform moved the file: the audit row stays running
    const dying = { ...local, quarantine: async (...a: Parameters<NonNullable<typeof local.quarantine>>) => { await local.quarantine!(...a); throw new Error('killed'); } };
    const req: RemediateRequest = { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => q };
    await remediate(store, async () => dying, req);
    await store.db.query(`UPDATE remediation_actions SET status = 'running', finished_at = NULL`);
    await assert.rejects(restoreAction(store, async () => local, '1', { dryRun: false }), /did not finish .* run the same casb remediate again/);
    const again = await remediate(store, async () => local, req);
    assert.equal(again.results[0]!.status, 'applied', again.results[0]!.detail);
    const audit = await store.listActions({});
    assert.deepEqual(audit.map((a) => a.status), ['applied', 'failed:interrupted']);
    const back = await restoreAction(store, async () => local, audit[0]!.id, { dryRun: false });
    assert.equal(back.status, 'applied', back.detail);
    assert.equal(await readFile(path.join(root, '0.jpg'), 'utf8'), 'bytes 0');
    assert.equal((await stat(path.join(root, '0.jpg'))).mode & 0o777, 0o640, 'restored from the snapshot taken before the first move');
  });

  test('restore refuses to call an unrelated file at the original path the restored one', async (t) => {
    const { dir, root, store } = await localSource(t, 1);
    const q = path.join(dir, 'q');
    const local = createLocalConnector(root);
    const applied = await remediate(store, async () => local, { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => q });
    await unlink(path.join(q, '0.jpg'));
    await writeFile(path.join(root, '0.jpg'), 'someone else entirely');
    for (const dryRun of [true, false]) {
      const r = await restoreAction(store, async () => local, applied.results[0]!.actionId!, { dryRun });
      assert.equal(r.status, 'blocked:gone', r.detail);
    }
    assert.equal((await store.listFindings({ status: 'remediated' })).length, 2, 'findings not reopened');
  });

  test('a platform that says yes but changes nothing is failed:verify, and the finding stays open', async (t) => {
    const { root, store } = await localSource(t, 1);
    const local = createLocalConnector(root);
    const grant = { id: 'p1', level: 'public' as const, who: 'anyone:reader', role: 'reader', revocable: true };
    // a connector whose removeGrants returns without removing anything
    const liar = {
      ...local,
      inspect: async (ref: ObjectRef) => ({ ...(await local.inspect!(ref)), grants: [grant] }),
      removeGrants: async () => {},
      addGrants: async () => {},
    };
    const r = await remediate(store, async () => liar, { action: 'revoke-public', filter: {}, dryRun: false, cap: 5, actor: 't' });
    assert.equal(r.results[0]!.status, 'failed:verify');
    assert.match(r.results[0]!.detail, /still granted after removal: anyone:reader/);
    assert.equal((await store.listFindings({ status: 'open' })).length, 2);
    const [a] = await store.listActions({});
    assert.equal(a!.status, 'failed:verify');
    assert.deepEqual((a!.before as { grants: unknown[] }).grants, [grant], 'the before-snapshot is kept');
  });

  test('exposure from grants: widest level; private without grants; unknown when a grant could not be read', () => {
    const g = (level: Grant['level']): Grant => ({ id: level, level, who: level, role: 'r', revocable: true });
    assert.equal(exposureOfGrants([]).level, 'private');
    assert.equal(exposureOfGrants([g('internal'), g('external')]).level, 'external');
    assert.equal(exposureOfGrants([g('internal'), g('unknown')]).level, 'unknown');
    assert.equal(exposureOfGrants([g('public'), g('unknown')]).level, 'public');
  });

  test('an interrupt stops before the next item, never inside one; running again finishes the rest', async (t) => {
    const { dir, root, store } = await localSource(t, 3);
    const stop = new AbortController();
    const local = createLocalConnector(root);
    // Ctrl-C arrives while the first item is being quarantined
    const interrupted = { ...local, quarantine: async (...a: Parameters<NonNullable<typeof local.quarantine>>) => (stop.abort(), local.quarantine!(...a)) };
    const req: RemediateRequest = { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => path.join(dir, 'q'), signal: stop.signal };
    const first = await remediate(store, async () => interrupted, req);
    assert.deepEqual(first.results.map((r) => r.status), ['applied']);
    assert.equal(first.notStarted, 2);
    const second = await remediate(store, async () => local, { ...req, signal: undefined });
    assert.deepEqual(second.results.map((r) => r.status), ['applied', 'applied']);
    assert.deepEqual((await import('node:fs/promises').then((fs) => fs.readdir(root))), []);
    assert.deepEqual((await import('node:fs/promises').then((fs) => fs.readdir(path.join(dir, 'q')))).sort(), ['0.jpg', '1.jpg', '2.jpg']);
  });

  test('a platform refusal is blocked with the platform\'s reason, and the finding stays open', async (t) => {
    const { dir, root, store } = await localSource(t, 1);
    const local = createLocalConnector(root);
    const refusing = {
      ...local,
      quarantine: async () => {
        throw new ItemError('access_denied', 'Drive answered 403 insufficientFilePermissions: the admin may not move 0.jpg');
      },
    };
    const r = await remediate(store, async () => refusing, { action: 'quarantine', filter: {}, dryRun: false, cap: 5, actor: 't', quarantineTo: () => path.join(dir, 'q') });
    assert.equal(r.results[0]!.status, 'blocked:access_denied');
    assert.match(r.results[0]!.detail, /403 insufficientFilePermissions/);
    assert.equal((await store.listFindings({ status: 'open' })).length, 2);
    assert.equal(await readFile(path.join(root, '0.jpg'), 'utf8'), 'bytes 0');
  });

  test('an S3 quarantine location that cannot work is refused before any item', async (t) => {
    const { createS3Connector } = await import('../connectors/s3/index.js');
    const c = await createS3Connector('s3://photos/scans', { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });
    await assert.rejects(c.checkQuarantine!('file:///tmp/q'), (e: unknown) => e instanceof UserError && /not an S3 location/.test(e.message));
    await assert.rejects(c.checkQuarantine!('s3://photos'), /is the bucket photos itself/);
    await c.checkQuarantine!(undefined); // the default casb-quarantine/ prefix
    await c.checkQuarantine!('s3://held/casb');
    void t;
  });
});


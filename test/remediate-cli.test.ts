/**
 * casb remediate / restore / actions through the real executable, on a local folder whose findings
 * are seeded in the store: the dry run, apply, the audit trail, restore, and one-line errors.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createLocalConnector } from '../connectors/local/index.js';
import { openStore } from '../src/store/index.js';
import { runCli, storeFlags } from './helpers/cli.js';
import { tempDir, testStoreOptions } from './helpers/env.js';

test('casb remediate: dry run, apply, audit, restore, and one-line errors', async (t) => {
  const dir = await tempDir(t, 'casb-remcli-');
  const root = path.join(dir, 'photos');
  await mkdir(root);
  const so = await testStoreOptions(t);
  const store = await openStore(so);
  const c = createLocalConnector(root);
  const sourceId = await store.upsertSource(c.uri, c.kind);
  const runId = await store.startRun(sourceId, 'cli', 'm');
  for (const [name, label] of [['passport.jpg', 'passport'], ['card.jpg', 'payment_card']] as const) {
    await writeFile(path.join(root, name), `bytes of ${name}`);
    const st = await stat(path.join(root, name));
    await store.recordItem(sourceId, runId, {
      externalId: name, path: path.join(root, name), size: st.size, etag: `${st.size}-${Math.floor(st.mtimeMs)}`, modifiedAt: null, contentType: 'image/jpeg', contentSha256: null,
      modelVersion: 'm', policyVersion: null, outcome: 'scanned', outcomeDetail: null, label, score: 0.97, scores: null, exposure: null, exposureDetails: null,
    }, [{ label, score: 0.97, entityType: '', valueHash: '', redactedValue: null, boxes: [], explanation: { summary: `${label} 0.97` }, severity: 'high' }]);
  }
  await store.close();
  const flags = storeFlags(so);
  const env = { CASB_DATA_DIR: so.dataDir!, CASB_ACTOR: 'alice@example.com' };

  const dry = await runCli(['remediate', '--label', 'passport', '--action', 'quarantine', '--dry-run', ...flags], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /planned\s+quarantine .*passport\.jpg/);
  assert.match(dry.stdout, /Dry run, nothing changed: 1 item\(s\): 1 planned/);
  assert.deepEqual((await readdir(root)).sort(), ['card.jpg', 'passport.jpg']);

  const applied = await runCli(['remediate', '--label', 'passport', '--action', 'quarantine', ...flags], env);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /applied\s+quarantine .*passport\.jpg \(action (\d+)\)/);
  const actionId = /\(action (\d+)\)/.exec(applied.stdout)![1]!;
  assert.deepEqual(await readdir(root), ['card.jpg']);

  const audit = await runCli(['actions', '--json', ...flags], env);
  assert.equal(audit.code, 0, audit.stderr);
  const rows = audit.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].actor, 'alice@example.com');
  assert.equal(rows[0].status, 'applied');
  assert.equal(rows[0].before.location, path.join(root, 'passport.jpg'));

  const restored = await runCli(['restore', actionId, ...flags], env);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /applied\s+restore/);
  assert.deepEqual((await readdir(root)).sort(), ['card.jpg', 'passport.jpg']);

  // above the cap (policy remediation.maxItems: 1) without --force
  const policy = path.join(dir, 'policy.yaml');
  await writeFile(policy, 'remediation:\n  maxItems: 1\n');
  const capped = await runCli(['remediate', '--all', '--action', 'quarantine', '--policy', policy, ...flags], env);
  assert.equal(capped.code, 2);
  assert.match(capped.stderr, /^casb: 2 items match, above the cap of 1 items per run: .*--force\.\n$/);
  assert.deepEqual((await readdir(root)).sort(), ['card.jpg', 'passport.jpg']);

  // something asked for that did not happen exits 1: a local folder has no sharing to revoke
  const blocked = await runCli(['remediate', '--label', 'payment_card', '--action', 'revoke-public', ...flags], env);
  assert.equal(blocked.code, 1, blocked.stderr);
  assert.match(blocked.stdout, /blocked:unsupported/);

  // a quarantine folder inside the scanned folder: one line, exit 2, in a dry run too, nothing recorded
  for (const dry of [['--dry-run'], []]) {
    const inside = await runCli(['remediate', '--label', 'payment_card', '--action', 'quarantine', '--param', `to=${path.join(root, 'q')}`, ...dry, ...flags], env);
    assert.equal(inside.code, 2, inside.stderr);
    assert.match(inside.stderr, /^casb: the quarantine folder .* is inside the scanned folder/);
  }

  const typo = path.join(dir, 'typo.yaml');
  await writeFile(typo, 'remediation:\n  quarantine:\n    lcoal: /srv/q\n');
  const checked = await runCli(['policy', 'check', typo], env);
  assert.equal(checked.code, 2);
  assert.match(checked.stderr, /invalid at remediation\.quarantine\.lcoal: a key is a connector kind/);

  for (const [args, msg] of [
    [['remediate', '--action', 'quarantine'], /nothing selected/],
    [['remediate', '--all', '--label', 'passport', '--action', 'quarantine'], /--all acts on every open finding/],
    [['remediate', '--exposure', 'bogus', '--action', 'quarantine'], /--exposure bogus: use one of public/],
    [['actions', '--limit', '99999999999999999999'], /--limit takes a whole number/],
    [['remediate', '1', '--label', 'passport', '--action', 'tag'], /not both/],
    [['remediate', '--all', '--action', 'shred'], /unknown action "shred"/],
    [['remediate', '--all', '--action', 'quarantine', '--param', 'oops'], /--param oops: write key=value/],
    [['restore', 'abc'], /not an action id/],
    [['restore', '424242'], /no action 424242/],
  ] as const) {
    const r = await runCli([...args, ...flags], env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

/**
 * The `casb` executable as a user runs it: exit codes, one-line errors, JSON purity on
 * stdout, and a scan killed half-way that finishes on the next run without duplicates.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { openStore } from '../src/store/index.js';
import { devModelDir, tempDir, testStoreOptions } from './helpers/env.js';
import { HTML_AS_JPG, corruptJpeg, jpegImage, pngImage } from './helpers/images.js';
import { runCli, startCli, storeFlags } from './helpers/cli.js';

const oneLine = (s: string) => s.trim().split('\n').filter((l) => l.startsWith('casb:'));

test('usage and configuration errors exit 2 with one clear line and no stack trace', async (t) => {
  const dir = await tempDir(t);
  const cases: Array<[string[], RegExp]> = [
    [['scan', path.join(dir, 'missing')], /folder not found: .*missing/],
    [['scan', 's3://x'], /bucket name/i],
    [['scan', 'ftp://host/x'], /unknown source type 'ftp:\/\/'/],
    [['scan', dir, '--db', 'postgres://nobody:secretpw@127.0.0.1:1/x'], /cannot connect to PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/x/],
    [['scan', dir, '--concurrency', 'lots'], /whole number/],
    [['scan', dir, '--model', dir], /cannot load the classifier model from .*manifest\.json/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli([...args, '--data-dir', path.join(dir, 'db')]);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --verbose');
    assert.doesNotMatch(r.stderr, /secretpw/, 'passwords never printed');
  }
  const bad = await runCli(['scan', dir, '--db', 'postgres://nobody@127.0.0.1:1/x', '--verbose', '--data-dir', path.join(dir, 'db')]);
  assert.equal(bad.code, 2);
  assert.equal(oneLine(bad.stderr).length, 1);
});

test('scan --json writes only one JSON finding per line on stdout; the summary goes to stderr', async (t) => {
  const dir = await tempDir(t);
  for (let i = 0; i < 4; i++) await writeFile(path.join(dir, `p${i}.png`), await pngImage(i, 80));
  await writeFile(path.join(dir, 'bad.jpg'), await corruptJpeg());
  const so = await testStoreOptions(t);
  const model = await devModelDir();
  const r = await runCli(['scan', dir, '--json', '--model', model, ...storeFlags(so)]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  for (const l of lines) {
    const f = JSON.parse(l);
    assert.ok(f.label && f.path && f.severity && typeof f.score === 'number');
  }
  assert.match(r.stderr, /listed\s+5/);
  assert.match(r.stderr, /failed\s+1\s+\(corrupt 1\)/);
  assert.match(r.stderr, /^casb: failed:corrupt .*bad\.jpg: \S/m, 'the failed item is named on one line');

  // the embedded database is one process's at a time: close it before the next command opens it
  const store = await openStore(so);
  const n = (await store.listFindings({ source: pathToFileURL(dir).href })).length;
  await store.close();
  assert.equal(lines.length, n);

  const listed = await runCli(['findings', '--json', '--source', dir, ...storeFlags(so)]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout.split('\n').filter(Boolean).length, n);
});

test('classify --json prints one line per image with all six scores, and skips non-images', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'a.png'), await pngImage(1));
  await writeFile(path.join(dir, 'b.jpg'), await jpegImage(2));
  await writeFile(path.join(dir, 'c.jpg'), HTML_AS_JPG);
  const r = await runCli(['classify', dir, '--json', '--model', await devModelDir()]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => path.basename(x.path)).sort(), ['a.png', 'b.jpg']);
  for (const x of rows) {
    assert.equal(Object.keys(x.scores).length, 6);
    assert.ok(Math.abs(Object.values<number>(x.scores).reduce((a, b) => a + b, 0) - 1) < 1e-3);
    assert.equal(x.label, Object.entries<number>(x.scores).sort((a, b) => b[1] - a[1])[0]![0]);
  }
  assert.match(r.stderr, /skipped .*c\.jpg: not an image/);
});

test('classify: every entry gets a line, odd ones included; names cannot forge output; one bad path does not stop the rest', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'a.png'), await pngImage(1));
  await writeFile(Buffer.concat([Buffer.from(dir), Buffer.from(path.sep), Buffer.from([0x62, 0xff]), Buffer.from('.png')]), await pngImage(2));
  await writeFile(path.join(dir, 'evil\x1b[2J\nforged line.png'), HTML_AS_JPG);
  await symlink('loop1', path.join(dir, 'loop2'));
  await symlink('loop2', path.join(dir, 'loop1'));
  spawnSync('mkfifo', [path.join(dir, 'fifo.png')]);
  await mkdir(path.join(dir, '.casb'));
  await writeFile(path.join(dir, '.casb', 'own.png'), await pngImage(3));
  const r = await runCli(['classify', dir, path.join(dir, 'missing.png'), '--json', '--model', await devModelDir()]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string });
  assert.deepEqual(rows.map((x) => path.basename(x.path)).sort(), ['a.png', 'b\\xff.png'], 'the non-UTF-8 name is classified, under its escaped name; .casb is not');
  assert.doesNotMatch(r.stderr, /\x1b/, 'no raw escape codes');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 5, r.stderr);
  assert.ok(lines.some((l) => /skipped .*evil\\x1b\[2J\\x0aforged line\.png: not an image/.test(l)));
  assert.ok(lines.some((l) => /skipped .*loop1: a symbolic link/.test(l)));
  assert.ok(lines.some((l) => /skipped .*loop2: a symbolic link/.test(l)));
  assert.ok(lines.some((l) => /skipped .*fifo\.png: not a regular file/.test(l)));
  assert.ok(lines.some((l) => /failed .*missing\.png: no such file or folder/.test(l)));
});

test('a scan killed half-way finishes on the next run, resuming, with no duplicate rows', async (t) => {
  const dir = await tempDir(t);
  const N = 260; // local pages hold 100 items, so the kill lands after at least one checkpoint
  for (let i = 0; i < N; i++) await writeFile(path.join(dir, `img${String(i).padStart(3, '0')}.jpg`), await jpegImage(i, 256));
  const so = await testStoreOptions(t);
  const model = await devModelDir();
  const args = ['scan', dir, '--model', model, '--concurrency', '1', ...storeFlags(so)];

  const { child, done } = startCli([...args, '--verbose'], { CASB_LOG_LEVEL: 'debug' });
  let recorded = 0;
  child.stderr!.on('data', (d: Buffer) => {
    recorded += (d.toString().match(/"msg":"recorded /g) ?? []).length;
    if (recorded >= N / 2 && !child.killed) child.kill('SIGKILL');
  });
  const first = await done;
  assert.equal(first.signal, 'SIGKILL', `the scan finished before it could be killed:\n${first.stderr.slice(-500)}`);
  assert.ok(recorded < N);

  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /resumed from run 1/);
  const relisted = Number(/listed\s+(\d+)/.exec(second.stdout)![1]);
  assert.ok(relisted < N, `the resumed run listed ${relisted}, not the whole folder`);

  const store = await openStore(so);
  const items = await store.itemOutcomes(pathToFileURL(dir).href);
  assert.equal(items.length, N);
  assert.ok(items.every((i) => i.outcome === 'scanned'), 'every file ended scanned');
  const dupes = await store.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT item_id, label FROM findings GROUP BY item_id, label HAVING count(*) > 1) d`,
  );
  assert.equal(Number(dupes.rows[0]!.n), 0);
  const runs = await store.db.query<{ status: string }>('SELECT status FROM scan_runs ORDER BY id');
  assert.deepEqual(runs.rows.map((r) => r.status), ['interrupted', 'completed']);
  await store.close();

  // and a third run has nothing left to do
  const third = await runCli(args);
  assert.match(third.stdout, /scanned\s+0/);
});

test('named sources: casb source add/list/remove, and casb scan <name> scans what the name points at', async (t) => {
  const dir = await tempDir(t);
  const photos = path.join(dir, 'photos');
  await (await import('node:fs/promises')).mkdir(photos);
  for (let i = 0; i < 3; i++) await writeFile(path.join(photos, `p${i}.png`), await pngImage(i, 64));
  const so = await testStoreOptions(t);
  const model = await devModelDir();
  const env = { CASB_SOURCES: path.join(dir, 'conf', 'sources.yaml') };
  const add = await runCli(['source', 'add', 'holiday', photos], env);
  assert.equal(add.code, 0, add.stderr);
  const sa = path.join(dir, 'sa.json');
  await writeFile(sa, JSON.stringify({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com', private_key: 'SECRET-KEY' }));
  const addDrive = await runCli(['source', 'add', 'finance', 'GDRIVE://Example.com', '--credentials', path.relative(process.cwd(), sa), '--domains', 'example.com,example.org'], env);
  assert.equal(addDrive.code, 0, addDrive.stderr);
  const text = await (await import('node:fs/promises')).readFile(env.CASB_SOURCES, 'utf8');
  assert.ok(text.includes(`credentials: ${sa}`), `the credentials path is kept, absolute, never the secret:\n${text}`);
  assert.doesNotMatch(text, /SECRET/);
  const ls = await runCli(['source', 'list'], env);
  assert.match(ls.stdout, /^holiday\s+.*photos/m);
  assert.ok(ls.stdout.includes(`finance          gdrive://example.com  (credentials ${sa}; domains example.com,example.org)`), ls.stdout);
  const again = await runCli(['source', 'add', 'finance', 'gdrive://example.com', '--credentials', sa], env);
  assert.match(again.stdout, /replaced/);

  const r = await runCli(['scan', 'holiday', '--model', model, ...storeFlags(so)], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Scanned ${pathToFileURL(photos).href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(r.stdout, /listed\s+3/);

  for (const [args, re] of [
    [['source', 'add', '9bad', photos], /source name '9bad' must start with a letter/],
    [['source', 'add', 'x', 'ftp://host/x'], /unknown source type 'ftp:\/\/'/],
    [['source', 'remove', 'nope'], /no source named nope/],
    [['source', 'add', 'x', 'gdrive://'], /names no domain or user/],
    [['source', 'add', 'x', 'gdrive://example.com', '--credentials', path.join(dir, 'missing.json')], /no credentials file .*missing\.json/],
    [['source', 'add', 'x', 'onedrive://contoso.com', '--users', 'a@contoso.com'], /--users does not apply to onedrive sources/],
    [['source', 'add', 'x', path.join(dir, 'nowhere')], /folder not found/],
    [['source', 'add', 'x', 'file://pics'], /not a local folder URL/],
    [['source', 'add', 'x', 's3://'], /no bucket name/],
    [['source', 'add', 'x', 'gdrive://a@example.com', '--users', 'b@example.com'], /for a whole domain/],
    [['source', 'add', 'x', 'gdrive://example.com?users=a@example.com', '--users', 'b@example.com'], /given twice/],
    [['source', 'add', 'x', 'gdrive://example.com', '--domains', 'not a domain'], /is not a domain/],
    [['scan', 'file://pics', ...storeFlags(so)], /not a local folder URL/],
    [['scan', 'nosuchsource', ...storeFlags(so)], /no folder \.\/nosuchsource and no named source 'nosuchsource'/],
  ] as Array<[string[], RegExp]>) {
    const bad = await runCli(args, env);
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr, re);
  }
  assert.equal((await runCli(['source', 'remove', 'holiday'], env)).code, 0);
  assert.doesNotMatch((await runCli(['source', 'list'], env)).stdout, /holiday/);
});

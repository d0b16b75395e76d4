/**
 * `casb model list | use | add-class` as a user runs them, with real ONNX inference: a custom
 * class learnt from 24 generated QR-code-like images, listed, activated, used by classify and
 * scan (which re-scans items classified by the previous model), and the usage errors.
 *
 *   node --import tsx --test test/model-cli.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { runCli } from './helpers/cli.js';
import { mulberry32 } from '../src/util/prng.js';


/** A QR-code-like image: random modules, three finder squares, dark on light, random colours and size. */
async function qrLike(seed: number): Promise<Buffer> {
  const r = mulberry32(seed * 7919 + 13);
  const n = 21 + 4 * Math.floor(r() * 3);
  const mod = 8 + Math.floor(r() * 8);
  const q = 3 * mod;
  const side = n * mod + 2 * q;
  const hue = Math.floor(r() * 360);
  const fg = `hsl(${hue},70%,${15 + Math.floor(r() * 20)}%)`;
  const bg = `hsl(${(hue + 180) % 360},80%,${85 + Math.floor(r() * 12)}%)`;
  const finder = (x: number, y: number) => (x < 8 && y < 8) || (x >= n - 8 && y < 8) || (x < 8 && y >= n - 8);
  let cells = '';
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) if (!finder(x, y) && r() < 0.5) cells += `<rect x="${q + x * mod}" y="${q + y * mod}" width="${mod}" height="${mod}"/>`;
  const fp = (x: number, y: number) =>
    `<rect x="${q + x * mod}" y="${q + y * mod}" width="${7 * mod}" height="${7 * mod}"/>` +
    `<rect x="${q + (x + 1) * mod}" y="${q + (y + 1) * mod}" width="${5 * mod}" height="${5 * mod}" fill="${bg}"/>` +
    `<rect x="${q + (x + 2) * mod}" y="${q + (y + 2) * mod}" width="${3 * mod}" height="${3 * mod}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="${bg}"/><g fill="${fg}">${cells}${fp(0, 0)}${fp(n - 7, 0)}${fp(0, n - 7)}</g></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

async function writeQr(dir: string, from: number, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = from; i < from + count; i++) await writeFile(path.join(dir, `qr-${i}.jpg`), await qrLike(i));
}

let root: string;
let env: NodeJS.ProcessEnv;
let dataDir: string;

after(() => rm(root, { recursive: true, force: true }));

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'casb-model-cli-'));
  dataDir = path.join(root, 'data');
  // everything per-installation goes to the temp dir; no CASB_MODEL from the caller's shell
  env = { CASB_DATA_DIR: dataDir, CASB_MODELS_DIR: path.join(root, 'user-models'), CASB_MODEL: '' };
  await writeQr(path.join(root, 'qr'), 0, 24);
  await writeQr(path.join(root, 'qr19'), 0, 19);
  await writeFile(path.join(root, 'qr19', 'notes.txt'), 'not an image');
  await writeQr(path.join(root, 'held'), 1000, 3);
});

const casbLines = (s: string) => s.split('\n').filter((l) => l.startsWith('casb:'));

interface ListEntry {
  model: string;
  name: string;
  version: string;
  root: 'shipped' | 'user';
  dir: string;
  active: boolean;
  activeSource?: string;
  labels: string[];
  taps: string[];
  views: string[];
  holdoutAccuracy: number | null;
  trained: Record<string, unknown>;
  customLabels: Record<string, { sensitive: boolean; severity: string }>;
}

async function list(): Promise<ListEntry[]> {
  const r = await runCli(['model', 'list', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ListEntry);
}

test('model usage errors exit 2 with one clear line', async () => {
  const base = (await list()).find((e) => e.active)!;
  assert.ok(base, 'a shipped model is active by default');
  const cases: Array<[string[], RegExp]> = [
    [['model', 'add-class', 'qr_code', path.join(root, 'qr19'), '--from', base.version], /found 19 decodable images in .*qr19.*needs at least 20/],
    [['model', 'add-class', 'passport', path.join(root, 'qr'), '--from', base.version], /already has the label 'passport'/],
    [['model', 'add-class', 'QR-code', path.join(root, 'qr'), '--from', base.version], /invalid class name 'QR-code'/],
    [['model', 'add-class', 'qr_code', path.join(root, 'missing'), '--from', base.version], /example folder not found/],
    [['model', 'add-class', 'qr_code', path.join(root, 'qr'), '--from', '9.9.9'], /unknown --from version '9\.9\.9' \(available: .*\)/],
    [['model', 'add-class', 'qr_code', path.join(root, 'qr'), '--severity', 'huge'], /expected one of low, medium, high, critical/],
    [['model', 'use', '9.9.9'], new RegExp(`unknown model version '9\\.9\\.9' \\(available: .*${base.version.replace(/[.+]/g, '\\$&')}`)],
    [['classify', '--model', '9.9.9', path.join(root, 'held')], /unknown --model version '9\.9\.9'/],
  ];
  const fromEnv: [string[], RegExp, NodeJS.ProcessEnv] = [['classify', path.join(root, 'held')], /unknown model version in \$CASB_MODEL '7\.7\.7'/, { ...env, CASB_MODEL: '7.7.7' }];
  // independent: run them side by side (each is a process start plus a little work)
  const results = await Promise.all([...cases.map(([args, re]) => [args, re, env] as const), fromEnv].map(async ([args, re, e]) => ({ args, re, r: await runCli(args, e) })));
  for (const { args, re, r } of results) {
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.ok(casbLines(r.stderr).length <= 1, `at most one casb: line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('add-class builds a new version; list, use, classify and scan pick it up', { timeout: 600_000 }, async () => {
  const base = (await list()).find((e) => e.active)!;
  assert.equal(base.activeSource, 'newest');
  const baseManifest = await readFile(path.join(base.dir, 'manifest.json'));
  const baseHead = await readFile(path.join(base.dir, 'head.json'));

  const t0 = Date.now();
  const add = await runCli(['model', 'add-class', 'qr_code', path.join(root, 'qr'), '--from', base.version, '--base-per-class', '10', '--augment', '3'], env);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(add.code, 0, add.stderr);
  const version = /Activate it with: casb model use (\S+)/.exec(add.stdout)?.[1];
  assert.equal(version, `${base.version}+qr_code`, add.stdout);
  assert.match(add.stdout, /Wrote casb-classifier@\S+\+qr_code to .*user-models/);
  process.stderr.write(`# add-class took ${seconds.toFixed(0)} s\n`);

  // never modifies the base
  assert.deepEqual(await readFile(path.join(base.dir, 'manifest.json')), baseManifest);
  assert.deepEqual(await readFile(path.join(base.dir, 'head.json')), baseHead);

  const listed = await list();
  const added = listed.find((e) => e.version === version)!;
  assert.ok(added, 'the new version is listed');
  assert.equal(added.root, 'user');
  assert.equal(added.active, false, 'adding a class does not switch models by itself');
  assert.deepEqual(added.labels, [...base.labels, 'qr_code']);
  assert.deepEqual(added.taps, base.taps);
  assert.deepEqual(added.views, base.views);
  assert.equal(typeof added.holdoutAccuracy, 'number');
  assert.deepEqual(added.customLabels, { qr_code: { sensitive: true, severity: 'medium' } });
  assert.equal(added.trained.base, base.model);
  assert.equal(added.trained.userImages, 24);
  assert.equal(added.trained.augmentPerImage, 3);
  const manifest = JSON.parse(await readFile(path.join(added.dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.training.sourceFolder, path.join(root, 'qr'));
  assert.equal(manifest.training.positives, 96);
  assert.equal(typeof manifest.metrics.customHoldout.recall, 'number');
  // the same class again gets a fresh version, never the existing one
  const taken = await runCli(['model', 'add-class', 'qr_code', path.join(root, 'qr'), '--from', base.version, '--version', version!], env);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /already exists/);

  // a scan with the base model first
  const scanDir = path.join(root, 'held');
  const scan = () => runCli(['scan', scanDir, '--json', '--no-progress'], env);
  const s1 = await scan();
  assert.equal(s1.code, 0, s1.stderr);
  assert.match(s1.stderr, /scanned\s+3/);

  // switch
  const use = await runCli(['model', 'use', version!], env);
  assert.equal(use.code, 0, use.stderr);
  const saved = JSON.parse(await readFile(path.join(dataDir, 'active-model.json'), 'utf8'));
  assert.equal(saved.model, added.model);
  const active = (await list()).filter((e) => e.active);
  assert.deepEqual(active.map((e) => [e.version, e.activeSource]), [[version, 'saved']]);

  // classify: held-out images of the new class get it; the base labels are still there
  const cls = await runCli(['classify', '--json', scanDir], env);
  assert.equal(cls.code, 0, cls.stderr);
  const rows = cls.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { path: string; label: string; scores: Record<string, number> });
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row.label, 'qr_code', JSON.stringify(row));
    assert.deepEqual(Object.keys(row.scores).sort(), [...base.labels, 'qr_code'].sort());
  }

  // items classified by the previous model are stale: all re-scanned, and the custom class makes findings
  const s2 = await scan();
  assert.equal(s2.code, 0, s2.stderr);
  assert.match(s2.stderr, /scanned\s+3/);
  assert.doesNotMatch(s2.stderr, /unchanged/);
  const findings = s2.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { label: string; severity: string });
  assert.ok(findings.some((f) => f.label === 'qr_code' && f.severity === 'medium'), s2.stdout);

  // precedence: --model > $CASB_MODEL > saved choice
  const envBase = { ...env, CASB_MODEL: base.version };
  const viaEnv = await runCli(['classify', '--json', path.join(scanDir, 'qr-1000.jpg')], envBase);
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.ok(!('qr_code' in JSON.parse(viaEnv.stdout).scores), '$CASB_MODEL beats the saved choice');
  const viaFlag = await runCli(['classify', '--json', '--model', version!, path.join(scanDir, 'qr-1000.jpg')], envBase);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.equal(JSON.parse(viaFlag.stdout).label, 'qr_code', '--model beats $CASB_MODEL');
  const viaDir = await runCli(['classify', '--json', '--model', base.dir, path.join(scanDir, 'qr-1000.jpg')], env);
  assert.ok(!('qr_code' in JSON.parse(viaDir.stdout).scores), '--model takes a folder too');

  // the saved choice going missing is a clear configuration error
  await writeFile(path.join(dataDir, 'active-model.json'), JSON.stringify({ model: 'casb-classifier@0.0.0-gone', dir: path.join(root, 'gone') }));
  const gone = await runCli(['classify', scanDir], env);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /active model casb-classifier@0\.0\.0-gone .* is not installed any more/);
});

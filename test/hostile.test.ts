/**
 * The hostile-input corpus (test/hostile-corpus.ts) through a real scan (local folder, shipped
 * model, real store) and through `casb classify`: every file gets exactly the outcome listed for
 * it, the scan completes, nothing is fetched on an SVG's behalf, and a pixel bomb is refused from
 * its header (no multi-gigabyte decode).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { decodeForModel, DEFAULT_MAX_BYTES } from '../src/image/decode.js';
import { listModels, newestModel } from '../src/model/select.js';
import { scanSource } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import { cardPhoto, pixelBombPng, slowPng, writeHostileCorpus } from './hostile-corpus.js';
import { ItemError } from '../src/util/errors.js';
import { runCli } from './helpers/cli.js';
import { devModelDir, tempDir, testStoreOptions } from './helpers/env.js';

/** A local HTTP server that records every request (the SVG points at it; nothing may arrive). */
async function trap(t: { after: (fn: () => Promise<void>) => void }) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.end('x');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

async function shippedModelDir(): Promise<string> {
  const m = newestModel((await listModels()).filter((e) => e.root === 'shipped'));
  assert.ok(m, 'a shipped model');
  return m.dir;
}

test('hostile corpus: every file gets exactly its outcome, the scan completes, SVG fetches nothing, EXIF 1-8 agree', async (t) => {
  const dir = await tempDir(t, 'casb-hostile-');
  const http = await trap(t);
  const files = await writeHostileCorpus(dir, { httpUrl: http.url, maxBytes: DEFAULT_MAX_BYTES });
  const so = await testStoreOptions(t);
  const modelDir = await shippedModelDir();

  const s = await scanSource(dir, { ...so, modelDir, ocr: false });
  assert.equal(s.status, 'completed');
  assert.equal(s.listed, files.length);

  const store = await openStore(so);
  t.after(() => store.close());
  const rows = (
    await store.db.query<{ external_id: string; outcome: string; outcome_detail: string | null; label: string | null; scores: Record<string, number> | null }>(
      'SELECT i.external_id, i.outcome, i.outcome_detail, i.label, i.scores FROM items i JOIN sources s ON s.id = i.source_id WHERE s.uri = $1',
      [pathToFileURL(dir).href],
    )
  ).rows.map((r) => ({ externalId: r.external_id, outcome: r.outcome, outcomeDetail: r.outcome_detail, label: r.label, scores: r.scores }));
  const got = Object.fromEntries(rows.map((r) => [r.externalId, r.outcome]));
  assert.deepEqual(got, Object.fromEntries(files.map((f) => [f.name, f.outcome])), 'one outcome per file, the expected one');

  const detail = (name: string) => rows.find((r) => r.externalId === name)?.outcomeDetail ?? '';
  assert.match(detail('pixel-bomb.png'), /30000x30000 .*above the 100 MP limit/);
  assert.match(detail('huge-200mb.jpg'), /209715200 bytes, above the 52428800-byte cap/);
  assert.match(detail('xxe.svg'), /image\/svg\+xml/);
  assert.match(detail('phone.heic'), /image\/heic/);

  // the same card photo under every EXIF orientation: same label, nearly the same scores
  const exif = rows.filter((r) => r.externalId.startsWith('exif-orientation-')).sort((a, b) => a.externalId.localeCompare(b.externalId));
  assert.equal(exif.length, 8);
  for (const r of exif) {
    assert.equal(r.label, exif[0]!.label, `${r.externalId}: ${r.label} vs ${exif[0]!.label}`);
    for (const [k, v] of Object.entries(exif[0]!.scores ?? {})) assert.ok(Math.abs((r.scores?.[k] ?? 0) - v) < 0.05, `${r.externalId} ${k}: ${r.scores?.[k]} vs ${v}`);
  }
  assert.equal(exif[0]!.label, 'payment_card', 'the card photo reads as a payment card');

  // a second scan decides the limits again (settings may have changed) and skips the rest as unchanged
  const s2 = await scanSource(dir, { ...so, modelDir, ocr: false, store });
  assert.equal(s2.skipped.too_large, 2);
  assert.equal(s2.scanned, 0);
  assert.deepEqual(s2.failed, {}, 'the truncated JPEG is final: not downloaded again');

  assert.deepEqual(http.requests, [], 'nothing was fetched on behalf of the SVG');
});

test('a pixel bomb is refused from its header: no decode, no memory', async () => {
  const bomb = pixelBombPng();
  assert.ok(bomb.length < 8 * 1024, `${bomb.length} bytes`);
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  await assert.rejects(decodeForModel(bomb, { size: 192, fit: 'fill' }), (e: unknown) => e instanceof ItemError && e.reason === 'too_large' && /30000x30000/.test(e.message));
  // decoding 900 MP would take seconds and gigabytes (RGB: 2.7 GB)
  assert.ok(performance.now() - t0 < 1000, `${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok(process.memoryUsage().rss - rss < 64 * 2 ** 20, 'RSS stays put');
});

test('a decode that runs past --decode-timeout is failed:timeout, and the scan goes on', async (t) => {
  const slow = slowPng();
  const spec = { size: 192, fit: 'fill' as const };
  await decodeForModel(slow, spec, 4e8); // decodes within the default limit: it is slow, not broken
  const t0 = performance.now();
  await assert.rejects(decodeForModel(slow, spec, 4e8, 100), (e: unknown) => e instanceof ItemError && e.reason === 'timeout' && /--decode-timeout/.test(e.message));
  assert.ok(performance.now() - t0 < 400, `answered at the limit, not when libvips finished (${(performance.now() - t0).toFixed(0)} ms)`);

  const dir = await tempDir(t, 'casb-slow-');
  await writeFile(path.join(dir, 'slow.png'), slow);
  await writeFile(path.join(dir, 'card.png'), await cardPhoto());
  const so = await testStoreOptions(t);
  const s = await scanSource(dir, { ...so, modelDir: await devModelDir(), ocr: false, pixelLimit: 4e8, decodeTimeoutMs: 100 });
  assert.equal(s.status, 'completed');
  assert.deepEqual(s.failed, { timeout: 1 });
  assert.equal(s.scanned, 1);
});

test('hostile corpus: the EXIF files decode to the upright picture (the corpus itself is right)', async (t) => {
  const upright = await decodeForModel(await cardPhoto(), { size: 96, fit: 'fill' });
  const dir = await tempDir(t, 'casb-exif-');
  await writeHostileCorpus(dir, { httpUrl: 'http://127.0.0.1:9', maxBytes: DEFAULT_MAX_BYTES });
  for (let o = 1; o <= 8; o++) {
    const bytes = await readFile(path.join(dir, `exif-orientation-${o}.jpg`));
    assert.equal((await sharp(bytes).metadata()).orientation, o);
    const img = await decodeForModel(bytes, { size: 96, fit: 'fill' });
    let diff = 0;
    for (let i = 0; i < img.rgb.length; i++) diff += Math.abs(img.rgb[i]! - upright.rgb[i]!);
    assert.ok(diff / img.rgb.length < 6, `orientation ${o}: mean pixel difference ${(diff / img.rgb.length).toFixed(1)} from upright`);
  }
});

test('hostile corpus: casb classify says one line per refused file, no stack trace, and fetches nothing', async (t) => {
  const dir = await tempDir(t, 'casb-hostile-cli-');
  const http = await trap(t);
  const files = await writeHostileCorpus(dir, { httpUrl: http.url, maxBytes: DEFAULT_MAX_BYTES });
  const r = await runCli(['classify', dir, '--json', '--model', await shippedModelDir()]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; label: string });
  const scanned = files.filter((f) => f.outcome === 'scanned').map((f) => f.name).sort();
  assert.deepEqual(lines.map((l) => path.basename(l.path)).sort(), scanned);
  const err = r.stderr.trim().split('\n');
  assert.equal(err.length, files.length - scanned.length, r.stderr);
  for (const f of files.filter((x) => x.outcome !== 'scanned')) {
    const line = err.find((l) => l.includes(path.join(dir, f.name)));
    assert.ok(line, `a line for ${f.name}`);
    assert.match(line, f.outcome.startsWith('failed:') ? /^casb: failed / : /^casb: skipped /);
  }
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.deepEqual(http.requests, []);
});

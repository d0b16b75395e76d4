/**
 * The OCR pool with real tesseract.js workers: recycling, timeouts, abort, bad input, box
 * mapping through the prepared (scaled / rotated / deskewed) image, and clean shutdown.
 * Images are rendered here with sharp + SVG (DejaVu fonts).
 */
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createOcrPool, mapBox, prepareForOcr, type Geometry, type OcrPool } from '../src/ocr/index.js';
import type { Box, OcrResult } from '../src/ocr/types.js';
import { ItemError } from '../src/util/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Drawn {
  png: Buffer;
  /** Where the word's glyphs are: the bounding box of the dark pixels. */
  box: Box;
}

/** One upper-case word in DejaVu Sans at (x, baseline y), near-black on a light background. */
async function wordImage(o: { width: number; height: number; text: string; x: number; y: number; size: number }): Promise<Drawn> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}">
    <rect width="100%" height="100%" fill="#f4f1ea"/>
    <text x="${o.x}" y="${o.y}" font-family="DejaVu Sans" font-size="${o.size}" fill="#111">${o.text}</text></svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  const { data, info } = await sharp(png).greyscale().extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { png, box: darkBox(data, info.width, info.height) };
}

/** A dense text page (48 lines): seconds of OCR on any machine, for jobs that must still be running. */
async function densePage(): Promise<Buffer> {
  let lines = '';
  for (let i = 0; i < 48; i++) lines += `<text x="60" y="${90 + i * 34}" font-family="DejaVu Sans" font-size="22" fill="#111">LINE ${i} OF A BUSY PAGE WITH MANY WORDS TO READ ${1000 + i * 37} LATER</text>`;
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1750"><rect width="100%" height="100%" fill="#fff"/>${lines}</svg>`)).png().toBuffer();
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function findWord(r: OcrResult, text: string): Box | undefined {
  for (const l of r.lines) for (const w of l.words) if (w.text.replace(/[^A-Z0-9]/gi, '').toUpperCase() === text) return w.box;
  return undefined;
}

function assertNear(got: Box | undefined, want: Box, tol: number, what: string): void {
  assert.ok(got, `${what}: word not found`);
  for (const k of ['x', 'y', 'w', 'h'] as const) {
    assert.ok(Math.abs(got[k] - want[k]) <= tol, `${what}: box.${k} = ${got[k]}, expected ≈ ${want[k].toFixed(0)} (±${tol}); got ${JSON.stringify(got)}`);
  }
}

function rotatePoint(x: number, y: number, W: number, H: number, deg: number): [number, number] {
  // Where sharp.rotate(deg) (clockwise, canvas expanded) sends (x, y) of a W×H image.
  const r = (deg * Math.PI) / 180;
  const c = Math.cos(r);
  const s = Math.sin(r);
  const W2 = Math.abs(W * c) + Math.abs(H * s);
  const H2 = Math.abs(W * s) + Math.abs(H * c);
  const dx = x - W / 2;
  const dy = y - H / 2;
  return [W2 / 2 + c * dx - s * dy, H2 / 2 + s * dx + c * dy];
}

function rotateBox(b: Box, W: number, H: number, deg: number): Box {
  const pts = [
    rotatePoint(b.x, b.y, W, H, deg),
    rotatePoint(b.x + b.w, b.y, W, H, deg),
    rotatePoint(b.x, b.y + b.h, W, H, deg),
    rotatePoint(b.x + b.w, b.y + b.h, W, H, deg),
  ];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
}

/** Bounding box of pixels darker than 128 in a 1-channel raw image. */
function darkBox(data: Buffer, w: number, h: number): Box {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x]! < 128) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
    }
  }
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

describe('mapBox (pure geometry, checked against sharp)', () => {
  test('scale and offset only', () => {
    const g: Geometry = { width: 400, height: 300, scale: 2.5, offset: { x: 100, y: 50 }, scaledWidth: 500, scaledHeight: 250, angle: 0, preparedWidth: 500, preparedHeight: 250 };
    assert.deepEqual(mapBox({ x: 50, y: 25, w: 100, h: 50 }, g), { x: 120, y: 60, w: 40, h: 20 });
  });

  test('clamps to the original image', () => {
    const g: Geometry = { width: 100, height: 80, scale: 2, offset: { x: 0, y: 0 }, scaledWidth: 200, scaledHeight: 160, angle: 0, preparedWidth: 200, preparedHeight: 160 };
    assert.deepEqual(mapBox({ x: -20, y: 150, w: 300, h: 40 }, g), { x: 0, y: 75, w: 100, h: 5 });
  });

  for (const angle of [90, 180, 270, 7, -5.5, 93]) {
    test(`rotation ${angle}° about the centre of the expanded canvas (sharp's convention)`, async () => {
      const W = 320, H = 200;
      const square: Box = { x: 200, y: 40, w: 60, h: 30 };
      const raw = Buffer.alloc(W * H, 255);
      for (let y = square.y; y < square.y + square.h; y++) raw.fill(0, y * W + square.x, y * W + square.x + square.w);
      const scale = 1.5;
      const { data, info } = await sharp(raw, { raw: { width: W, height: H, channels: 1 } })
        .resize(W * scale, H * scale, { kernel: 'nearest' })
        .rotate(angle, { background: { r: 255, g: 255, b: 255 } })
        .extractChannel(0)
        .raw()
        .toBuffer({ resolveWithObject: true });
      const g: Geometry = { width: W, height: H, scale, offset: { x: 0, y: 0 }, scaledWidth: W * scale, scaledHeight: H * scale, angle, preparedWidth: info.width, preparedHeight: info.height };
      const back = mapBox(darkBox(data, info.width, info.height), g);
      // Same centre as the original square; for right angles the same box, otherwise the bounding
      // box of the bounding box (rotated there and back): w·|cos|+h·|sin| applied twice.
      const c = Math.abs(Math.cos((angle * Math.PI) / 180));
      const sn = Math.abs(Math.sin((angle * Math.PI) / 180));
      const w1 = square.w * c + square.h * sn;
      const h1 = square.w * sn + square.h * c;
      const want = { w: w1 * c + h1 * sn, h: w1 * sn + h1 * c };
      assert.ok(Math.abs(back.x + back.w / 2 - (square.x + square.w / 2)) <= 2, `centre x ${JSON.stringify(back)}`);
      assert.ok(Math.abs(back.y + back.h / 2 - (square.y + square.h / 2)) <= 2, `centre y ${JSON.stringify(back)}`);
      assert.ok(Math.abs(back.w - want.w) <= 3, `w ${back.w} vs ${want.w.toFixed(1)}`);
      assert.ok(Math.abs(back.h - want.h) <= 3, `h ${back.h} vs ${want.h.toFixed(1)}`);
    });
  }
});

describe('prepareForOcr', () => {
  test('upscales small images, downscales huge ones, keeps the original size', async () => {
    const small = await prepareForOcr(await sharp({ create: { width: 320, height: 200, channels: 3, background: '#888' } }).png().toBuffer());
    assert.equal(small.width, 320);
    assert.equal(small.height, 200);
    assert.equal(small.images.length, 1);
    assert.ok(Math.abs(small.images[0]!.scale - 3) < 0.01, `320×200 → 3× (cap), got ${small.images[0]!.scale}`);
    const big = await prepareForOcr(await sharp({ create: { width: 5000, height: 3000, channels: 3, background: '#888' } }).jpeg().toBuffer());
    const s = big.images[0]!.scale;
    assert.ok(s < 0.55 && s > 0.45, `5000×3000 → long side ≤ 2600 and ≤ 6 MP, got scale ${s}`);
    assert.ok(big.images[0]!.geometry.preparedWidth <= 2600);
  });

  test('EXIF orientation: sizes and boxes are in the oriented image', async () => {
    const drawn = await wordImage({ width: 600, height: 300, text: 'ORIENT', x: 60, y: 170, size: 64 });
    // Store it rotated 90° counter-clockwise with EXIF 6 ("rotate 90 cw to view"): viewers show the upright image.
    const stored = await sharp(drawn.png).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const p = await prepareForOcr(stored);
    assert.equal(p.width, 600);
    assert.equal(p.height, 300);
  });

  test('very long strips are tiled, not shrunk', async () => {
    const strip = await sharp({ create: { width: 800, height: 9000, channels: 3, background: '#fff' } }).png().toBuffer();
    const p = await prepareForOcr(strip);
    assert.ok(p.images.length >= 3, `tiles: ${p.images.length}`);
    assert.ok(p.images.every((i) => i.scale >= 1), 'short side kept readable');
    assert.match(p.images[1]!.pass, /^tile2$/);
    assert.ok(p.images[1]!.geometry.offset.y > 0);
  });

  test('corrupt and oversized input', async () => {
    await assert.rejects(prepareForOcr(Buffer.from('definitely not an image')), (e: unknown) => e instanceof ItemError && e.reason === 'corrupt');
    const good = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#fff' } }).jpeg().toBuffer();
    const truncated = Buffer.concat([good.subarray(0, 300), Buffer.alloc(2000, 0x5a)]);
    await assert.rejects(prepareForOcr(truncated), (e: unknown) => e instanceof ItemError && e.reason === 'corrupt');
    await assert.rejects(prepareForOcr(good, { pixelLimit: 10_000 }), (e: unknown) => e instanceof ItemError && e.reason === 'too_large');
  });
});

describe('OCR pool (real tesseract)', () => {
  const pools: OcrPool[] = [];
  const pool = (o: Parameters<typeof createOcrPool>[0] = {}): OcrPool => {
    const p = createOcrPool(o);
    pools.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  test('box mapping after upscale (320 px image) and downscale (4000 px image)', async () => {
    const p = pool();
    const small = await wordImage({ width: 320, height: 200, text: 'HARBOUR', x: 40, y: 120, size: 30 });
    const rs = await p.recognize(small.png);
    assert.ok(rs.passes.length === 1 && rs.width === 320 && rs.height === 200);
    assertNear(findWord(rs, 'HARBOUR'), small.box, 4, 'small');

    const large = await wordImage({ width: 4000, height: 3000, text: 'HARBOUR', x: 2300, y: 1900, size: 150 });
    const rl = await p.recognize(large.png);
    assertNear(findWord(rl, 'HARBOUR'), large.box, 8, 'large');
  });

  test('EXIF-oriented JPEG: boxes in the upright image', async () => {
    const p = pool();
    const drawn = await wordImage({ width: 700, height: 300, text: 'UPRIGHT', x: 120, y: 180, size: 72 });
    const stored = await sharp(drawn.png).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const r = await p.recognize(stored);
    assert.deepEqual([r.width, r.height], [700, 300]);
    assertNear(findWord(r, 'UPRIGHT'), drawn.box, 6, 'exif');
  });

  test('works without a writable cache folder (language data read from the package)', async () => {
    // A folder under a regular file can't be created (ENOTDIR), whoever runs the test (root too).
    const p = pool({ cachePath: path.join(fileURLToPath(import.meta.url), 'cache') });
    const img = (await wordImage({ width: 500, height: 200, text: 'CACHE', x: 40, y: 120, size: 56 })).png;
    assert.ok(findWord(await p.recognize(img), 'CACHE'));
  });

  test('deskewed pass maps back to the skewed original', async () => {
    const p = pool();
    const base = await wordImage({ width: 900, height: 500, text: 'LIGHTHOUSE', x: 150, y: 280, size: 70 });
    const angle = 6;
    const skewed = await sharp(base.png).rotate(angle, { background: '#f4f1ea' }).png().toBuffer();
    const want = rotateBox(base.box, 900, 500, angle);
    const r = await p.recognize(skewed);
    assertNear(findWord(r, 'LIGHTHOUSE'), want, 12, 'skewed');
  });

  test('rotated passes: sideways text is read by the 270° pass, boxes in original coordinates', async () => {
    const p = pool();
    const base = await wordImage({ width: 900, height: 400, text: 'SIDEWAYS', x: 120, y: 230, size: 80 });
    const sideways = await sharp(base.png).rotate(90).png().toBuffer(); // text now runs top to bottom
    const want = rotateBox(base.box, 900, 400, 90);
    const single = await p.recognize(sideways);
    assert.deepEqual(single.passes, ['full']);
    const r = await p.recognize(sideways, { rotations: [0, 90, 180, 270] });
    assert.deepEqual(r.passes, ['full', 'rot90', 'rot180', 'rot270']);
    assertNear(findWord(r, 'SIDEWAYS'), want, 6, 'rot270');

    const auto = pool({ autoRotate: true });
    const ra = await auto.recognize(sideways);
    assert.ok(ra.passes.includes('rot270'), `autoRotate detects vertical text: ${ra.passes.join(',')}`);
    assertNear(findWord(ra, 'SIDEWAYS'), want, 6, 'autoRotate');
  });

  test('recycles a worker after N jobs', async () => {
    const p = pool({ recycleAfterJobs: 2 });
    const img = (await wordImage({ width: 400, height: 160, text: 'RECYCLE', x: 30, y: 100, size: 48 })).png;
    for (let i = 0; i < 5; i++) await p.recognize(img);
    const s = p.stats();
    assert.equal(s.jobsDone, 5);
    assert.equal(s.recycled, 2); // after jobs 2 and 4
    assert.equal(s.workersCreated, 3);
    assert.equal(s.workersLive, 1);
    assert.ok(s.maxWorkerHeapBytes > 1e6, 'wasm heap size is reported');
  });

  test('recycles a worker whose wasm heap is above the bound', async () => {
    const p = pool({ maxWorkerHeapBytes: 1 }); // every heap is above 1 byte
    const img = (await wordImage({ width: 400, height: 160, text: 'MEMORY', x: 30, y: 100, size: 48 })).png;
    await p.recognize(img);
    await p.recognize(img);
    assert.deepEqual([p.stats().recycled, p.stats().workersCreated], [2, 2]);
  });

  test('a timed-out job kills its worker and the next job gets a fresh one', async () => {
    const p = pool({ size: 1 });
    const big = (await wordImage({ width: 3000, height: 2000, text: 'TIMEOUT', x: 300, y: 1000, size: 200 })).png;
    await assert.rejects(p.recognize(big, { timeoutMs: 1 }), (e: unknown) => e instanceof ItemError && e.reason === 'ocr_timeout');
    assert.deepEqual([p.stats().timeouts, p.stats().workersLive], [1, 0]);
    assert.ok(findWord(await p.recognize(big), 'TIMEOUT'), 'a normal job on the same pool succeeds');
    assert.deepEqual([p.stats().workersCreated, p.stats().workersLive], [2, 1]);
  });

  test('a timeout does not disturb the other jobs', async () => {
    const p = pool({ size: 2 });
    const big = (await wordImage({ width: 3000, height: 2000, text: 'TIMEOUT', x: 300, y: 1000, size: 200 })).png;
    const ok = (await wordImage({ width: 500, height: 200, text: 'CONTINUE', x: 40, y: 120, size: 56 })).png;
    const [slow, normal] = await Promise.allSettled([p.recognize(big, { timeoutMs: 1 }), p.recognize(ok)]);
    assert.equal(slow.status, 'rejected');
    assert.ok(slow.status === 'rejected' && slow.reason instanceof ItemError && slow.reason.reason === 'ocr_timeout', String((slow as PromiseRejectedResult).reason));
    assert.equal(normal.status, 'fulfilled');
    assert.ok(normal.status === 'fulfilled' && findWord(normal.value, 'CONTINUE'));
    assert.equal(p.stats().timeouts, 1);
    // Which worker ran which job depends on timing; either way exactly the stuck one is gone.
    assert.equal(p.stats().workersLive, p.stats().workersCreated - 1, 'the stuck worker is gone');
  });

  test('abort: before start never runs; while queued it leaves the queue; while running it frees the worker', async () => {
    const p = pool();
    const img = (await wordImage({ width: 500, height: 200, text: 'ABORT', x: 40, y: 120, size: 56 })).png;
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(p.recognize(img, { signal: ac.signal }), (e: unknown) => (e as Error).name === 'AbortError');
    assert.equal(p.stats().workersCreated, 0, 'nothing started');

    const busy = await densePage();
    const first = p.recognize(busy);
    const queued = new AbortController();
    const second = p.recognize(img, { signal: queued.signal });
    await until(() => p.stats().running === 1 && p.stats().queued === 1, 'one running, one queued');
    queued.abort();
    await assert.rejects(second, (e: unknown) => (e as Error).name === 'AbortError');
    assert.ok((await first).lines.length > 20);
    assert.equal(p.stats().jobsDone, 1);

    const running = new AbortController();
    const third = p.recognize(busy, { signal: running.signal });
    await until(() => p.stats().running === 1, 'the job running');
    const t0 = Date.now();
    running.abort(new Error('stop'));
    await assert.rejects(third, /stop/);
    assert.ok(Date.now() - t0 < 500, 'rejects promptly');
    assert.equal(p.stats().workersLive, 0, 'the worker it ran on is gone');
    assert.ok(findWord(await p.recognize(img), 'ABORT'), 'the pool still works');
    assert.equal(p.stats().aborted, 3);
  });

  test('corrupt input → ItemError(corrupt), and the pool carries on', async () => {
    const p = pool();
    await assert.rejects(p.recognize(Buffer.from('GIF89a but not really')), (e: unknown) => e instanceof ItemError && e.reason === 'corrupt');
    const img = (await wordImage({ width: 500, height: 200, text: 'FINE', x: 40, y: 120, size: 56 })).png;
    assert.ok(findWord(await p.recognize(img), 'FINE'));
  });

  test('close() ends every worker, rejects later jobs', async () => {
    const p = createOcrPool({ size: 2 });
    const img = (await wordImage({ width: 500, height: 200, text: 'CLOSE', x: 40, y: 120, size: 56 })).png;
    await Promise.all([p.recognize(img), p.recognize(img)]);
    assert.equal(p.stats().workersLive, 2);
    const inflight = assert.rejects(p.recognize(await densePage()), (e: unknown) => e instanceof ItemError && e.reason === 'ocr_closed');
    await until(() => p.stats().running === 1, 'the job running');
    await p.close();
    assert.equal(p.stats().workersLive, 0);
    await inflight;
    await assert.rejects(p.recognize(img), (e: unknown) => e instanceof ItemError && e.reason === 'ocr_closed');
  });

  test('no thread outlives close(): a process that timed out a job still exits by itself', async () => {
    const script = `
      import sharp from 'sharp';
      import { createOcrPool } from './src/ocr/index.ts';
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="1200"><rect width="100%" height="100%" fill="#fff"/><text x="100" y="600" font-family="DejaVu Sans" font-size="150">EXIT</text></svg>';
      const png = await sharp(Buffer.from(svg)).png().toBuffer();
      const p = createOcrPool({ size: 2 });
      await p.recognize(png, { timeoutMs: 1 }).catch(() => {});
      await p.recognize(png);
      const slow = p.recognize(png).catch(() => {});
      await p.close();
      await slow;
      console.log(JSON.stringify(p.stats()));
    `;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const s = JSON.parse(out.trim().split('\n').pop()!) as { timeouts: number; workersLive: number };
    assert.equal(s.timeouts, 1);
    assert.equal(s.workersLive, 0);
  });
});

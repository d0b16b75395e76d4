/**
 * `npm run bench`: throughput of the stages on a deterministic generated corpus, printed as a
 * table and written as JSON. Not part of `npm test` — speed is measured here, never asserted.
 *
 *   decode-only      sharp decode + normalise + resize to 224 (the pipeline's CPU floor)
 *   classify-only    decode + ONNX inference, as the pipeline runs them (CPU queue + batcher)
 *   pipeline-local   casb scan of the corpus folder into a fresh PGlite store
 *   rescan-local     the same scan again (everything unchanged)
 *   ocr              the casb pipeline (classifier-gated OCR) against OCR on every image, on a
 *                    mixed corpus with ~20% sensitive documents: speed ratio and entity recall
 *                    (src/bench/ocr-bench.ts)
 *   listing          peak RSS of `casb scan gdrive://<domain>` (a child process) against a local
 *                    Drive server holding 5,000 and 50,000 items: flat memory means a ratio near 1
 *                    (src/bench/listing-bench.ts). Opt-in: runs only when named in --only (or --listing)
 *
 * Usage: npm run bench -- [--only decode,classify,pipeline,ocr,listing] [--n 200] [--ocr-n 40] [--seed 7]
 *                         [--ocr-workers 1] [--n-listing 5000,50000] [--listing-users 10]
 *                         [--listing-png-share 0.01] [--listing-db postgres://…] [--keep] [--out bench.json]
 *   --n       images of the throughput corpus; with `--only ocr`, of the OCR corpus
 *   --ocr     same as --only ocr;  --no-ocr: everything but ocr
 *   --keep    keep the OCR bench's temp folder (corpus + both data dirs)
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import sharp from 'sharp';
import { formatListingBench, runListingBench } from './bench/listing-bench.js';
import { formatOcrBench, runOcrBench } from './bench/ocr-bench.js';
import { decodeForModel, DEFAULT_INPUT } from './image/decode.js';
import { openImageClassifier } from './model/image-classifier.js';
import { scanSource } from './scan-source.js';
import { openStore } from './store/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const flag = (name: string) => args.includes(`--${name}`);
const SECTIONS = ['decode', 'classify', 'pipeline', 'ocr', 'listing'] as const;
type Section = (typeof SECTIONS)[number];
// listing takes minutes and measures memory, not throughput: only when asked for
const only = flag('ocr') ? ['ocr'] : flag('listing') ? ['listing'] : arg('only', SECTIONS.filter((s) => s !== 'listing' && (s !== 'ocr' || !flag('no-ocr'))).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s} (sections: ${SECTIONS.join(', ')})`);
const run = (s: Section) => only.includes(s);
const throughput = run('decode') || run('classify') || run('pipeline');
const N = Number(arg('n', '200'));
// the OCR corpus: --ocr-n, else --n when OCR is the only section, else a size that runs in a few minutes
const OCR_N = Number(arg('ocr-n', throughput || !args.includes('--n') ? '40' : String(N)));
const SEED = Number(arg('seed', '7'));
const OCR_WORKERS = Number(arg('ocr-workers', '1'));
const OUT = arg('out', 'bench.json');
const LISTING_N = arg('n-listing', '5000,50000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
if (run('listing') && (!LISTING_N.length || LISTING_N.some((n) => !Number.isInteger(n)))) throw new Error('--n-listing: a comma-separated list of item counts, e.g. 5000,50000');
const LISTING_USERS = Number(arg('listing-users', '10'));
const LISTING_PNG_SHARE = Number(arg('listing-png-share', '0.01'));

/** Deterministic corpus: sizes from 0.3 to 4 MP, JPEG/PNG/WebP, noise plus shapes so codecs do real work. */
async function makeCorpus(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const mp = 0.3 + ((i * 37) % 100) / 100 * 3.7;
    const w = Math.round(Math.sqrt(mp * 1e6 * 4 / 3));
    const h = Math.round((w * 3) / 4);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
      <rect width="100%" height="100%" fill="hsl(${(i * 47) % 360},40%,70%)"/>
      <rect x="${w / 8}" y="${h / 6}" width="${w / 2}" height="${h / 3}" rx="${w / 40}" fill="hsl(${(i * 91) % 360},60%,40%)"/>
      <text x="${w / 10}" y="${h * 0.8}" font-size="${h / 12}" font-family="DejaVu Sans">SAMPLE ${i} 4111 1111 1111 1111</text></svg>`;
    const img = sharp(Buffer.from(svg)).composite([{ input: { create: { width: w, height: h, channels: 3, noise: { type: 'gaussian', mean: 0, sigma: 12 }, background: '#000' } }, blend: 'overlay' }]);
    const fmt = i % 3 === 0 ? 'png' : i % 3 === 1 ? 'jpg' : 'webp';
    const file = path.join(dir, `img${String(i).padStart(5, '0')}.${fmt}`);
    const out = fmt === 'png' ? img.png({ compressionLevel: 6 }) : fmt === 'jpg' ? img.jpeg({ quality: 85 }) : img.webp({ quality: 80 });
    await writeFile(file, await out.toBuffer());
    files.push(file);
  }
  return files;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const result: Record<string, unknown> = { node: process.version, cores: os.availableParallelism(), sections: only };

if (throughput) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'casb-bench-'));
  try {
    const corpus = path.join(root, 'corpus');
    await mkdir(corpus);
    process.stderr.write(`generating ${N} images...\n`);
    const files = await makeCorpus(corpus);
    const cores = os.availableParallelism();
    const bytes = await Promise.all(files.map((f) => readFile(f)));
    const rate = (ms: number) => N / (ms / 1000);
    const rows: { stage: string; ms: number; imagesPerSec: number }[] = [];
    const ratios: Record<string, number> = {};

    if (run('decode')) {
      const decode = await timed(async () => {
        const q = new PQueue({ concurrency: cores });
        await Promise.all(bytes.map((b) => q.add(() => decodeForModel(b, DEFAULT_INPUT))));
      });
      rows.push({ stage: 'decode-only', ms: decode.ms, imagesPerSec: rate(decode.ms) });
    }

    if (run('classify')) {
      const classifier = await openImageClassifier();
      const classify = await timed(async () => {
        const q = new PQueue({ concurrency: cores });
        await Promise.all(bytes.map(async (b) => classifier.classify((await q.add(() => decodeForModel(b, classifier.input))).rgb)));
      });
      await classifier.close();
      rows.push({ stage: 'classify-only', ms: classify.ms, imagesPerSec: rate(classify.ms) });
    }

    if (run('pipeline')) {
      const dataDir = path.join(root, 'db');
      // warm the embedded database once so its first-time initialisation is not counted as scanning
      await (await openStore({ dataDir })).close();
      const full = await timed(() => scanSource(corpus, { dataDir }));
      const rescan = await timed(() => scanSource(corpus, { dataDir }));
      rows.push({ stage: 'pipeline-local (PGlite)', ms: full.ms, imagesPerSec: rate(full.ms) });
      rows.push({ stage: 'rescan-local (unchanged)', ms: rescan.ms, imagesPerSec: rate(rescan.ms) });
      ratios.rescanToFull = rescan.ms / full.ms;
      result.stageTimingsMs = full.value.timings;

      // the verdict cache: the same N images, 30% of them copies of others (a tenant's duplicates), each in a fresh database
      const dups = path.join(root, 'dups');
      await mkdir(dups);
      const unique = Math.ceil(N * 0.7);
      for (let i = 0; i < N; i++) {
        const src = files[i < unique ? i : i - unique]!;
        await copyFile(src, path.join(dups, `d${String(i).padStart(5, '0')}${path.extname(src)}`));
      }
      const [dbCache, dbNoCache] = [path.join(root, 'db-dups-cache'), path.join(root, 'db-dups-nocache')];
      for (const d of [dbCache, dbNoCache]) await (await openStore({ dataDir: d })).close(); // initdb is not scanning
      const withCache = await timed(() => scanSource(dups, { dataDir: dbCache }));
      const noCache = await timed(() => scanSource(dups, { dataDir: dbNoCache, verdictCache: false }));
      rows.push({ stage: 'pipeline, 30% dups, cache', ms: withCache.ms, imagesPerSec: rate(withCache.ms) });
      rows.push({ stage: 'pipeline, 30% dups, no cache', ms: noCache.ms, imagesPerSec: rate(noCache.ms) });
      ratios.duplicatesCacheSpeedup = noCache.ms / withCache.ms;
      result.verdictsReused = withCache.value.verdictsReused;
    }

    const ms = (stage: string) => rows.find((r) => r.stage.startsWith(stage))?.ms;
    const [d, c, p] = [ms('decode-only'), ms('classify-only'), ms('pipeline-local')];
    if (d && c) ratios.classifyToDecode = rate(c) / rate(d);
    if (c && p) ratios.pipelineToClassify = rate(p) / rate(c);
    Object.assign(result, { n: N, ratios, rows });
    process.stdout.write(`\n${'stage'.padEnd(28)}${'seconds'.padStart(9)}${'images/s'.padStart(10)}\n`);
    for (const r of rows) process.stdout.write(`${r.stage.padEnd(28)}${(r.ms / 1000).toFixed(2).padStart(9)}${r.imagesPerSec.toFixed(1).padStart(10)}\n`);
    const parts = [
      ratios.classifyToDecode !== undefined ? `classify/decode ${ratios.classifyToDecode.toFixed(2)}` : '',
      ratios.pipelineToClassify !== undefined ? `pipeline/classify ${ratios.pipelineToClassify.toFixed(2)}` : '',
      ratios.rescanToFull !== undefined ? `rescan/full ${ratios.rescanToFull.toFixed(3)}` : '',
      ratios.duplicatesCacheSpeedup !== undefined ? `30% duplicates: verdict cache ${ratios.duplicatesCacheSpeedup.toFixed(2)}× faster (${String(result.verdictsReused)} verdicts reused)` : '',
    ].filter(Boolean);
    if (parts.length) process.stdout.write(`\n${parts.join(' · ')}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (run('ocr')) {
  // 1. negatives = the generator's rendered hard negatives (business cards, receipts, UI screenshots): the worst case for the gate
  const ocr = await runOcrBench({ n: OCR_N, seed: SEED, ocrWorkers: OCR_WORKERS, keep: flag('keep') });
  process.stdout.write(`\n== OCR bench, rendered hard negatives\n${formatOcrBench(ocr)}`);
  result.ocr = ocr;
  // 2. negatives = real photos and screenshots (Debian packages reserved for evaluation), when `npm run fetch-eval` has run:
  //    what a tenant's storage mostly holds
  const realDir = path.resolve('.cache/eval-debian');
  if (existsSync(path.join(realDir, 'other'))) {
    const real = await runOcrBench({ n: OCR_N, seed: SEED, ocrWorkers: OCR_WORKERS, keep: flag('keep'), negativesDir: realDir });
    process.stdout.write(`\n== OCR bench, real photos and screenshots as negatives (${path.relative(process.cwd(), realDir)})\n${formatOcrBench(real)}`);
    result.ocrRealNegatives = real;
  } else {
    process.stdout.write('\n(no .cache/eval-debian: run `npm run fetch-eval` to also bench with real photos and screenshots as negatives)\n');
  }
}

if (run('listing')) {
  const listingDb = arg('listing-db', '');
  const listing = await runListingBench({ sizes: LISTING_N, users: LISTING_USERS, pngShare: LISTING_PNG_SHARE, keep: flag('keep'), ...(listingDb ? { db: listingDb } : {}) });
  process.stdout.write(`\n== Listing bench: casb scan gdrive://example.com, ${listing.users} users, ${(listing.pngShare * 100).toFixed(0)}% real PNGs\n${formatListingBench(listing)}`);
  result.listing = listing;
}

await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`wrote ${OUT}\n`);

/**
 * `npm run bench`: throughput of the stages on a deterministic generated corpus, printed as a
 * table and written as JSON. Not part of `npm test` — speed is measured here, never asserted.
 *
 *   decode-only      sharp decode + normalise + resize to 224 (the pipeline's CPU floor)
 *   classify-only    decode + ONNX inference, as the pipeline runs them (CPU queue + batcher)
 *   pipeline-local   casb scan of the corpus folder into a fresh PGlite store
 *   rescan-local     the same scan again (everything unchanged)
 *
 * Usage: npm run bench -- [--n 200] [--out bench.json]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import sharp from 'sharp';
import { decodeForModel, DEFAULT_INPUT } from './image/decode.js';
import { openImageClassifier } from './model/image-classifier.js';
import { scanSource } from './scan-source.js';
import { openStore } from './store/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const N = Number(arg('n', '200'));
const OUT = arg('out', 'bench.json');

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

const root = await mkdtemp(path.join(os.tmpdir(), 'casb-bench-'));
try {
  const corpus = path.join(root, 'corpus');
  await mkdir(corpus);
  process.stderr.write(`generating ${N} images...\n`);
  const files = await makeCorpus(corpus);
  const cores = os.availableParallelism();
  const bytes = await Promise.all(files.map((f) => readFile(f)));

  const decode = await timed(async () => {
    const q = new PQueue({ concurrency: cores });
    await Promise.all(bytes.map((b) => q.add(() => decodeForModel(b, DEFAULT_INPUT))));
  });

  const classifier = await openImageClassifier();
  const classify = await timed(async () => {
    const q = new PQueue({ concurrency: cores });
    await Promise.all(bytes.map(async (b) => classifier.classify((await q.add(() => decodeForModel(b, classifier.input))).rgb)));
  });
  await classifier.close();

  const dataDir = path.join(root, 'db');
  // warm the embedded database once so its first-time initialisation is not counted as scanning
  await (await openStore({ dataDir })).close();
  const full = await timed(() => scanSource(corpus, { dataDir }));
  const rescan = await timed(() => scanSource(corpus, { dataDir }));

  const rate = (ms: number) => N / (ms / 1000);
  const rows = [
    { stage: 'decode-only', ms: decode.ms, imagesPerSec: rate(decode.ms) },
    { stage: 'classify-only', ms: classify.ms, imagesPerSec: rate(classify.ms) },
    { stage: 'pipeline-local (PGlite)', ms: full.ms, imagesPerSec: rate(full.ms) },
    { stage: 'rescan-local (unchanged)', ms: rescan.ms, imagesPerSec: rate(rescan.ms) },
  ];
  const result = {
    n: N,
    cores,
    node: process.version,
    ratios: {
      classifyToDecode: rate(classify.ms) / rate(decode.ms),
      pipelineToClassify: rate(full.ms) / rate(classify.ms),
      rescanToFull: rescan.ms / full.ms,
    },
    stageTimingsMs: full.value.timings,
    rows,
  };
  process.stdout.write(`\n${'stage'.padEnd(28)}${'seconds'.padStart(9)}${'images/s'.padStart(10)}\n`);
  for (const r of rows) process.stdout.write(`${r.stage.padEnd(28)}${(r.ms / 1000).toFixed(2).padStart(9)}${r.imagesPerSec.toFixed(1).padStart(10)}\n`);
  process.stdout.write(
    `\nclassify/decode ${result.ratios.classifyToDecode.toFixed(2)} · pipeline/classify ${result.ratios.pipelineToClassify.toFixed(2)} · rescan/full ${result.ratios.rescanToFull.toFixed(3)}\n`,
  );
  await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${OUT}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}

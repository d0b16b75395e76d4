/**
 * Train the softmax head on backbone features of synthetic images.
 *
 *   tsx src/training/train.ts [--per-class N] [--seed S] [--version 0.1.0] [--epochs E] [--l2 L]
 *                             [--data DIR] [--out models/casb-classifier] [--dry-run]
 *
 * Samples are generated in memory (or read from --data DIR laid out <label>/<files>),
 * decoded with decodeForModel, embedded with loadBackboneOnly (features cached under
 * .cache/embeddings/<backbone sha>/), split 85/15 per class, and a class-balanced,
 * L2-regularised softmax regression is fitted. Per-label thresholds come from the holdout.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeForModel } from '../image/decode.js';
import { loadBackboneOnly } from '../model/classifier.js';
import { BACKBONE_DIM, BACKBONE_LAYER, BACKBONE_SIZE } from '../model/backbone.js';
import { LABELS, parseHead, parseManifest } from '../model/manifest.js';
import { EMBED_CACHE, EmbeddingCache, sha256 } from './embed-cache.js';
import { computeMetrics, formatMetrics } from './metrics.js';
import { argmax, predictProba, roundSig, trainSoftmax, type SoftmaxHead } from './softmax.js';
import { AUGMENTATIONS, GENERATOR_VERSION, generateSample, loadSources, type Label } from './synth/index.js';
import { Rng } from './synth/prng.js';

interface Item {
  label: Label;
  key: string;
  features: Float32Array;
}

async function pool<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/** Choose, per label, the lowest top-score threshold that keeps holdout precision ≥ target. */
export function pickThresholds(labels: readonly string[], truth: string[], pred: string[], score: number[], target = 0.97): Record<string, number> {
  const th: Record<string, number> = {};
  for (const l of labels) {
    const rows = pred.map((p, i) => ({ p, t: truth[i]!, s: score[i]! })).filter((r) => r.p === l).sort((a, b) => b.s - a.s);
    let best = 0.5;
    let tp = 0;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]!.t === l) tp++;
      if (tp / (i + 1) >= target) best = rows[i]!.s;
    }
    th[l] = Math.round(Math.min(0.9, Math.max(0.35, best)) * 1000) / 1000;
  }
  return th;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'per-class': { type: 'string', default: '400' },
      seed: { type: 'string', default: '1' },
      version: { type: 'string', default: '0.2.0' },
      epochs: { type: 'string', default: '150' },
      l2: { type: 'string', default: '0.01' },
      lr: { type: 'string', default: '0.003' },
      data: { type: 'string' },
      out: { type: 'string', default: 'models/casb-classifier' },
      concurrency: { type: 'string', default: '3' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const perClass = Number(values['per-class']);
  const seed = Number(values.seed);
  const epochs = Number(values.epochs);
  const l2 = Number(values.l2);
  const lr = Number(values.lr);
  const t0 = Date.now();

  const embedder = await loadBackboneOnly({ intraOpThreads: 2 });
  const cache = new EmbeddingCache(embedder.sha256);
  const sources = loadSources();
  console.log(`backbone ${embedder.source} sha256 ${embedder.sha256.slice(0, 12)}…; Debian images: ${sources.photos.length} other, ${sources.screenshots.length} screenshots`);

  // sample key → image sha, so a re-run with the same seed skips rendering entirely
  const mapFile = path.join(EMBED_CACHE, embedder.sha256, `samples-${GENERATOR_VERSION}-seed${seed}.json`);
  const sampleMap: Record<string, string> = existsSync(mapFile) ? (JSON.parse(readFileSync(mapFile, 'utf8')) as Record<string, string>) : {};

  const jobs: { label: Label; key: string; load: () => Promise<Buffer> }[] = [];
  if (values.data) {
    for (const label of LABELS) {
      const dir = path.join(values.data, label);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).sort()) jobs.push({ label, key: `${label}/${f}`, load: async () => readFileSync(path.join(dir, f)) });
    }
  } else {
    for (const label of LABELS)
      for (let i = 0; i < perClass; i++) jobs.push({ label, key: `${label}:${i}`, load: async () => (await generateSample(label, i, seed, sources)).data });
  }

  const items: Item[] = [];
  let hits = 0;
  let genMs = 0;
  let embMs = 0;
  const CHUNK = 48;
  for (let c = 0; c < jobs.length; c += CHUNK) {
    const chunk = jobs.slice(c, c + CHUNK);
    const tg = Date.now();
    const prepared = await pool(Number(values.concurrency), chunk.map((job) => async () => {
      const known = sampleMap[job.key];
      if (!values.data && known) {
        const f = cache.get(known);
        if (f) return { job, sha: known, features: f, rgb: null as Uint8Array | null };
      }
      const bytes = await job.load();
      const sha = sha256(bytes);
      sampleMap[job.key] = sha;
      const f = cache.get(sha);
      if (f) return { job, sha, features: f, rgb: null };
      const { rgb } = await decodeForModel(bytes, { size: BACKBONE_SIZE, fit: 'fill' });
      return { job, sha, features: null as Float32Array | null, rgb };
    }));
    genMs += Date.now() - tg;
    const te = Date.now();
    const todo = prepared.filter((p) => p.rgb);
    if (todo.length) {
      const feats = await embedder.embed(todo.map((p) => p.rgb!));
      todo.forEach((p, i) => {
        p.features = feats[i]!;
        cache.put(p.sha, feats[i]!);
      });
    }
    embMs += Date.now() - te;
    hits += prepared.length - todo.length;
    for (const p of prepared) items.push({ label: p.job.label, key: p.job.key, features: p.features! });
    if ((c / CHUNK) % 10 === 0 || c + CHUNK >= jobs.length)
      console.log(`  ${Math.min(c + CHUNK, jobs.length)}/${jobs.length} samples (${((Date.now() - t0) / 1000).toFixed(0)} s; cache hits ${hits})`);
  }
  await embedder.close();
  mkdirSync(path.dirname(mapFile), { recursive: true });
  if (!values.data) writeFileSync(mapFile, JSON.stringify(sampleMap));
  console.log(`prepared ${items.length} samples in ${((Date.now() - t0) / 1000).toFixed(1)} s (render+decode ${(genMs / 1000).toFixed(1)} s, embed ${(embMs / 1000).toFixed(1)} s)`);

  // stratified 85/15 split
  const rng = new Rng(`${seed}:split`);
  const train: Item[] = [];
  const hold: Item[] = [];
  const counts: Record<string, number> = {};
  for (const label of LABELS) {
    const ofLabel = items.filter((it) => it.label === label);
    counts[label] = ofLabel.length;
    for (let i = ofLabel.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [ofLabel[i], ofLabel[j]] = [ofLabel[j]!, ofLabel[i]!];
    }
    const nHold = Math.round(ofLabel.length * 0.15);
    hold.push(...ofLabel.slice(0, nHold));
    train.push(...ofLabel.slice(nHold));
  }
  const li = (l: string) => LABELS.indexOf(l as Label);
  const tt = Date.now();
  const head: SoftmaxHead = trainSoftmax(train.map((t) => t.features), train.map((t) => li(t.label)), LABELS.length, {
    epochs,
    lr,
    l2,
    batch: 256,
    seed,
    log: (e, loss) => {
      if (e % 25 === 0 || e === epochs - 1) console.log(`  epoch ${e} loss ${loss.toFixed(4)}`);
    },
  });
  const trainSec = (Date.now() - tt) / 1000;
  const rounded: SoftmaxHead = { W: head.W.map((r) => r.map((x) => roundSig(x, 6))), b: head.b.map((x) => roundSig(x, 6)) };

  const evalSet = (set: Item[]) => {
    const truth: string[] = [];
    const pred: string[] = [];
    const score: number[] = [];
    for (const it of set) {
      const p = predictProba(rounded, it.features);
      const k = argmax(p);
      truth.push(it.label);
      pred.push(LABELS[k]!);
      score.push(p[k]!);
    }
    return { truth, pred, score };
  };
  const tr = evalSet(train);
  const ho = evalSet(hold);
  const trainMetrics = computeMetrics(LABELS, tr.truth, tr.pred);
  const holdMetrics = computeMetrics(LABELS, ho.truth, ho.pred);
  console.log(`train accuracy ${(100 * trainMetrics.accuracy).toFixed(1)}% (n=${train.length})`);
  console.log('synthetic holdout:');
  console.log(formatMetrics(LABELS, holdMetrics));
  const thresholds = pickThresholds(LABELS, ho.truth, ho.pred, ho.score);
  console.log('thresholds', thresholds);

  const version = values.version!;
  const manifest = {
    name: 'casb-classifier',
    version,
    labels: [...LABELS],
    input: { size: BACKBONE_SIZE, fit: 'fill' as const, scale: 1 / 255, layout: 'NHWC' as const },
    backbone: { source: embedder.source, layer: BACKBONE_LAYER, sha256: embedder.sha256 },
    head: { file: 'head.json', dim: BACKBONE_DIM },
    thresholds,
    uncertainBand: [0, 0.4] as [number, number],
    training: {
      seed,
      perClass: values.data ? null : perClass,
      counts,
      trainCount: train.length,
      holdoutCount: hold.length,
      generator: values.data ? `files from ${values.data}` : GENERATOR_VERSION,
      augmentations: AUGMENTATIONS,
      optimizer: 'Adam (lr ' + lr + ', minibatch 256), standardised features folded into W,b',
      epochs,
      l2,
      classBalanced: true,
      holdoutFraction: 0.15,
      thresholdRule: 'lowest top score keeping holdout precision >= 0.97, clamped to [0.35, 0.9]',
      dataSources: {
        synthetic: 'SVG documents rendered with librsvg (sharp), fonts DejaVu Sans/Serif/Mono',
        debian: sources.packages,
        excluded: 'images whose sha256 matches ../shared/datasets/real-dev are dropped; evaluation-only packages are refused',
      },
      seconds: { total: Math.round((Date.now() - t0) / 1000), fit: Math.round(trainSec) },
    },
    metrics: {
      syntheticHoldout: {
        accuracy: holdMetrics.accuracy,
        macroF1: holdMetrics.macroF1,
        perClass: Object.fromEntries(LABELS.map((l) => [l, holdMetrics.perClass[l]!.accuracy])),
        confusion: holdMetrics.confusion,
      },
      trainAccuracy: trainMetrics.accuracy,
    },
  };
  parseManifest(manifest);
  parseHead(rounded, parseManifest(manifest));
  if (values['dry-run']) {
    console.log('dry run: nothing written');
    return;
  }
  const dir = path.join(values.out!, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'head.json'), JSON.stringify(rounded));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${dir}/manifest.json and head.json in ${((Date.now() - t0) / 1000).toFixed(0)} s total`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

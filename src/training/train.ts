/**
 * Train the classifier head on backbone features of synthetic images and write a new model
 * version under models/casb-classifier/<version>/.
 *
 *   npm run train -- [--per-class N] [--seed S] [--version V] [--taps a,b] [--views fill,cover]
 *                    [--hidden H] [--epochs E] [--l2 L] [--lr R] [--data DIR] [--out DIR] [--dry-run]
 *
 * From a clean clone it first fetches the Debian images (fetch-debian.ts) when their index is
 * missing or was built from other package specs. Samples are generated in memory (seeded: the
 * same flags give the same head), or read from --data DIR laid out <label>/<files>. Each is
 * decoded into the model's resize views, embedded by the backbone (with the chosen earlier-layer
 * taps) and cached by content hash (embed.ts). fit.ts splits by image, trains the head (an MLP
 * with --hidden H, else linear softmax), calibrates the temperature and picks thresholds.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VIEWS, type View } from '../image/decode.js';
import { BACKBONE_LAYER } from '../model/backbone.js';
import { loadBackboneOnly } from '../model/classifier.js';
import { LABELS, parseHead, parseManifest, type Manifest } from '../model/manifest.js';
import { EMBED_CACHE } from './embed-cache.js';
import { embedJobs, type EmbedJob } from './embed.js';
import { EARLY_EXIT_GRID, fitHead, type FitResult } from './fit.js';
import { formatMetrics } from './metrics.js';
import type { SoftmaxHead } from './softmax.js';
import { fetchDebian, loadDebianIndex, specsFingerprint } from './fetch-debian.js';
import { UserError } from '../util/errors.js';
import { runScript } from '../util/script.js';
import { AUGMENTATIONS, GENERATOR_VERSION, generateSample, generatorFingerprint, loadSources } from './synth/index.js';

/** The recipe of the shipped model; `npm run train` with no flags reproduces it. */
export const DEFAULT_RECIPE = {
  version: '0.3.0',
  perClass: 1500,
  seed: 3,
  taps: ['block_16_project_BN', 'block_13_expand_relu', 'out_relu@max', 'block_13_expand_relu@max'],
  /** Backbone input side: 192 costs 27% less than MobileNetV2's native 224 and measured as accurate here. */
  size: 192,
  views: ['fill', 'cover'] as View[],
  /** Hidden ReLU units of the MLP head (0: linear softmax). */
  hidden: 256,
  dropIn: 0.2,
  dropHidden: 0.5,
  batch: 256,
  epochs: 30,
  lr: 0.001,
  l2: 0.0001,
  holdoutFraction: 0.15,
  /** Let a confident first view decide alone (threshold picked on the hold-out, see fit.ts). */
  earlyExit: true,
};

/** A linear head's optimiser settings (--hidden 0, and `casb model add-class` on a linear base). */
export const LINEAR_RECIPE = { epochs: 120, lr: 0.003, l2: 0.01 };

export function parseViews(s: string): View[] {
  const v = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of v) if (!(VIEWS as readonly string[]).includes(x)) throw new UserError(`unknown view '${x}' (known: ${VIEWS.join(', ')})`);
  return v as View[];
}

/** The manifest for a fitted head. */
export function buildManifest(args: {
  name?: string;
  version: string;
  labels: readonly string[];
  backbone: { source: string; sha256: string; taps: string[]; dim: number };
  /** Backbone input side (px). */
  size: number;
  views: View[];
  fit: FitResult;
  training: Record<string, unknown>;
}): Manifest {
  const { fit } = args;
  return parseManifest({
    name: args.name ?? 'casb-classifier',
    version: args.version,
    labels: [...args.labels],
    input: { size: args.size, fit: 'fill', scale: 1 / 255, layout: 'NHWC', views: args.views, ...(fit.earlyExit !== undefined ? { earlyExit: fit.earlyExit } : {}) },
    backbone: { source: args.backbone.source, layer: BACKBONE_LAYER, taps: args.backbone.taps, sha256: args.backbone.sha256 },
    head: { file: 'head.json', dim: args.backbone.dim },
    calibration: { temperature: fit.temperature, method: 'temperature scaling on the hold-out split (min NLL), folded into W and b' },
    thresholds: fit.thresholds,
    uncertainBand: fit.uncertainBand,
    training: {
      ...args.training,
      counts: fit.counts,
      trainCount: fit.trainCount,
      holdoutCount: fit.holdoutCount,
      thresholdRule: 'per label, the lowest top score keeping hold-out precision >= 0.97, clamped to [0.35, 0.9]',
      ...(fit.earlyExit !== undefined ? { earlyExitRule: `the lowest of ${EARLY_EXIT_GRID.join('/')} whose hold-out accuracy is within 0.2 points of averaging every view` } : {}),
      uncertainRule: 'top score <= hi, the largest score whose hold-out neighbours within 0.1 below are right <= 70% of the time (clamped to [0.3, 0.7])',
    },
    metrics: {
      syntheticHoldout: {
        accuracy: fit.holdout.accuracy,
        macroF1: fit.holdout.macroF1,
        perClass: Object.fromEntries(args.labels.map((l) => [l, fit.holdout.perClass[l]!.accuracy])),
        confusion: fit.holdout.confusion,
        nll: fit.nll,
      },
      trainAccuracy: fit.trainAccuracy,
    },
  });
}

export function writeModel(dir: string, manifest: Manifest, head: SoftmaxHead): void {
  parseHead(head, manifest);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'head.json'), JSON.stringify(head));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

const TRAIN_USAGE = `npm run train -- [--per-class N] [--seed S] [--version V] [--taps a,b] [--size PX] [--views fill,cover]
                   [--hidden H] [--epochs E] [--l2 L] [--lr R] [--data DIR] [--out DIR] [--concurrency N] [--dry-run] [--verbose]
  With no flags: rebuilds the shipped model (models/casb-classifier/${DEFAULT_RECIPE.version}) from the seeded generator,
  fetching the Debian images first when needed. --data DIR trains on a folder laid out <label>/<files> instead.
  --hidden 0 fits a linear softmax head; --dry-run fits and reports without writing a model.`;

async function main(): Promise<void> {
  const R = DEFAULT_RECIPE;
  const { values } = parseArgs({
    options: {
      'per-class': { type: 'string', default: String(R.perClass) },
      seed: { type: 'string', default: String(R.seed) },
      version: { type: 'string', default: R.version },
      taps: { type: 'string', default: R.taps.join(',') },
      size: { type: 'string', default: String(R.size) },
      views: { type: 'string', default: R.views.join(',') },
      hidden: { type: 'string', default: String(R.hidden) },
      epochs: { type: 'string' },
      l2: { type: 'string' },
      lr: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string', default: 'models/casb-classifier' },
      concurrency: { type: 'string', default: '2' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const perClass = Number(values['per-class']);
  const seed = Number(values.seed);
  for (const [flag, v, min] of [['--per-class', perClass, 1], ['--seed', seed, 0], ['--size', Number(values.size), 32], ['--hidden', Number(values.hidden), 0], ['--concurrency', Number(values.concurrency), 1]] as const)
    if (!Number.isInteger(v) || v < min) throw new UserError(`${flag} must be a whole number ≥ ${min}`);
  if (Number(values.size) % 32 !== 0 || Number(values.size) < 96 || Number(values.size) > 512) throw new UserError('--size must be a multiple of 32 from 96 to 512 (the backbone halves the image five times)');
  if (values.epochs !== undefined && !(Number.isInteger(Number(values.epochs)) && Number(values.epochs) >= 1)) throw new UserError('--epochs must be a whole number ≥ 1');
  for (const [flag, v] of [['--l2', values.l2], ['--lr', values.lr]] as const)
    if (v !== undefined && !(Number(v) >= 0)) throw new UserError(`${flag} must be a number ≥ 0`);
  if (values.data && !existsSync(values.data)) throw new UserError(`--data ${values.data}: no such folder (expected <dir>/<label>/<images>)`);
  const taps = values.taps!.split(',').map((t) => t.trim()).filter(Boolean);
  const views = parseViews(values.views!);
  const t0 = Date.now();
  const log = (line: string) => console.log(line);

  const size = Number(values.size);
  // the backbone first: a bad --taps is refused before minutes of downloading
  const embedder = await loadBackboneOnly({ intraOpThreads: 2, taps, size }).catch((err: unknown) => {
    throw new UserError(`cannot build the backbone with --taps ${taps.join(',')} at --size ${size}: ${(err as Error).message.split('\n')[0]}`);
  });
  if (!values.data) {
    const idx = loadDebianIndex();
    if (!idx || idx.specs !== specsFingerprint()) {
      log(idx ? 'the Debian image index was built from other package specs: refetching' : 'no Debian image index yet: fetching the packages (apt-get download)');
      await fetchDebian({ log });
    }
  }
  const sources = loadSources();
  log(`backbone ${embedder.source} +taps [${taps.join(', ')}] (${embedder.dim}-d) sha256 ${embedder.sha256.slice(0, 12)}…; views ${views.join(', ')}`);
  log(`Debian images: ${sources.photos.length} other, ${sources.screenshots.length} screenshots${sources.photos.length ? '' : ' — run `npx tsx src/training/fetch-debian.ts` first for real photos'}`);

  // sample key → image sha, so a re-run with the same seed skips rendering entirely
  const mapFile = path.join(EMBED_CACHE, embedder.sha256, `samples-${generatorFingerprint(sources)}-seed${seed}.json`);
  const sampleMap: Record<string, string> = existsSync(mapFile) ? (JSON.parse(readFileSync(mapFile, 'utf8')) as Record<string, string>) : {};
  const jobs: EmbedJob[] = [];
  if (values.data) {
    for (const label of LABELS) {
      const dir = path.join(values.data, label);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).sort()) jobs.push({ label, key: `${label}/${f}`, load: async () => readFileSync(path.join(dir, f)) });
    }
  } else {
    for (const label of LABELS)
      for (let i = 0; i < perClass; i++) {
        const key = `${label}:${i}`;
        const known = sampleMap[key];
        jobs.push({ label, key, ...(known ? { knownSha: known } : {}), load: async () => (await generateSample(label, i, seed, sources)).data });
      }
  }
  const { images, stats } = await embedJobs(jobs, {
    embedder,
    views,
    concurrency: Number(values.concurrency),
    log,
    onSha: (key, sha) => {
      sampleMap[key] = sha;
    },
  });
  await embedder.close();
  if (!values.data) {
    mkdirSync(path.dirname(mapFile), { recursive: true });
    writeFileSync(mapFile, JSON.stringify(sampleMap));
  }
  log(`embedded ${images.length} images in ${stats.seconds.toFixed(1)} s (cache hits ${stats.cacheHits}); failed ${stats.failed.length}`);
  for (const f of stats.failed) log(`  failed ${f.key}: ${f.error}`);

  const hidden = Number(values.hidden);
  const base = hidden ? R : LINEAR_RECIPE;
  const epochs = Number(values.epochs ?? base.epochs);
  const l2 = Number(values.l2 ?? base.l2);
  const lr = Number(values.lr ?? base.lr);
  const mlp = hidden ? { hidden, dropIn: R.dropIn, dropHidden: R.dropHidden, batch: R.batch } : {};
  const fit = await fitHead(images, LABELS, { seed, epochs, lr, l2, holdoutFraction: R.holdoutFraction, log, earlyExit: R.earlyExit, ...mlp });
  log(`train accuracy ${(100 * fit.trainAccuracy).toFixed(1)}% (n=${fit.trainCount} images)`);
  log('synthetic hold-out (calibrated, views averaged):');
  log(formatMetrics(LABELS, fit.holdout));
  log(`thresholds ${JSON.stringify(fit.thresholds)}; uncertain band ${JSON.stringify(fit.uncertainBand)}`);

  const manifest = buildManifest({
    version: values.version!,
    labels: LABELS,
    backbone: { source: embedder.source, sha256: embedder.sha256, taps, dim: embedder.dim },
    size,
    views,
    fit,
    training: {
      seed,
      perClass: values.data ? null : perClass,
      generator: values.data ? `files from ${values.data}` : GENERATOR_VERSION,
      augmentations: AUGMENTATIONS,
      trainingViews: views,
      optimizer: hidden
        ? `Adam (lr ${lr}, minibatch ${R.batch}, L2 ${l2}); MLP ${embedder.dim}→${hidden} ReLU→${LABELS.length}, dropout ${R.dropIn} on inputs and ${R.dropHidden} on hidden units; standardised features folded into the first layer`
        : `Adam (lr ${lr}, minibatch 256), standardised features folded into W,b`,
      head: hidden ? 'mlp' : 'linear',
      ...mlp,
      epochs,
      l2,
      lr,
      classBalanced: true,
      holdoutFraction: R.holdoutFraction,
      dataSources: {
        synthetic: 'SVG documents rendered with librsvg (sharp), fonts DejaVu Sans/Serif/Mono',
        debian: sources.packages,
        excluded: 'images whose sha256 matches ../shared/datasets/real-dev are dropped; evaluation-only packages are refused',
      },
      seconds: { total: Math.round((Date.now() - t0) / 1000), embed: Math.round(stats.seconds), fit: Math.round(fit.fitSeconds) },
    },
  });
  if (values['dry-run']) {
    log('dry run: nothing written');
    return;
  }
  const dir = path.join(values.out!, values.version!);
  writeModel(dir, manifest, fit.head);
  log(`wrote ${dir}/manifest.json and head.json in ${((Date.now() - t0) / 1000).toFixed(0)} s total`);
}

if (import.meta.url === `file://${process.argv[1]}`) runScript('npm run train', TRAIN_USAGE, main);

/**
 * `casb model add-class <name> <folder>`: a NEW model version with every label of a base model
 * plus one class the user shows by example. Nothing existing is modified.
 *
 *  1. The folder's decodable images (at least MIN_IMAGES, duplicates counted once) are the new
 *     class. Each one is used as is plus `augment` seeded variants (random crop and scale,
 *     rotation, colour/brightness jitter, blur, noise, JPEG re-compression), so the class gets
 *     about TARGET_POSITIVES positives. All variants of one user image form ONE fit sample (its
 *     feature rows are the "views"), so a user image and its variants never straddle the
 *     train/hold-out split.
 *  2. The base classes' data is regenerated from the base manifest's recipe (training.seed,
 *     synthetic generator), `basePerClass` per class; classes the base itself got from add-class
 *     are rebuilt from their recorded folders.
 *  3. Everything is embedded with the base's backbone, taps and resize views (embed.ts, cached by
 *     content hash), the whole head is refitted and calibrated (fit.ts), and the model is written
 *     with its recipe and hold-out metrics (train.ts buildManifest/writeModel).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { View } from '../image/decode.js';
import { sniff, SNIFF_BYTES } from '../image/sniff.js';
import { loadBackboneOnly, type BackboneEmbedder } from '../model/classifier.js';
import { modelVersionOf, type LoadedModel, type Manifest } from '../model/manifest.js';
import { UserError, errorMessage } from '../util/errors.js';
import { EMBED_CACHE, sha256 } from './embed-cache.js';
import { embedJobs, type EmbedJob } from './embed.js';
import { fitHead, imageProba, scoreImages, splitByImage, type FitImage, type FitResult } from './fit.js';
import { argmax } from './softmax.js';
import { finish, randomCropResize } from './synth/augment.js';
import { GENERATOR_VERSION, LABELS as SYNTH_LABELS, generateSample, generatorFingerprint, loadSources, type Label as SynthLabel } from './synth/index.js';
import { Rng } from './synth/prng.js';
import { buildManifest, DEFAULT_RECIPE, LINEAR_RECIPE, writeModel } from './train.js';

export const CLASS_NAME_RE = /^[a-z][a-z0-9_]{1,31}$/;
export const VERSION_RE = /^[A-Za-z0-9._+-]+$/;
export const MIN_IMAGES = 20;
export const TARGET_POSITIVES = 120;
export const DEFAULT_BASE_PER_CLASS = 150;
export const MAX_AUGMENT = 20;
/** Bump when augmentVariant's output changes (it keys the variant → sha map). */
export const USER_AUGMENT_VERSION = 'user-aug-1';
export const USER_AUGMENTATIONS = [
  'variant 0: the image as given',
  'crop: random window covering 60-100% of each side, aspect ±15%, rescaled 0.6-1.3x',
  'rotation ±15° (5%: 90/180/270°), filled with white or a random flat colour',
  'colour: brightness -25..+20%, saturation -40..+30%, hue ±12°, gamma 1-2.4 (30%) (synth finish(), strength 0.8)',
  'blur σ 0.4-1.8 or sharpen; noise σ 2-12 + colour cast (50%)',
  'resize long side 256-1000 px; encode JPEG q35-95 (80%) or PNG',
];

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** How one user class was built; recorded in the manifest so a later add-class can rebuild it. */
export interface CustomClassRecipe {
  name: string;
  folder: string;
  images: number;
  imagesSha256: string;
  augmentPerImage: number;
  seed: number;
  augmentVersion: string;
}

export interface AddClassOptions {
  name: string;
  folder: string;
  base: LoadedModel;
  /** Root that receives `<name>/<version>/`. */
  outRoot: string;
  /** New version; default `<base version>+<name>` (suffixed .2, .3, … if taken). */
  version?: string;
  /** Versions already installed for the base's model name (to avoid collisions). */
  takenVersions?: readonly string[];
  severity?: Severity;
  sensitive?: boolean;
  basePerClass?: number;
  /** Augmented variants per user image (besides the image itself); default enough for ~TARGET_POSITIVES. */
  augment?: number;
  seed?: number;
  epochs?: number;
  concurrency?: number;
  intraOpThreads?: number;
  log?: (line: string) => void;
}

export interface AddClassResult {
  dir: string;
  manifest: Manifest;
  fit: FitResult;
  modelVersion: string;
  customHoldout: CustomHoldout;
  seconds: number;
}

export interface CustomHoldout {
  /** Held-out user images (never trained on, in any variant), scored as given. */
  images: number;
  /** Of those, labelled as the new class. */
  recall: number;
  /** Held-out base-class images labelled as the new class. */
  baseImages: number;
  falsePositives: number;
}

export interface UserImage {
  file: string;
  /** Relative to the folder (stable sample key). */
  rel: string;
  sha256: string;
}

/** Validate a class name against the base labels; UserError (exit 2) with what to do. */
export function checkClassName(name: string, labels: readonly string[]): void {
  if (!CLASS_NAME_RE.test(name)) {
    throw new UserError(`invalid class name '${name}': use 2-32 characters, a lowercase letter first, then lowercase letters, digits or _ (e.g. boarding_pass)`);
  }
  if (labels.includes(name)) throw new UserError(`the base model already has the label '${name}' (labels: ${labels.join(', ')}); pick a new name`);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Decode to a bounded PNG (auto-oriented sRGB on white): the input of augmentation. */
async function normalise(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: 100_000_000, failOn: 'error', pages: 1 })
    .rotate()
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .resize(1280, 1280, { fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** The folder's decodable images (walked recursively, sorted, identical files counted once). */
export async function findUserImages(folder: string): Promise<{ images: UserImage[]; skipped: number; duplicates: number }> {
  const st = await stat(folder).catch(() => null);
  if (!st?.isDirectory()) throw new UserError(`example folder not found: ${folder} (give a folder of at least ${MIN_IMAGES} images of the new class)`);
  const images: UserImage[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let duplicates = 0;
  for (const file of await walk(folder)) {
    try {
      const bytes = await readFile(file);
      if ((await sniff(bytes.subarray(0, SNIFF_BYTES))).kind !== 'image') {
        skipped++;
        continue;
      }
      await normalise(bytes);
      const sha = sha256(bytes);
      if (seen.has(sha)) {
        duplicates++;
        continue;
      }
      seen.add(sha);
      images.push({ file, rel: path.relative(folder, file).split(path.sep).join('/'), sha256: sha });
    } catch {
      skipped++;
    }
  }
  return { images, skipped, duplicates };
}

/** One seeded augmented variant of a (normalised) user image, as encoded bytes. */
export async function augmentVariant(src: Buffer, rng: Rng): Promise<Buffer> {
  const meta = await sharp(src).metadata();
  const w = meta.width ?? 256;
  const h = meta.height ?? 256;
  const scale = rng.float(0.6, 1.3);
  const aspect = rng.float(0.85, 1.15);
  const W = Math.max(32, Math.round(w * scale * aspect));
  const H = Math.max(32, Math.round(h * scale));
  let img = await randomCropResize(rng, src, W, H, 0.6);
  const background = rng.bool(0.6) ? '#ffffff' : { r: rng.int(0, 255), g: rng.int(0, 255), b: rng.int(0, 255) };
  const angle = rng.bool(0.05) ? rng.pick([90, 180, 270]) : rng.float(-15, 15);
  img = await sharp(img).rotate(angle, { background }).png({ compressionLevel: 1 }).toBuffer();
  return (await finish(rng, img, { strength: 0.8, maxSide: [256, 1000] })).data;
}

/** Augmented variants per image (besides the image itself) for about TARGET_POSITIVES positives. */
export function defaultAugment(images: number): number {
  return Math.min(MAX_AUGMENT, Math.max(2, Math.ceil(TARGET_POSITIVES / Math.max(1, images)) - 1));
}

function readJsonMap(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Merge `add` into a key → sha map file (re-read first: other runs may have written it meanwhile). */
function mergeJsonMap(file: string, add: Record<string, string>): void {
  if (!Object.keys(add).length) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...readJsonMap(file), ...add }));
    // rename is atomic: a concurrent reader sees the old or the new map, never half of one
    renameSync(tmp, file);
  } catch {
    // the map only saves work next time
  }
}

function groupKey(key: string): string {
  return key.replace(/#\d+$/, '');
}

/** Embed jobs for one user class: every image as given plus `augment` variants. */
function userClassJobs(recipe: Pick<CustomClassRecipe, 'name' | 'seed' | 'augmentPerImage'>, images: UserImage[], variantMap: Record<string, string>, newShas: Record<string, string>): EmbedJob[] {
  const jobs: EmbedJob[] = [];
  for (const im of images) {
    let norm: Promise<Buffer> | undefined;
    const src = () => (norm ??= readFile(im.file).then(normalise));
    for (let v = 0; v <= recipe.augmentPerImage; v++) {
      const key = `${recipe.name}/${im.rel}#${v}`;
      if (v === 0) {
        jobs.push({ label: recipe.name, key, knownSha: im.sha256, load: () => readFile(im.file) });
        continue;
      }
      const mapKey = `${USER_AUGMENT_VERSION}:${GENERATOR_VERSION}:${recipe.seed}:${recipe.name}:${im.sha256}:${v}`;
      const known = variantMap[mapKey];
      jobs.push({
        label: recipe.name,
        key,
        ...(known ? { knownSha: known } : {}),
        load: async () => {
          const out = await augmentVariant(await src(), new Rng(mapKey));
          newShas[mapKey] = sha256(out);
          return out;
        },
      });
    }
  }
  return jobs;
}

/** Rows of one user image (all its variants) → one fit sample, variants in order. */
function groupUserImages(images: FitImage[], userLabels: Set<string>): FitImage[] {
  const out: FitImage[] = [];
  const groups = new Map<string, FitImage>();
  for (const im of images) {
    if (!userLabels.has(im.label)) {
      out.push(im);
      continue;
    }
    const g = groupKey(im.key);
    const have = groups.get(g);
    if (have) have.views.push(...im.views);
    else {
      const first: FitImage = { label: im.label, key: g, views: [...im.views] };
      groups.set(g, first);
      out.push(first);
    }
  }
  return out;
}

function recordedCustomClasses(m: Manifest): CustomClassRecipe[] {
  const list = m.training.customClasses;
  return Array.isArray(list) ? (list as CustomClassRecipe[]) : [];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `<base>+<name>`, or with .2, .3, … when taken. */
export function defaultVersion(baseVersion: string, name: string, taken: readonly string[]): string {
  const want = `${baseVersion}+${name}`;
  if (!taken.includes(want)) return want;
  for (let i = 2; ; i++) if (!taken.includes(`${want}.${i}`)) return `${want}.${i}`;
}

export async function addClass(opts: AddClassOptions): Promise<AddClassResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const base = opts.base.manifest;
  const baseId = modelVersionOf(base);
  const { name } = opts;
  checkClassName(name, base.labels);
  const taken = opts.takenVersions ?? [];
  if (opts.version !== undefined) {
    if (!VERSION_RE.test(opts.version)) throw new UserError(`invalid version '${opts.version}': use letters, digits and . _ + -`);
    if (taken.includes(opts.version)) throw new UserError(`model version ${base.name}@${opts.version} already exists; pick another --version (existing models are never modified)`);
  }
  const version = opts.version ?? defaultVersion(base.version, name, taken);
  const dir = path.join(opts.outRoot, base.name, version);
  if (existsSync(dir)) throw new UserError(`${dir} already exists; pick another --version (existing models are never modified)`);
  const severity = opts.severity ?? 'medium';
  const sensitive = opts.sensitive ?? true;

  // 1. the user's images
  const folder = path.resolve(opts.folder);
  const found = await findUserImages(folder);
  const n = found.images.length;
  if (n < MIN_IMAGES) {
    const extra = [found.duplicates ? `${found.duplicates} duplicates` : '', found.skipped ? `${found.skipped} other files skipped` : ''].filter(Boolean).join(', ');
    throw new UserError(`found ${n} decodable image${n === 1 ? '' : 's'} in ${folder}${extra ? ` (${extra})` : ''}; add-class needs at least ${MIN_IMAGES} examples of '${name}'`);
  }
  const seed = opts.seed ?? 1;
  const augment = opts.augment ?? defaultAugment(n);
  if (!Number.isInteger(augment) || augment < 0 || augment > MAX_AUGMENT) throw new UserError(`--augment must be a whole number from 0 to ${MAX_AUGMENT}`);
  const recipe: CustomClassRecipe = {
    name,
    folder,
    images: n,
    imagesSha256: sha256(Buffer.from(found.images.map((i) => i.sha256).sort().join('\n'))),
    augmentPerImage: augment,
    seed,
    augmentVersion: USER_AUGMENT_VERSION,
  };
  log(`${n} images of '${name}' in ${folder}${found.duplicates ? ` (${found.duplicates} duplicates ignored)` : ''}; ${augment} augmented variants each → ${n * (augment + 1)} positives`);

  // 2. the base classes' data
  const baseSeed = num(base.training.seed) ?? DEFAULT_RECIPE.seed;
  const basePerClass = opts.basePerClass ?? DEFAULT_BASE_PER_CLASS;
  const baseGenerator = typeof base.training.generator === 'string' ? base.training.generator : undefined;
  if (baseGenerator && baseGenerator !== GENERATOR_VERSION) log(`note: ${baseId} was trained with generator ${baseGenerator}; its classes are regenerated with ${GENERATOR_VERSION}`);
  const inherited = recordedCustomClasses(base);
  const inheritedImages = new Map<string, UserImage[]>();
  for (const label of base.labels) {
    if ((SYNTH_LABELS as readonly string[]).includes(label)) continue;
    const rec = inherited.find((c) => c.name === label);
    if (!rec) throw new UserError(`cannot rebuild training data for '${label}' of ${baseId}: it is neither a built-in class nor one recorded by add-class; use --from with another model`);
    const again = await findUserImages(rec.folder).catch((err: unknown) => {
      throw new UserError(`cannot rebuild class '${label}' of ${baseId}: ${errorMessage(err)}; restore that folder or use --from with another model`);
    });
    if (again.images.length < MIN_IMAGES) throw new UserError(`cannot rebuild class '${label}' of ${baseId}: ${rec.folder} now has ${again.images.length} images (${MIN_IMAGES} needed)`);
    inheritedImages.set(label, again.images);
  }

  // 3. embed with the base's backbone, taps and views
  const taps = base.backbone.taps ?? [];
  const views: View[] = base.input.views ? [...base.input.views] : [base.input.fit];
  let embedder: BackboneEmbedder;
  try {
    embedder = await loadBackboneOnly({ intraOpThreads: opts.intraOpThreads ?? 2, taps, size: base.input.size, expectSha256: base.backbone.sha256 });
  } catch (err) {
    throw new UserError(`cannot load the backbone of ${baseId}: ${errorMessage(err).split('\n')[0]}`, 2, { cause: err });
  }
  const sources = loadSources();
  const cacheDir = path.join(EMBED_CACHE, embedder.sha256);
  const sampleMapFile = path.join(cacheDir, `samples-${generatorFingerprint(sources)}-seed${baseSeed}.json`);
  const sampleMap = readJsonMap(sampleMapFile);
  const newSamples: Record<string, string> = {};
  const variantMapFile = path.join(cacheDir, 'user-variants.json');
  const variantMap = readJsonMap(variantMapFile);
  const newVariants: Record<string, string> = {};

  const jobs: EmbedJob[] = [];
  for (const label of base.labels) {
    if (!(SYNTH_LABELS as readonly string[]).includes(label)) continue;
    for (let i = 0; i < basePerClass; i++) {
      const key = `${label}:${i}`;
      const known = sampleMap[key];
      jobs.push({ label, key, ...(known ? { knownSha: known } : {}), load: async () => (await generateSample(label as SynthLabel, i, baseSeed, sources)).data });
    }
  }
  for (const [label, images] of inheritedImages) jobs.push(...userClassJobs(inherited.find((c) => c.name === label)!, images, variantMap, newVariants));
  jobs.push(...userClassJobs(recipe, found.images, variantMap, newVariants));
  log(`embedding ${jobs.length} images with ${embedder.source}${taps.length ? ` +taps [${taps.join(', ')}]` : ''}, views ${views.join(', ')}`);
  let embedded: Awaited<ReturnType<typeof embedJobs>>;
  try {
    embedded = await embedJobs(jobs, {
      embedder,
      views,
      concurrency: opts.concurrency ?? 2,
      log,
      onSha: (key, sha) => {
        if (/^[a-z_]+:\d+$/.test(key)) newSamples[key] = sha;
      },
    });
  } finally {
    await embedder.close();
  }
  mergeJsonMap(sampleMapFile, newSamples);
  mergeJsonMap(variantMapFile, newVariants);
  const { stats } = embedded;
  for (const f of stats.failed.slice(0, 5)) log(`  failed ${f.key}: ${f.error}`);
  if (stats.failed.length > jobs.length / 10) throw new UserError(`${stats.failed.length} of ${jobs.length} training images failed to render or decode (first: ${stats.failed[0]!.key}: ${stats.failed[0]!.error})`, 1);
  const userLabels = new Set([name, ...inheritedImages.keys()]);
  const images = groupUserImages(embedded.images, userLabels);
  log(`embedded ${jobs.length} images in ${stats.seconds.toFixed(1)} s (cache hits ${stats.cacheHits})`);

  // 4. refit the whole head
  const labels = [...base.labels, name];
  // the same kind of head as the base (linear, or the MLP with its recipe)
  const hidden = num(base.training.hidden) ?? 0;
  const defaults = hidden ? DEFAULT_RECIPE : LINEAR_RECIPE;
  const epochsBase = opts.epochs ?? num(base.training.epochs) ?? defaults.epochs;
  const rows = images.reduce((s, im) => s + im.views.length, 0);
  // small data sets make one minibatch per epoch: keep at least ~300 optimiser steps
  const epochs = opts.epochs ?? Math.max(epochsBase, Math.ceil(300 / Math.ceil(rows / 256)));
  const lr = num(base.training.lr) ?? defaults.lr;
  const l2 = num(base.training.l2) ?? defaults.l2;
  const holdoutFraction = num(base.training.holdoutFraction) ?? DEFAULT_RECIPE.holdoutFraction;
  const mlp = hidden ? { hidden, dropIn: num(base.training.dropIn) ?? 0, dropHidden: num(base.training.dropHidden) ?? 0, batch: num(base.training.batch) ?? 256 } : {};
  const fit = await fitHead(images, labels, { seed, epochs, lr, l2, holdoutFraction, log, earlyExit: base.input.earlyExit !== undefined, ...mlp });
  const customHoldout = await scoreCustomHoldout(images, labels, name, fit, seed, holdoutFraction, views.length);
  log(`hold-out accuracy ${(100 * fit.holdout.accuracy).toFixed(1)}%; '${name}': ${customHoldout.images} held-out images as given, recall ${(100 * customHoldout.recall).toFixed(0)}%, ${customHoldout.falsePositives} of ${customHoldout.baseImages} base images mistaken for it`);

  const built = buildManifest({
    name: base.name,
    version,
    labels,
    backbone: { source: embedder.source, sha256: embedder.sha256, taps: [...taps], dim: embedder.dim },
    size: embedder.size,
    views,
    fit,
    training: {
      kind: 'add-class',
      createdAt: new Date().toISOString(),
      base: baseId,
      baseDir: opts.base.dir,
      className: name,
      sourceFolder: folder,
      userImages: n,
      augmentPerImage: augment,
      positives: n * (augment + 1),
      userAugmentations: USER_AUGMENTATIONS,
      seed,
      baseSeed,
      basePerClass,
      generator: GENERATOR_VERSION,
      ...(baseGenerator ? { baseGenerator } : {}),
      customClasses: [...inherited, recipe],
      trainingViews: views,
      optimizer: hidden ? `Adam (lr ${lr}, minibatch ${mlp.batch}); MLP with ${hidden} ReLU units like the base` : `Adam (lr ${lr}, minibatch 256), standardised features folded into W,b`,
      head: hidden ? 'mlp' : 'linear',
      epochs,
      l2,
      ...mlp,
      classBalanced: true,
      holdoutFraction,
      holdoutGrouping: 'a user image and all its augmented variants are one sample (same side of the split)',
      seconds: { total: Math.round((Date.now() - t0) / 1000), embed: Math.round(stats.seconds), fit: Math.round(fit.fitSeconds) },
    },
  });
  const manifest: Manifest = {
    ...built,
    metrics: { ...built.metrics, customHoldout: { className: name, ...customHoldout } },
    customLabels: { ...(base.customLabels ?? {}), [name]: { sensitive, severity } },
  };
  if (existsSync(dir)) throw new UserError(`${dir} appeared while training; pick another --version`);
  writeModel(dir, manifest, fit.head);
  return { dir, manifest, fit, modelVersion: modelVersionOf(manifest), customHoldout, seconds: (Date.now() - t0) / 1000 };
}

/**
 * The new class on the hold-out split fitHead used (same images, seed and fraction): each
 * held-out user image scored as given (variant 0's views only), and how many held-out base
 * images the new head calls the new class.
 */
async function scoreCustomHoldout(images: FitImage[], labels: string[], name: string, fit: FitResult, seed: number, fraction: number, V: number): Promise<CustomHoldout> {
  const { hold } = splitByImage(images, labels, seed, fraction);
  const scored = await scoreImages(fit.head, images[0]!.views[0]!.length, hold.map((im) => ({ views: im.views.slice(0, V) })));
  const predicted = new Map(hold.map((im, i) => [im, labels[argmax(imageProba(scored[i]!, 1))]]));
  const mine = hold.filter((im) => im.label === name);
  const others = hold.filter((im) => im.label !== name);
  return {
    images: mine.length,
    recall: mine.length ? mine.filter((im) => predicted.get(im) === name).length / mine.length : 0,
    baseImages: others.length,
    falsePositives: others.filter((im) => predicted.get(im) === name).length,
  };
}

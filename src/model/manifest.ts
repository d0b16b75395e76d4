/**
 * Model manifest (`models/<name>/<version>/manifest.json`) and head (`head.json`).
 *
 * The head maps the backbone's features (1280-d plus taps) to one logit per label: linear
 * (logits = W·f + b) or, with `hidden`, one ReLU layer first (logits = W·relu(H·f + c) + b);
 * then softmax. `labels` gives the order of W's rows. The model version string is
 * `${name}@${version}`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { VIEWS } from '../image/decode.js';
import { BACKBONE_LAYER, featureDim, isKnownTap, REPO_ROOT } from './backbone.js';

export const LABELS = ['passport', 'id_card', 'ssn_card', 'payment_card', 'screenshot', 'other'] as const;
export type Label = (typeof LABELS)[number];

export const DEFAULT_MODEL_NAME = 'casb-classifier';
export const DEFAULT_MODELS_DIR = path.join(REPO_ROOT, 'models');

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits');

export const manifestSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/),
    version: z.string().regex(/^[A-Za-z0-9._+-]+$/),
    labels: z.array(z.string().min(1)).min(2),
    input: z.object({
      /** Square input side the backbone runs at (224 is MobileNetV2's own; any multiple of 32 from 96 to 448). */
      size: z.number().int().refine((n) => n >= 96 && n <= 448 && n % 32 === 0, 'input.size must be a multiple of 32 from 96 to 448'),
      fit: z.enum(['fill', 'contain']),
      scale: z.number().refine((s) => Math.abs(s - 1 / 255) < 1e-9, 'input.scale must be 1/255'),
      layout: z.literal('NHWC'),
      /**
       * Test-time views: each image is resized these ways, every view is classified, and the
       * probabilities are averaged. Absent: the single view `fit`.
       */
      views: z.array(z.enum(VIEWS)).min(1).max(8).optional(),
      /**
       * With several views: the first view decides alone when its top score is at least this
       * (the rest are not run), else the views are averaged. Absent: always average all views.
       */
      earlyExit: z.number().gt(0).lte(1).optional(),
    }),
    backbone: z.object({
      source: z.string().regex(/^nsfwjs@\S+ models\/mobilenet_v2$/, "backbone.source must look like 'nsfwjs@<ver> models/mobilenet_v2'"),
      layer: z.literal(BACKBONE_LAYER),
      /** Earlier layers, global-average-pooled and appended to the features (see backbone.ts). */
      taps: z.array(z.string().refine(isKnownTap, 'unknown backbone tap')).optional(),
      sha256: sha256Schema,
    }),
    head: z.object({
      file: z.string().min(1),
      dim: z.number().int().positive(),
    }),
    /** Softmax temperature the head's logits were divided by (already folded into W and b). */
    calibration: z.object({ temperature: z.number().positive(), method: z.string() }).optional(),
    /** Per-label minimum top score; a top score below its label's threshold is `uncertain`. Labels left out have none. */
    thresholds: z.record(z.string(), z.number().min(0).max(1)),
    /** A top score inside [lo, hi] is `uncertain`. */
    uncertainBand: z
      .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
      .refine(([lo, hi]) => lo <= hi, 'uncertainBand must be [lo, hi] with lo <= hi')
      .optional(),
    training: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.unknown()).optional(),
    /** Classes a user added (`casb model add-class`): whether each makes a finding, and at what severity. */
    customLabels: z
      .record(z.string(), z.object({ sensitive: z.boolean(), severity: z.enum(['low', 'medium', 'high', 'critical']) }))
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (new Set(m.labels).size !== m.labels.length) ctx.addIssue({ code: 'custom', message: 'labels must be unique', path: ['labels'] });
    for (const k of Object.keys(m.thresholds)) {
      if (!m.labels.includes(k)) ctx.addIssue({ code: 'custom', message: `threshold for unknown label '${k}'`, path: ['thresholds', k] });
    }
    for (const k of Object.keys(m.customLabels ?? {})) {
      if (!m.labels.includes(k)) ctx.addIssue({ code: 'custom', message: `customLabels entry for unknown label '${k}'`, path: ['customLabels', k] });
    }
    try {
      const want = featureDim(m.backbone.taps ?? []);
      if (m.head.dim !== want) ctx.addIssue({ code: 'custom', message: `head.dim is ${m.head.dim} but the backbone with these taps gives ${want}`, path: ['head', 'dim'] });
    } catch {
      // unknown tap: reported above
    }
    if (path.isAbsolute(m.head.file) || m.head.file.split(/[\\/]/).includes('..'))
      ctx.addIssue({ code: 'custom', message: 'head.file must be a relative path inside the model directory', path: ['head', 'file'] });
  });

export type Manifest = z.infer<typeof manifestSchema>;

export const headSchema = z.object({
  W: z.array(z.array(z.number().finite())),
  b: z.array(z.number().finite()),
  /** Optional hidden ReLU layer: `units` rows of `dim` weights, row-major little-endian float32, base64. */
  hidden: z
    .object({
      units: z.number().int().positive(),
      // Canonical base64 survives a decode/encode round trip; checked natively because a regex
      // over the ~5 MB string cost ~30 ms of every CLI start.
      W: z.string().refine((s) => Buffer.from(s, 'base64').toString('base64') === s, 'hidden.W must be base64'),
      b: z.array(z.number().finite()),
    })
    .optional(),
});
export type Head = z.infer<typeof headSchema>;

export interface LoadedModel {
  dir: string;
  manifest: Manifest;
  head: Head;
  /** `${name}@${version}` */
  modelVersion: string;
}

export function modelVersionOf(m: Pick<Manifest, 'name' | 'version'>): string {
  return `${m.name}@${m.version}`;
}

function formatZodError(file: string, err: z.ZodError): Error {
  const lines = err.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  return new Error(`invalid ${file}:\n${lines.join('\n')}`);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export function parseManifest(data: unknown, where = 'manifest.json'): Manifest {
  const r = manifestSchema.safeParse(data);
  if (!r.success) throw formatZodError(where, r.error);
  return r.data;
}

export function parseHead(data: unknown, manifest: Manifest, where = 'head.json'): Head {
  const r = headSchema.safeParse(data);
  if (!r.success) throw formatZodError(where, r.error);
  const { W, b, hidden } = r.data;
  const n = manifest.labels.length;
  if (W.length !== n || b.length !== n) throw new Error(`${where}: W has ${W.length} rows and b ${b.length} entries; manifest has ${n} labels`);
  if (hidden) {
    const bytes = Buffer.from(hidden.W, 'base64').length;
    if (bytes !== hidden.units * manifest.head.dim * 4) throw new Error(`${where}: hidden.W holds ${bytes / 4} weights, expected ${hidden.units}×${manifest.head.dim}`);
    if (hidden.b.length !== hidden.units) throw new Error(`${where}: hidden.b has ${hidden.b.length} entries, expected ${hidden.units}`);
  }
  const inputs = hidden ? hidden.units : manifest.head.dim;
  W.forEach((row, i) => {
    if (row.length !== inputs) throw new Error(`${where}: W row ${i} has ${row.length} columns, expected ${inputs}`);
  });
  return r.data;
}

/** Load and validate `<dir>/manifest.json` and its head file. */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = parseManifest(await readJson(manifestFile), manifestFile);
  const headFile = path.join(dir, manifest.head.file);
  const head = parseHead(await readJson(headFile), manifest, headFile);
  return { dir, manifest, head, modelVersion: modelVersionOf(manifest) };
}

/** Compare version directory names: numeric parts numerically (1.10 > 1.9, dates sort naturally). */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The newest `<modelsDir>/<name>/<version>/` that holds a manifest.json. */
export async function findLatestModelDir(name = DEFAULT_MODEL_NAME, modelsDir = DEFAULT_MODELS_DIR): Promise<string> {
  const base = path.join(modelsDir, name);
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    throw new Error(`no model found: ${base} does not exist (train one, or pass modelDir)`);
  }
  const versions: string[] = [];
  for (const e of entries) {
    try {
      if ((await stat(path.join(base, e, 'manifest.json'))).isFile()) versions.push(e);
    } catch {
      // not a model version directory
    }
  }
  versions.sort(compareVersions);
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no model found: no <version>/manifest.json under ${base}`);
  return path.join(base, latest);
}

/**
 * Evaluate the full classifier on a folder laid out <label>/<files>.
 *
 *   tsx src/training/eval.ts <dir> [--model models/casb-classifier/0.2.0] [--out DIR] [--json FILE] [--verbose]
 *
 * Prints a summary (per-class precision/recall/F1, confusion matrix, sensitive-vs-other
 * detection: recall and FPR at the model's decisions, ROC AUC of the sensitivity score, best
 * recall at FPR <= 5% / 10%; the slowest images) and writes report.json, report.md and
 * report.html to --out (default .eval/<model version>-<folder name>/, git-ignored: the HTML
 * embeds thumbnails of the evaluated images and is for local use only). Files that fail to
 * decode are counted and listed, not fatal; folders whose name is not a model label are
 * reported and skipped.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeForModel } from '../image/decode.js';
import { REPO_ROOT } from '../model/backbone.js';
import { loadClassifier } from '../model/classifier.js';
import { UserError } from '../util/errors.js';
import { runScript } from '../util/script.js';
import { computeMetrics } from './metrics.js';
import { LABELS } from '../model/manifest.js';
import { activeModelDir } from '../model/select.js';
import { errorMessage } from '../util/errors.js';
import { buildReport, type EvalReport, formatSummary, type Prediction, renderHtml, renderMarkdown, sensitivityScore } from './report.js';

export type { EvalReport } from './report.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|bmp|avif|svg|heic|heif)$/i;
/** Longest side of the HTML thumbnails. */
export const THUMB_MAX = 160;

export interface EvalOptions {
  /** Model version directory (default: newest under models/casb-classifier/). */
  modelDir?: string;
  /** Backbone directory (default models/backbone). */
  backboneDir?: string;
  /** Output folder for report.json/.md/.html; default .eval/<model version>-<folder name>/; null: write nothing. */
  out?: string | null;
  /** Also write the JSON report here (the old --json). */
  json?: string;
  /** Called after each image. */
  onImage?: (done: number, file: string) => void;
}

export interface EvalResult extends EvalReport {
  /** Files written (absent when out is null). */
  written?: { dir: string; json: string; md: string; html: string };
}

export function defaultOutDir(modelVersion: string, dir: string): string {
  const name = `${modelVersion}-${path.basename(path.resolve(dir))}`.replace(/[^\w.@+-]+/g, '_');
  return path.join(REPO_ROOT, '.eval', name);
}

export async function evaluateDir(dir: string, opts: string | EvalOptions = {}): Promise<EvalResult> {
  const o: EvalOptions = typeof opts === 'string' ? { modelDir: opts } : opts;
  const tLoad = performance.now();
  const clf = await loadClassifier({
    intraOpThreads: 2,
    ...(o.modelDir ? { modelDir: o.modelDir } : {}),
    ...(o.backboneDir ? { backboneDir: o.backboneDir } : {}),
  });
  const loadMs = performance.now() - tLoad;
  const failed: EvalReport['failed'] = [];
  const skippedFolders: string[] = [];
  const ignoredFiles: string[] = [];
  const predictions: Prediction[] = [];
  const tAll = performance.now();
  let warm = false;
  try {
    for (const label of readdirSync(dir).sort()) {
      const sub = path.join(dir, label);
      if (!statSync(sub).isDirectory()) continue;
      if (!clf.labels.includes(label)) {
        skippedFolders.push(label);
        continue;
      }
      const names = readdirSync(sub).filter((f) => !f.startsWith('.')).sort();
      for (const f of names) {
        const file = path.join(sub, f);
        if (!(IMAGE_EXT.test(f) || !f.includes('.'))) {
          ignoredFiles.push(file);
          continue;
        }
        if (!statSync(file).isFile()) continue;
        const t0 = performance.now();
        let rgb: Uint8Array;
        try {
          rgb = (await decodeForModel(file, clf.input)).rgb;
        } catch (err) {
          failed.push({ file, error: (err as Error).message });
          continue;
        }
        const decodeMs = performance.now() - t0;
        if (!warm) {
          // the first session run allocates and optimises: keep it out of the per-image times
          await clf.classify([rgb]);
          warm = true;
        }
        const t1 = performance.now();
        const [r] = await clf.classify([rgb]);
        const ms = decodeMs + (performance.now() - t1);
        predictions.push({
          file,
          label,
          predicted: r!.label,
          score: r!.scores[r!.label]!,
          uncertain: r!.uncertain,
          sensitivity: sensitivityScore(r!.scores),
          ms: Math.round(ms * 10) / 10,
          scores: r!.scores,
        });
        o.onImage?.(predictions.length + failed.length, file);
      }
    }
  } finally {
    await clf.close();
  }
  const totalMs = performance.now() - tAll;
  const metrics = computeMetrics(
    clf.labels,
    predictions.map((p) => p.label),
    predictions.map((p) => p.predicted),
  );
  const report: EvalResult = buildReport({ dir, modelVersion: clf.modelVersion, labels: clf.labels, predictions, failed, skippedFolders, ignoredFiles, metrics, loadMs, totalMs });
  if (o.json) {
    mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
  }
  if (o.out !== null) {
    const outDir = o.out ?? defaultOutDir(clf.modelVersion, dir);
    report.written = await writeReport(report, outDir);
  }
  return report;
}

/** A JPEG data URI of the image, longest side at most THUMB_MAX; null if it cannot be read. */
export async function thumbnailDataUri(file: string): Promise<string | null> {
  try {
    const buf = await sharp(file, { pages: 1, limitInputPixels: 100_000_000 })
      .rotate()
      .resize(THUMB_MAX, THUMB_MAX, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 70 })
      .toBuffer();
    return `data:image/jpeg;base64,${buf.toString('base64')}`;
  } catch {
    return null;
  }
}

/** Write report.json, report.md and report.html (misclassified images as inline thumbnails) into outDir. */
export async function writeReport(report: EvalReport, outDir: string): Promise<NonNullable<EvalResult['written']>> {
  mkdirSync(outDir, { recursive: true });
  const thumbs = new Map<string, string>();
  for (const p of report.predictions) {
    if (p.label === p.predicted || thumbs.has(p.file)) continue;
    const uri = await thumbnailDataUri(p.file);
    if (uri) thumbs.set(p.file, uri);
  }
  const { written: _omit, ...plain } = report as EvalResult;
  const files = { dir: outDir, json: path.join(outDir, 'report.json'), md: path.join(outDir, 'report.md'), html: path.join(outDir, 'report.html') };
  writeFileSync(files.json, JSON.stringify(plain, null, 2) + '\n');
  writeFileSync(files.md, renderMarkdown(report));
  writeFileSync(files.html, renderHtml(report, thumbs));
  return files;
}

const EVAL_USAGE = `npm run eval -- <dir> [--model DIR] [--out DIR] [--json FILE] [--verbose]
  <dir> is laid out <label>/<images>. Prints per-class precision/recall, the confusion matrix, sensitive recall against
  the false-positive rate on 'other' and the slowest images; writes report.json/.md/.html (default .eval/<model>-<dir>/).
  --verbose also lists every misclassified image.`;

async function main({ verbose }: { verbose: boolean }): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new UserError('give the folder to evaluate, laid out <dir>/<label>/<images>');
  if (positionals.length > 1) throw new UserError(`one folder at a time (got ${positionals.length}): put them under one <dir>/<label>/ tree`);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${dir} is not a folder (expected <dir>/<label>/<images>)`);
  const subs = readdirSync(dir).filter((l) => statSync(path.join(dir, l), { throwIfNoEntry: false })?.isDirectory());
  // (folders that are not the model's labels are reported as skipped: a custom-class model has labels of its own)
  if (!subs.length) throw new UserError(`${dir} has no label folders (e.g. ${LABELS.join(', ')}): lay it out <dir>/<label>/<images>`);
  // --model takes what casb --model takes: a version (0.2.0) or a folder
  const modelDir = values.model ? await activeModelDir(values.model).catch((err: unknown) => {
    throw new UserError(errorMessage(err));
  }) : undefined;
  const report = await evaluateDir(dir, {
    ...(modelDir ? { modelDir } : {}),
    ...(values.out ? { out: values.out } : {}),
    ...(values.json ? { json: values.json } : {}),
    ...(process.stderr.isTTY ? { onImage: (n: number) => process.stderr.write(`\r${n} images`) } : {}),
  });
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(formatSummary(report));
  if (verbose) {
    console.log('misclassified:');
    for (const p of report.predictions) if (p.label !== p.predicted) console.log(`  ${p.file}: ${p.label} → ${p.predicted} (${p.score.toFixed(2)})`);
  }
  if (report.written) console.log(`\nwrote ${report.written.json}, report.md, report.html (local use only: the HTML embeds the images)`);
  if (values.json) console.log(`wrote ${values.json}`);
}

if (import.meta.url === `file://${process.argv[1]}`) runScript('npm run eval', EVAL_USAGE, main);

/**
 * Evaluate the full classifier on a folder laid out <label>/<files>.
 *
 *   tsx src/training/eval.ts <dir> [--model models/casb-classifier/0.1.0] [--json report.json]
 *
 * Prints per-class accuracy, overall accuracy, macro-F1 and a confusion matrix. Files that
 * fail to decode are counted and listed, not fatal; folders whose name is not a model label
 * are reported and skipped.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeForModel } from '../image/decode.js';
import { loadClassifier } from '../model/classifier.js';
import { computeMetrics, formatMetrics, type Metrics } from './metrics.js';

export interface EvalReport {
  dir: string;
  modelVersion: string;
  metrics: Metrics;
  uncertain: number;
  failed: { file: string; error: string }[];
  skippedFolders: string[];
  predictions: { file: string; label: string; predicted: string; score: number; uncertain: boolean }[];
}

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|bmp|avif|svg|heic|heif)$/i;

export async function evaluateDir(dir: string, modelDir?: string): Promise<EvalReport> {
  const clf = await loadClassifier(modelDir ? { modelDir, intraOpThreads: 2 } : { intraOpThreads: 2 });
  const failed: EvalReport['failed'] = [];
  const skippedFolders: string[] = [];
  const predictions: EvalReport['predictions'] = [];
  try {
    for (const label of readdirSync(dir).sort()) {
      const sub = path.join(dir, label);
      if (!statSync(sub).isDirectory()) continue;
      if (!clf.labels.includes(label)) {
        skippedFolders.push(label);
        continue;
      }
      const files = readdirSync(sub).filter((f) => IMAGE_EXT.test(f) || !f.includes('.')).sort();
      for (const f of files) {
        const file = path.join(sub, f);
        let rgb: Uint8Array;
        try {
          rgb = (await decodeForModel(file, clf.input)).rgb;
        } catch (err) {
          failed.push({ file, error: (err as Error).message });
          continue;
        }
        const [r] = await clf.classify([rgb]);
        predictions.push({ file, label, predicted: r!.label, score: r!.scores[r!.label]!, uncertain: r!.uncertain });
      }
    }
  } finally {
    await clf.close();
  }
  const metrics = computeMetrics(clf.labels, predictions.map((p) => p.label), predictions.map((p) => p.predicted));
  return { dir, modelVersion: clf.modelVersion, metrics, uncertain: predictions.filter((p) => p.uncertain).length, failed, skippedFolders, predictions };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { model: { type: 'string' }, json: { type: 'string' }, verbose: { type: 'boolean', default: false } },
  });
  const dir = positionals[0];
  if (!dir) throw new Error('usage: tsx src/training/eval.ts <dir> [--model DIR] [--json FILE] [--verbose]');
  const report = await evaluateDir(dir, values.model);
  const labels = Object.keys(report.metrics.perClass);
  console.log(`model ${report.modelVersion} on ${dir}`);
  console.log(formatMetrics(labels, report.metrics));
  console.log(`uncertain (below threshold / in band): ${report.uncertain}/${report.predictions.length}`);
  if (report.skippedFolders.length) console.log(`skipped folders (not a model label): ${report.skippedFolders.join(', ')}`);
  console.log(`failed to decode: ${report.failed.length}`);
  for (const f of report.failed) console.log(`  ${f.file}: ${f.error}`);
  if (values.verbose) for (const p of report.predictions) if (p.label !== p.predicted) console.log(`  wrong: ${p.file} → ${p.predicted} (${p.score.toFixed(2)})`);
  if (values.json) {
    writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
    console.log(`wrote ${values.json}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

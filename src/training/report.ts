/**
 * Pure parts of the evaluation report (no I/O): binary "sensitive" detection metrics (ROC AUC,
 * recall at a false-positive-rate budget), the slowest images, and the text / Markdown / HTML
 * renderings. eval.ts does the decoding, classification, timing and file writing.
 */
import { formatMetrics, type Metrics } from './metrics.js';

/** Labels whose images are sensitive. A detection is any of them as the top label. */
export const SENSITIVE_LABELS = ['passport', 'id_card', 'ssn_card', 'payment_card'] as const;
/** The only truth label counted as a negative for false-positive rates (screenshots are neither). */
export const NEGATIVE_LABEL = 'other';

export const NEGATIVES_NOTE =
  `positives = truth in {${SENSITIVE_LABELS.join(', ')}}; negatives = truth '${NEGATIVE_LABEL}' only ` +
  `(screenshots are neither, so they count in no FPR); sensitivity score s = sum of the four sensitive class probabilities`;

export function isSensitive(label: string): boolean {
  return (SENSITIVE_LABELS as readonly string[]).includes(label);
}

/** s(image) = sum of the sensitive class probabilities (labels the model lacks count 0). */
export function sensitivityScore(scores: Record<string, number>): number {
  let s = 0;
  for (const l of SENSITIVE_LABELS) s += scores[l] ?? 0;
  return s;
}

/**
 * ROC AUC of a score separating positives from negatives: the probability that a random
 * positive scores above a random negative, ties counting one half (Mann-Whitney U / (nPos·nNeg)).
 * null when either side is empty.
 */
export function rocAuc(pos: readonly number[], neg: readonly number[]): number | null {
  if (pos.length === 0 || neg.length === 0) return null;
  const all = [...pos.map((v) => ({ v, p: true })), ...neg.map((v) => ({ v, p: false }))].sort((a, b) => a.v - b.v);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const avgRank = (i + j) / 2 + 1; // 1-based average rank of the tie group
    for (let k = i; k <= j; k++) if (all[k]!.p) rankSumPos += avgRank;
    i = j + 1;
  }
  const nPos = pos.length;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * neg.length);
}

export interface OperatingPoint {
  /** The FPR budget asked for. */
  maxFpr: number;
  /** Flag an image when s >= threshold; null when no threshold flags any positive within the budget. */
  threshold: number | null;
  recall: number;
  fpr: number;
  truePositives: number;
  falsePositives: number;
}

/**
 * Best recall with FPR <= maxFpr, flagging s >= threshold. Candidate thresholds are the
 * observed scores; among thresholds with the same best recall the highest one (lowest FPR)
 * is returned. null when there are no positives or no negatives.
 */
export function recallAtFpr(pos: readonly number[], neg: readonly number[], maxFpr: number): OperatingPoint | null {
  if (pos.length === 0 || neg.length === 0) return null;
  const candidates = [...new Set([...pos, ...neg])].sort((a, b) => b - a);
  let best: OperatingPoint = { maxFpr, threshold: null, recall: 0, fpr: 0, truePositives: 0, falsePositives: 0 };
  for (const t of candidates) {
    const fp = neg.filter((v) => v >= t).length;
    const fpr = fp / neg.length;
    if (fpr > maxFpr + 1e-12) break; // lower thresholds only add false positives
    const tp = pos.filter((v) => v >= t).length;
    if (tp > best.truePositives) best = { maxFpr, threshold: t, recall: tp / pos.length, fpr, truePositives: tp, falsePositives: fp };
  }
  return best;
}

export interface ScoredItem {
  label: string; // truth
  predicted: string;
  scores: Record<string, number>;
}

export interface SensitiveMetrics {
  labels: string[];
  note: string;
  positives: number;
  negatives: number;
  /** At the model's own decisions (top label is any sensitive label). */
  decisions: { recall: number | null; fpr: number | null; truePositives: number; falsePositives: number };
  /** Screenshots whose top label is sensitive (not part of any FPR; shown for information). */
  screenshotsFlagged: { flagged: number; of: number };
  auc: number | null;
  atFpr5: OperatingPoint | null;
  atFpr10: OperatingPoint | null;
}

export function sensitiveMetrics(items: readonly ScoredItem[]): SensitiveMetrics {
  const pos = items.filter((p) => isSensitive(p.label));
  const neg = items.filter((p) => p.label === NEGATIVE_LABEL);
  const shots = items.filter((p) => p.label === 'screenshot');
  const tp = pos.filter((p) => isSensitive(p.predicted)).length;
  const fp = neg.filter((p) => isSensitive(p.predicted)).length;
  const sPos = pos.map((p) => sensitivityScore(p.scores));
  const sNeg = neg.map((p) => sensitivityScore(p.scores));
  return {
    labels: [...SENSITIVE_LABELS],
    note: NEGATIVES_NOTE,
    positives: pos.length,
    negatives: neg.length,
    decisions: {
      recall: pos.length ? tp / pos.length : null,
      fpr: neg.length ? fp / neg.length : null,
      truePositives: tp,
      falsePositives: fp,
    },
    screenshotsFlagged: { flagged: shots.filter((p) => isSensitive(p.predicted)).length, of: shots.length },
    auc: rocAuc(sPos, sNeg),
    atFpr5: recallAtFpr(sPos, sNeg, 0.05),
    atFpr10: recallAtFpr(sPos, sNeg, 0.1),
  };
}

/** The k items with the largest `ms`, slowest first (stable for equal times). */
export function slowest<T extends { ms: number }>(items: readonly T[], k = 10): T[] {
  return items
    .map((it, i) => ({ it, i }))
    .sort((a, b) => b.it.ms - a.it.ms || a.i - b.i)
    .slice(0, k)
    .map((x) => x.it);
}

/** Top-n labels by score, highest first. */
export function topScores(scores: Record<string, number>, n = 3): { label: string; score: number }[] {
  return Object.entries(scores)
    .map(([label, score]) => ({ label, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, n);
}

export interface Prediction {
  file: string;
  label: string;
  predicted: string;
  score: number;
  uncertain: boolean;
  /** s = sum of the sensitive class probabilities. */
  sensitivity: number;
  /** decode + classify wall time for this image. */
  ms: number;
  scores: Record<string, number>;
}

export interface EvalReport {
  dir: string;
  modelVersion: string;
  createdAt: string;
  labels: string[];
  counts: { images: number; classified: number; failed: number; uncertain: number; skippedFolders: number; ignoredFiles: number };
  metrics: Metrics;
  sensitive: SensitiveMetrics;
  uncertain: number;
  failed: { file: string; error: string }[];
  skippedFolders: string[];
  /** Files in label folders without an image extension (not read). */
  ignoredFiles: string[];
  timing: { loadMs: number; totalMs: number; meanMs: number; medianMs: number; note: string };
  slowest: { file: string; ms: number; label: string; predicted: string }[];
  predictions: Prediction[];
}

/** Assemble the report from per-image results (pure: everything but the I/O). */
export function buildReport(input: {
  dir: string;
  modelVersion: string;
  labels: readonly string[];
  predictions: Prediction[];
  failed: EvalReport['failed'];
  skippedFolders: string[];
  ignoredFiles?: string[];
  metrics: Metrics;
  loadMs: number;
  totalMs: number;
  createdAt?: string;
}): EvalReport {
  const { predictions } = input;
  const times = predictions.map((p) => p.ms).sort((a, b) => a - b);
  const median = times.length ? (times.length % 2 ? times[(times.length - 1) / 2]! : (times[times.length / 2 - 1]! + times[times.length / 2]!) / 2) : 0;
  const uncertain = predictions.filter((p) => p.uncertain).length;
  const ignoredFiles = input.ignoredFiles ?? [];
  return {
    dir: input.dir,
    modelVersion: input.modelVersion,
    createdAt: input.createdAt ?? new Date().toISOString(),
    labels: [...input.labels],
    counts: {
      images: predictions.length + input.failed.length,
      classified: predictions.length,
      failed: input.failed.length,
      uncertain,
      skippedFolders: input.skippedFolders.length,
      ignoredFiles: ignoredFiles.length,
    },
    metrics: input.metrics,
    sensitive: sensitiveMetrics(predictions),
    uncertain,
    failed: input.failed,
    skippedFolders: input.skippedFolders,
    ignoredFiles,
    timing: {
      loadMs: round(input.loadMs, 1),
      totalMs: round(input.totalMs, 1),
      meanMs: round(times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0, 1),
      medianMs: round(median, 1),
      note: 'per image: decode + classify wall time, one image at a time (the session is warmed up first)',
    },
    slowest: slowest(predictions, 10).map((p) => ({ file: p.file, ms: p.ms, label: p.label, predicted: p.predicted })),
    predictions,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`;
}

function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);
}

function opPoint(o: OperatingPoint | null): string {
  if (!o) return 'n/a';
  if (o.threshold === null) return `recall 0.0% (no threshold flags a positive within FPR ${pct(o.maxFpr)})`;
  return `recall ${pct(o.recall)} (${o.truePositives}) at s >= ${o.threshold.toFixed(4)}, FPR ${pct(o.fpr)} (${o.falsePositives})`;
}

/** The sensitive-detection lines shared by the text summary and the Markdown. */
function sensitiveLines(s: SensitiveMetrics): string[] {
  return [
    `model decisions: recall ${pct(s.decisions.recall)} (${s.decisions.truePositives}/${s.positives}), ` +
      `FPR on other ${pct(s.decisions.fpr)} (${s.decisions.falsePositives}/${s.negatives})`,
    `ROC AUC of s: ${num(s.auc)}`,
    `best recall at FPR <= 5%: ${opPoint(s.atFpr5)}`,
    `best recall at FPR <= 10%: ${opPoint(s.atFpr10)}`,
    `screenshots flagged sensitive (not in any FPR): ${s.screenshotsFlagged.flagged}/${s.screenshotsFlagged.of}`,
  ];
}

/** The readable summary printed to stdout. */
export function formatSummary(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(`model ${r.modelVersion} on ${r.dir}: ${r.counts.classified} classified, ${r.counts.failed} failed to decode`);
  lines.push('');
  lines.push(formatMetrics(r.labels, r.metrics));
  lines.push('');
  lines.push('sensitive detection');
  for (const l of sensitiveLines(r.sensitive)) lines.push(`  ${l}`);
  lines.push(`  (${r.sensitive.note})`);
  lines.push('');
  lines.push(`uncertain: ${r.uncertain}/${r.counts.classified}`);
  lines.push(`skipped folders (not a model label): ${r.skippedFolders.length ? r.skippedFolders.join(', ') : 'none'}`);
  if (r.ignoredFiles.length) lines.push(`ignored files (no image extension): ${r.ignoredFiles.length}`);
  lines.push(`failed to decode: ${r.failed.length}`);
  for (const f of r.failed) lines.push(`  ${f.file}: ${f.error}`);
  lines.push(`time: model load ${r.timing.loadMs.toFixed(0)} ms, images ${r.timing.totalMs.toFixed(0)} ms, per image mean ${r.timing.meanMs.toFixed(1)} ms, median ${r.timing.medianMs.toFixed(1)} ms`);
  lines.push('slowest (decode + classify):');
  for (const s of r.slowest) lines.push(`  ${s.ms.toFixed(1).padStart(8)} ms  ${s.file}`);
  return lines.join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown report (no images). */
export function renderMarkdown(r: EvalReport): string {
  const L = r.labels;
  const m = r.metrics;
  const out: string[] = [];
  out.push(`# Evaluation: ${mdCell(r.modelVersion)} on \`${mdCell(r.dir)}\``);
  out.push('');
  out.push(`${r.createdAt} — ${r.counts.classified} images classified, ${r.counts.failed} failed to decode, ${r.uncertain} uncertain.`);
  out.push('');
  out.push(`**Accuracy ${pct(m.accuracy)}** (n=${m.n}), macro-F1 ${pct(m.macroF1)}.`);
  out.push('');
  out.push('## Per class');
  out.push('');
  out.push('| label | support | precision | recall | F1 | predicted |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const l of L) {
    const c = m.perClass[l]!;
    const predicted = L.reduce((a, t) => a + (m.confusion[t]?.[l] ?? 0), 0);
    out.push(`| ${l} | ${c.n} | ${pct(c.precision)} | ${pct(c.recall)} | ${pct(c.f1)} | ${predicted} |`);
  }
  out.push('');
  out.push('## Confusion matrix (rows = truth, columns = predicted)');
  out.push('');
  out.push(`| truth \\ predicted | ${L.join(' | ')} | total |`);
  out.push(`| --- | ${L.map(() => '---:').join(' | ')} | ---: |`);
  for (const t of L) {
    const row = L.map((p) => m.confusion[t]?.[p] ?? 0);
    const cells = row.map((v, i) => (L[i] === t && v > 0 ? `**${v}**` : String(v)));
    out.push(`| ${t} | ${cells.join(' | ')} | ${row.reduce((a, b) => a + b, 0)} |`);
  }
  out.push('');
  out.push('## Sensitive detection');
  out.push('');
  out.push(`Sensitive = ${SENSITIVE_LABELS.join(', ')}. Only truth \`${NEGATIVE_LABEL}\` images count as negatives for the false-positive rate; screenshots are neither positives nor negatives. s = sum of the four sensitive class probabilities.`);
  out.push('');
  out.push(`Positives ${r.sensitive.positives}, negatives ${r.sensitive.negatives}.`);
  out.push('');
  for (const l of sensitiveLines(r.sensitive)) out.push(`- ${l}`);
  out.push('');
  out.push('## Slowest images (decode + classify, per image)');
  out.push('');
  out.push('| ms | file | truth | predicted |');
  out.push('| ---: | --- | --- | --- |');
  for (const s of r.slowest) out.push(`| ${s.ms.toFixed(1)} | ${mdCell(s.file)} | ${s.label} | ${s.predicted} |`);
  out.push('');
  out.push(`Model load ${r.timing.loadMs.toFixed(0)} ms; images ${r.timing.totalMs.toFixed(0)} ms in all; per image mean ${r.timing.meanMs.toFixed(1)} ms, median ${r.timing.medianMs.toFixed(1)} ms (${r.timing.note}).`);
  out.push('');
  const wrong = r.predictions.filter((p) => p.label !== p.predicted);
  out.push(`## Misclassified (${wrong.length})`);
  out.push('');
  if (wrong.length) {
    out.push('| file | truth | predicted | top scores | s | uncertain |');
    out.push('| --- | --- | --- | --- | ---: | --- |');
    for (const p of wrong) {
      const top = topScores(p.scores).map((t) => `${t.label} ${t.score.toFixed(2)}`).join(', ');
      out.push(`| ${mdCell(p.file)} | ${p.label} | ${p.predicted} | ${top} | ${p.sensitivity.toFixed(2)} | ${p.uncertain ? 'yes' : ''} |`);
    }
    out.push('');
  }
  out.push('## Not evaluated');
  out.push('');
  out.push(`- skipped folders (not a model label): ${r.skippedFolders.length ? r.skippedFolders.map((f) => `\`${mdCell(f)}\``).join(', ') : 'none'}`);
  out.push(`- failed to decode: ${r.failed.length}`);
  for (const f of r.failed) out.push(`  - \`${mdCell(f.file)}\`: ${mdCell(f.error)}`);
  if (r.ignoredFiles.length) out.push(`- ignored files (no image extension): ${r.ignoredFiles.map((f) => `\`${mdCell(f)}\``).join(', ')}`);
  out.push('');
  return out.join('\n');
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * The self-contained HTML page: the Markdown's tables plus the misclassified images as
 * thumbnails (`thumbs`: file → data URI). For local use only; it shows the evaluated images.
 */
export function renderHtml(r: EvalReport, thumbs: ReadonlyMap<string, string>): string {
  const L = r.labels;
  const m = r.metrics;
  const e = escapeHtml;
  const h: string[] = [];
  h.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  h.push(`<title>${e(`eval ${r.modelVersion} — ${r.dir}`)}</title>`);
  h.push(`<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}
td.diag{background:#d9f2d9;font-weight:bold}
td.off{background:#fbe3e3}
.grid{display:flex;flex-wrap:wrap;gap:12px}
.card{width:180px;border:1px solid #ccc;padding:6px;font-size:12px}
.card img{max-width:160px;max-height:160px;display:block;margin:0 auto 4px}
.card .f{word-break:break-all;color:#666}
.note{color:#555;font-size:90%}
</style></head><body>`);
  h.push(`<h1>${e(r.modelVersion)} on <code>${e(r.dir)}</code></h1>`);
  h.push(`<p>${e(r.createdAt)} — ${r.counts.classified} images classified, ${r.counts.failed} failed to decode, ${r.uncertain} uncertain. <b>Accuracy ${pct(m.accuracy)}</b>, macro-F1 ${pct(m.macroF1)}.</p>`);
  h.push('<p class="note">Local use only: this page embeds the evaluated images. Never commit it.</p>');

  h.push('<h2>Confusion matrix</h2><p class="note">rows = truth, columns = predicted</p><table><tr><th>truth \\ predicted</th>');
  for (const p of L) h.push(`<th>${e(p)}</th>`);
  h.push('<th>total</th></tr>');
  for (const t of L) {
    const row = L.map((p) => m.confusion[t]?.[p] ?? 0);
    h.push(`<tr><th>${e(t)}</th>`);
    row.forEach((v, i) => h.push(`<td class="${L[i] === t ? 'diag' : v > 0 ? 'off' : ''}">${v}</td>`));
    h.push(`<td>${row.reduce((a, b) => a + b, 0)}</td></tr>`);
  }
  h.push('</table>');

  h.push('<h2>Per class</h2><table><tr><th>label</th><th>support</th><th>precision</th><th>recall</th><th>F1</th></tr>');
  for (const l of L) {
    const c = m.perClass[l]!;
    h.push(`<tr><td>${e(l)}</td><td>${c.n}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${pct(c.f1)}</td></tr>`);
  }
  h.push('</table>');

  h.push('<h2>Sensitive detection</h2>');
  h.push(`<p class="note">${e(r.sensitive.note)}. Positives ${r.sensitive.positives}, negatives ${r.sensitive.negatives}.</p><ul>`);
  for (const l of sensitiveLines(r.sensitive)) h.push(`<li>${e(l)}</li>`);
  h.push('</ul>');

  const wrong = r.predictions.filter((p) => p.label !== p.predicted);
  h.push(`<h2>Misclassified (${wrong.length})</h2><div class="grid">`);
  for (const p of wrong) {
    const src = thumbs.get(p.file);
    const top = topScores(p.scores).map((t) => `${e(t.label)} ${t.score.toFixed(2)}`).join('<br>');
    h.push('<div class="card">');
    h.push(src ? `<img src="${e(src)}" alt="${e(p.file)}">` : '<div class="note">(no thumbnail)</div>');
    h.push(`<div>truth <b>${e(p.label)}</b> → <b>${e(p.predicted)}</b>${p.uncertain ? ' (uncertain)' : ''}</div>`);
    h.push(`<div>${top}</div><div>s = ${p.sensitivity.toFixed(2)}</div>`);
    h.push(`<div class="f">${e(p.file)}</div></div>`);
  }
  h.push('</div>');

  h.push('<h2>Slowest images</h2><table><tr><th>file</th><th>ms</th><th>truth</th><th>predicted</th></tr>');
  for (const s of r.slowest) h.push(`<tr><td>${e(s.file)}</td><td>${s.ms.toFixed(1)}</td><td>${e(s.label)}</td><td>${e(s.predicted)}</td></tr>`);
  h.push('</table>');

  h.push('<h2>Not evaluated</h2><ul>');
  h.push(`<li>skipped folders (not a model label): ${r.skippedFolders.length ? r.skippedFolders.map(e).join(', ') : 'none'}</li>`);
  h.push(`<li>failed to decode: ${r.failed.length}<ul>${r.failed.map((f) => `<li><code>${e(f.file)}</code>: ${e(f.error)}</li>`).join('')}</ul></li>`);
  if (r.ignoredFiles.length) h.push(`<li>ignored files (no image extension): ${r.ignoredFiles.map(e).join(', ')}</li>`);
  h.push('</ul></body></html>');
  return h.join('\n') + '\n';
}

/**
 * Evaluation report: the pure metrics on hand-computed examples, the renderings, and one
 * end-to-end run of evaluateDir on a tiny generated folder.
 *   Run: node --import tsx --test test/eval-report.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { evaluateDir } from '../src/training/eval.js';
import { computeMetrics } from '../src/training/metrics.js';
import {
  buildReport,
  formatSummary,
  type Prediction,
  recallAtFpr,
  renderHtml,
  renderMarkdown,
  rocAuc,
  sensitiveMetrics,
  sensitivityScore,
  slowest,
} from '../src/training/report.js';
import { devModelDir, tempDir } from './helpers/env.js';
import { corruptJpeg, jpegImage, pngImage } from './helpers/images.js';

const LABELS = ['passport', 'id_card', 'ssn_card', 'payment_card', 'screenshot', 'other'];
const close = (a: number | null | undefined, b: number, eps = 1e-9) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} ≈ ${b}`);

test('confusion matrix and per-class precision/recall/F1 (hand-computed)', () => {
  // truth:  a a a b b c     pred: a a b b a a
  const m = computeMetrics(['a', 'b', 'c'], ['a', 'a', 'a', 'b', 'b', 'c'], ['a', 'a', 'b', 'b', 'a', 'a']);
  assert.deepEqual(m.confusion, { a: { a: 2, b: 1, c: 0 }, b: { a: 1, b: 1, c: 0 }, c: { a: 1, b: 0, c: 0 } });
  close(m.accuracy, 3 / 6);
  close(m.perClass.a!.precision, 2 / 4);
  close(m.perClass.a!.recall, 2 / 3);
  close(m.perClass.a!.f1, (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3));
  close(m.perClass.b!.precision, 1 / 2);
  close(m.perClass.b!.recall, 1 / 2);
  assert.equal(m.perClass.c!.n, 1);
  // c is never predicted: precision 0, not NaN
  assert.equal(m.perClass.c!.precision, 0);
  assert.equal(m.perClass.c!.f1, 0);
  close(m.macroF1, (m.perClass.a!.f1 + 0.5 + 0) / 3);
});

test('a class with no truth and no predictions: zeros, not NaN, and not in macro-F1', () => {
  const m = computeMetrics(['a', 'b'], ['a', 'a'], ['a', 'a']);
  assert.deepEqual(m.perClass.b, { n: 0, accuracy: 0, precision: 0, recall: 0, f1: 0 });
  assert.equal(m.macroF1, 1);
  const empty = computeMetrics(['a'], [], []);
  assert.equal(empty.accuracy, 0);
  assert.equal(empty.macroF1, 0);
});

test('ROC AUC of a known ranking, ties as 1/2', () => {
  // pairs (pos > neg): 0.9 beats both, 0.8 beats both, 0.4 beats 0.3 only → 5/6
  close(rocAuc([0.9, 0.8, 0.4], [0.5, 0.3]), 5 / 6);
  close(rocAuc([1, 2], [0, -1]), 1);
  close(rocAuc([0, -1], [1, 2]), 0);
  close(rocAuc([0.5], [0.5]), 0.5);
  // 0.7>0.5, 0.7>0.2, 0.5=0.5 (½), 0.5>0.2 → 3.5/4
  close(rocAuc([0.7, 0.5], [0.5, 0.2]), 0.875);
  // all tied → 0.5
  close(rocAuc([0.3, 0.3, 0.3], [0.3, 0.3]), 0.5);
  assert.equal(rocAuc([], [0.1]), null);
  assert.equal(rocAuc([0.1], []), null);
});

test('best recall within an FPR budget on a 6-item example', () => {
  const pos = [0.9, 0.7, 0.4];
  const neg = [0.8, 0.3, 0.1];
  // s >= 0.9: 1/3 recall, 0 FP; s >= 0.8 would flag a negative (FPR 1/3)
  const at5 = recallAtFpr(pos, neg, 0.05)!;
  assert.equal(at5.threshold, 0.9);
  close(at5.recall, 1 / 3);
  assert.equal(at5.fpr, 0);
  assert.equal(at5.truePositives, 1);
  assert.equal(at5.falsePositives, 0);
  // budget 1/3: s >= 0.4 catches all three positives with one FP
  const at34 = recallAtFpr(pos, neg, 0.34)!;
  assert.equal(at34.threshold, 0.4);
  assert.equal(at34.recall, 1);
  close(at34.fpr, 1 / 3);
  // budget 100%: still the highest threshold reaching recall 1
  assert.equal(recallAtFpr(pos, neg, 1)!.threshold, 0.4);
  // exactly at the budget counts as within it
  assert.equal(recallAtFpr(pos, neg, 1 / 3)!.threshold, 0.4);
  // the top negative outranks every positive: recall 0, no threshold
  const none = recallAtFpr([0.2, 0.1], [0.9, 0.05], 0.05)!;
  assert.equal(none.recall, 0);
  assert.equal(none.threshold, null);
  // a tie between a positive and a negative at the top cannot be split
  const tie = recallAtFpr([0.8, 0.5], [0.8, 0.1, 0.1, 0.1], 0.1)!;
  assert.equal(tie.recall, 0);
  assert.equal(recallAtFpr([], [0.1], 0.05), null);
});

let nextFile = 0;
function pred(label: string, predicted: string, scores: Record<string, number>, ms = 10): Prediction {
  return { file: `/x/${label}/${nextFile++}.png`, label, predicted, score: scores[predicted] ?? 0, uncertain: false, sensitivity: sensitivityScore(scores), ms, scores };
}

test('sensitive metrics: decisions, only "other" as negatives, screenshots excluded', () => {
  assert.equal(sensitivityScore({ passport: 0.1, id_card: 0.2, ssn_card: 0.05, payment_card: 0.05, screenshot: 0.3, other: 0.3 }), 0.4);
  const items = [
    pred('passport', 'id_card', { id_card: 0.6, other: 0.4 }), // detected (any sensitive label counts), s 0.6
    pred('payment_card', 'other', { payment_card: 0.3, other: 0.7 }), // missed, s 0.3
    pred('other', 'passport', { passport: 0.55, other: 0.45 }), // false positive, s 0.55
    pred('other', 'other', { other: 0.9, ssn_card: 0.1 }), // s 0.1
    pred('screenshot', 'payment_card', { payment_card: 0.99, screenshot: 0.01 }), // neither positive nor negative
  ];
  const s = sensitiveMetrics(items);
  assert.equal(s.positives, 2);
  assert.equal(s.negatives, 2);
  assert.equal(s.decisions.recall, 0.5);
  assert.equal(s.decisions.fpr, 0.5);
  assert.deepEqual(s.screenshotsFlagged, { flagged: 1, of: 1 });
  // pos s = [0.6, 0.3], neg s = [0.55, 0.1]: pairs 0.6>0.55, 0.6>0.1, 0.3<0.55, 0.3>0.1 → 3/4
  close(s.auc, 0.75);
  assert.equal(s.atFpr5!.threshold, 0.6);
  assert.equal(s.atFpr5!.recall, 0.5);
  assert.match(s.note, /screenshots are neither/);
  const noNeg = sensitiveMetrics([items[0]!]);
  assert.equal(noNeg.decisions.fpr, null);
  assert.equal(noNeg.auc, null);
});

test('slowest: top k by ms, stable', () => {
  const xs = [5, 1, 9, 5, 7].map((ms, i) => ({ ms, i }));
  assert.deepEqual(slowest(xs, 3).map((x) => x.i), [2, 4, 0]);
  assert.equal(slowest(xs, 10).length, 5);
});

test('markdown and HTML renderings', () => {
  const predictions = [
    pred('passport', 'passport', { passport: 0.9, other: 0.1 }, 12),
    pred('other', 'passport', { passport: 0.7, other: 0.3 }, 40),
    pred('other', 'other', { other: 0.8, passport: 0.2 }, 3),
  ];
  const metrics = computeMetrics(LABELS, predictions.map((p) => p.label), predictions.map((p) => p.predicted));
  const r = buildReport({
    dir: 'data/a|b',
    modelVersion: 'm@1',
    labels: LABELS,
    predictions,
    failed: [{ file: 'data/other/bad.jpg', error: 'cannot decode <x>' }],
    skippedFolders: ['cats'],
    metrics,
    loadMs: 100,
    totalMs: 55,
    createdAt: '2024-01-01T00:00:00.000Z',
  });
  assert.deepEqual(r.counts, { images: 4, classified: 3, failed: 1, uncertain: 0, skippedFolders: 1, ignoredFiles: 0 });
  assert.equal(r.slowest[0]!.ms, 40);
  assert.equal(r.timing.medianMs, 12);
  const md = renderMarkdown(r);
  assert.match(md, /## Confusion matrix \(rows = truth, columns = predicted\)/);
  assert.match(md, /\| truth \\ predicted \| passport \| id_card \| ssn_card \| payment_card \| screenshot \| other \| total \|/);
  assert.match(md, /\| passport \| \*\*1\*\* \| 0 \| 0 \| 0 \| 0 \| 0 \| 1 \|/);
  assert.match(md, /\| other \| 1 \| 0 \| 0 \| 0 \| 0 \| \*\*1\*\* \| 2 \|/);
  // passport: support 1, predicted twice → precision 50%, recall 100%; id_card never predicted → 0.0%, not NaN
  assert.match(md, /\| passport \| 1 \| 50\.0% \| 100\.0% \| 66\.7% \| 2 \|/);
  assert.match(md, /\| id_card \| 0 \| 0\.0% \| 0\.0% \| 0\.0% \| 0 \|/);
  assert.doesNotMatch(md, /NaN/);
  assert.match(md, /Only truth `other` images count as negatives/);
  assert.match(md, /`data\/a\\\|b`/);
  assert.match(md, /## Misclassified \(1\)/);
  assert.match(md, /`cats`/);
  const html = renderHtml(r, new Map([[predictions[1]!.file, 'data:image/jpeg;base64,AAAA']]));
  assert.match(html, /<img src="data:image\/jpeg;base64,AAAA"/);
  assert.match(html, /cannot decode &lt;x&gt;/);
  assert.doesNotMatch(html, /<x>/);
  assert.doesNotMatch(html, /(src|href)="https?:/); // self-contained
  const text = formatSummary(r);
  assert.match(text, /ROC AUC of s: 1\.000/);
  assert.match(text, /FPR on other 50\.0% \(1\/2\)/);
});

test('evaluateDir end to end on a tiny generated folder writes json, md and html', async (t) => {
  const root = await tempDir(t, 'casb-eval-');
  const data = path.join(root, 'data');
  const files: Record<string, Buffer[]> = {
    passport: [await pngImage(1, 96), await jpegImage(2, 80)],
    payment_card: [await pngImage(3, 64)],
    other: [await pngImage(4, 64), await jpegImage(5, 120)],
    screenshot: [await pngImage(6, 64)],
    cats: [await pngImage(7, 64)], // not a model label
  };
  for (const [label, bufs] of Object.entries(files)) {
    await mkdir(path.join(data, label), { recursive: true });
    for (const [i, b] of bufs.entries()) await writeFile(path.join(data, label, `img${i}.${b[0] === 0xff ? 'jpg' : 'png'}`), b);
  }
  await writeFile(path.join(data, 'other', 'broken.jpg'), await corruptJpeg());
  await writeFile(path.join(data, 'other', 'notes.txt'), 'not an image');
  await writeFile(path.join(data, 'README.txt'), 'top-level files are not folders');

  const out = path.join(root, 'out');
  const json = path.join(root, 'alias', 'report.json');
  const r = await evaluateDir(data, { modelDir: await devModelDir(), out, json });
  for (const f of ['report.json', 'report.md', 'report.html']) assert.ok(existsSync(path.join(out, f)), `${f} written`);
  assert.ok(existsSync(json), '--json alias written');

  const j = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Record<string, any>;
  assert.deepEqual(j.labels, LABELS);
  assert.deepEqual(j.counts, { images: 7, classified: 6, failed: 1, uncertain: j.uncertain, skippedFolders: 1, ignoredFiles: 1 });
  assert.deepEqual(j.skippedFolders, ['cats']);
  assert.equal(j.failed.length, 1);
  assert.match(j.failed[0].file, /broken\.jpg$/);
  assert.equal(j.metrics.n, 6);
  const confusionTotal = LABELS.reduce((a, t) => a + LABELS.reduce((b, p) => b + j.metrics.confusion[t][p], 0), 0);
  assert.equal(confusionTotal, 6);
  for (const l of LABELS) for (const k of ['n', 'precision', 'recall', 'f1']) assert.equal(typeof j.metrics.perClass[l][k], 'number');
  assert.deepEqual(
    Object.fromEntries(LABELS.map((l) => [l, j.metrics.perClass[l].n])),
    { passport: 2, id_card: 0, ssn_card: 0, payment_card: 1, screenshot: 1, other: 2 },
  );
  assert.equal(j.sensitive.positives, 3);
  assert.equal(j.sensitive.negatives, 2);
  assert.ok(j.sensitive.auc >= 0 && j.sensitive.auc <= 1);
  assert.ok(j.sensitive.decisions.recall >= 0 && j.sensitive.decisions.recall <= 1);
  assert.equal(j.sensitive.atFpr5.maxFpr, 0.05);
  assert.equal(j.sensitive.atFpr10.maxFpr, 0.1);
  assert.equal(j.predictions.length, 6);
  for (const p of j.predictions) {
    assert.ok(LABELS.includes(p.predicted));
    assert.ok(p.ms > 0);
    assert.equal(Object.keys(p.scores).length, 6);
    close(p.sensitivity, sensitivityScore(p.scores), 1e-6);
  }
  assert.equal(j.slowest.length, 6);
  assert.ok(j.slowest[0].ms >= j.slowest[5].ms);
  assert.equal(typeof j.uncertain, 'number');
  assert.equal(r.written?.dir, out);

  const md = readFileSync(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /## Confusion matrix/);
  assert.match(md, /broken\.jpg/);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  const wrong = j.predictions.filter((p: { label: string; predicted: string }) => p.label !== p.predicted).length;
  assert.equal((html.match(/<img src="data:image\/jpeg;base64,/g) ?? []).length, wrong, 'one inline thumbnail per misclassified image');
  assert.doesNotMatch(html, /(src|href)="(https?|file):/);
});

/**
 * Classification metrics shared by train.ts (holdout) and eval.ts.
 * Per class: n = support (truth count), accuracy = recall. A class never predicted has
 * precision 0 (not NaN); a class with no truth images has recall 0 and is left out of macro-F1.
 */
export interface Metrics {
  n: number;
  accuracy: number;
  /** Mean F1 over the classes with support > 0. */
  macroF1: number;
  perClass: Record<string, { n: number; accuracy: number; precision: number; recall: number; f1: number }>;
  /** confusion[true][pred] */
  confusion: Record<string, Record<string, number>>;
}

export function computeMetrics(labels: readonly string[], truth: string[], pred: string[]): Metrics {
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of labels) confusion[t] = Object.fromEntries(labels.map((p) => [p, 0]));
  let correct = 0;
  truth.forEach((t, i) => {
    const p = pred[i]!;
    const row = confusion[t] ?? (confusion[t] = Object.fromEntries(labels.map((l) => [l, 0])));
    row[p] = (row[p] ?? 0) + 1;
    if (t === p) correct++;
  });
  const perClass: Metrics['perClass'] = {};
  const f1s: number[] = [];
  for (const l of labels) {
    const tp = confusion[l]?.[l] ?? 0;
    const n = Object.values(confusion[l] ?? {}).reduce((a, b) => a + b, 0);
    const predicted = labels.reduce((a, t) => a + (confusion[t]?.[l] ?? 0), 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = n ? tp / n : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[l] = { n, accuracy: recall, precision, recall, f1 };
    if (n > 0) f1s.push(f1);
  }
  return {
    n: truth.length,
    accuracy: truth.length ? correct / truth.length : 0,
    macroF1: f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : 0,
    perClass,
    confusion,
  };
}

export function formatMetrics(labels: readonly string[], m: Metrics): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const lines: string[] = [];
  lines.push('label        support  precision   recall       F1');
  for (const l of labels) {
    const c = m.perClass[l]!;
    lines.push(`${l.padEnd(13)}${String(c.n).padStart(7)}    ${pct(c.precision)}  ${pct(c.recall)}  ${pct(c.f1)}`);
  }
  lines.push(`overall accuracy ${pct(m.accuracy)} (n=${m.n}), macro-F1 ${pct(m.macroF1)}`);
  lines.push('');
  lines.push('confusion (rows = true, columns = predicted)');
  const short = labels.map((l) => l.slice(0, 8).padStart(9));
  lines.push(' '.repeat(13) + short.join(''));
  for (const t of labels) lines.push(t.padEnd(13) + labels.map((p) => String(m.confusion[t]?.[p] ?? 0).padStart(9)).join(''));
  return lines.join('\n');
}

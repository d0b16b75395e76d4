/**
 * Fit a classifier head from embedded samples: stratified hold-out split by image, softmax
 * training, temperature calibration, per-label thresholds and the uncertain band.
 *
 * Shared by `npm run train` (the shipped model) and `casb model add-class` (a user's class),
 * so both produce heads calibrated and thresholded the same way.
 *
 * An image may contribute several rows (one per resize view); all rows of an image land in
 * the same split, and hold-out scores average the views' probabilities, as the classifier
 * does at run time.
 */
import * as ort from 'onnxruntime-node';
import { headModelBytes } from '../model/head-graph.js';
import type { Head } from '../model/manifest.js';
import { argmax, roundSig, softmaxInPlace, trainSoftmax } from './softmax.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { trainMlp } from './mlp.js';
import { Rng } from './synth/prng.js';

export interface FitImage {
  label: string;
  /** Stable key of the source image (sample id or file path). */
  key: string;
  /** One feature vector per view. */
  views: Float32Array[];
}

export interface FitOptions {
  seed: number;
  epochs: number;
  lr: number;
  l2: number;
  holdoutFraction: number;
  /** Hidden ReLU units (0 or absent: a linear softmax head). */
  hidden?: number;
  /** MLP only: dropout on inputs / hidden units, and the mini-batch size. */
  dropIn?: number;
  dropHidden?: number;
  batch?: number;
  /** Pick an early-exit threshold for multi-view models on the hold-out split (pickEarlyExit). */
  earlyExit?: boolean;
  /** Thresholds keep hold-out precision at least this high (default 0.97). */
  precisionTarget?: number;
  log?: (line: string) => void;
}

export interface FitResult {
  /** Calibrated head: the temperature is folded into the output layer's W and b. */
  head: Head;
  temperature: number;
  /** First-view early-exit threshold (metrics below are computed with it), if one was picked. */
  earlyExit?: number;
  thresholds: Record<string, number>;
  uncertainBand: [number, number];
  counts: Record<string, number>;
  trainCount: number;
  holdoutCount: number;
  holdout: Metrics;
  trainAccuracy: number;
  /** Hold-out negative log-likelihood before and after calibration. */
  nll: { raw: number; calibrated: number };
  fitSeconds: number;
}

/**
 * Logits of any head for many feature vectors, through the same ONNX nodes the classifier runs
 * (head-graph.ts). Returns a function over rows; call `close()` when done.
 */
export async function headScorer(head: Head, dim: number): Promise<{ score: (rows: readonly Float32Array[]) => Promise<Float64Array[]>; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(headModelBytes(head, dim), { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential' });
  const K = head.b.length;
  return {
    async score(rows) {
      const out: Float64Array[] = [];
      const CH = 1024;
      for (let s = 0; s < rows.length; s += CH) {
        const part = rows.slice(s, s + CH);
        const x = new Float32Array(part.length * dim);
        part.forEach((r, i) => x.set(r, i * dim));
        const res = await session.run({ features: new ort.Tensor('float32', x, [part.length, dim]) });
        const z = res.logits!.data as Float32Array;
        for (let i = 0; i < part.length; i++) out.push(Float64Array.from(z.subarray(i * K, (i + 1) * K)));
      }
      return out;
    },
    close: () => session.release(),
  };
}

/** Per image, the logits of each of its views. */
export async function scoreImages(head: Head, dim: number, set: readonly { views: readonly Float32Array[] }[]): Promise<Float64Array[][]> {
  const scorer = await headScorer(head, dim);
  try {
    const flat = await scorer.score(set.flatMap((im) => im.views));
    let k = 0;
    return set.map((im) => im.views.map(() => flat[k++]!));
  } finally {
    await scorer.close();
  }
}

/**
 * Mean over views of softmax(logits / T); with `earlyExit`, the first view alone when its top
 * probability reaches it (what the classifier does at run time).
 */
export function imageProba(viewLogits: Float64Array[], T: number, earlyExit?: number): Float64Array {
  const K = viewLogits[0]!.length;
  const probs = viewLogits.map((z) => {
    const p = Float64Array.from(z, (v) => v / T);
    softmaxInPlace(p);
    return p;
  });
  if (earlyExit !== undefined && Math.max(...probs[0]!) >= earlyExit) return probs[0]!;
  const out = new Float64Array(K);
  for (const p of probs) for (let k = 0; k < K; k++) out[k]! += p[k]! / probs.length;
  return out;
}

/** Early-exit thresholds tried, lowest (fastest) first. */
export const EARLY_EXIT_GRID = [0.8, 0.85, 0.9, 0.95, 0.98, 0.99];

/**
 * The lowest early-exit threshold whose hold-out accuracy is within `tolerance` of averaging
 * every view, or undefined when none is (or there is a single view).
 */
export function pickEarlyExit(scored: { logits: Float64Array[]; y: number }[], tolerance = 0.002): number | undefined {
  if (scored.length === 0 || scored[0]!.logits.length < 2) return undefined;
  const acc = (exit?: number) => scored.filter((s) => argmax(imageProba(s.logits, 1, exit)) === s.y).length / scored.length;
  const full = acc();
  return EARLY_EXIT_GRID.find((t) => acc(t) >= full - tolerance);
}

/** Mean negative log-likelihood of the true labels at temperature T. */
export function nllAt(samples: { logits: Float64Array[]; y: number }[], T: number): number {
  let s = 0;
  for (const it of samples) s -= Math.log(Math.max(1e-12, imageProba(it.logits, T)[it.y]!));
  return s / Math.max(1, samples.length);
}

/**
 * Temperature scaling (Guo et al. 2017): the T > 0 minimising hold-out NLL, by golden-section
 * search on log T over [1/20, 20]. NLL is unimodal in T for a single view; with averaged views it
 * is close enough, and the search is bracketed either way.
 */
export function fitTemperature(samples: { logits: Float64Array[]; y: number }[]): number {
  if (samples.length === 0) return 1;
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = nllAt(samples, Math.exp(a));
  let fb = nllAt(samples, Math.exp(b));
  for (let i = 0; i < 60; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = nllAt(samples, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = nllAt(samples, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/** Per label: the lowest top score that keeps hold-out precision ≥ target (clamped to [0.35, 0.9]). */
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

/**
 * The uncertain band [0, hi]: hi is the largest top score s such that hold-out predictions
 * scoring within 0.1 below s (at least 3 of them) are right at most 70% of the time; hi is
 * clamped to [0.3, 0.7]. The pipeline OCRs uncertain images, so this is where a second
 * opinion pays.
 */
export function pickUncertainBand(correct: boolean[], score: number[], maxAccuracy = 0.7, width = 0.1): [number, number] {
  let hi = 0.3;
  for (const s of score) {
    let n = 0;
    let ok = 0;
    score.forEach((t, i) => {
      if (t <= s && t >= s - width) {
        n++;
        if (correct[i]) ok++;
      }
    });
    if (n >= 3 && ok / n <= maxAccuracy && s > hi) hi = s;
  }
  return [0, Math.round(Math.min(0.7, Math.max(0.3, hi)) * 1000) / 1000];
}

/** Stratified split by image: `fraction` of each label's images (at least 1 when it has 2+) go to hold-out. */
export function splitByImage<T extends { label: string }>(images: T[], labels: readonly string[], seed: number, fraction: number): { train: T[]; hold: T[] } {
  const rng = new Rng(`${seed}:split`);
  const train: T[] = [];
  const hold: T[] = [];
  for (const label of labels) {
    const of = images.filter((it) => it.label === label);
    for (let i = of.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [of[i], of[j]] = [of[j]!, of[i]!];
    }
    const n = of.length >= 2 ? Math.max(1, Math.round(of.length * fraction)) : 0;
    hold.push(...of.slice(0, n));
    train.push(...of.slice(n));
  }
  return { train, hold };
}

export async function fitHead(images: FitImage[], labels: readonly string[], opts: FitOptions): Promise<FitResult> {
  const log = opts.log ?? (() => {});
  const li = new Map(labels.map((l, i) => [l, i]));
  for (const im of images) if (!li.has(im.label)) throw new Error(`sample ${im.key}: label '${im.label}' is not one of ${labels.join(', ')}`);
  const counts = Object.fromEntries(labels.map((l) => [l, images.filter((im) => im.label === l).length]));
  const { train, hold } = splitByImage(images, labels, opts.seed, opts.holdoutFraction);
  const dim = images[0]?.views[0]?.length ?? 0;

  const t0 = Date.now();
  const X = train.flatMap((im) => im.views);
  const y = train.flatMap((im) => im.views.map(() => li.get(im.label)!));
  const every = (e: number, loss: number) => {
    if (e % 25 === 0 || e === opts.epochs - 1 || (opts.hidden && e % 5 === 0)) log(`  epoch ${e} loss ${loss.toFixed(4)}`);
  };
  const raw: Head = opts.hidden
    ? await trainMlp(X, y, labels.length, {
        hidden: opts.hidden,
        epochs: opts.epochs,
        lr: opts.lr,
        l2: opts.l2,
        dropIn: opts.dropIn ?? 0,
        dropHidden: opts.dropHidden ?? 0,
        batch: opts.batch ?? 256,
        seed: opts.seed,
        log: every,
      })
    : trainSoftmax(X, y, labels.length, { epochs: opts.epochs, lr: opts.lr, l2: opts.l2, batch: 256, seed: opts.seed, log: every });
  const fitSeconds = (Date.now() - t0) / 1000;

  const holdScored = (await scoreImages(raw, dim, hold)).map((z, i) => ({ logits: z, y: li.get(hold[i]!.label)! }));
  const T = fitTemperature(holdScored);
  const nll = { raw: nllAt(holdScored, 1), calibrated: nllAt(holdScored, T) };
  log(`temperature ${T.toFixed(3)}: hold-out NLL ${nll.raw.toFixed(4)} → ${nll.calibrated.toFixed(4)}`);

  // Fold 1/T into the output layer so the run-time graph stays … → Gemm → Softmax.
  const head: Head = {
    ...raw,
    W: raw.W.map((r) => r.map((x) => roundSig(x / T, 6))),
    b: raw.b.map((x) => roundSig(x / T, 6)),
  };
  const holdCalibrated = (await scoreImages(head, dim, hold)).map((z, i) => ({ logits: z, y: li.get(hold[i]!.label)! }));
  const earlyExit = opts.earlyExit ? pickEarlyExit(holdCalibrated) : undefined;
  if (earlyExit !== undefined) log(`early exit: the first view alone decides at a top score >= ${earlyExit}`);
  const decide = async (set: FitImage[]) => {
    const truth: string[] = [];
    const pred: string[] = [];
    const score: number[] = [];
    const scored = set === hold ? holdCalibrated.map((h) => h.logits) : await scoreImages(head, dim, set);
    set.forEach((im, i) => {
      const p = imageProba(scored[i]!, 1, earlyExit);
      const k = argmax(p);
      truth.push(im.label);
      pred.push(labels[k]!);
      score.push(p[k]!);
    });
    return { truth, pred, score };
  };
  const ho = await decide(hold);
  const tr = await decide(train);
  const holdout = computeMetrics(labels, ho.truth, ho.pred);
  const thresholds = pickThresholds(labels, ho.truth, ho.pred, ho.score, opts.precisionTarget ?? 0.97);
  const uncertainBand = pickUncertainBand(ho.truth.map((t, i) => t === ho.pred[i]), ho.score);
  return {
    head,
    temperature: roundSig(T, 6),
    ...(earlyExit !== undefined ? { earlyExit } : {}),
    thresholds,
    uncertainBand,
    counts,
    trainCount: train.length,
    holdoutCount: hold.length,
    holdout,
    trainAccuracy: computeMetrics(labels, tr.truth, tr.pred).accuracy,
    nll,
    fitSeconds,
  };
}

/**
 * Multinomial logistic regression (softmax) head, trained with full-batch Adam on
 * standardised features, class-balanced loss weights and L2 on the weights. The
 * standardisation is folded back into W and b, so the result applies to raw features:
 * logits = W·f + b.
 *
 * Written here rather than pulled from npm: the few JS logistic-regression packages are
 * one-vs-rest, unmaintained or drag in a matrix library; this is ~100 lines and fully tested.
 */
import { Rng } from './synth/prng.js';

export interface SoftmaxOptions {
  epochs?: number;
  lr?: number;
  l2?: number;
  balanced?: boolean;
  seed?: number;
  /** Mini-batch size; 0 = full batch. */
  batch?: number;
  log?: (epoch: number, loss: number) => void;
}

export interface SoftmaxHead {
  W: number[][];
  b: number[];
}

export function softmaxInPlace(z: Float64Array | number[]): void {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i] as number);
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    const e = Math.exp((z[i] as number) - m);
    z[i] = e;
    s += e;
  }
  for (let i = 0; i < z.length; i++) z[i] = (z[i] as number) / s;
}

export function predictProba(head: SoftmaxHead, x: ArrayLike<number>): number[] {
  const z = head.W.map((row, k) => {
    let s = head.b[k] as number;
    for (let j = 0; j < row.length; j++) s += (row[j] as number) * (x[j] as number);
    return s;
  });
  softmaxInPlace(z);
  return z;
}

export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
  return best;
}

export function trainSoftmax(X: ArrayLike<number>[], y: number[], K: number, opts: SoftmaxOptions = {}): SoftmaxHead {
  const epochs = opts.epochs ?? 300;
  const lr = opts.lr ?? 0.01;
  const l2 = opts.l2 ?? 1e-3;
  const N = X.length;
  if (N === 0) throw new Error('no training data');
  const D = X[0]!.length;
  // standardise
  const mu = new Float64Array(D);
  const sd = new Float64Array(D);
  for (const x of X) for (let j = 0; j < D; j++) mu[j]! += x[j] as number;
  for (let j = 0; j < D; j++) mu[j]! /= N;
  for (const x of X) for (let j = 0; j < D; j++) sd[j]! += ((x[j] as number) - mu[j]!) ** 2;
  for (let j = 0; j < D; j++) sd[j] = Math.sqrt(sd[j]! / N) + 1e-6;
  const Z = X.map((x) => {
    const z = new Float64Array(D);
    for (let j = 0; j < D; j++) z[j] = ((x[j] as number) - mu[j]!) / sd[j]!;
    return z;
  });
  // class weights
  const counts = new Array<number>(K).fill(0);
  for (const c of y) counts[c]!++;
  const cw = counts.map((c) => (opts.balanced === false || c === 0 ? 1 : N / (K * c)));

  const W = new Float64Array(K * D);
  const b = new Float64Array(K);
  const mW = new Float64Array(K * D);
  const vW = new Float64Array(K * D);
  const mb = new Float64Array(K);
  const vb = new Float64Array(K);
  const gW = new Float64Array(K * D);
  const gb = new Float64Array(K);
  const p = new Float64Array(K);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const rng = new Rng(opts.seed ?? 1);
  const order = Array.from({ length: N }, (_, i) => i);
  const bs = opts.batch && opts.batch > 0 ? Math.min(opts.batch, N) : N;
  let t = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    // shuffle (Fisher–Yates) for mini-batches
    for (let i = N - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0;
    for (let start = 0; start < N; start += bs) {
      const idx = order.slice(start, start + bs);
      gW.fill(0);
      gb.fill(0);
      let wsum = 0;
      for (const i of idx) {
        const z = Z[i]!;
        const yi = y[i]!;
        const w = cw[yi]!;
        wsum += w;
        for (let k = 0; k < K; k++) {
          let s = b[k]!;
          const off = k * D;
          for (let j = 0; j < D; j++) s += W[off + j]! * z[j]!;
          p[k] = s;
        }
        softmaxInPlace(p);
        loss -= w * Math.log(Math.max(p[yi]!, 1e-12));
        for (let k = 0; k < K; k++) {
          const g = w * (p[k]! - (k === yi ? 1 : 0));
          if (g === 0) continue;
          gb[k]! += g;
          const off = k * D;
          for (let j = 0; j < D; j++) gW[off + j]! += g * z[j]!;
        }
      }
      t++;
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      for (let q = 0; q < K * D; q++) {
        const g = gW[q]! / wsum + l2 * W[q]!;
        mW[q] = beta1 * mW[q]! + (1 - beta1) * g;
        vW[q] = beta2 * vW[q]! + (1 - beta2) * g * g;
        W[q]! -= (lr * (mW[q]! / c1)) / (Math.sqrt(vW[q]! / c2) + eps);
      }
      for (let k = 0; k < K; k++) {
        const g = gb[k]! / wsum;
        mb[k] = beta1 * mb[k]! + (1 - beta1) * g;
        vb[k] = beta2 * vb[k]! + (1 - beta2) * g * g;
        b[k]! -= (lr * (mb[k]! / c1)) / (Math.sqrt(vb[k]! / c2) + eps);
      }
    }
    opts.log?.(epoch, loss / N);
  }
  // fold standardisation: W·((f-mu)/sd) + b = (W/sd)·f + (b - Σ W mu/sd)
  const head: SoftmaxHead = { W: [], b: [] };
  for (let k = 0; k < K; k++) {
    const row: number[] = new Array<number>(D);
    let bk = b[k]!;
    for (let j = 0; j < D; j++) {
      const w = W[k * D + j]! / sd[j]!;
      row[j] = w;
      bk -= w * mu[j]!;
    }
    head.W.push(row);
    head.b.push(bk);
  }
  return head;
}

/** Round to `digits` significant digits (keeps head.json small). */
export function roundSig(x: number, digits = 6): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

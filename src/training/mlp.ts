/**
 * One-hidden-layer MLP head (features → ReLU(hidden) → softmax), trained with mini-batch Adam, input
 * and hidden dropout, L2 on the weights and class-balanced loss weights. Features are standardised
 * inside the training graph and the standardisation is folded into the first layer afterwards, so
 * the result applies to raw backbone features.
 *
 * The heavy part (two big matrix products forward, two backward) runs as a small ONNX graph in
 * onnxruntime, which already ships with the project and multiplies matrices ~50× faster than a
 * JavaScript loop; the backward pass is written out by hand (it is five lines of calculus for this
 * network) because onnxruntime-node has no autograd. Adam and the dropout masks stay in JS with the
 * seeded PRNG, and ORT's CPU kernels are deterministic for a fixed thread count, so the same inputs
 * give the same head bytes.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { encodeWeights } from '../model/head-graph.js';
import type { Head } from '../model/manifest.js';
import { encodeGraph, tensorValueInfo } from '../model/onnx-convert.js';
import { roundSig } from './softmax.js';
import { Rng } from './synth/prng.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT = onnx.AttributeProto.AttributeType.INT;

export interface MlpOptions {
  hidden: number;
  epochs: number;
  lr: number;
  /** L2 on both weight matrices (not the biases). */
  l2: number;
  /** Dropout on the standardised inputs and on the hidden units. */
  dropIn: number;
  dropHidden: number;
  batch: number;
  seed: number;
  balanced?: boolean;
  threads?: number;
  log?: (epoch: number, loss: number) => void;
}

/**
 * One forward + backward pass in onnxruntime: loss and gradients for a batch. Exposed for the
 * gradient check in the tests; trainMlp drives it.
 */
export interface MlpParams {
  W1: Float32Array; // [D, H]
  b1: Float32Array; // [H]
  W2: Float32Array; // [H, K]
  b2: Float32Array; // [K]
}

export async function openMlpStep(D: number, H: number, K: number, mu: Float32Array, sd: Float32Array, threads = 2) {
  const session = await ort.InferenceSession.create(stepGraph(D, H, K, mu, sd), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  return {
    /** X [B,D] raw features, Y [B,K] one-hot × loss weight (rows sum to the weights, all to 1), masks [B,D] and [B,H]. */
    async run(B: number, X: Float32Array, Y: Float32Array, M1: Float32Array, M2: Float32Array, p: MlpParams): Promise<{ loss: number; grads: [Float32Array, Float32Array, Float32Array, Float32Array] }> {
      const out = await session.run({
        X: new ort.Tensor('float32', X, [B, D]),
        Y: new ort.Tensor('float32', Y, [B, K]),
        M1: new ort.Tensor('float32', M1, [B, D]),
        M2: new ort.Tensor('float32', M2, [B, H]),
        W1: new ort.Tensor('float32', p.W1, [D, H]),
        b1: new ort.Tensor('float32', p.b1, [H]),
        W2: new ort.Tensor('float32', p.W2, [H, K]),
        b2: new ort.Tensor('float32', p.b2, [K]),
      });
      const g = (n: string) => out[n]!.data as Float32Array;
      return { loss: g('loss')[0]!, grads: [g('gW1'), g('gb1'), g('gW2'), g('gb2')] };
    },
    close: () => session.release(),
  };
}

/**
 * The training step: inputs X (raw features), Y (one-hot rows scaled by loss weight / batch weight),
 * dropout masks and the parameters; outputs the loss and the four gradients.
 */
function stepGraph(D: number, H: number, K: number, mu: Float32Array, sd: Float32Array): Uint8Array {
  const f = (name: string, dims: (number | string)[]) => tensorValueInfo(name, FLOAT, dims);
  const n = (opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = []) => ({ name: output[0], opType, input, output, attribute });
  const tA = { name: 'transA', type: INT, i: 1 };
  const tB = { name: 'transB', type: INT, i: 1 };
  const keep = (k: number) => ({ name: 'keepdims', type: INT, i: k });
  // ReduceSum-13 takes its axes as an input tensor (axis0 / axis1 below); no axes: all of them
  const nodes = [
    n('Sub', ['X', 'mu'], ['Xc']),
    n('Div', ['Xc', 'sd'], ['Xs']),
    n('Mul', ['Xs', 'M1'], ['Xd']),
    n('Gemm', ['Xd', 'W1', 'b1'], ['Z1']),
    n('Relu', ['Z1'], ['A1']),
    n('Mul', ['A1', 'M2'], ['A1d']),
    n('Gemm', ['A1d', 'W2', 'b2'], ['Z2']),
    n('Softmax', ['Z2'], ['P'], [{ name: 'axis', type: INT, i: 1 }]),
    // loss = -Σ Y·log(P)
    n('Add', ['P', 'eps'], ['Pe']),
    n('Log', ['Pe'], ['logP']),
    n('Mul', ['Y', 'logP'], ['YlogP']),
    n('ReduceSum', ['YlogP'], ['negLoss'], [keep(0)]),
    n('Neg', ['negLoss'], ['loss']),
    // dL/dZ2 = P·Σ_k Y − Y  (rows of Y sum to each row's loss weight)
    n('ReduceSum', ['Y', 'axis1'], ['rowW'], [keep(1)]),
    n('Mul', ['P', 'rowW'], ['PW']),
    n('Sub', ['PW', 'Y'], ['G2']),
    n('Gemm', ['A1d', 'G2'], ['gW2'], [tA]),
    n('ReduceSum', ['G2', 'axis0'], ['gb2'], [keep(0)]),
    n('Gemm', ['G2', 'W2'], ['GA1d'], [tB]),
    n('Mul', ['GA1d', 'M2'], ['GA1']),
    n('Sign', ['A1'], ['reluMask']),
    n('Mul', ['GA1', 'reluMask'], ['G1']),
    n('Gemm', ['Xd', 'G1'], ['gW1'], [tA]),
    n('ReduceSum', ['G1', 'axis0'], ['gb1'], [keep(0)]),
  ];
  const init: onnxProto.onnx.ITensorProto[] = [
    { name: 'mu', dims: [D], dataType: FLOAT, rawData: new Uint8Array(mu.buffer.slice(0)) },
    { name: 'sd', dims: [D], dataType: FLOAT, rawData: new Uint8Array(sd.buffer.slice(0)) },
    { name: 'eps', dims: [], dataType: FLOAT, floatData: [1e-12] },
    { name: 'axis0', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [0] },
    { name: 'axis1', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1] },
  ];
  return encodeGraph('casb-scan mlp-train', {
    name: 'mlp_step',
    node: nodes,
    initializer: init,
    input: [f('X', ['B', D]), f('Y', ['B', K]), f('M1', ['B', D]), f('M2', ['B', H]), f('W1', [D, H]), f('b1', [H]), f('W2', [H, K]), f('b2', [K])],
    output: [f('loss', []), f('gW1', [D, H]), f('gb1', [H]), f('gW2', [H, K]), f('gb2', [K])],
  });
}

class Adam {
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;
  constructor(
    readonly p: Float32Array,
    private readonly lr: number,
    private readonly l2: number,
  ) {
    this.m = new Float32Array(p.length);
    this.v = new Float32Array(p.length);
  }
  step(g: Float32Array): void {
    this.t++;
    const c1 = 1 - 0.9 ** this.t;
    const c2 = 1 - 0.999 ** this.t;
    const { p, m, v, lr, l2 } = this;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! + l2 * p[i]!;
      m[i] = 0.9 * m[i]! + 0.1 * gi;
      v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
      p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8);
    }
  }
}

/** Train on rows `X` (all the same length) with labels `y` in [0, K); returns a head for raw features. */
export async function trainMlp(X: readonly Float32Array[], y: readonly number[], K: number, opts: MlpOptions): Promise<Head> {
  const N = X.length;
  if (N === 0) throw new Error('no training data');
  const D = X[0]!.length;
  const H = opts.hidden;
  // standardisation statistics (float64 sums, then float32 like everything the graph sees)
  const sum = new Float64Array(D);
  const sq = new Float64Array(D);
  for (const x of X)
    for (let j = 0; j < D; j++) {
      sum[j]! += x[j]!;
      sq[j]! += x[j]! * x[j]!;
    }
  const mu = new Float32Array(D);
  const sd = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    mu[j] = sum[j]! / N;
    sd[j] = Math.sqrt(Math.max(0, sq[j]! / N - (sum[j]! / N) ** 2)) + 1e-6;
  }
  const counts = new Array<number>(K).fill(0);
  for (const c of y) counts[c]!++;
  const cw = counts.map((c) => (opts.balanced === false || c === 0 ? 1 : N / (K * c)));

  const rng = new Rng(`${opts.seed}:mlp`);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const W1 = new Float32Array(D * H).map(() => gauss() * Math.sqrt(2 / D));
  const b1 = new Float32Array(H);
  const W2 = new Float32Array(H * K).map(() => gauss() * Math.sqrt(1 / H));
  const b2 = new Float32Array(K);
  const opt = [new Adam(W1, opts.lr, opts.l2), new Adam(b1, opts.lr, 0), new Adam(W2, opts.lr, opts.l2), new Adam(b2, opts.lr, 0)];

  const step = await openMlpStep(D, H, K, mu, sd, opts.threads ?? 2);
  const params: MlpParams = { W1, b1, W2, b2 };
  const B = Math.min(opts.batch, N);
  const xb = new Float32Array(B * D);
  const yb = new Float32Array(B * K);
  const m1 = new Float32Array(B * D);
  const m2 = new Float32Array(B * H);
  const keepIn = 1 - opts.dropIn;
  const keepH = 1 - opts.dropHidden;
  const order = Array.from({ length: N }, (_, i) => i);
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      for (let i = N - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let lossSum = 0;
      let weightSum = 0;
      // whole batches only: every step has the same shape (the few rows left over change each epoch)
      for (let start = 0; start + B <= N; start += B) {
        yb.fill(0);
        let wsum = 0;
        for (let r = 0; r < B; r++) wsum += cw[y[order[start + r]!]!]!;
        for (let r = 0; r < B; r++) {
          const i = order[start + r]!;
          xb.set(X[i]!, r * D);
          yb[r * K + y[i]!] = cw[y[i]!]! / wsum;
        }
        for (let q = 0; q < m1.length; q++) m1[q] = rng.next() < keepIn ? 1 / keepIn : 0;
        for (let q = 0; q < m2.length; q++) m2[q] = rng.next() < keepH ? 1 / keepH : 0;
        const { loss, grads } = await step.run(B, xb, yb, m1, m2, params);
        lossSum += loss * wsum;
        weightSum += wsum;
        grads.forEach((g, k) => opt[k]!.step(g));
      }
      opts.log?.(epoch, lossSum / Math.max(1, weightSum));
    }
  } finally {
    await step.close();
  }
  // fold the standardisation into the first layer: W1ᵀ·((f−mu)/sd) + b1 = (W1/sd)ᵀ·f + (b1 − Σ_j W1_j mu_j/sd_j)
  const Hrows = new Float32Array(H * D);
  const c = new Float64Array(H);
  for (let h = 0; h < H; h++) c[h] = b1[h]!;
  for (let j = 0; j < D; j++) {
    const s = sd[j]!;
    const m = mu[j]!;
    for (let h = 0; h < H; h++) {
      const w = W1[j * H + h]! / s;
      Hrows[h * D + j] = w;
      c[h]! -= w * m;
    }
  }
  return {
    hidden: { units: H, W: encodeWeights(Hrows), b: Array.from(c, (v) => roundSig(v, 7)) },
    W: Array.from({ length: K }, (_, k) => Array.from({ length: H }, (_, h) => W2[h * K + k]!)),
    b: Array.from(b2),
  };
}

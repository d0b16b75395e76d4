/**
 * The MLP head's training math: the hand-written backward graph against finite differences, a
 * problem a linear head cannot solve, determinism, and the folded standardisation.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { headScorer, fitHead } from '../src/training/fit.js';
import { openMlpStep, trainMlp } from '../src/training/mlp.js';
import { Rng } from '../src/training/synth/prng.js';

test('MLP gradients match central finite differences of the loss', async () => {
  const rng = new Rng('grad');
  const [D, H, K, B] = [5, 4, 3, 6];
  const r = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal(0, s));
  const mu = r(D, 0.5);
  const sd = Float32Array.from({ length: D }, () => rng.float(0.5, 2));
  const X = r(B * D, 2);
  const Y = new Float32Array(B * K);
  const w = [1, 2, 1, 0.5, 1, 1.5];
  const wsum = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < B; i++) Y[i * K + (i % K)] = w[i]! / wsum;
  const M1 = Float32Array.from({ length: B * D }, () => (rng.bool(0.8) ? 1.25 : 0));
  const M2 = Float32Array.from({ length: B * H }, () => (rng.bool(0.8) ? 1.25 : 0));
  const p = { W1: r(D * H, 0.7), b1: r(H, 0.3), W2: r(H * K, 0.7), b2: r(K, 0.3) };
  const step = await openMlpStep(D, H, K, mu, sd, 1);
  try {
    const { grads } = await step.run(B, X, Y, M1, M2, p);
    const arrays = [p.W1, p.b1, p.W2, p.b2];
    let checked = 0;
    for (let a = 0; a < 4; a++) {
      for (let i = 0; i < arrays[a]!.length; i += 3) {
        const orig = arrays[a]![i]!;
        const eps = 1e-2;
        arrays[a]![i] = orig + eps;
        const up = (await step.run(B, X, Y, M1, M2, p)).loss;
        arrays[a]![i] = orig - eps;
        const down = (await step.run(B, X, Y, M1, M2, p)).loss;
        arrays[a]![i] = orig;
        const numeric = (up - down) / (2 * eps);
        const analytic = grads[a]![i]!;
        assert.ok(Math.abs(numeric - analytic) <= 2e-3 + 2e-2 * Math.abs(numeric), `param ${a}[${i}]: analytic ${analytic} vs numeric ${numeric}`);
        checked++;
      }
    }
    assert.ok(checked > 10);
  } finally {
    await step.close();
  }
});

/** Two classes on concentric rings (plus noise dimensions): no linear boundary separates them. */
function rings(n: number, seed: string) {
  const rng = new Rng(seed);
  return ['inner', 'outer'].flatMap((label, k) =>
    Array.from({ length: n }, (_, i) => {
      const a = rng.float(0, 2 * Math.PI);
      const rad = (k === 0 ? 1 : 2.2) + rng.normal(0, 0.15);
      const v = Float32Array.from({ length: 6 }, (_, j) => (j === 0 ? 5 + rad * Math.cos(a) : j === 1 ? -3 + rad * Math.sin(a) : rng.normal(0, 1)));
      return { label, key: `${label}:${i}`, views: [v] };
    }),
  );
}

test('an MLP head solves a problem a linear head cannot (rings), through fitHead', async () => {
  const images = rings(150, 'rings');
  const labels = ['inner', 'outer'];
  const linear = await fitHead(images, labels, { seed: 2, epochs: 60, lr: 0.01, l2: 1e-3, holdoutFraction: 0.25 });
  const mlp = await fitHead(images, labels, { seed: 2, epochs: 60, lr: 0.01, l2: 1e-4, holdoutFraction: 0.25, hidden: 32, batch: 32 });
  assert.ok(linear.holdout.accuracy < 0.75, `linear hold-out ${linear.holdout.accuracy}`);
  assert.ok(mlp.holdout.accuracy >= 0.95, `MLP hold-out ${mlp.holdout.accuracy}`);
  assert.equal(mlp.head.hidden?.units, 32);
  assert.ok(mlp.temperature > 0 && mlp.nll.calibrated <= mlp.nll.raw + 1e-9);
});

test('trainMlp is deterministic for a seed, and its folded head scores raw features', async () => {
  const images = rings(60, 'det');
  const X = images.map((im) => im.views[0]!);
  const y = images.map((im) => (im.label === 'inner' ? 0 : 1));
  const opts = { hidden: 16, epochs: 60, lr: 0.01, l2: 1e-4, dropIn: 0.05, dropHidden: 0.1, batch: 16, seed: 5 };
  const a = await trainMlp(X, y, 2, opts);
  const b = await trainMlp(X, y, 2, opts);
  assert.deepEqual(a, b);
  const c = await trainMlp(X, y, 2, { ...opts, seed: 6 });
  assert.notDeepEqual(a, c);
  // the head (standardisation folded in) separates the training rings
  const scorer = await headScorer(a, 6);
  try {
    const z = await scorer.score(X);
    const acc = z.filter((l, i) => (l[1]! > l[0]! ? 1 : 0) === y[i]).length / X.length;
    assert.ok(acc >= 0.9, `training accuracy ${acc}`);
  } finally {
    await scorer.close();
  }
});

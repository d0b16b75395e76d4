/**
 * Head fitting: temperature calibration on a problem with a known temperature, thresholds,
 * uncertain band, the by-image split, fitHead end to end, view averaging and multi-view decode.
 *   Run: node --import tsx --test test/fit.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeForModel, splitViews } from '../src/image/decode.js';
import { meanOfViews } from '../src/model/classifier.js';
import { fitHead, fitTemperature, imageProba, nllAt, pickThresholds, pickUncertainBand, splitByImage } from '../src/training/fit.js';
import { softmaxInPlace } from '../src/training/softmax.js';
import { Rng } from '../src/training/synth/prng.js';

function draw(rng: Rng, p: Float64Array): number {
  let u = rng.float(0, 1);
  for (let k = 0; k < p.length; k++) {
    u -= p[k]!;
    if (u <= 0) return k;
  }
  return p.length - 1;
}

test('fitTemperature recovers the temperature the labels were drawn with', () => {
  const rng = new Rng('temp');
  for (const trueT of [0.5, 2.5]) {
    const samples = Array.from({ length: 4000 }, () => {
      const z = Float64Array.from({ length: 4 }, () => rng.normal(0, 3));
      const p = Float64Array.from(z, (v) => v / trueT);
      softmaxInPlace(p);
      return { logits: [z], y: draw(rng, p) };
    });
    const T = fitTemperature(samples);
    assert.ok(Math.abs(T - trueT) / trueT < 0.12, `fitted ${T.toFixed(3)} for true ${trueT}`);
    assert.ok(nllAt(samples, T) <= nllAt(samples, 1) + 1e-12, 'calibration must not raise the NLL');
  }
});

test('imageProba averages the views and sums to 1', () => {
  const p = imageProba([Float64Array.from([0, 0]), Float64Array.from([Math.log(3), 0])], 1);
  assert.ok(Math.abs(p[0]! - (0.5 + 0.75) / 2) < 1e-12);
  assert.ok(Math.abs(p[0]! + p[1]! - 1) < 1e-12);
  const m = meanOfViews([Float32Array.from([0.2, 0.8]), Float32Array.from([0.6, 0.4]), Float32Array.from([1, 0])]);
  assert.ok(Math.abs(m[0]! - 0.6) < 1e-6 && Math.abs(m[1]! - 0.4) < 1e-6);
});

test('pickThresholds keeps precision at the target; pickUncertainBand finds the unreliable low scores', () => {
  // predicted "a" at scores 0.95 (right), 0.9 (right), 0.8 (wrong), 0.7 (right)
  const th = pickThresholds(['a', 'b'], ['a', 'a', 'b', 'a'], ['a', 'a', 'a', 'a'], [0.95, 0.9, 0.8, 0.7], 0.97);
  assert.equal(th.a, 0.9); // below 0.9 precision drops to 2/3
  assert.equal(th.b, 0.5); // no predictions: the default, clamped
  // scores below 0.5 are right 2 times in 8; above, always
  const score = [0.31, 0.33, 0.36, 0.39, 0.42, 0.45, 0.47, 0.49, 0.6, 0.7, 0.8, 0.9];
  const ok = [false, false, true, false, false, true, false, false, true, true, true, true];
  const [lo, hi] = pickUncertainBand(ok, score);
  assert.equal(lo, 0);
  assert.ok(hi >= 0.45 && hi < 0.6, `band top ${hi}`);
});

test('splitByImage is stratified, seeded and never splits an image', () => {
  const images = ['a', 'b'].flatMap((label) => Array.from({ length: 20 }, (_, i) => ({ label, key: `${label}${i}` })));
  const s1 = splitByImage(images, ['a', 'b'], 7, 0.25);
  const s2 = splitByImage(images, ['a', 'b'], 7, 0.25);
  assert.deepEqual(s1.hold.map((x) => x.key), s2.hold.map((x) => x.key));
  assert.equal(s1.hold.filter((x) => x.label === 'a').length, 5);
  assert.equal(s1.hold.length + s1.train.length, images.length);
  const keys = new Set(s1.train.map((x) => x.key));
  assert.ok(s1.hold.every((x) => !keys.has(x.key)));
});

test('fitHead: two views per image, calibrated head, hold-out accuracy on a separable problem', async () => {
  const rng = new Rng('fit');
  const labels = ['x', 'y', 'z'];
  const D = 24;
  const means = labels.map(() => Array.from({ length: D }, () => rng.normal(0, 1.2)));
  const images = labels.flatMap((label, k) =>
    Array.from({ length: 60 }, (_, i) => ({
      label,
      key: `${label}:${i}`,
      views: [0, 1].map(() => Float32Array.from({ length: D }, (_, j) => 10 + 5 * (means[k]![j]! + rng.normal(0, 1)))),
    })),
  );
  const r = await fitHead(images, labels, { seed: 1, epochs: 80, lr: 0.01, l2: 1e-3, holdoutFraction: 0.2 });
  assert.equal(r.holdoutCount, 36);
  assert.equal(r.trainCount, 144);
  assert.equal(r.head.W.length, 3);
  assert.equal(r.head.W[0]!.length, D);
  assert.ok(r.holdout.accuracy >= 0.95, `hold-out accuracy ${r.holdout.accuracy}`);
  assert.ok(r.temperature > 0);
  assert.ok(r.nll.calibrated <= r.nll.raw + 1e-9);
  for (const l of labels) assert.ok(r.thresholds[l]! >= 0.35 && r.thresholds[l]! <= 0.9);
  await assert.rejects(fitHead([{ label: 'nope', key: 'k', views: [new Float32Array(D)] }], labels, { seed: 1, epochs: 1, lr: 0.01, l2: 0, holdoutFraction: 0.2 }), /not one of/);
});

test('decodeForModel stacks views in order; a -mirror view is its view flipped', async () => {
  const w = 300;
  const h = 120;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([Math.round((255 * x) / w), y * 2, 40], (y * w + x) * 3);
  const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  const size = 32;
  const { rgb } = await decodeForModel(png, { size, fit: 'fill', views: ['fill', 'cover', 'fill-mirror'] });
  assert.equal(rgb.length, 3 * size * size * 3);
  const [fill, cover, mirror] = splitViews(rgb, size) as [Uint8Array, Uint8Array, Uint8Array];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) assert.equal(mirror[(y * size + (size - 1 - x)) * 3 + c], fill[(y * size + x) * 3 + c]);
  // the centre crop spans less of the horizontal gradient than the squashed view
  const red = (v: Uint8Array, x: number) => v[(16 * size + x) * 3]!;
  assert.ok(red(cover, size - 1) - red(cover, 0) < red(fill, size - 1) - red(fill, 0) - 50);
});

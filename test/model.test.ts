/**
 * Model tests: backbone conversion parity with tfjs, deterministic build, classifier with a
 * dev head, manifest checks, micro-batcher.   Run: node --import tsx --test test/model.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { io } from '@tensorflow/tfjs';
import { BACKBONE_CUT, BACKBONE_DIM, ensureBackbone, loadNsfwjsMobileNetV2 } from '../src/model/backbone.js';
import { createBatcher, loadBackboneOnly, loadClassifier } from '../src/model/classifier.js';
import { writeDevModel } from '../src/model/dev-head.js';
import { decodeForModel } from '../src/image/decode.js';
import { findLatestModelDir, LABELS, loadModelDir } from '../src/model/manifest.js';

type TfWeightsManifestEntry = io.WeightsManifestEntry;
const SIZE = 224;
let work: string;
let backboneDir: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'casb-model-test-'));
  backboneDir = path.join(work, 'backbone');
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function rgb(img: ReturnType<typeof sharp>, size = SIZE): Promise<Uint8Array> {
  const { data, info } = await img.resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return new Uint8Array(data);
}

/** A few real-ish images: a colour gradient, a rendered text "document", gaussian noise. */
async function sampleImages(size = SIZE): Promise<Uint8Array[]> {
  const w = 320;
  const h = 200;
  const grad = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      grad[i] = Math.round((255 * x) / (w - 1));
      grad[i + 1] = Math.round((255 * y) / (h - 1));
      grad[i + 2] = 128;
    }
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="250">
       <rect width="400" height="250" rx="18" fill="#dde7f3"/><rect x="20" y="60" width="110" height="140" fill="#8899aa"/>
       <text x="150" y="50" font-size="26" font-family="sans-serif" fill="#123">PASSPORT</text>
       <text x="150" y="100" font-size="18" font-family="sans-serif" fill="#222">Surname: DOE</text>
       <text x="150" y="140" font-size="18" font-family="sans-serif" fill="#222">Given names: JANE</text>
       <text x="20" y="235" font-size="16" font-family="monospace" fill="#000">P&lt;UTODOE&lt;&lt;JANE&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;</text>
     </svg>`,
  );
  return Promise.all([
    rgb(sharp(grad, { raw: { width: w, height: h, channels: 3 } }), size),
    rgb(sharp(svg), size),
    rgb(sharp({ create: { width: 300, height: 300, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }), size),
  ]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('ensureBackbone is deterministic and reuses a valid file', async () => {
  const a = await ensureBackbone({ dir: backboneDir });
  const again = await ensureBackbone({ dir: backboneDir }); // cached
  const otherDir = path.join(work, 'backbone2');
  const b = await ensureBackbone({ dir: otherDir });
  assert.match(a.sha256, /^[0-9a-f]{64}$/);
  assert.equal(again.sha256, a.sha256);
  assert.equal(b.sha256, a.sha256, 'two builds must give the same bytes');
  assert.match(a.source, /^nsfwjs@\S+ models\/mobilenet_v2$/);
  // A corrupted file is detected and rebuilt.
  await writeFile(b.path, 'garbage');
  const rebuilt = await ensureBackbone({ dir: otherDir });
  assert.equal(rebuilt.sha256, a.sha256);
  await rm(otherDir, { recursive: true, force: true });
});

test('ONNX backbone matches tfjs (nsfwjs layers model) at flatten_1', async () => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { json, weightData } = await loadNsfwjsMobileNetV2();
  const weightBuf = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer;
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as object,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as unknown as TfWeightsManifestEntry[],
      weightData: weightBuf,
    }),
  );
  const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer(BACKBONE_CUT).output as ReturnType<typeof tf.input> });

  const imgs = await sampleImages();
  const n = imgs.length;
  const x = new Float32Array(n * SIZE * SIZE * 3);
  imgs.forEach((img, i) => {
    for (let k = 0; k < img.length; k++) x[i * img.length + k] = img[k]! / 255;
  });
  const expected = tf.tidy(() => (cut.predict(tf.tensor4d(x, [n, SIZE, SIZE, 3])) as ReturnType<typeof tf.tensor>).dataSync()) as Float32Array;
  full.dispose();
  assert.equal(expected.length, n * BACKBONE_DIM);

  // 1) the backbone file as such (float NHWC input, x/255 done here)
  const bb = await ensureBackbone({ dir: backboneDir });
  const session = await ort.InferenceSession.create(bb.path, { intraOpNumThreads: 2 });
  const out = await session.run({ input: new ort.Tensor('float32', x, [n, SIZE, SIZE, 3]) });
  await session.release();
  const onnxFeatures = out.features!;
  assert.deepEqual(onnxFeatures.dims, [n, BACKBONE_DIM]);
  const d1 = maxAbsDiff(onnxFeatures.data as Float32Array, expected);

  // 2) the embedder the trainer uses (uint8 input, x/255 inside the graph)
  const emb = await loadBackboneOnly({ backboneDir });
  const feats = await emb.embed(imgs);
  await emb.close();
  const flat = new Float32Array(n * BACKBONE_DIM);
  feats.forEach((f, i) => flat.set(f, i * BACKBONE_DIM));
  const d2 = maxAbsDiff(flat, expected);

  let maxAbs = 0;
  for (const v of expected) maxAbs = Math.max(maxAbs, Math.abs(v));
  console.log(`parity: max|onnx-tfjs| backbone=${d1.toExponential(2)} embedder=${d2.toExponential(2)} (feature max ${maxAbs.toFixed(3)})`);
  assert.ok(maxAbs > 0.1, 'features should not be all ~0');
  assert.ok(d1 < 1e-4, `backbone parity ${d1}`);
  assert.ok(d2 < 1e-4, `embedder parity ${d2}`);
  // the three images must not embed to the same thing
  assert.ok(maxAbsDiff(feats[0]!, feats[1]!) > 0.01);
});

test('backbone taps: average- and max-pooled earlier layers match tfjs and follow the 1280 final features', async () => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const taps = ['block_16_project_BN', 'block_13_expand_relu', 'out_relu@max', 'block_13_expand_relu@max'];
  const layerOf = (t: string) => t.split('@')[0]!;
  const { json, weightData } = await loadNsfwjsMobileNetV2();
  const weightBuf = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer;
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as object,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as unknown as TfWeightsManifestEntry[],
      weightData: weightBuf,
    }),
  );
  type SymT = ReturnType<typeof tf.input>;
  const layers = [BACKBONE_CUT, ...new Set(taps.map(layerOf))];
  const outs = layers.map((l) => full.getLayer(l).output as SymT);
  const multi = tf.model({ inputs: full.inputs, outputs: outs });
  const imgs = await sampleImages();
  const n = imgs.length;
  const x = new Float32Array(n * SIZE * SIZE * 3);
  imgs.forEach((img, i) => {
    for (let k = 0; k < img.length; k++) x[i * img.length + k] = img[k]! / 255;
  });
  // expected: [final 1280 | mean (or max) over H,W of each tap], per image
  const expected = tf.tidy(() => {
    const ys = multi.predict(tf.tensor4d(x, [n, SIZE, SIZE, 3])) as ReturnType<typeof tf.tensor>[];
    const parts = [ys[0]!, ...taps.map((t) => { const y = ys[layers.indexOf(layerOf(t))]!; return t.endsWith('@max') ? y.max([1, 2]) : y.mean([1, 2]); })];
    return tf.concat(parts as ReturnType<typeof tf.tensor2d>[], 1).arraySync() as number[][];
  });
  full.dispose();
  const bb = await ensureBackbone({ dir: backboneDir, taps });
  assert.equal(bb.dim, 1280 + 320 + 576 + 1280 + 576);
  assert.match(path.basename(bb.path), /^mobilenet_v2\+block_16_project_BN\+block_13_expand_relu\+out_relu@max\+block_13_expand_relu@max\.onnx$/);
  const plain = await ensureBackbone({ dir: backboneDir });
  assert.notEqual(bb.sha256, plain.sha256);
  const emb = await loadBackboneOnly({ backboneDir, taps });
  const feats = await emb.embed(imgs);
  await emb.close();
  let d = 0;
  feats.forEach((f, i) => {
    assert.equal(f.length, expected[i]!.length);
    d = Math.max(d, maxAbsDiff(f, expected[i]!));
  });
  console.log(`tap parity: max|onnx-tfjs| ${d.toExponential(2)}`);
  assert.ok(d < 1e-4, `tap parity ${d}`);
});

test('the backbone at another input size (192 px) matches tfjs running the same network at 192', async () => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const S = 192;
  const { json, weightData } = await loadNsfwjsMobileNetV2();
  // the same Keras model with a 192 px input and its final 7×7 average pool as a 6×6 one (= global at 192)
  const topo = JSON.parse(JSON.stringify(json.modelTopology)) as { model_config?: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; config?: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  for (const l of (topo.model_config ?? topo).config!.layers) {
    if (l.class_name === 'InputLayer') l.config[l.config.batch_input_shape ? 'batch_input_shape' : 'batchInputShape'] = [null, S, S, 3];
    if (l.class_name === 'AveragePooling2D') l.config.pool_size = l.config.strides = [S / 32, S / 32];
  }
  const weightBuf = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer;
  const full = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topo as unknown as object, weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as unknown as TfWeightsManifestEntry[], weightData: weightBuf }));
  const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer(BACKBONE_CUT).output as ReturnType<typeof tf.input> });
  const imgs = await sampleImages(S);
  const x = new Float32Array(imgs.length * S * S * 3);
  imgs.forEach((img, i) => img.forEach((v, k) => (x[i * img.length + k] = v / 255)));
  const expected = tf.tidy(() => (cut.predict(tf.tensor4d(x, [imgs.length, S, S, 3])) as ReturnType<typeof tf.tensor>).dataSync()) as Float32Array;
  full.dispose();
  const bb = await ensureBackbone({ dir: backboneDir, size: S });
  assert.equal(path.basename(bb.path), 'mobilenet_v2@192.onnx');
  assert.notEqual(bb.sha256, (await ensureBackbone({ dir: backboneDir })).sha256);
  const emb = await loadBackboneOnly({ backboneDir, size: S });
  assert.equal(emb.size, S);
  const feats = await emb.embed(imgs);
  await emb.close();
  const flat = new Float32Array(expected.length);
  feats.forEach((f, i) => flat.set(f, i * BACKBONE_DIM));
  const d = maxAbsDiff(flat, expected);
  console.log(`192 px parity: max|onnx-tfjs| ${d.toExponential(2)}`);
  assert.ok(d < 1e-4, `192 px parity ${d}`);
  await assert.rejects(ensureBackbone({ dir: backboneDir, size: 200 }), /multiple of 32/);
});

test('classifier with a dev head: 6 scores summing to 1, batch-invariant', async () => {
  const dir = path.join(work, 'dev-model');
  await writeDevModel(dir, { backboneDir, seed: 7 });
  const clf = await loadClassifier({ modelDir: dir, backboneDir, intraOpThreads: 2 });
  try {
    assert.equal(clf.modelVersion, 'casb-classifier-dev@0.0.0-dev');
    assert.deepEqual(clf.labels, [...LABELS]);
    assert.deepEqual(clf.input, { size: 224, fit: 'fill' });
    const imgs = await sampleImages();
    const batch = await clf.classify(imgs);
    assert.equal(batch.length, 3);
    for (const c of batch) {
      assert.deepEqual(Object.keys(c.scores), [...LABELS]);
      const sum = Object.values(c.scores).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `scores sum ${sum}`);
      const top = Object.entries(c.scores).sort((a, b) => b[1] - a[1])[0]!;
      assert.equal(c.label, top[0]);
      assert.equal(c.modelVersion, clf.modelVersion);
      assert.equal(c.uncertain, false); // no thresholds, no band
    }
    for (let i = 0; i < imgs.length; i++) {
      const [single] = await clf.classify([imgs[i]!]);
      assert.equal(single!.label, batch[i]!.label);
      for (const l of LABELS) assert.ok(Math.abs(single!.scores[l]! - batch[i]!.scores[l]!) < 1e-5, `image ${i} ${l}`);
    }
    assert.deepEqual(await clf.classify([]), []);
    await assert.rejects(clf.classify([new Uint8Array(10)]), /expected 150528 bytes/);

    // micro-batcher: concurrent calls are grouped and give the same answers
    let runs = 0;
    const counting = { classify: (b: Uint8Array[]) => ((runs += 1), clf.classify(b)) };
    const batcher = createBatcher(counting, { maxBatch: 4, maxWaitMs: 5 });
    const viaBatcher = await Promise.all([...imgs, ...imgs].map((img) => batcher.classify(img)));
    assert.ok(runs <= 2, `expected grouped runs, got ${runs}`);
    viaBatcher.forEach((c, i) => assert.equal(c.label, batch[i % 3]!.label));
    // a bad image fails alone, its neighbours still succeed
    const mixed = await Promise.allSettled([batcher.classify(imgs[0]!), batcher.classify(new Uint8Array(3)), batcher.classify(imgs[1]!)]);
    assert.deepEqual(mixed.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    await batcher.drain();
  } finally {
    await clf.close();
  }
});

test('multi-view model: the batcher schedules views (early exit) and answers exactly as classify does', async () => {
  // The shipped model: two views, first-view early exit. Its backbone lives in the repo's models/backbone.
  const clf = await loadClassifier({ modelDir: await findLatestModelDir() });
  try {
    const V = clf.views;
    assert.ok(V > 1 && clf.manifest.input.earlyExit !== undefined, 'the shipped model is multi-view with early exit');
    const S = clf.input.size;
    const seeds = await sampleImages(S * 2);
    // 12 images of different content: the samples, shifted and mixed, each with V views cut by decodeForModel
    const imgs = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const src = seeds[i % seeds.length]!;
        const raw = Buffer.from(src.map((v, k) => (v + i * 37 + (k % (i + 2)) * 11) & 255));
        const png = await sharp(raw, { raw: { width: S * 2, height: S * 2, channels: 3 } }).resize(S * 3, S * 2, { fit: 'fill' }).png().toBuffer();
        return (await decodeForModel(png, clf.input)).rgb;
      }),
    );
    const direct = await clf.classify(imgs);
    let runs = 0;
    let rows = 0;
    const counting = {
      classify: clf.classify,
      views: V,
      firstDecides: clf.firstDecides,
      combine: clf.combine,
      scoreViews: (r: Uint8Array[]) => ((runs += 1), (rows += r.length), clf.scoreViews(r)),
    };
    const batcher = createBatcher(counting, { maxBatch: 4, maxWaitMs: 5 });
    const via = await Promise.all(imgs.map((img) => batcher.classify(img)));
    await batcher.drain();
    via.forEach((c, i) => {
      assert.equal(c.label, direct[i]!.label, `image ${i}`);
      for (const l of clf.labels) assert.ok(Math.abs(c.scores[l]! - direct[i]!.scores[l]!) < 1e-5, `image ${i} ${l}`);
    });
    // exactly the views early exit asks for: one per confident image, V for the others
    const per = S * S * 3;
    const firsts = await clf.scoreViews(imgs.map((img) => img.subarray(0, per)));
    const undecided = firsts.filter((f) => !clf.firstDecides(f)).length;
    assert.ok(undecided > 0 && undecided < imgs.length, `the set mixes decided and undecided first views (${undecided} of ${imgs.length} undecided)`);
    assert.equal(rows, imgs.length + undecided * (V - 1));
    assert.ok(runs <= Math.ceil(rows / 4) + 2, `views are batched: ${rows} rows in ${runs} runs`);
    // a broken image fails alone
    const mixed = await Promise.allSettled([batcher.classify(imgs[0]!), batcher.classify(new Uint8Array(7)), batcher.classify(imgs[1]!)]);
    assert.deepEqual(mixed.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  } finally {
    await clf.close();
  }
});

test('uncertain: band and per-label threshold', async () => {
  const dir = path.join(work, 'dev-model-uncertain');
  // tiny weights → near-uniform scores (~1/6): inside the band and below a 0.5 threshold
  await writeDevModel(dir, { backboneDir, seed: 3, scale: 1e-4, uncertainBand: [0.1, 0.3] });
  const clf = await loadClassifier({ modelDir: dir, backboneDir });
  const [img] = await sampleImages();
  const [c] = await clf.classify([img!]);
  assert.equal(c!.uncertain, true);
  await clf.close();

  const dir2 = path.join(work, 'dev-model-threshold');
  await writeDevModel(dir2, { backboneDir, seed: 3, scale: 1e-4, thresholds: Object.fromEntries(LABELS.map((l) => [l, 0.5])) });
  const clf2 = await loadClassifier({ modelDir: dir2, backboneDir });
  const [c2] = await clf2.classify([img!]);
  assert.equal(c2!.uncertain, true);
  await clf2.close();
});

test('a backbone sha mismatch in the manifest is refused', async () => {
  const dir = path.join(work, 'dev-model-badsha');
  await writeDevModel(dir, { backboneDir, backboneSha256: 'ab'.repeat(32) });
  await assert.rejects(loadClassifier({ modelDir: dir, backboneDir }), /backbone mismatch/);
});

test('manifest and head validation', async () => {
  const dir = path.join(work, 'dev-model-invalid');
  await writeDevModel(dir, { backboneDir });
  const manifestFile = path.join(dir, 'manifest.json');
  const good = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;

  await writeFile(manifestFile, JSON.stringify({ ...good, thresholds: { nope: 0.5 } }));
  await assert.rejects(loadModelDir(dir), /unknown label 'nope'/);
  await writeFile(manifestFile, JSON.stringify({ ...good, input: { size: 224, fit: 'fill', scale: 1, layout: 'NHWC' } }));
  await assert.rejects(loadModelDir(dir), /input.scale/);
  await writeFile(manifestFile, JSON.stringify({ ...good, head: { file: '../head.json', dim: 1280 } }));
  await assert.rejects(loadModelDir(dir), /head.file/);

  await writeFile(manifestFile, JSON.stringify(good));
  const head = JSON.parse(await readFile(path.join(dir, 'head.json'), 'utf8')) as { W: number[][]; b: number[] };
  await writeFile(path.join(dir, 'head.json'), JSON.stringify({ W: head.W.slice(1), b: head.b }));
  await assert.rejects(loadModelDir(dir), /W has 5 rows/);
  // a hidden layer's weights must be canonical base64 (Buffer.from would silently skip bad characters)
  const hidden = { units: 1, b: [0], W: Buffer.from(new Float32Array(1280).buffer).toString('base64') };
  await writeFile(path.join(dir, 'head.json'), JSON.stringify({ W: head.W.map(() => [0]), b: head.b, hidden }));
  await loadModelDir(dir);
  await writeFile(path.join(dir, 'head.json'), JSON.stringify({ W: head.W.map(() => [0]), b: head.b, hidden: { ...hidden, W: `!!${hidden.W.slice(2)}` } }));
  await assert.rejects(loadModelDir(dir), /hidden.W must be base64/);
});

test('findLatestModelDir picks the newest version numerically', async () => {
  const models = path.join(work, 'models');
  for (const v of ['1.9.0', '1.10.0', '1.2.0']) {
    await mkdir(path.join(models, 'casb-classifier', v), { recursive: true });
    await writeFile(path.join(models, 'casb-classifier', v, 'manifest.json'), '{}');
  }
  await mkdir(path.join(models, 'casb-classifier', '9.9.9-empty'), { recursive: true }); // no manifest: ignored
  assert.equal(await findLatestModelDir('casb-classifier', models), path.join(models, 'casb-classifier', '1.10.0'));
  await assert.rejects(findLatestModelDir('missing', models), /no model found/);
});

test('converter: general paths on a small random Keras model (same/asymmetric pads, Pad node, depthwise x2, loose BN, pooling, flatten order)', async () => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { convertLayersModel } = await import('../src/model/onnx-convert.js');
  const L = tf.layers;
  const inp = tf.input({ shape: [16, 14, 3], name: 'input_1' });
  let x = L.conv2d({ name: 'c1', filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: true, activation: 'relu' }).apply(inp) as ReturnType<typeof tf.input>;
  x = L.zeroPadding2d({ name: 'zp1', padding: [[1, 0], [0, 2]] }).apply(x) as ReturnType<typeof tf.input>;
  x = L.batchNormalization({ name: 'bn_loose', axis: -1 }).apply(x) as ReturnType<typeof tf.input>; // BN after padding: Pad node + Mul/Add
  x = L.depthwiseConv2d({ name: 'dw', kernelSize: [3, 2], depthMultiplier: 2, strides: 1, padding: 'same', useBias: false }).apply(x) as ReturnType<typeof tf.input>;
  x = L.batchNormalization({ name: 'dw_bn', axis: -1, epsilon: 1e-3 }).apply(x) as ReturnType<typeof tf.input>; // folded
  const y = L.reLU({ name: 'r6', maxValue: 6 }).apply(x) as ReturnType<typeof tf.input>;
  const z = L.conv2d({ name: 'c2', filters: 16, kernelSize: 1, padding: 'valid', useBias: false }).apply(y) as ReturnType<typeof tf.input>;
  const s = L.add({ name: 'sum' }).apply([y, z]) as ReturnType<typeof tf.input>;
  const p = L.averagePooling2d({ name: 'pool', poolSize: 2, strides: 2, padding: 'valid' }).apply(s) as ReturnType<typeof tf.input>;
  const f = L.flatten({ name: 'flat' }).apply(p) as ReturnType<typeof tf.input>;
  const model = tf.model({ inputs: inp, outputs: f });
  // non-trivial BN statistics
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const name of ['bn_loose', 'dw_bn']) {
    const layer = model.getLayer(name);
    layer.setWeights(layer.getWeights().map((w, i) => tf.tensor(Array.from({ length: w.size }, () => (i === 3 ? 0.5 + rnd() : rnd() * 2 - 1)), w.shape)));
  }
  let artifacts: { modelTopology: unknown; weightSpecs: unknown; weightData: ArrayBuffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a as typeof artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(artifacts);
  const json = { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: artifacts.weightSpecs }] };
  const { bytes, outputDim } = convertLayersModel(json as never, new Uint8Array(artifacts.weightData), { outputLayer: 'flat' });
  const n = 2;
  const xs = Float32Array.from({ length: n * 16 * 14 * 3 }, () => rnd());
  const expected = tf.tidy(() => (model.predict(tf.tensor4d(xs, [n, 16, 14, 3])) as ReturnType<typeof tf.tensor>).dataSync()) as Float32Array;
  assert.equal(outputDim, expected.length / n);
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor('float32', xs, [n, 16, 14, 3]) });
  await session.release();
  const d = maxAbsDiff(out.features!.data as Float32Array, expected);
  console.log(`small-model parity: ${d.toExponential(2)} over ${expected.length} values`);
  assert.ok(d < 1e-4, `small-model parity ${d}`);
});

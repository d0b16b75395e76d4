/**
 * Image classifier: ONE onnxruntime-node session running the MobileNetV2 backbone with the
 * linear head appended in the ONNX graph.
 *
 * Session graph (built in memory from models/backbone/mobilenet_v2.onnx + the model's head):
 *   pixels  uint8   [N,224,224,3]  RGB, as decodeForModel produces it
 *     → Cast(float) → Div(255) → backbone → features float32 [N,D]  (D = 1280 + taps)
 *     → Gemm(W, b, transB) → Softmax → scores float32 [N,labels]
 * The uint8 → x/255 step is in the graph, so training embeddings (loadBackboneOnly) and
 * scanning see exactly the same numbers. With several test-time views per image, every view
 * is one row of the batch and the image's scores are the mean of its views' probabilities.
 */
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { viewCount, type ModelInputSpec } from '../image/decode.js';
import { BACKBONE_INPUT, BACKBONE_OUTPUT, BACKBONE_SIZE, ensureBackbone, sha256Hex } from './backbone.js';
import { type Head, type LoadedModel, findLatestModelDir, loadModelDir } from './manifest.js';
import { headNodes } from './head-graph.js';
import { decodeModel, encodeModel, tensorValueInfo } from './onnx-convert.js';

const { onnx } = onnxProto;

export interface Classification {
  label: string;
  scores: Record<string, number>;
  modelVersion: string;
  uncertain: boolean;
}

export interface Classifier {
  modelVersion: string;
  labels: string[];
  input: ModelInputSpec;
  /** Each entry: decodeForModel(…, input).rgb — size*size*3 RGB uint8 per view, row-major. */
  classify(batch: Uint8Array[]): Promise<Classification[]>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** onnxruntime intra-op threads (default: all cores, capped at 4). */
  intraOpThreads?: number;
  /** Backbone directory (default models/backbone under the repo root). */
  backboneDir?: string;
  /**
   * Let idle intra-op threads spin-wait (onnxruntime's default). Off by default: on a small
   * shared machine spinning threads fight the decoder and other work for the cores.
   */
  spinning?: boolean;
}

export const PIXELS_INPUT = 'pixels';
export const SCORES_OUTPUT = 'scores';

function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

function sessionOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: opts.intraOpThreads ?? defaultThreads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' } } },
  };
}

/**
 * Rewrite the backbone graph: uint8 `pixels` input with Cast+Div(255) in front, and, if a
 * head is given, Gemm + Softmax producing `scores` (features stay as a second output).
 */
export function buildSessionGraph(backboneBytes: Uint8Array, head?: Head, size = BACKBONE_SIZE): Uint8Array {
  const model = decodeModel(backboneBytes);
  const graph = model.graph;
  if (!graph) throw new Error('backbone model has no graph');
  const inputs = graph.input ?? [];
  if (inputs.length !== 1 || inputs[0]!.name !== BACKBONE_INPUT) throw new Error(`backbone must have the single input '${BACKBONE_INPUT}'`);
  if (!(graph.output ?? []).some((o) => o.name === BACKBONE_OUTPUT)) throw new Error(`backbone has no output '${BACKBONE_OUTPUT}'`);
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const UINT8 = onnx.TensorProto.DataType.UINT8;

  graph.input = [onnx.ValueInfoProto.create(tensorValueInfo(PIXELS_INPUT, UINT8, ['N', size, size, 3]))];
  const pre = [
    onnx.NodeProto.create({
      name: 'pixels__cast',
      opType: 'Cast',
      input: [PIXELS_INPUT],
      output: ['pixels__float'],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    }),
    onnx.NodeProto.create({ name: 'pixels__scale', opType: 'Div', input: ['pixels__float', 'pixels__255'], output: [BACKBONE_INPUT] }),
  ];
  const init = [onnx.TensorProto.create({ name: 'pixels__255', dims: [], dataType: FLOAT, floatData: [255] })];
  const post: onnxProto.onnx.NodeProto[] = [];
  if (head) {
    const n = head.b.length;
    const h = headNodes(head, BACKBONE_OUTPUT, 'head__logits');
    init.push(...h.initializers.map((t) => onnx.TensorProto.create(t)));
    post.push(
      ...h.nodes.map((n) => onnx.NodeProto.create(n)),
      onnx.NodeProto.create({
        name: 'head__softmax',
        opType: 'Softmax',
        input: ['head__logits'],
        output: [SCORES_OUTPUT],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      }),
    );
    graph.output = [onnx.ValueInfoProto.create(tensorValueInfo(SCORES_OUTPUT, FLOAT, ['N', n])), ...(graph.output ?? [])];
  }
  graph.node = [...pre, ...(graph.node ?? []), ...post];
  graph.initializer = [...init, ...(graph.initializer ?? [])];
  return encodeModel(model);
}

/** Pack single-view uint8 RGB rows into one [N,size,size,3] tensor, checking sizes. */
function packBatch(batch: Uint8Array[], size: number): ort.Tensor {
  const per = size * size * 3;
  const data = new Uint8Array(batch.length * per);
  batch.forEach((img, i) => {
    if (!(img instanceof Uint8Array) || img.length !== per) {
      throw new Error(`view ${i}: expected ${per} bytes (${size}x${size} RGB uint8), got ${img?.length}`);
    }
    data.set(img, i * per);
  });
  return new ort.Tensor('uint8', data, [batch.length, size, size, 3]);
}

async function verifiedBackbone(expectedSha: string | undefined, dir: string | undefined, taps: readonly string[] = [], size = BACKBONE_SIZE) {
  const info = await ensureBackbone({ taps, size, ...(dir ? { dir } : {}) });
  const bytes = await readFile(info.path);
  const sha = sha256Hex(bytes);
  if (expectedSha !== undefined && sha !== expectedSha) {
    throw new Error(
      `backbone mismatch: the model expects backbone sha256 ${expectedSha} but ${info.path} (${info.source}) has ${sha}. ` +
        'The head was trained on different features; retrain the head or rebuild the backbone from the nsfwjs version the model was trained with.',
    );
  }
  return { info: { ...info, sha256: sha }, bytes };
}

export interface ClassifierLoadOptions extends SessionOptions {
  /** Directory holding manifest.json + head (default: newest under models/casb-classifier/). */
  modelDir?: string;
}

/**
 * The classifier one view at a time, for a batcher that schedules views itself (batcher.ts):
 * score single-view rows in any mix of images, ask whether a first view decides alone (early
 * exit), and combine an image's view scores into its classification. `classify` is the same
 * thing for a batch of whole images.
 */
export interface ViewScorer {
  /** Views per image (rows of `decodeForModel(…).rgb`). */
  views: number;
  scoreViews(rows: Uint8Array[]): Promise<Float32Array[]>;
  /** True when the image's first view is confident enough that the other views are skipped (the manifest's `input.earlyExit`). */
  firstDecides(first: Float32Array): boolean;
  combine(views: Float32Array[]): Classification;
}

export interface LoadedClassifier extends Classifier, ViewScorer {
  manifest: LoadedModel['manifest'];
  backboneSha256: string;
}

export async function loadClassifier(opts: ClassifierLoadOptions = {}): Promise<LoadedClassifier> {
  const dir = opts.modelDir ?? (await findLatestModelDir());
  const model = await loadModelDir(dir);
  const { manifest, head, modelVersion } = model;
  const { info, bytes } = await verifiedBackbone(manifest.backbone.sha256, opts.backboneDir, manifest.backbone.taps, manifest.input.size);
  if (info.dim !== manifest.head.dim) throw new Error(`model ${modelVersion}: head expects ${manifest.head.dim} features, backbone gives ${info.dim}`);
  const session = await ort.InferenceSession.create(buildSessionGraph(bytes, head, manifest.input.size), sessionOptions(opts));
  const labels = [...manifest.labels];
  const size = manifest.input.size;
  const input: ModelInputSpec = { size, fit: manifest.input.fit, ...(manifest.input.views ? { views: manifest.input.views } : {}) };
  const V = viewCount(input);
  const band = manifest.uncertainBand;
  const earlyExit = manifest.input.earlyExit;
  let closed = false;
  const run = async (rows: Uint8Array[]): Promise<Float32Array> =>
    (await session.run({ [PIXELS_INPUT]: packBatch(rows, size) }, [SCORES_OUTPUT]))[SCORES_OUTPUT]!.data as Float32Array;
  const n = labels.length;
  const per = size * size * 3;
  /** Rows of single views → one probability vector per row. */
  const scoreViews = async (rows: Uint8Array[]): Promise<Float32Array[]> => {
    if (closed) throw new Error('classifier is closed');
    if (rows.length === 0) return [];
    const p = await run(rows);
    return rows.map((_, i) => p.slice(i * n, (i + 1) * n));
  };
  /** One image's view probabilities (first view first) → its classification. */
  const combine = (views: Float32Array[]): Classification => decide(meanOfViews(views));
  const decide = (scores: Float32Array): Classification => {
    const rec: Record<string, number> = {};
    let top = 0;
    for (let j = 0; j < n; j++) {
      rec[labels[j]!] = scores[j]!;
      if (scores[j]! > scores[top]!) top = j;
    }
    const label = labels[top]!;
    const topScore = scores[top]!;
    const threshold = manifest.thresholds[label];
    const uncertain = (band !== undefined && topScore >= band[0] && topScore <= band[1]) || (threshold !== undefined && topScore < threshold);
    return { label, scores: rec, modelVersion, uncertain };
  };
  /** Does this first view decide alone (see ViewScorer.earlyExit)? */
  const firstDecides = (first: Float32Array): boolean => V === 1 || (earlyExit !== undefined && Math.max(...first) >= earlyExit);

  return {
    modelVersion,
    labels,
    input,
    manifest,
    backboneSha256: info.sha256,
    views: V,
    scoreViews,
    firstDecides,
    combine,
    async classify(batch) {
      if (closed) throw new Error('classifier is closed');
      if (batch.length === 0) return [];
      for (const [i, img] of batch.entries()) {
        if (!(img instanceof Uint8Array) || img.length !== per * V) {
          throw new Error(`image ${i}: expected ${per * V} bytes (${V} view(s) of ${size}x${size} RGB uint8), got ${img?.length}`);
        }
      }
      // First view of every image in one run; the other views of the undecided ones in a second.
      const first = await scoreViews(batch.map((rgb) => rgb.subarray(0, per)));
      const rest = batch.map((_, i) => i).filter((i) => !firstDecides(first[i]!));
      const more = await scoreViews(rest.flatMap((i) => Array.from({ length: V - 1 }, (_, v) => batch[i]!.subarray((v + 1) * per, (v + 2) * per))));
      const views: Float32Array[][] = first.map((f) => [f]);
      rest.forEach((i, k) => views[i]!.push(...more.slice(k * (V - 1), (k + 1) * (V - 1))));
      return views.map(combine);
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

/** An image's view probabilities → their mean (the image's scores; view order does not matter). */
export function meanOfViews(views: readonly Float32Array[]): Float32Array {
  const n = views[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (const v of views) s += v[j]!;
    out[j] = s / views.length;
  }
  return out;
}

export interface BackboneEmbedder {
  sha256: string;
  source: string;
  size: number;
  dim: number;
  /** Each entry: one view, size*size*3 RGB uint8 → dim features (the head's input). */
  embed(batch: Uint8Array[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** The backbone alone (for training the head): same graph and preprocessing as the classifier, without the head. */
export async function loadBackboneOnly(opts: SessionOptions & { expectSha256?: string; taps?: readonly string[]; size?: number } = {}): Promise<BackboneEmbedder> {
  const size = opts.size ?? BACKBONE_SIZE;
  const { info, bytes } = await verifiedBackbone(opts.expectSha256, opts.backboneDir, opts.taps, size);
  const dim = info.dim;
  const session = await ort.InferenceSession.create(buildSessionGraph(bytes, undefined, size), sessionOptions(opts));
  let closed = false;
  return {
    sha256: info.sha256,
    source: info.source,
    size,
    dim,
    async embed(batch) {
      if (closed) throw new Error('embedder is closed');
      if (batch.length === 0) return [];
      const out = await session.run({ [PIXELS_INPUT]: packBatch(batch, size) }, [BACKBONE_OUTPUT]);
      const f = out[BACKBONE_OUTPUT]!.data as Float32Array;
      return batch.map((_, i) => f.slice(i * dim, (i + 1) * dim));
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

export { createBatcher, DEFAULT_BATCHER, type Batcher, type BatcherOptions } from './batcher.js';

/**
 * Converter: tfjs-layers (Keras) model JSON + weights → ONNX ModelProto (opset 13).
 *
 * Covers the layer set of a Keras MobileNetV2 (what nsfwjs ships), cut at a chosen
 * layer (the 1280-d pooled features). Graph contract of the result:
 *   input  `input`    float32 [N, H, W, C]  (NHWC, as the Keras model takes it)
 *   output `features` float32 [N, D]        (the cut layer's output, flattened, followed by the
 *                                            global-average-pooled outputs of any `taps`, in order)
 *
 * Conversion rules:
 *  - weights: uint8/uint16-quantized `q * scale + min` (exactly as tfjs dequantizes), or float32;
 *  - NHWC input is transposed to NCHW once; everything after runs in NCHW;
 *  - BatchNormalization right after a (depthwise) convolution is folded into its weights/bias;
 *    anywhere else it becomes a per-channel Mul + Add;
 *  - ZeroPadding2D is folded into the pads of the following 'valid' convolution (or a Pad node);
 *  - DepthwiseConv2D → Conv with group = C; Keras 'same' padding → explicit (asymmetric) pads;
 *  - with `inputSize`, the network runs at another square size; a whole-map pool stays global;
 *  - ReLU(max_value=6) → Clip(0, 6).
 *
 * Encoding goes through onnx-proto (protobufjs); the output bytes depend only on the input,
 * so the file's sha256 is stable.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

export const OPSET = 13;
export const IR_VERSION = 7;
/** Bump when the converter's output for the same source changes, so cached files get rebuilt. */
export const CONVERTER_VERSION = 1;

// ---------------------------------------------------------------- tfjs model JSON types

export interface WeightQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  min?: number;
  scale?: number;
}
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: WeightQuantization;
}
export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}
type InboundNode = [string, number, number, Record<string, unknown>?];
export interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: InboundNode[][];
}
export interface TfjsLayersModelJson {
  modelTopology: {
    model_config?: { class_name: string; config: { layers: KerasLayer[] } };
    config?: { layers: KerasLayer[] };
  };
  weightsManifest: WeightsManifestGroup[];
}

// ---------------------------------------------------------------- weights

/**
 * Decode the concatenated weight bytes of all manifest groups (in manifest order) into
 * float32 arrays keyed by weight name, dequantizing the way tfjs does.
 */
export function decodeWeights(manifest: WeightsManifestGroup[], data: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const group of manifest) {
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: unsupported dtype ${spec.dtype}`);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      const q = spec.quantization;
      if (q) {
        if (q.dtype !== 'uint8' && q.dtype !== 'uint16') throw new Error(`weight ${spec.name}: unsupported quantization ${q.dtype}`);
        if (typeof q.min !== 'number' || typeof q.scale !== 'number') throw new Error(`weight ${spec.name}: quantization lacks min/scale`);
        const bytes = q.dtype === 'uint8' ? 1 : 2;
        if (offset + size * bytes > data.byteLength) throw new Error(`weight data too short at ${spec.name}`);
        for (let i = 0; i < size; i++) {
          const v = bytes === 1 ? data[offset + i]! : view.getUint16(offset + 2 * i, true);
          values[i] = v * q.scale + q.min;
        }
        offset += size * bytes;
      } else {
        if (offset + size * 4 > data.byteLength) throw new Error(`weight data too short at ${spec.name}`);
        for (let i = 0; i < size; i++) values[i] = view.getFloat32(offset + 4 * i, true);
        offset += size * 4;
      }
      out.set(spec.name, { shape: spec.shape, values });
    }
  }
  if (offset !== data.byteLength) throw new Error(`weight data has ${data.byteLength - offset} unused bytes`);
  return out;
}

// ---------------------------------------------------------------- ONNX helpers

function floatTensor(name: string, dims: number[], values: Float32Array | number[]): ITensorProto {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  const raw = new Uint8Array(f.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < f.length; i++) dv.setFloat32(4 * i, f[i]!, true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function intsAttr(name: string, ints: number[]): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}
function intAttr(name: string, i: number): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function tensorValueInfo(name: string, elemType: number, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

// ---------------------------------------------------------------- converter

/** A tensor in the graph under construction: NCHW shape without N, plus pads still owed to it. */
interface Value {
  name: string;
  /** [C, H, W] for 4-d activations, [D] after Flatten. */
  shape: number[];
  /** ZeroPadding2D not yet materialized: [top, left, bottom, right]. */
  pendingPads?: [number, number, number, number];
}

export interface ConvertOptions {
  /** Keras layer whose output becomes `features` (default `flatten_1`). */
  outputLayer?: string;
  /**
   * Earlier layers whose outputs are global-average-pooled and concatenated after the cut
   * layer's features (mid-level texture and layout cues the final layer has pooled away).
   */
  taps?: string[];
  inputName?: string;
  outputName?: string;
  /**
   * Run the (fully convolutional) network at this square input size instead of the Keras
   * model's own. A pooling layer whose window covers the whole map at the native size (the
   * final 7×7 average pool of MobileNetV2) then pools whatever map it gets: global pooling.
   */
  inputSize?: number;
  /** Stored in the model's metadata_props (must be deterministic). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

export interface ConvertResult {
  model: onnxProto.onnx.IModelProto;
  bytes: Uint8Array;
  outputDim: number;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}
function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [num(v[0], what), num(v[1], what)];
  throw new Error(`${what}: expected a pair, got ${JSON.stringify(v)}`);
}

export function convertLayersModel(json: TfjsLayersModelJson, weightData: Uint8Array, opts: ConvertOptions = {}): ConvertResult {
  const outputLayer = opts.outputLayer ?? 'flatten_1';
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'features';
  const layers = json.modelTopology.model_config?.config.layers ?? json.modelTopology.config?.layers;
  if (!layers) throw new Error('model JSON has no layers');
  const weights = decodeWeights(json.weightsManifest, weightData);
  const w = (name: string) => {
    const t = weights.get(name);
    if (!t) throw new Error(`missing weight ${name}`);
    return t;
  };

  const inboundOf = (l: KerasLayer): string[] => {
    if (l.inbound_nodes.length > 1) throw new Error(`layer ${l.name}: shared layers are not supported`);
    return (l.inbound_nodes[0] ?? []).map((n) => {
      if (n[1] !== 0 || n[2] !== 0) throw new Error(`layer ${l.name}: multi-node inbound not supported`);
      return n[0];
    });
  };
  // How many layers consume each layer's output (to know when BN may be folded into its conv).
  const consumers = new Map<string, number>();
  for (const l of layers) for (const src of inboundOf(l)) consumers.set(src, (consumers.get(src) ?? 0) + 1);

  const nodes: INodeProto[] = [];
  const initializers: ITensorProto[] = [];
  const values = new Map<string, Value>();
  // Convolutions whose weights/bias may still be rewritten by a following BatchNormalization.
  interface ConvRec { node: INodeProto; W: Float32Array; B: Float64Array; outC: number; perOut: number; kh: number; kw: number; wName: string; bName: string; activation: string }
  const convs = new Map<string, ConvRec>();
  const allConvs: ConvRec[] = [];
  let inputDims: number[] | undefined;
  let reached = false;

  const get = (name: string): Value => {
    const v = values.get(name);
    if (!v) throw new Error(`no value for layer ${name}`);
    return v;
  };
  /** Materialize any pending ZeroPadding as a Pad node. */
  const materialize = (v: Value, forLayer: string): Value => {
    if (!v.pendingPads) return v;
    const [t, l, b, r] = v.pendingPads;
    const padsName = `${forLayer}__pads`;
    initializers.push({ name: padsName, dims: [8], dataType: onnx.TensorProto.DataType.INT64, int64Data: [0, 0, t, l, 0, 0, b, r] });
    const out = `${forLayer}__padded`;
    nodes.push({ name: `${forLayer}__pad`, opType: 'Pad', input: [v.name, padsName], output: [out], attribute: [] });
    return { name: out, shape: [v.shape[0]!, v.shape[1]! + t + b, v.shape[2]! + l + r] };
  };
  let clipBounds: { min: string; max: string } | undefined;
  const clip = (inp: string, out: string, name: string, maxValue: number | null) => {
    if (maxValue === null) {
      nodes.push({ name, opType: 'Relu', input: [inp], output: [out] });
      return;
    }
    if (maxValue !== 6) throw new Error(`${name}: ReLU max_value ${maxValue} unsupported`);
    if (!clipBounds) {
      clipBounds = { min: 'relu6__min', max: 'relu6__max' };
      initializers.push(floatTensor(clipBounds.min, [], [0]), floatTensor(clipBounds.max, [], [6]));
    }
    nodes.push({ name, opType: 'Clip', input: [inp, clipBounds.min, clipBounds.max], output: [out] });
  };

  for (const layer of layers) {
    if (reached) break;
    const cfg = layer.config;
    const ins = inboundOf(layer);
    const out = layer.name;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = (cfg.batch_input_shape ?? cfg.batchInputShape) as (number | null)[] | undefined;
        if (!shape || shape.length !== 4) throw new Error(`input layer ${layer.name}: expected a 4-d NHWC input`);
        const [, h, wd, c] = shape;
        inputDims = [num(opts.inputSize ?? h, 'input H'), num(opts.inputSize ?? wd, 'input W'), num(c, 'input C')];
        nodes.push({ name: `${out}__to_nchw`, opType: 'Transpose', input: [inputName], output: [out], attribute: [intsAttr('perm', [0, 3, 1, 2])] });
        values.set(out, { name: out, shape: [inputDims[2]!, inputDims[0]!, inputDims[1]!] });
        break;
      }
      case 'ZeroPadding2D': {
        const src = get(ins[0]!);
        const p = cfg.padding as unknown;
        let t: number, b: number, l: number, r: number;
        if (typeof p === 'number') [t, b, l, r] = [p, p, p, p];
        else if (Array.isArray(p) && Array.isArray(p[0])) {
          [t, b] = pair(p[0], 'padding');
          [l, r] = pair(p[1], 'padding');
        } else {
          [t, l] = pair(p, 'padding');
          [b, r] = [t, l];
        }
        const prev = src.pendingPads ?? [0, 0, 0, 0];
        values.set(out, { name: src.name, shape: src.shape, pendingPads: [prev[0] + t, prev[1] + l, prev[2] + b, prev[3] + r] });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const src = get(ins[0]!);
        const [inC, inH, inW] = src.shape as [number, number, number];
        const [kh, kw] = pair(cfg.kernel_size, 'kernel_size');
        const [sh, sw] = pair(cfg.strides, 'strides');
        const [dh, dw] = pair(cfg.dilation_rate ?? 1, 'dilation_rate');
        if ((cfg.data_format ?? 'channels_last') !== 'channels_last') throw new Error(`${out}: data_format must be channels_last`);
        const kernel = w(depthwise ? `${out}/depthwise_kernel` : `${out}/kernel`);
        let Wt: Float32Array;
        let outC: number;
        if (depthwise) {
          const mult = num(cfg.depth_multiplier ?? 1, 'depth_multiplier');
          outC = inC * mult;
          // Keras [kh, kw, C, mult] → ONNX [C*mult, 1, kh, kw]
          Wt = new Float32Array(outC * kh * kw);
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++)
              for (let c = 0; c < inC; c++)
                for (let m = 0; m < mult; m++)
                  Wt[((c * mult + m) * kh + y) * kw + x] = kernel.values[((y * kw + x) * inC + c) * mult + m]!;
        } else {
          outC = num(cfg.filters, 'filters');
          // Keras [kh, kw, in, out] → ONNX [out, in, kh, kw]
          Wt = new Float32Array(outC * inC * kh * kw);
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++)
              for (let i = 0; i < inC; i++)
                for (let o = 0; o < outC; o++)
                  Wt[((o * inC + i) * kh + y) * kw + x] = kernel.values[((y * kw + x) * inC + i) * outC + o]!;
        }
        if (kernel.values.length !== Wt.length) throw new Error(`${out}: kernel shape mismatch`);
        const B = new Float64Array(outC);
        if (cfg.use_bias) {
          const bias = w(`${out}/bias`).values;
          for (let o = 0; o < outC; o++) B[o] = bias[o]!;
        }
        // Padding: pending ZeroPadding2D plus Keras 'same'.
        let [pt, pl, pb, pr] = src.pendingPads ?? [0, 0, 0, 0];
        const effKh = (kh - 1) * dh + 1;
        const effKw = (kw - 1) * dw + 1;
        if (cfg.padding === 'same') {
          if (src.pendingPads) throw new Error(`${out}: ZeroPadding before a 'same' conv is not supported`);
          const totH = Math.max((Math.ceil(inH / sh) - 1) * sh + effKh - inH, 0);
          const totW = Math.max((Math.ceil(inW / sw) - 1) * sw + effKw - inW, 0);
          pt = Math.floor(totH / 2);
          pb = totH - pt;
          pl = Math.floor(totW / 2);
          pr = totW - pl;
        } else if (cfg.padding !== 'valid') throw new Error(`${out}: padding ${String(cfg.padding)} unsupported`);
        const outH = Math.floor((inH + pt + pb - effKh) / sh) + 1;
        const outW = Math.floor((inW + pl + pr - effKw) / sw) + 1;
        const wName = `${out}/W`;
        const bName = `${out}/B`;
        const node: INodeProto = {
          name: out,
          opType: 'Conv',
          input: [src.name, wName, bName],
          output: [out],
          attribute: [
            intsAttr('kernel_shape', [kh, kw]),
            intsAttr('strides', [sh, sw]),
            intsAttr('dilations', [dh, dw]),
            intsAttr('pads', [pt, pl, pb, pr]),
            intAttr('group', depthwise ? inC : 1),
          ],
        };
        nodes.push(node);
        const activation = String(cfg.activation ?? 'linear');
        const rec: ConvRec = { node, W: Wt, B, outC, perOut: Wt.length / outC, kh, kw, wName, bName, activation };
        convs.set(out, rec);
        allConvs.push(rec);
        values.set(out, { name: out, shape: [outC, outH, outW] });
        if (activation !== 'linear') {
          // Activation inside the conv: the conv's raw output gets a new name; BN cannot fold after it.
          node.output = [`${out}__preact`];
          if (activation === 'relu') clip(`${out}__preact`, out, `${out}__act`, null);
          else if (activation === 'relu6') clip(`${out}__preact`, out, `${out}__act`, 6);
          else throw new Error(`${out}: activation ${activation} unsupported`);
        }
        break;
      }
      case 'BatchNormalization': {
        const srcName = ins[0]!;
        const src = materialize(get(srcName), out);
        const axis = cfg.axis;
        if (!(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))))
          throw new Error(`${out}: BatchNormalization axis ${JSON.stringify(axis)} unsupported`);
        const eps = num(cfg.epsilon, 'epsilon');
        const C = src.shape[0]!;
        const gamma = cfg.scale === false ? undefined : w(`${out}/gamma`).values;
        const beta = cfg.center === false ? undefined : w(`${out}/beta`).values;
        const mean = w(`${out}/moving_mean`).values;
        const variance = w(`${out}/moving_variance`).values;
        const scale = new Float64Array(C);
        const shift = new Float64Array(C);
        for (let c = 0; c < C; c++) {
          scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
          shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
        }
        const conv = convs.get(srcName);
        if (conv && conv.activation === 'linear' && consumers.get(srcName) === 1 && !values.get(srcName)!.pendingPads) {
          for (let o = 0; o < conv.outC; o++) {
            for (let k = 0; k < conv.perOut; k++) conv.W[o * conv.perOut + k] = conv.W[o * conv.perOut + k]! * scale[o]!;
            conv.B[o] = conv.B[o]! * scale[o]! + shift[o]!;
          }
          conv.node.output = [out];
          convs.delete(srcName);
          values.set(out, { name: out, shape: src.shape });
        } else {
          const sName = `${out}/scale`;
          const bName = `${out}/shift`;
          const dims = src.shape.length === 3 ? [C, 1, 1] : [C];
          initializers.push(floatTensor(sName, dims, Float32Array.from(scale)), floatTensor(bName, dims, Float32Array.from(shift)));
          nodes.push({ name: `${out}__mul`, opType: 'Mul', input: [src.name, sName], output: [`${out}__scaled`] });
          nodes.push({ name: `${out}__add`, opType: 'Add', input: [`${out}__scaled`, bName], output: [out] });
          values.set(out, { name: out, shape: src.shape });
        }
        break;
      }
      case 'ReLU':
      case 'Activation': {
        const src = materialize(get(ins[0]!), out);
        let maxValue: number | null;
        if (layer.class_name === 'ReLU') {
          if ((cfg.negative_slope ?? 0) !== 0 || (cfg.threshold ?? 0) !== 0) throw new Error(`${out}: leaky/thresholded ReLU unsupported`);
          maxValue = cfg.max_value == null ? null : num(cfg.max_value, 'max_value');
        } else if (cfg.activation === 'relu') maxValue = null;
        else if (cfg.activation === 'relu6') maxValue = 6;
        else throw new Error(`${out}: activation ${String(cfg.activation)} unsupported`);
        clip(src.name, out, out, maxValue);
        values.set(out, { name: out, shape: src.shape });
        break;
      }
      case 'Add': {
        if (ins.length !== 2) throw new Error(`${out}: Add of ${ins.length} inputs unsupported`);
        const a = materialize(get(ins[0]!), `${out}__a`);
        const b = materialize(get(ins[1]!), `${out}__b`);
        nodes.push({ name: out, opType: 'Add', input: [a.name, b.name], output: [out] });
        values.set(out, { name: out, shape: a.shape });
        break;
      }
      case 'AveragePooling2D':
      case 'GlobalAveragePooling2D': {
        const src = materialize(get(ins[0]!), out);
        const [C, H, W] = src.shape as [number, number, number];
        if (layer.class_name === 'GlobalAveragePooling2D') {
          nodes.push({ name: out, opType: 'GlobalAveragePool', input: [src.name], output: [`${out}__4d`] });
          nodes.push({ name: `${out}__flatten`, opType: 'Flatten', input: [`${out}__4d`], output: [out], attribute: [intAttr('axis', 1)] });
          values.set(out, { name: out, shape: [C] });
          break;
        }
        const [ph, pw] = pair(cfg.pool_size, 'pool_size');
        const [sh, sw] = pair(cfg.strides ?? cfg.pool_size, 'strides');
        if (cfg.padding !== 'valid') throw new Error(`${out}: pooling padding ${String(cfg.padding)} unsupported`);
        // whole-map window (at the native input size: a pool at least as big as the map here)
        if ((ph === H && pw === W) || (opts.inputSize !== undefined && ph >= H && pw >= W)) {
          nodes.push({ name: out, opType: 'GlobalAveragePool', input: [src.name], output: [out] });
          values.set(out, { name: out, shape: [C, 1, 1] });
        } else {
          nodes.push({
            name: out,
            opType: 'AveragePool',
            input: [src.name],
            output: [out],
            attribute: [intsAttr('kernel_shape', [ph, pw]), intsAttr('strides', [sh, sw])],
          });
          values.set(out, { name: out, shape: [C, Math.floor((H - ph) / sh) + 1, Math.floor((W - pw) / sw) + 1] });
        }
        break;
      }
      case 'Flatten': {
        const src = materialize(get(ins[0]!), out);
        let inp = src.name;
        if (src.shape.length === 3 && (src.shape[1] !== 1 || src.shape[2] !== 1)) {
          // Keras flattens channels_last: go back to NHWC first so the element order matches.
          nodes.push({ name: `${out}__to_nhwc`, opType: 'Transpose', input: [inp], output: [`${out}__nhwc`], attribute: [intsAttr('perm', [0, 2, 3, 1])] });
          inp = `${out}__nhwc`;
        }
        nodes.push({ name: out, opType: 'Flatten', input: [inp], output: [out], attribute: [intAttr('axis', 1)] });
        values.set(out, { name: out, shape: [src.shape.reduce((a, b) => a * b, 1)] });
        break;
      }
      case 'Dropout': {
        values.set(out, get(ins[0]!));
        break;
      }
      default:
        throw new Error(`layer ${layer.name}: class ${layer.class_name} unsupported`);
    }
    if (layer.name === outputLayer) reached = true;
  }
  if (!reached) throw new Error(`output layer ${outputLayer} not found`);
  if (!inputDims) throw new Error('model has no InputLayer');

  // Conv weights are final now (BN folded): emit them.
  for (const conv of allConvs) {
    initializers.push(floatTensor(conv.wName, [conv.outC, conv.W.length / conv.outC / (conv.kh * conv.kw), conv.kh, conv.kw], conv.W));
    initializers.push(floatTensor(conv.bName, [conv.outC], Float32Array.from(conv.B)));
  }
  const finalOut = materialize(get(outputLayer), `${outputLayer}__final`);
  if (finalOut.shape.length !== 1) throw new Error(`output layer ${outputLayer} is not flat (shape ${finalOut.shape.join('x')}); cut at a Flatten/GlobalAveragePooling`);
  let outputDim = finalOut.shape[0]!;
  const parts = [finalOut.name];
  for (const spec of opts.taps ?? []) {
    const { layer: tap, pool } = parseTap(spec);
    const v = materialize(get(tap), `${tap}__tap`);
    if (v.shape.length !== 3) throw new Error(`tap ${tap} is not a 4-d activation (shape ${v.shape.join('x')})`);
    const id = `${tap}__tap_${pool}`;
    nodes.push({ name: `${id}_pool`, opType: pool === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', input: [v.name], output: [`${id}_4d`] });
    nodes.push({ name: `${id}_flatten`, opType: 'Flatten', input: [`${id}_4d`], output: [id], attribute: [intAttr('axis', 1)] });
    parts.push(id);
    outputDim += v.shape[0]!;
  }
  if (parts.length === 1) nodes.push({ name: `${outputName}__identity`, opType: 'Identity', input: [finalOut.name], output: [outputName] });
  else nodes.push({ name: `${outputName}__concat`, opType: 'Concat', input: parts, output: [outputName], attribute: [intAttr('axis', 1)] });

  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'casb-scan onnx-convert',
    producerVersion: opts.producerVersion ?? String(CONVERTER_VERSION),
    graph: {
      name: 'backbone',
      node: nodes,
      initializer: initializers,
      input: [tensorValueInfo(inputName, FLOAT, ['N', ...inputDims])],
      output: [tensorValueInfo(outputName, FLOAT, ['N', outputDim])],
    },
    metadataProps: Object.entries(opts.metadata ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
  const bytes = encodeModel(model);
  return { model, bytes, outputDim };
}

/** A tap is `<layer>` (global average pooled) or `<layer>@max` (global max pooled: a strong local response anywhere). */
export type TapPool = 'avg' | 'max';
export function parseTap(spec: string): { layer: string; pool: TapPool } {
  const [layer, pool = 'avg'] = spec.split('@') as [string, string | undefined];
  if (pool !== 'avg' && pool !== 'max') throw new Error(`tap ${spec}: unknown pooling '${pool}' (avg, max)`);
  return { layer, pool };
}

/** A small hand-built graph (head, training step) as a model at the converter's IR version and opset. */
export function encodeGraph(producerName: string, graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return encodeModel({ irVersion: IR_VERSION, opsetImport: [{ domain: '', version: OPSET }], producerName, graph });
}

export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

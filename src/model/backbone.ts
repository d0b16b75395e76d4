/**
 * The frozen feature extractor: nsfwjs's MobileNetV2 (Keras, quantized weights) converted to
 * ONNX and cut at the 1280-d pooled layer. Built from the installed nsfwjs package on first
 * use (or by `tsx src/model/build-backbone.ts`), written atomically, byte-for-byte reproducible.
 *
 * Graph contract: input `input` float32 [N,224,224,3] NHWC, values x/255;
 *                 output `features` float32 [N,D]: the 1280-d pooled layer, then the
 *                 global-average-pooled outputs of the model's `taps` (D = 1280 without taps).
 *
 * One file per tap set: `mobilenet_v2.onnx` without taps, `mobilenet_v2+<taps>.onnx` with,
 * so models trained on different feature sets can sit side by side.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVERTER_VERSION, convertLayersModel, parseTap, type TfjsLayersModelJson } from './onnx-convert.js';

/** Repository root, from this module's location (src/model/ → ../../). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_BACKBONE_DIR = path.join(REPO_ROOT, 'models', 'backbone');
export const BACKBONE_FILE = 'mobilenet_v2.onnx';
export const BACKBONE_LAYER = 'average_pooling2d_1';
/** The converter cuts at the Flatten right after `average_pooling2d_1` (same numbers, 2-d). */
export const BACKBONE_CUT = 'flatten_1';
export const BACKBONE_INPUT = 'input';
export const BACKBONE_OUTPUT = 'features';
export const BACKBONE_DIM = 1280;
export const BACKBONE_SIZE = 224;

/** Layers the converter may tap, with their channel counts (the pooled feature size each adds). */
export const TAP_CHANNELS: Readonly<Record<string, number>> = {
  block_16_project_BN: 320,
  block_13_expand_relu: 576,
  block_12_add: 96,
  block_6_expand_relu: 192,
  block_5_add: 32,
  out_relu: 1280,
};

/** Is `spec` a known tap (a TAP_CHANNELS layer, optionally with a pooling suffix)? */
export function isKnownTap(spec: string): boolean {
  try {
    return parseTap(spec).layer in TAP_CHANNELS;
  } catch {
    return false;
  }
}

/** Feature size for a tap set: 1280 plus each tap's channels. */
export function featureDim(taps: readonly string[] = []): number {
  return taps.reduce((d, t) => {
    const c = TAP_CHANNELS[parseTap(t).layer];
    if (c === undefined) throw new Error(`unknown backbone tap '${t}' (known: ${Object.keys(TAP_CHANNELS).join(', ')}, each optionally @max)`);
    return d + c;
  }, BACKBONE_DIM);
}

/** `mobilenet_v2[@<size>][+<tap>…].onnx`: one file per input size and tap set, so models built on different ones sit side by side. */
export function backboneFileName(taps: readonly string[] = [], size = BACKBONE_SIZE): string {
  const sized = size === BACKBONE_SIZE ? BACKBONE_FILE : BACKBONE_FILE.replace(/\.onnx$/, `@${size}.onnx`);
  return taps.length === 0 ? sized : sized.replace(/\.onnx$/, `+${taps.join('+')}.onnx`);
}

/** Input sizes the backbone may run at: MobileNetV2 halves the map five times, so a multiple of 32. */
export function checkInputSize(size: number): number {
  if (!Number.isInteger(size) || size < 96 || size > 448 || size % 32 !== 0) throw new Error(`backbone input size ${size}: expected a multiple of 32 from 96 to 448`);
  return size;
}

export interface BackboneInfo {
  path: string;
  sha256: string;
  /** e.g. `nsfwjs@4.3.0 models/mobilenet_v2` */
  source: string;
  taps: string[];
  dim: number;
  /** Square input side in pixels. */
  size: number;
}

/** Version of the installed nsfwjs package (its exports map hides package.json, so walk up from its entry). */
export function nsfwjsVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('nsfwjs'));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      const parsed = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'nsfwjs' && parsed.version) return parsed.version;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the nsfwjs package.json');
    dir = up;
  }
}

export function backboneSource(): string {
  return `nsfwjs@${nsfwjsVersion()} models/mobilenet_v2`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The nsfwjs MobileNetV2 layers-model JSON and its concatenated weight bytes. */
export async function loadNsfwjsMobileNetV2(): Promise<{ json: TfjsLayersModelJson; weightData: Uint8Array }> {
  // nsfwjs's own typings pull in tfjs types that may not resolve here; state the shape we rely on.
  const mod = (await import('nsfwjs/models/mobilenet_v2')) as unknown as {
    MobileNetV2Model: { modelJson: () => Promise<{ default: unknown }>; weightBundles: Array<() => Promise<{ default: string }>> };
  };
  const { MobileNetV2Model } = mod;
  const json = (await MobileNetV2Model.modelJson()).default as TfjsLayersModelJson;
  // Bundle i holds the base64 of the weight file group(i+1)-shard…; manifest paths say which.
  const bundles = await Promise.all(MobileNetV2Model.weightBundles.map((load) => load()));
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  if (paths.length !== bundles.length) throw new Error(`nsfwjs MobileNetV2: ${paths.length} weight paths but ${bundles.length} bundles`);
  const parts = bundles.map((b) => Buffer.from(b.default, 'base64'));
  return { json, weightData: new Uint8Array(Buffer.concat(parts)) };
}

/** Convert the nsfwjs MobileNetV2 into the backbone ONNX bytes (deterministic). */
export async function buildBackboneBytes(taps: readonly string[] = [], size = BACKBONE_SIZE): Promise<{ bytes: Uint8Array; source: string }> {
  const source = backboneSource();
  const { json, weightData } = await loadNsfwjsMobileNetV2();
  const metadata: Record<string, string> = { source, layer: BACKBONE_LAYER, input: `NHWC float32 x/255, ${size}x${size} RGB` };
  if (taps.length) metadata.taps = taps.join(',');
  const { bytes, outputDim } = convertLayersModel(json, weightData, {
    outputLayer: BACKBONE_CUT,
    taps: [...taps],
    inputName: BACKBONE_INPUT,
    outputName: BACKBONE_OUTPUT,
    ...(size !== BACKBONE_SIZE ? { inputSize: checkInputSize(size) } : {}),
    producerVersion: String(CONVERTER_VERSION),
    metadata,
  });
  if (outputDim !== featureDim(taps)) throw new Error(`backbone output dim ${outputDim}, expected ${featureDim(taps)}`);
  return { bytes, source };
}

interface Sidecar {
  source: string;
  converterVersion: number;
  sha256: string;
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Make sure `<dir>/mobilenet_v2.onnx` exists and was built from the installed nsfwjs by this
 * converter version; (re)build it otherwise. A sidecar `mobilenet_v2.json` records source,
 * converter version and sha256; the file's bytes are re-hashed each call.
 */
export async function ensureBackbone(opts: { dir?: string; force?: boolean; taps?: readonly string[]; size?: number } = {}): Promise<BackboneInfo> {
  const dir = opts.dir ?? DEFAULT_BACKBONE_DIR;
  const taps = [...(opts.taps ?? [])];
  const size = checkInputSize(opts.size ?? BACKBONE_SIZE);
  const dim = featureDim(taps);
  const file = path.join(dir, backboneFileName(taps, size));
  const sidecarFile = file.replace(/\.onnx$/, '.json');
  const source = backboneSource();
  if (!opts.force && existsSync(file) && existsSync(sidecarFile)) {
    try {
      const sidecar = JSON.parse(await readFile(sidecarFile, 'utf8')) as Sidecar;
      const sha256 = sha256Hex(await readFile(file));
      if (sidecar.source === source && sidecar.converterVersion === CONVERTER_VERSION && sidecar.sha256 === sha256) {
        return { path: file, sha256, source, taps, dim, size };
      }
    } catch {
      // unreadable sidecar: rebuild
    }
  }
  const { bytes } = await buildBackboneBytes(taps, size);
  const sha256 = sha256Hex(bytes);
  await mkdir(dir, { recursive: true });
  await writeAtomic(file, bytes);
  const sidecar: Sidecar = { source, converterVersion: CONVERTER_VERSION, sha256 };
  await writeAtomic(sidecarFile, JSON.stringify(sidecar, null, 2) + '\n');
  return { path: file, sha256, source, taps, dim, size };
}

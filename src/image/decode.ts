/**
 * Decode and normalise an image with sharp, then produce the classifier's input.
 * The same function serves training, evaluation and scanning, so the model always
 * sees pixels prepared the same way.
 *
 * Normalisation: EXIF auto-orient, sRGB, alpha flattened onto white, 8-bit, first
 * frame only, and a finite pixel limit so a decompression bomb is refused from its
 * header instead of being decoded.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { ItemError } from '../util/errors.js';
import { cutView } from './views.js';

/** Refuse images above this many pixels (width × height) before decoding. 100 MP covers any camera. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

/** Objects above this many bytes are skipped as too_large without being read (`--max-bytes`). */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/** Longest one image's decode may take (`--decode-timeout`); a 100 MP photo decodes in about a second on 2 cores. */
export const DEFAULT_DECODE_TIMEOUT_MS = 30_000;

/**
 * Ways to turn an image into a square model input: `fill` squashes, `cover` takes the centre
 * square, `contain` letterboxes on white; `-mirror` also flips left-right.
 */
export const VIEWS = ['fill', 'cover', 'contain', 'fill-mirror', 'cover-mirror'] as const;
export type View = (typeof VIEWS)[number];

export interface ModelInputSpec {
  size: number; // square side, e.g. 224
  /** `fill` squashes to a square (what the backbone was trained with); `contain` letterboxes. */
  fit: 'fill' | 'contain';
  /**
   * Several views per image (test-time augmentation): `rgb` then holds the views one after
   * another, each size²×3 bytes, in this order. Absent: the single view `fit`.
   */
  views?: readonly View[];
}

/** Number of views `decodeForModel` stacks into `rgb` for this spec. */
export function viewCount(spec: ModelInputSpec): number {
  return spec.views?.length ?? 1;
}

/** Split a decoded `rgb` into its views. */
export function splitViews(rgb: Uint8Array, size: number): Uint8Array[] {
  const per = size * size * 3;
  const out: Uint8Array[] = [];
  for (let o = 0; o < rgb.length; o += per) out.push(rgb.subarray(o, o + per));
  return out;
}

export const DEFAULT_INPUT: ModelInputSpec = { size: 224, fit: 'fill' };

export interface DecodedImage {
  /** Oriented dimensions of the original. */
  width: number;
  height: number;
  format: string;
  /** RGB, 8-bit, row-major, `spec.size`² × 3 bytes per view (see ModelInputSpec.views). */
  rgb: Uint8Array;
}

sharp.cache(false); // each image is seen once; libvips' operation cache only costs memory here
sharp.concurrency(1); // parallelism comes from our own CPU queue, not from libvips threads

function normalised(input: Buffer | string, pixelLimit: number, timeoutMs: number): Sharp {
  return sharp(input, { limitInputPixels: pixelLimit, failOn: 'error', pages: 1, sequentialRead: true })
    .timeout({ seconds: Math.max(1, Math.ceil(timeoutMs / 1000)) }) // libvips stops the work itself (whole seconds only)
    .rotate() // EXIF auto-orient
    .toColourspace('srgb')
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .removeAlpha();
}

/** 900, 1.5, 0.04: whole megapixels where that is exact enough, else up to two significant digits. */
function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return mp >= 10 ? mp.toFixed(0) : String(Number(mp.toPrecision(2)));
}

/**
 * Read only the header: oriented size (EXIF orientations 5–8 swap the sides) and format. Refuses a
 * pixel bomb from its header (ItemError too_large) and an unreadable header (corrupt) before any
 * decoding. The classifier's decode and the OCR preparation share it.
 */
export async function readImageHeader(input: Buffer | string, pixelLimit: number, what = 'limit'): Promise<{ width: number; height: number; format: string }> {
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ItemError('corrupt', `cannot read image header: ${(err as Error).message}`, { cause: err });
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (!w || !h) throw new ItemError('corrupt', 'image header has no dimensions');
  if (w * h > pixelLimit) {
    throw new ItemError('too_large', `image is ${w}x${h} (${megapixels(w * h)} MP), above the ${megapixels(pixelLimit)} MP ${what}`);
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  return { width: rotated ? h : w, height: rotated ? w : h, format: meta.format ?? 'unknown' };
}

/**
 * Decode `input` into the classifier's input tensor (uint8 RGB). Throws ItemError with
 * reason `too_large` (pixel bomb), `corrupt` (undecodable), `unsupported` or `timeout` (the
 * decode ran past `timeoutMs`: the caller is answered then, and libvips stops on its own within
 * the next whole second).
 */
export async function decodeForModel(
  input: Buffer | string,
  spec: ModelInputSpec = DEFAULT_INPUT,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
  timeoutMs = DEFAULT_DECODE_TIMEOUT_MS,
): Promise<DecodedImage> {
  const { width, height, format } = await readImageHeader(input, pixelLimit);
  const oriented = { width, height };
  let timer: NodeJS.Timeout | undefined;
  try {
    const img = normalised(input, pixelLimit, timeoutMs);
    const work = spec.views ? multiView(img, spec.size, spec.views, oriented) : oneView(img, spec.size, spec.fit);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ItemError('timeout', `decoding took longer than ${timeoutMs / 1000} s (--decode-timeout)`)), timeoutMs);
    });
    work.catch(() => undefined); // a decode still running when the timer fired must not surface as an unhandled rejection
    const rgb = await Promise.race([work, late]);
    return { ...oriented, format, rgb };
  } catch (err) {
    if (err instanceof ItemError) throw err;
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) throw new ItemError('too_large', msg, { cause: err });
    if (/timeout/i.test(msg)) throw new ItemError('timeout', `decoding took longer than ${timeoutMs / 1000} s (--decode-timeout)`, { cause: err });
    throw new ItemError('corrupt', `cannot decode image: ${msg}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

async function oneView(img: Sharp, size: number, view: View): Promise<Uint8Array> {
  const [fit, mirror] = view.split('-') as ['fill' | 'cover' | 'contain', string | undefined];
  let p = img.resize(size, size, { fit, position: 'centre', background: { r: 255, g: 255, b: 255 }, kernel: 'linear' });
  if (mirror) p = p.flop();
  const { data, info } = await p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== size * size * 3) {
    throw new ItemError('corrupt', `decoder produced ${info.channels} channels, expected 3`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Longest side of the shared copy (as a multiple of the model size): a 1:40 panorama must not become huge. */
const MAX_BASE_ASPECT = 8;

/**
 * Decode once into a small copy whose short side is the model size (the long side capped at 8×
 * that), then cut every view from it in JS (views.ts): `cover` is then a plain crop and `fill` a
 * one-axis resample, so a second view costs about a millisecond instead of a second libvips pipeline.
 */
async function multiView(img: Sharp, size: number, views: readonly View[], dims: { width: number; height: number }): Promise<Uint8Array> {
  const elongated = Math.max(dims.width, dims.height) > MAX_BASE_ASPECT * Math.min(dims.width, dims.height);
  const { data, info } = await img
    .resize(elongated ? size * MAX_BASE_ASPECT : size, elongated ? size * MAX_BASE_ASPECT : size, { fit: elongated ? 'inside' : 'outside', kernel: 'linear' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new ItemError('corrupt', `decoder produced ${info.channels} channels, expected 3`);
  const base = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  const per = size * size * 3;
  const out = new Uint8Array(per * views.length);
  views.forEach((v, i) => out.set(cutView(base, size, v), i * per));
  return out;
}

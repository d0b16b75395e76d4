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

/** Refuse images above this many pixels (width × height) before decoding. 100 MP covers any camera. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

export interface ModelInputSpec {
  size: number; // square side, e.g. 224
  /** `fill` squashes to a square (what the backbone was trained with); `contain` letterboxes. */
  fit: 'fill' | 'contain';
}

export const DEFAULT_INPUT: ModelInputSpec = { size: 224, fit: 'fill' };

export interface DecodedImage {
  /** Oriented dimensions of the original. */
  width: number;
  height: number;
  format: string;
  /** RGB, 8-bit, row-major, `spec.size`² × 3 bytes. */
  rgb: Uint8Array;
}

sharp.cache(false); // each image is seen once; libvips' operation cache only costs memory here
sharp.concurrency(1); // parallelism comes from our own CPU queue, not from libvips threads

function normalised(input: Buffer | string, pixelLimit: number): Sharp {
  return sharp(input, { limitInputPixels: pixelLimit, failOn: 'error', pages: 1, sequentialRead: true })
    .rotate() // EXIF auto-orient
    .toColourspace('srgb')
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .removeAlpha();
}

/**
 * Decode `input` into the classifier's input tensor (uint8 RGB). Throws ItemError with
 * reason `too_large` (pixel bomb), `corrupt` (undecodable) or `unsupported`.
 */
export async function decodeForModel(
  input: Buffer | string,
  spec: ModelInputSpec = DEFAULT_INPUT,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<DecodedImage> {
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
    throw new ItemError('too_large', `image is ${w}x${h} (${((w * h) / 1e6).toFixed(0)} MP), above the ${(pixelLimit / 1e6).toFixed(0)} MP limit`);
  }
  const oriented = (meta.orientation ?? 1) >= 5 ? { width: h, height: w } : { width: w, height: h };
  try {
    const { data, info } = await normalised(input, pixelLimit)
      .resize(spec.size, spec.size, {
        fit: spec.fit,
        background: { r: 255, g: 255, b: 255 },
        kernel: 'linear',
      })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== spec.size * spec.size * 3) {
      throw new ItemError('corrupt', `decoder produced ${info.channels} channels, expected 3`);
    }
    return { ...oriented, format: meta.format ?? 'unknown', rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    if (err instanceof ItemError) throw err;
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) throw new ItemError('too_large', msg, { cause: err });
    throw new ItemError('corrupt', `cannot decode image: ${msg}`, { cause: err });
  }
}

/**
 * Turn an encoded image into what tesseract reads best, and map the boxes it returns back to
 * the original image.
 *
 *  1. Header check: no dimensions → ItemError('corrupt'); above the pixel limit →
 *     ItemError('too_large') before anything is decoded (decompression bombs); undecodable
 *     data → ItemError('corrupt').
 *  2. One libvips pipeline: EXIF auto-orient, alpha flattened onto white, greyscale, resample.
 *  3. Scale (chooseScale): short side below `targetShortSide` (1000 px) is upscaled to it, at
 *     most `maxUpscale` (3×); the result is then capped at `maxLongSide` (2600 px) and
 *     `maxPixels` (6 MP). On a 400 px card photo the name's capitals are ~13 px and "VALID
 *     THRU" ~7 px tall; at 2.5–3× they reach the 20–40 px tesseract reads well. 1000 px beat
 *     700 and 1400 (below); the 3× cap and the 2600 px / 6 MP caps bound memory and time
 *     (a dense 1200×1700 page, 480 words, takes ~3.5 s) rather than being tuned; upscaling
 *     itself is nearly free (a 1000×630 card: 534 ms at 1.6×, 562 ms unscaled).
 *  4. Skew (estimateSkew): projection profiles of edge pixels on a ≤ 600 px copy, ±10° in 0.5°
 *     then 0.1° steps; at 1° or more the image is rotated level (corners filled with the mean
 *     border grey, so no white wedge becomes a "text" edge). Exact rotations (90/180/270, the
 *     caller's `rotations`, or `autoRotate` when the column profile beats the row profile)
 *     compose with the deskew into one rotation.
 *  5. Long strips (long/short > 3: scrolling screenshots) are scaled by their short side and cut
 *     into overlapping tiles (12 %, at most 8) instead of being shrunk until the text is unreadable.
 *
 * Every prepared image carries a `Geometry`; `mapBox(box, geometry)` is the pure inverse
 * (rotation about the centre of the expanded canvas → scale → tile offset), clamped to the image.
 *
 * MEASUREMENTS (the numbers above come from these; tesseract.js 7, eng 4.0.0_best_int, LSTM).
 * Rendered documents — payment cards (white on blue, cream on charcoal, black on light grey),
 * an ICAO passport page with the specimen MRZ, SSN cards — each at 3 widths (cards/SSN
 * 1000/600/400 px, passport 1400/1000/700 px) × 4 angles (0, +4, −4, +8°) × 3 JPEG qualities
 * (95/60/35); a case passes when findEntities() returns the right entity as `valid`.
 * Set A, 180 images, with the classic test numbers 4111 1111 1111 1111 / 5555 5555 5555 4444:
 *   no deskew, PSM 6 ........................................ 104/180 (every +8° image: no text at all)
 *   deskew, PSM 4 / 11 / 6 .................................. 106 / 129 / 141
 *   deskew, PSM 6, targetShortSide 700 / 1000 / 1400 ........ 136 / 141 / 139
 *   + sharp normalise() ..................................... 130 (JPEG noise stretched)
 *   + polarity-free local contrast 255−2·|I−blur(I)| ........ 127 (halos along card edges)
 *   + tesseract Sauvola thresholding (thresholding_method 2)  127
 *   + no dictionaries (load_*_dawg 0) ....................... no change on the failures
 *   rotation interpolator bilinear / bicubic / nohalo / lbb . within ±3 of each other
 *   Most misses there are LSTM failures on long runs of one digit ("4111 1111 TIS ISasIS…",
 *   "5555 5555 555 IEEE") at any scale or preparation.
 * Set B, 216 images, realistic PANs (4539 1488 0343 6467, 5425 2334 3010 9903, 4916 3385 0608
 * 2832), SSNs 412-67-9358 and 536-22-8741:
 *   deskew, PSM 11 / 6 ...................................... 194 / 203   (defaults: PSM 6)
 *   + second reading at scaleFactor 0.8 (or 1.2) only where the first gave an invalid near miss:
 *     209/216 for 6 extra passes (3 %); every near miss recovered. The 7 left are "536-22-8741"
 *     read as "536-222-8741", which no recognizer reports as a near miss.
 * Single-pass misses are mostly one inserted character after deskewing ("0343 06467", MRZ
 * "9ZE" → "97ZE"), chaotic in scale: a 20 % different scale reads them. See test/ocr-entities.test.ts.
 */
import { readImageHeader } from '../image/decode.js';
import sharp from 'sharp';
import { ItemError } from '../util/errors.js';
import type { Box } from './types.js';

/** Refuse images above this many pixels (width × height) before decoding (same default as decode.ts). */
export const OCR_PIXEL_LIMIT = 100_000_000;

export interface PrepareOptions {
  /** Pixel limit of the original (w × h); above it → ItemError('too_large'). */
  pixelLimit?: number;
  /** Upscale until the short side reaches this (px), at most `maxUpscale`×. */
  targetShortSide?: number;
  maxUpscale?: number;
  /**
   * Multiply the chosen scale (before the size caps): a second reading at another scale
   * (e.g. 0.8) makes mostly different LSTM mistakes than the first (see MEASUREMENTS).
   */
  scaleFactor?: number;
  /** Downscale so the long side is at most this and the area at most `maxPixels`. */
  maxLongSide?: number;
  maxPixels?: number;
  /** Estimate and correct skew up to ±`maxSkewDeg` (0 disables). */
  maxSkewDeg?: number;
  /** Exact extra rotations (clockwise degrees, multiples of 90) to prepare, one variant each. Default [0]. */
  rotations?: number[];
  /** Also read 90° and 270° when the text looks vertical (profile test, no OCR). Default false. */
  autoRotate?: boolean;
  /** Cut images whose long side / short side exceeds this into tiles (after scaling). */
  tileAspect?: number;
  /** Most tiles per image; beyond that the image is scaled down instead. */
  maxTiles?: number;
}

export const PREPARE_DEFAULTS: Required<PrepareOptions> = {
  pixelLimit: OCR_PIXEL_LIMIT,
  targetShortSide: 1000,
  maxUpscale: 3,
  scaleFactor: 1,
  maxLongSide: 2600,
  maxPixels: 6_000_000,
  maxSkewDeg: 10,
  rotations: [0],
  autoRotate: false,
  tileAspect: 3,
  maxTiles: 8,
};

/**
 * How a prepared image relates to the original: original → (crop at offset) → scale → rotate
 * clockwise by `angle` degrees about the centre, canvas expanded to the rotated bounds (what
 * libvips/sharp `rotate` does) → `prepared` pixels.
 */
export interface Geometry {
  /** Original (EXIF-oriented) size: the coordinate space of mapped boxes. */
  width: number;
  height: number;
  /** Prepared pixels per original pixel. */
  scale: number;
  /** Top-left of the crop (tile) in original pixels. */
  offset: { x: number; y: number };
  /** Size of the scaled crop before rotation. */
  scaledWidth: number;
  scaledHeight: number;
  /** Clockwise rotation applied after scaling (exact rotation + deskew), degrees. */
  angle: number;
  /** Size of the image handed to tesseract. */
  preparedWidth: number;
  preparedHeight: number;
}

export interface PreparedImage {
  /** Greyscale PNG for tesseract. */
  png: Buffer;
  /** e.g. 'full', 'rot90', 'tile2', 'rot90/tile2'. */
  pass: string;
  /** The exact rotation (multiple of 90) this variant was asked for. */
  rotation: number;
  /** Deskew applied on top of `rotation`, degrees clockwise (0 when none). */
  deskew: number;
  scale: number;
  /** Original (oriented) size. */
  width: number;
  height: number;
  geometry: Geometry;
}

export interface Prepared {
  /** Original (oriented) size. */
  width: number;
  height: number;
  format: string;
  images: PreparedImage[];
}

sharp.cache(false);

/** Longest side of the copy the layout analysis (skew, orientation) works on. */
const ANALYSIS_SIDE = 600;
/** |∂x| + |∂y| (central differences, 0..510) above which a pixel counts as an edge. */
const EDGE_THRESHOLD = 60;
const MIN_EDGE_POINTS = 50;
/** Skew below this is left alone (tesseract's line finder copes; a rotation blurs a little). */
const MIN_DESKEW_DEG = 1;
const VERTICAL_RATIO = 1.3;
const MIN_LINE_SHARPNESS = 1.5;

/**
 * Map a box from prepared-image pixels back to original pixels: the bounding box of the
 * four rotated-back corners, clamped to the original image. Pure.
 */
export function mapBox(box: Box, g: Geometry): Box {
  const rad = (g.angle * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const cxr = g.preparedWidth / 2;
  const cyr = g.preparedHeight / 2;
  const cxs = g.scaledWidth / 2;
  const cys = g.scaledHeight / 2;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [px, py] of [
    [box.x, box.y],
    [box.x + box.w, box.y],
    [box.x, box.y + box.h],
    [box.x + box.w, box.y + box.h],
  ] as const) {
    // Inverse of p' = cr + R(θ)(p − cs), R(θ) = [[cos, −sin], [sin, cos]] (clockwise on screen, y down).
    const dx = px - cxr;
    const dy = py - cyr;
    const sx = cxs + cos * dx + sin * dy;
    const sy = cys - sin * dx + cos * dy;
    const ox = sx / g.scale + g.offset.x;
    const oy = sy / g.scale + g.offset.y;
    x0 = Math.min(x0, ox); y0 = Math.min(y0, oy); x1 = Math.max(x1, ox); y1 = Math.max(y1, oy);
  }
  const cx0 = clamp(Math.floor(x0 + 1e-6), 0, g.width);
  const cy0 = clamp(Math.floor(y0 + 1e-6), 0, g.height);
  const cx1 = clamp(Math.ceil(x1 - 1e-6), 0, g.width);
  const cy1 = clamp(Math.ceil(y1 - 1e-6), 0, g.height);
  return { x: cx0, y: cy0, w: Math.max(0, cx1 - cx0), h: Math.max(0, cy1 - cy0) };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Prepared-pixel scale for an oriented w × h image. */
export function chooseScale(w: number, h: number, o: Required<PrepareOptions>): number {
  const short = Math.min(w, h);
  const long = Math.max(w, h);
  let s = short < o.targetShortSide ? Math.min(o.maxUpscale, o.targetShortSide / short) : 1;
  s *= o.scaleFactor;
  // Long strips are tiled along the long side, so only the short side bounds the scale there.
  const tiled = long / short > o.tileAspect;
  if (!tiled) s = Math.min(s, o.maxLongSide / long, Math.sqrt(o.maxPixels / (w * h)));
  else s = Math.min(s, o.maxLongSide / short, (o.maxLongSide * o.maxTiles) / long);
  return s;
}

export interface Grey {
  data: Buffer;
  width: number;
  height: number;
}


/** Decode, orient, flatten, grey, scale: one libvips pipeline. */
async function decodeGrey(input: Buffer, pixelLimit: number, width: number, height: number, scale: number): Promise<Grey> {
  try {
    let img = sharp(input, { limitInputPixels: pixelLimit, failOn: 'error', pages: 1 })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .greyscale();
    if (Math.abs(scale - 1) > 1e-3) {
      img = img.resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill', kernel: scale > 1 ? 'cubic' : 'lanczos3' });
    }
    const { data, info } = await img.extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new ItemError('corrupt', `decoder produced ${info.channels} channels, expected 1`);
    return { data, width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof ItemError) throw err;
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) throw new ItemError('too_large', msg, { cause: err });
    throw new ItemError('corrupt', `cannot decode image: ${msg}`, { cause: err });
  }
}

/** Edge pixels of a ≤ 600 px copy: strong gradient in x or y, so text of either polarity counts. */
export interface EdgePoints {
  xs: Int32Array;
  ys: Int32Array;
  width: number;
  height: number;
}

export async function edgePoints(g: Grey): Promise<EdgePoints> {
  const f = Math.min(1, ANALYSIS_SIDE / Math.max(g.width, g.height));
  const w = Math.max(1, Math.round(g.width * f));
  const h = Math.max(1, Math.round(g.height * f));
  const small = f < 1 ? await sharp(g.data, { raw: { width: g.width, height: g.height, channels: 1 } }).resize(w, h, { fit: 'fill' }).extractChannel(0).raw().toBuffer() : g.data;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = Math.abs(small[i + 1]! - small[i - 1]!);
      const gy = Math.abs(small[i + w]! - small[i - w]!);
      if (gx + gy > EDGE_THRESHOLD) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  return { xs: Int32Array.from(xs), ys: Int32Array.from(ys), width: w, height: h };
}

/** The same points after an exact clockwise rotation by `rotation` (0/90/180/270) of the image. */
export function rotatePoints(p: EdgePoints, rotation: number): EdgePoints {
  const r = ((rotation % 360) + 360) % 360;
  if (r === 0) return p;
  const n = p.xs.length;
  const xs = new Int32Array(n);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = p.xs[i]!;
    const y = p.ys[i]!;
    if (r === 90) { xs[i] = p.height - 1 - y; ys[i] = x; }
    else if (r === 180) { xs[i] = p.width - 1 - x; ys[i] = p.height - 1 - y; }
    else { xs[i] = y; ys[i] = p.width - 1 - x; }
  }
  return r === 180 ? { xs, ys, width: p.width, height: p.height } : { xs, ys, width: p.height, height: p.width };
}

/**
 * Sharpness of the row profile of `p` after undoing a clockwise skew of `deg`: the sum of
 * squared row counts, relative to what uniformly spread points would give (so 1 ≈ no lines).
 */
function profileSharpness(p: EdgePoints, deg: number, bins: Float64Array): number {
  const r = (deg * Math.PI) / 180;
  const c = Math.cos(r);
  const s = Math.sin(r);
  const off = bins.length >> 1;
  bins.fill(0);
  const n = p.xs.length;
  for (let i = 0; i < n; i++) bins[Math.round(p.ys[i]! * c - p.xs[i]! * s) + off]! += 1;
  let sum = 0;
  for (let i = 0; i < bins.length; i++) sum += bins[i]! * bins[i]!;
  return sum / ((n * n) / Math.max(1, p.height) + n);
}

/**
 * Skew of text lines in degrees (clockwise positive: how far the text is turned), by projection
 * profiles: the edge points are projected onto the vertical axis of each candidate angle
 * (0.5° steps, then 0.1° around the winner) and the angle with the sharpest row histogram wins.
 * `sharpness` is that histogram's peakiness (≈ 1 for no text lines; ruled text scores 3–10).
 * Returns skew 0 unless the winner beats level by 5 %.
 */
export function estimateSkew(p: EdgePoints, maxDeg: number): { skew: number; sharpness: number } {
  if (p.xs.length < MIN_EDGE_POINTS) return { skew: 0, sharpness: 1 };
  const bins = new Float64Array(2 * (Math.ceil(Math.hypot(p.width, p.height)) + 2));
  const level = profileSharpness(p, 0, bins);
  let best = 0;
  let bestScore = level;
  if (maxDeg > 0) {
    for (let d = -maxDeg; d <= maxDeg + 1e-9; d += 0.5) {
      const sc = profileSharpness(p, d, bins);
      if (sc > bestScore) { bestScore = sc; best = d; }
    }
    const coarse = best;
    for (let d = coarse - 0.4; d <= coarse + 0.4 + 1e-9; d += 0.1) {
      const sc = profileSharpness(p, d, bins);
      if (sc > bestScore) { bestScore = sc; best = d; }
    }
  }
  if (bestScore < level * 1.05) return { skew: 0, sharpness: level };
  return { skew: Math.round(best * 10) / 10, sharpness: bestScore };
}

/**
 * Whether the text of `p` runs vertically (a sideways photo): the column profile (rows after a
 * 90° turn) is clearly sharper than the row profile. Needs text-like structure in one of them.
 */
export function looksVertical(p: EdgePoints, maxDeg: number): boolean {
  if (p.xs.length < MIN_EDGE_POINTS) return false;
  const rows = estimateSkew(p, maxDeg).sharpness;
  const cols = estimateSkew(rotatePoints(p, 90), maxDeg).sharpness;
  return cols > VERTICAL_RATIO * rows && cols > MIN_LINE_SHARPNESS;
}

/** Mean grey of the outermost pixel ring: the fill for corners a rotation uncovers. */
function borderGrey(g: Grey): number {
  let sum = 0;
  let n = 0;
  for (let x = 0; x < g.width; x++) {
    sum += g.data[x]! + g.data[(g.height - 1) * g.width + x]!;
    n += 2;
  }
  for (let y = 0; y < g.height; y++) {
    sum += g.data[y * g.width]! + g.data[y * g.width + g.width - 1]!;
    n += 2;
  }
  return Math.round(sum / Math.max(1, n));
}

async function toPng(g: Grey, angle: number): Promise<{ png: Buffer; width: number; height: number }> {
  let img = sharp(g.data, { raw: { width: g.width, height: g.height, channels: 1 } });
  if (angle % 90 !== 0) {
    const v = borderGrey(g);
    img = img.rotate(angle, { background: { r: v, g: v, b: v } });
  } else if (angle !== 0) img = img.rotate(angle);
  const { data, info } = await img.extractChannel(0).png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height };
}

function crop(g: Grey, x: number, y: number, w: number, h: number): Grey {
  if (x === 0 && y === 0 && w === g.width && h === g.height) return g;
  const out = Buffer.allocUnsafe(w * h);
  for (let r = 0; r < h; r++) g.data.copy(out, r * w, (y + r) * g.width + x, (y + r) * g.width + x + w);
  return { data: out, width: w, height: h };
}

/** Tiles along the long side with 12 % overlap, each at most `maxLongSide` long. */
function tiles(g: Grey, o: Required<PrepareOptions>): { x: number; y: number; w: number; h: number }[] {
  const long = Math.max(g.width, g.height);
  const short = Math.min(g.width, g.height);
  if (long / short <= o.tileAspect) return [{ x: 0, y: 0, w: g.width, h: g.height }];
  const len = Math.min(long, Math.max(short, o.maxLongSide));
  const overlap = Math.round(len * 0.12);
  const n = Math.max(1, Math.ceil((long - overlap) / (len - overlap)));
  const step = n > 1 ? (long - len) / (n - 1) : 0;
  const out: { x: number; y: number; w: number; h: number }[] = [];
  for (let i = 0; i < n; i++) {
    const start = Math.round(i * step);
    out.push(g.width >= g.height ? { x: start, y: 0, w: len, h: g.height } : { x: 0, y: start, w: g.width, h: len });
  }
  return out;
}

/**
 * Prepare `input` for tesseract: one PreparedImage per rotation × tile. Throws
 * ItemError('corrupt' | 'too_large').
 */
export async function prepareForOcr(input: Buffer, options: PrepareOptions = {}): Promise<Prepared> {
  const o: Required<PrepareOptions> = { ...PREPARE_DEFAULTS, ...stripUndefined(options) };
  const { width, height, format } = await readImageHeader(input, o.pixelLimit, 'OCR limit');
  const scale = chooseScale(width, height, o);
  let grey = await decodeGrey(input, o.pixelLimit, width, height, scale);
  // The exact scale per axis (rounding) is within half a pixel; keep one scale, from the width.
  const s = grey.width / width;
  const asked = normRotations(o.rotations);
  const images: PreparedImage[] = [];
  const cut = tiles(grey, o);
  const tileCount = new Map<number, number>();
  for (const t of cut) {
    const part = crop(grey, t.x, t.y, t.w, t.h);
    const pts = o.maxSkewDeg > 0 || o.autoRotate ? await edgePoints(part) : undefined;
    const rotations = pts && o.autoRotate && looksVertical(pts, o.maxSkewDeg) ? normRotations([...asked, 90, 270]) : asked;
    for (const rotation of rotations) {
      const skew = pts && o.maxSkewDeg > 0 ? estimateSkew(rotatePoints(pts, rotation), o.maxSkewDeg).skew : 0;
      const deskew = Math.abs(skew) >= MIN_DESKEW_DEG ? -skew : 0;
      // Exact rotation and deskew compose into one rotation about the centre.
      const angle = rotation + deskew;
      const { png, width: pw, height: ph } = await toPng(part, angle);
      const n = (tileCount.get(rotation) ?? 0) + 1;
      tileCount.set(rotation, n);
      const pass = [rotation ? `rot${rotation}` : '', cut.length > 1 ? `tile${n}` : ''].filter(Boolean).join('/') || 'full';
      images.push({
        png,
        pass,
        rotation,
        deskew,
        scale: s,
        width,
        height,
        geometry: {
          width,
          height,
          scale: s,
          offset: { x: t.x / s, y: t.y / s },
          scaledWidth: t.w,
          scaledHeight: t.h,
          angle,
          preparedWidth: pw,
          preparedHeight: ph,
        },
      });
    }
  }
  return { width, height, format, images };
}

function normRotations(list: number[]): number[] {
  const out: number[] = [];
  for (const r of list.length ? list : [0]) {
    const n = (((Math.round(r / 90) * 90) % 360) + 360) % 360;
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

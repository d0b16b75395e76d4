/**
 * Domain randomisation on rendered images, all with sharp and the seeded PRNG. Scenes ("looks") for documents:
 *  - scan: flat on a light scanner bed (±3°), sometimes with the lid edge; scanPage: small on a white A4 page;
 *  - photo: phone photo — true perspective warp (homography, bilinear) on a real Debian photo or a synthetic
 *    desk/cloth/wood background, soft drop shadow, lighting gradient + vignette + specular glare, occluders
 *    (a thumb over an edge, another object over a corner, clutter beside the document);
 *  - crop: zoomed in on part of the document;
 *  - viewer: the document shown inside a phone photo viewer, chat, desktop image viewer or PDF viewer
 *    (a screenshot of a document), flat or as a photo.
 * Then photometric jitter, blur (focus or motion), sensor noise, JPEG (sometimes twice) — see finish().
 */
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from './prng.js';
import { SANS, hsl, rect, text } from './svg.js';

sharp.cache(false);
sharp.concurrency(1);

export interface Encoded {
  data: Buffer;
  ext: 'jpg' | 'png';
}

export interface RealImage {
  file: string;
  sha256: string;
  package: string;
  /** ≤1024 px copy written by fetch-debian (preferred when present). */
  small?: string;
  kind?: string;
}

/** Real images a scene may use: backgrounds (photo/art kinds) and cut-out objects. */
export interface SceneSources {
  backgrounds: readonly RealImage[];
  objects: readonly RealImage[];
}

export const NO_SCENE: SceneSources = { backgrounds: [], objects: [] };

/** Uncompressed pixels passed between stages (no PNG round trips). */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}
export type Img = Buffer | RawImage;

export function toSharp(img: Img): Sharp {
  return Buffer.isBuffer(img) ? sharp(img) : sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 } });
}

/** Composite input for an Img. */
export function overlay(img: Img, left: number, top: number): OverlayOptions {
  return Buffer.isBuffer(img) ? { input: img, left, top } : { input: img.data, raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 }, left, top };
}

export async function toRaw(p: Sharp): Promise<RawImage> {
  const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * Pick a package with probability ∝ √(its image count), then a file in it: one big package does not dominate,
 * and a package with a single wallpaper is not shown as often as one with hundreds of images.
 */
export function pickBalanced(rng: Rng, imgs: readonly RealImage[]): RealImage {
  const by = new Map<string, RealImage[]>();
  for (const i of imgs) by.set(i.package, [...(by.get(i.package) ?? []), i]);
  const pkgs = [...by.keys()].sort();
  const w = pkgs.map((p) => Math.sqrt(by.get(p)!.length));
  let x = rng.float(0, w.reduce((a, b) => a + b, 0));
  for (let k = 0; k < pkgs.length; k++) {
    x -= w[k]!;
    if (x <= 0 || k === pkgs.length - 1) return rng.pick(by.get(pkgs[k]!)!);
  }
  throw new Error('pickBalanced: no images');
}

const SMALL_DIR = path.resolve('.cache/debian/small');

/** A real image, ≤1280 px: the fetch-time small copy when indexed with one, else downscaled and cached on disk. */
export async function loadSmall(img: RealImage): Promise<Buffer> {
  if (img.small && existsSync(img.small)) return readFileSync(img.small);
  const out = path.join(SMALL_DIR, `${img.sha256}.png`);
  if (existsSync(out)) return readFileSync(out);
  mkdirSync(SMALL_DIR, { recursive: true });
  const buf = await sharp(img.file, { limitInputPixels: 200_000_000, pages: 1 })
    .rotate()
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .resize(1280, 1280, { fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 3 })
    .toBuffer();
  writeFileSync(out, buf);
  return buf;
}

/** Rasterise SVG to raw RGBA; `scale` multiplies the SVG's pixel size. */
export async function rasterise(svg: string, scale = 1): Promise<RawImage> {
  return toRaw(sharp(Buffer.from(svg), { density: 72 * scale }).ensureAlpha());
}

export async function size(img: Img): Promise<[number, number]> {
  if (!Buffer.isBuffer(img)) return [img.width, img.height];
  const m = await sharp(img).metadata();
  return [m.width ?? 1, m.height ?? 1];
}

/** A synthetic background: flat, gradient, wood/desk stripes, cloth weave or stone blobs (drawn small, scaled up). */
function syntheticBackground(rng: Rng, W: number, H: number): string {
  const kind = rng.int(0, 4);
  const base = hsl(rng.int(0, 359), rng.float(0, 50), rng.float(12, 92));
  const open = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">`;
  if (kind === 0) return `${open}<rect width="100%" height="100%" fill="${base}"/></svg>`;
  if (kind === 1) {
    return `${open}<defs><radialGradient id="g" cx="${rng.float(0.2, 0.8)}" cy="${rng.float(0.2, 0.8)}" r="0.9"><stop offset="0" stop-color="${base}"/><stop offset="1" stop-color="${hsl(rng.int(0, 359), rng.float(0, 40), rng.float(5, 60))}"/></radialGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  }
  if (kind === 3) {
    // cloth / weave
    const c = hsl(rng.int(0, 359), rng.float(10, 60), rng.float(20, 70));
    let s = `${open}<rect width="100%" height="100%" fill="${c}"/><g stroke="#000" opacity="${rng.float(0.05, 0.2).toFixed(2)}" stroke-width="1">`;
    const step = rng.float(2, 5);
    let d = '';
    for (let x = 0; x < W; x += step) d += `M${x.toFixed(1)} 0V${H}`;
    for (let y = 0; y < H; y += step) d += `M0 ${y.toFixed(1)}H${W}`;
    return s + `<path d="${d}"/></g></svg>`;
  }
  if (kind === 4) {
    // stone / granite blobs
    let s = `${open}<rect width="100%" height="100%" fill="${base}"/>`;
    for (let i = 0; i < 60; i++) s += `<circle cx="${rng.float(0, W).toFixed(1)}" cy="${rng.float(0, H).toFixed(1)}" r="${rng.float(1, W / 12).toFixed(1)}" fill="${hsl(rng.int(0, 359), rng.float(0, 20), rng.float(10, 90))}" opacity="${rng.float(0.05, 0.3).toFixed(2)}"/>`;
    return s + '</svg>';
  }
  // wood grain / desk
  const hue = rng.int(18, 40);
  let s = `${open}<rect width="100%" height="100%" fill="${hsl(hue, rng.float(20, 60), rng.float(20, 70))}"/>`;
  const n = rng.int(15, 50);
  for (let i = 0; i < n; i++) {
    const y = rng.float(0, H);
    let d = `M 0 ${y.toFixed(1)}`;
    for (let x = 0; x <= W; x += 20) d += ` L ${x} ${(y + 3 * Math.sin(x / rng.float(15, 60) + i)).toFixed(1)}`;
    s += `<path d="${d}" stroke="${hsl(hue, rng.float(20, 60), rng.float(10, 80))}" stroke-width="${rng.float(0.5, 4).toFixed(1)}" opacity="${rng.float(0.1, 0.5).toFixed(2)}" fill="none"/>`;
  }
  return s + '</svg>';
}

/** A W×H background (raw RGB): a real photo crop (softened: out of focus) or a synthetic texture. */
export async function background(rng: Rng, W: number, H: number, backgrounds: readonly RealImage[]): Promise<Buffer> {
  if (backgrounds.length > 0 && rng.bool(0.5)) {
    const img = await loadSmall(pickBalanced(rng, backgrounds));
    const soft = rng.float(1.5, 4);
    const small = await toRaw((await cropResize(rng, img, Math.max(8, Math.round(W / soft)), Math.max(8, Math.round(H / soft)), 0.3)).removeAlpha());
    return toSharp(small).resize(W, H, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  }
  const q = 4;
  const svg = syntheticBackground(rng, Math.max(8, Math.round(W / q)), Math.max(8, Math.round(H / q)));
  return sharp(Buffer.from(svg)).resize(W, H, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
}

/**
 * A pipeline for a random crop covering at least `minFrac` of each side, resized to exactly W×H (resize first, then
 * extract, so JPEG shrink-on-load applies).
 */
async function cropResize(rng: Rng, img: Img, W: number, H: number, minFrac: number): Promise<Sharp> {
  let iw: number;
  let ih: number;
  if (Buffer.isBuffer(img)) {
    const meta = await sharp(img).metadata();
    iw = meta.width ?? W;
    ih = meta.height ?? H;
  } else {
    iw = img.width;
    ih = img.height;
  }
  const targetAspect = W / H;
  let cw = Math.round(iw * rng.float(minFrac, 1));
  let ch = Math.round(cw / targetAspect);
  if (ch > ih) {
    ch = ih;
    cw = Math.min(iw, Math.round(ch * targetAspect));
  }
  cw = Math.max(8, Math.min(iw, cw));
  ch = Math.max(8, Math.min(ih, ch));
  const left = rng.int(0, Math.max(0, iw - cw));
  const top = rng.int(0, Math.max(0, ih - ch));
  const fx = W / cw;
  const fy = H / ch;
  const sw = Math.max(W, Math.round(iw * fx));
  const sh = Math.max(H, Math.round(ih * fy));
  return toSharp(img)
    .resize(sw, sh, { fit: 'fill' })
    .extract({ left: Math.min(sw - W, Math.round(left * fx)), top: Math.min(sh - H, Math.round(top * fy)), width: W, height: H });
}

/**
 * A portrait photo w×h: a person cut-out (painted or drawn, from the Debian images) head and shoulders on a plain
 * studio backdrop, optionally greyscale, slightly soft like a printed photo. Raw RGBA with `opacity` as its alpha.
 */
export async function personPhoto(rng: Rng, people: readonly RealImage[], w: number, h: number, grey: boolean, opacity = 1): Promise<Buffer> {
  const W = Math.max(8, Math.round(w));
  const H = Math.max(8, Math.round(h));
  // trim the transparent margin, find the head (centre of the opaque pixels in the top rows), and scale so head and
  // shoulders fill the box: these are figures, often with arms and weapons spread out
  const { data: fig0, info } = await sharp(await loadSmall(pickBalanced(rng, people))).ensureAlpha().trim().raw().toBuffer({ resolveWithObject: true });
  const tw = info.width;
  const th = info.height;
  let sx = 0;
  let n = 0;
  for (let y = 0; y < Math.max(1, Math.round(th * 0.12)); y++)
    for (let x = 0; x < tw; x++)
      if (fig0[(y * tw + x) * 4 + 3]! > 128) {
        sx += x;
        n++;
      }
  const headX = n ? sx / n : tw / 2;
  const scale = W / Math.max(8, Math.min(tw, th) * rng.float(0.45, 0.75));
  const sw = Math.max(4, Math.round(tw * scale));
  const sh = Math.max(4, Math.round(th * scale));
  const fig = await sharp(fig0, { raw: { width: tw, height: th, channels: 4 } }).resize(sw, sh, { fit: 'fill' }).png({ compressionLevel: 0 }).toBuffer();
  const left = Math.round(W / 2 - headX * scale + rng.float(-0.08, 0.08) * W);
  const top = Math.round(H * rng.float(0.04, 0.14));
  const backdrop = rng.bool(0.5) ? hsl(rng.int(190, 225), rng.float(5, 40), rng.float(70, 92)) : hsl(0, 0, rng.float(78, 97));
  const [safe] = await clipOverlays([{ input: fig, left, top }], W, H);
  let img = sharp({ create: { width: W, height: H, channels: 3, background: backdrop } }).composite(safe ? [safe] : []);
  let buf = await img.png({ compressionLevel: 0 }).toBuffer();
  img = sharp(buf);
  if (grey) img = img.modulate({ saturation: 0 }); // stays 3-channel sRGB, unlike greyscale()
  if (rng.bool(0.6)) img = img.blur(rng.float(0.4, 1.2));
  buf = await img.ensureAlpha().raw().toBuffer();
  if (opacity < 1) for (let i = 3; i < buf.length; i += 4) buf[i] = Math.round(buf[i]! * opacity);
  return sharp(buf, { raw: { width: W, height: H, channels: 4 } }).png({ compressionLevel: 0 }).toBuffer();
}

/** Random crop covering at least `minFrac` of each side, resized to W×H (PNG). */
export async function randomCropResize(rng: Rng, img: Buffer, W: number, H: number, minFrac: number): Promise<Buffer> {
  return (await cropResize(rng, img, W, H, minFrac)).png({ compressionLevel: 0 }).toBuffer();
}

// ---------------------------------------------------------------------------------------------------- geometry

type Pt = [number, number];

/** 3×3 homography (h33 = 1) mapping the four `from` points onto the four `to` points. */
export function homography(from: readonly Pt[], to: readonly Pt[]): number[] {
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting on the 8×9 augmented matrix
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const pv = A[c]![c]!;
    for (let k = c; k < 9; k++) A[c]![k]! /= pv;
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = A[r]![c]!;
      if (f !== 0) for (let k = c; k < 9; k++) A[r]![k]! -= f * A[c]![k]!;
    }
  }
  return [...A.map((row) => row[8]!), 1];
}

/**
 * Draw an RGBA document (dw×dh) into an RGB canvas (W×H) so its corners land on `quad` (TL, TR, BR, BL), with
 * bilinear sampling (soft edges come from sampling the transparent outside).
 */
export function warpInto(canvas: Buffer, W: number, H: number, doc: Buffer, dw: number, dh: number, quad: readonly Pt[]): void {
  const h = homography(quad, [[0, 0], [dw, 0], [dw, dh], [0, dh]]);
  const [h0, h1, h2, h3, h4, h5, h6, h7] = h as [number, number, number, number, number, number, number, number];
  const xs = quad.map((q) => q[0]);
  const ys = quad.map((q) => q[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - 1);
  const x1 = Math.min(W - 1, Math.ceil(Math.max(...xs)) + 1);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)) - 1);
  const y1 = Math.min(H - 1, Math.ceil(Math.max(...ys)) + 1);
  const dw1 = dw - 1;
  const dh1 = dh - 1;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const den = h6 * px + h7 * py + 1;
      const u = (h0 * px + h1 * py + h2) / den - 0.5;
      const v = (h3 * px + h4 * py + h5) / den - 0.5;
      if (u < -1 || v < -1 || u > dw || v > dh) continue;
      const ui = Math.floor(u);
      const vi = Math.floor(v);
      const fu = u - ui;
      const fv = v - vi;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < 4; k++) {
        const sx = ui + (k & 1);
        const sy = vi + (k >> 1);
        if (sx < 0 || sy < 0 || sx > dw1 || sy > dh1) continue;
        const w = ((k & 1) ? fu : 1 - fu) * ((k >> 1) ? fv : 1 - fv);
        const o = (sy * dw + sx) * 4;
        const aw = (doc[o + 3] as number) * w;
        r += (doc[o] as number) * aw;
        g += (doc[o + 1] as number) * aw;
        b += (doc[o + 2] as number) * aw;
        a += aw;
      }
      if (a <= 0.5) continue;
      const alpha = a / 255;
      const o = (y * W + x) * 3;
      canvas[o] = (canvas[o] as number) * (1 - alpha) + r / a * alpha;
      canvas[o + 1] = (canvas[o + 1] as number) * (1 - alpha) + g / a * alpha;
      canvas[o + 2] = (canvas[o + 2] as number) * (1 - alpha) + b / a * alpha;
    }
  }
}

/** Is (x, y) inside the convex quad (either winding)? */
function inQuad(q: readonly Pt[], x: number, y: number): boolean {
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[i]!;
    const b = q[(i + 1) % 4]!;
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (c > 0) pos++;
    else if (c < 0) neg++;
  }
  return pos === 0 || neg === 0;
}

/**
 * Soft shadow of a quad: darken the canvas under the quad shifted by (dx, dy), blurred. The mask is drawn and
 * box-blurred on a coarse grid, then applied with bilinear interpolation.
 */
function castShadow(canvas: Buffer, W: number, H: number, quad: readonly Pt[], dx: number, dy: number, blur: number, opacity: number): void {
  const cell = Math.max(2, Math.round(blur / 2));
  const gw = Math.ceil(W / cell) + 1;
  const gh = Math.ceil(H / cell) + 1;
  const q = quad.map((p) => [p[0] + dx, p[1] + dy] as Pt);
  let m: Float32Array = new Float32Array(gw * gh);
  for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++) if (inQuad(q, gx * cell, gy * cell)) m[gy * gw + gx] = 1;
  // three box-blur passes (≈ gaussian), radius 2 cells
  const tmp = new Float32Array(gw * gh);
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        let s = 0;
        for (let k = -2; k <= 2; k++) s += m[y * gw + Math.min(gw - 1, Math.max(0, x + k))] as number;
        tmp[y * gw + x] = s / 5;
      }
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        let s = 0;
        for (let k = -2; k <= 2; k++) s += tmp[Math.min(gh - 1, Math.max(0, y + k)) * gw + x] as number;
        m[y * gw + x] = s / 5;
      }
  }
  for (let y = 0; y < H; y++) {
    const fy = y / cell;
    const y0 = Math.floor(fy);
    const ty = fy - y0;
    const r0 = y0 * gw;
    const r1 = Math.min(gh - 1, y0 + 1) * gw;
    for (let x = 0; x < W; x++) {
      const fx = x / cell;
      const x0 = Math.floor(fx);
      const tx = fx - x0;
      const x1 = Math.min(gw - 1, x0 + 1);
      const v = ((m[r0 + x0] as number) * (1 - tx) + (m[r0 + x1] as number) * tx) * (1 - ty) + ((m[r1 + x0] as number) * (1 - tx) + (m[r1 + x1] as number) * tx) * ty;
      if (v < 0.004) continue;
      const k = 1 - opacity * v;
      const o = (y * W + x) * 3;
      canvas[o] = (canvas[o] as number) * k;
      canvas[o + 1] = (canvas[o + 1] as number) * k;
      canvas[o + 2] = (canvas[o + 2] as number) * k;
    }
  }
  m = tmp; // (let the GC have both)
}

/** Lighting: linear gain gradient, vignette and an optional specular glare blob (additive). */
function light(rng: Rng, canvas: Buffer, W: number, H: number, glareAt?: Pt, glareR = 0): void {
  const g0 = rng.float(0.8, 1.12);
  const gx = rng.float(-0.35, 0.35);
  const gy = rng.float(-0.35, 0.35);
  const vig = rng.bool(0.5) ? rng.float(0.1, 0.45) : 0;
  const glare = glareAt && rng.bool(0.35) ? rng.float(60, 170) : 0;
  const colGain = new Float32Array(W);
  const colVig = new Float32Array(W);
  for (let x = 0; x < W; x++) {
    const nx = x / W - 0.5;
    colGain[x] = gx * nx;
    colVig[x] = nx * nx;
  }
  for (let y = 0; y < H; y++) {
    const ny = y / H - 0.5;
    const rowG = g0 + gy * ny;
    const rowV = ny * ny;
    let o = y * W * 3;
    for (let x = 0; x < W; x++, o += 3) {
      let gain = rowG + (colGain[x] as number) - vig * ((colVig[x] as number) + rowV) * 2;
      if (gain < 0.2) gain = 0.2;
      const r = (canvas[o] as number) * gain;
      const g = (canvas[o + 1] as number) * gain;
      const b = (canvas[o + 2] as number) * gain;
      canvas[o] = r > 255 ? 255 : r;
      canvas[o + 1] = g > 255 ? 255 : g;
      canvas[o + 2] = b > 255 ? 255 : b;
    }
  }
  if (glare && glareAt) {
    const R = Math.max(1, glareR);
    const r2 = R * R;
    const x0 = Math.max(0, Math.floor(glareAt[0] - 2 * R));
    const x1 = Math.min(W - 1, Math.ceil(glareAt[0] + 2 * R));
    const y0 = Math.max(0, Math.floor(glareAt[1] - 2 * R));
    const y1 = Math.min(H - 1, Math.ceil(glareAt[1] + 2 * R));
    for (let y = y0; y <= y1; y++) {
      const dy = y - glareAt[1];
      for (let x = x0; x <= x1; x++) {
        const dx = x - glareAt[0];
        const add = glare * Math.exp(-(dx * dx + dy * dy) / r2);
        const o = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = (canvas[o + c] as number) + add;
          canvas[o + c] = v > 255 ? 255 : v;
        }
      }
    }
  }
}

/** A thumb (skin-toned capsule with a nail) pressing on point P, pointing along angle `ang` (towards the document). */
function thumbSvg(rng: Rng, len: number, wid: number): { svg: string; w: number; h: number } {
  const skinL = rng.float(30, 78);
  const hue = rng.int(12, 32);
  const skin = hsl(hue, rng.float(30, 60), skinL);
  const skinD = hsl(hue, rng.float(30, 60), skinL * 0.72);
  const w = Math.round(len);
  const h = Math.round(wid);
  const id = `t${rng.u32()}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skinD}"/><stop offset="0.45" stop-color="${skin}"/><stop offset="1" stop-color="${skinD}"/></linearGradient></defs><rect x="0" y="0" width="${w}" height="${h}" rx="${h / 2}" fill="url(#${id})"/><rect x="${w - h * 0.95}" y="${h * 0.2}" width="${h * 0.75}" height="${h * 0.6}" rx="${h * 0.25}" fill="${hsl(hue, 25, Math.min(92, skinL + 15))}" opacity="0.85"/><path d="M ${w - h * 1.4} ${h * 0.25} q ${-h * 0.1} ${h * 0.25} 0 ${h * 0.5}" stroke="${skinD}" stroke-width="${(h * 0.04).toFixed(1)}" fill="none"/></svg>`;
  return { svg, w, h };
}

async function rotated(img: Img, angleDeg: number): Promise<{ buf: Buffer; w: number; h: number }> {
  const { data, info } = await toSharp(img).ensureAlpha().rotate(angleDeg, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png({ compressionLevel: 0 }).toBuffer({ resolveWithObject: true });
  return { buf: data, w: info.width, h: info.height };
}

/** A drawn small object (coin, pen, paper clip) for when no Debian objects are indexed. */
function drawnObject(rng: Rng, size: number): string {
  const kind = rng.int(0, 2);
  const S = Math.round(size);
  if (kind === 0) {
    const c = rng.bool() ? hsl(rng.int(35, 50), 60, rng.float(45, 65)) : hsl(0, 0, rng.float(60, 80));
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S}"><circle cx="${S / 2}" cy="${S / 2}" r="${S * 0.45}" fill="${c}" stroke="#0004" stroke-width="${S * 0.04}"/><circle cx="${S / 2}" cy="${S / 2}" r="${S * 0.33}" fill="none" stroke="#0003" stroke-width="${S * 0.02}"/></svg>`;
  }
  if (kind === 1) {
    const c = hsl(rng.int(0, 359), rng.float(30, 80), rng.float(20, 55));
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${Math.round(S * 0.12)}"><rect width="${S * 0.85}" height="${S * 0.12}" rx="${S * 0.06}" fill="${c}"/><path d="M ${S * 0.85} 0 L ${S} ${S * 0.06} L ${S * 0.85} ${S * 0.12} Z" fill="#d9c29a"/></svg>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round(S * 0.4)}" height="${S}"><rect x="${S * 0.05}" y="${S * 0.05}" width="${S * 0.3}" height="${S * 0.9}" rx="${S * 0.15}" fill="none" stroke="${hsl(0, 0, rng.float(55, 80))}" stroke-width="${S * 0.03}"/></svg>`;
}

async function objectImage(rng: Rng, objects: readonly RealImage[], target: number): Promise<Buffer> {
  if (objects.length > 0 && rng.bool(0.8)) {
    return sharp(await loadSmall(pickBalanced(rng, objects))).resize(Math.max(8, Math.round(target)), Math.max(8, Math.round(target)), { fit: 'inside' }).ensureAlpha().png({ compressionLevel: 0 }).toBuffer();
  }
  return sharp(Buffer.from(drawnObject(rng, target))).png({ compressionLevel: 0 }).toBuffer();
}

/** Crop overlays to the W×H canvas (sharp wants them inside it). */
async function clipOverlays(layers: readonly OverlayOptions[], W: number, H: number): Promise<OverlayOptions[]> {
  const safe: OverlayOptions[] = [];
  for (const l of layers) {
    const m = await sharp(l.input as Buffer).metadata();
    const lw = m.width ?? 1;
    const lh = m.height ?? 1;
    const left = l.left ?? 0;
    const top = l.top ?? 0;
    const x0 = Math.max(0, -left);
    const y0 = Math.max(0, -top);
    const x1 = Math.min(lw, W - left);
    const y1 = Math.min(lh, H - top);
    if (x1 - x0 < 2 || y1 - y0 < 2) continue;
    const input = x0 === 0 && y0 === 0 && x1 === lw && y1 === lh ? (l.input as Buffer) : await sharp(l.input as Buffer).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).png({ compressionLevel: 0 }).toBuffer();
    safe.push({ input, left: left + x0, top: top + y0 });
  }
  return safe;
}

// ---------------------------------------------------------------------------------------------------- looks

export type Look = 'scan' | 'scanPage' | 'photo' | 'crop' | 'viewer';

/** The look of a document sample; `viewer` only where allowed (sensitive documents). */
export function pickLook(rng: Rng, allowViewer = true): Look {
  const x = rng.next();
  if (x < 0.28) return 'scan';
  if (x < 0.38) return 'scanPage';
  if (x < 0.82) return 'photo';
  if (x < 0.92) return 'crop';
  return allowViewer ? 'viewer' : 'photo';
}

/** How long (px) the document's long side should be rendered for a look at a given output size. */
export function docTarget(rng: Rng, look: Look, side: number): number {
  switch (look) {
    case 'scan':
      return side * rng.float(0.8, 0.96);
    case 'scanPage':
      return side * rng.float(0.3, 0.6);
    case 'photo':
      return side * rng.float(0.4, 0.95);
    case 'crop':
      return side / rng.float(0.5, 0.85);
    case 'viewer':
      return side * rng.float(0.45, 0.8);
  }
}

export interface PlaceOpts {
  look?: Look;
  /** Long side of the scene (px); default 380-1100. */
  side?: number;
  /** Make room for / draw clutter and occluders (photo look). */
  occlude?: boolean;
}

/**
 * Place a document raster (RGBA PNG) in a scene; returns raw RGB pixels whose long side is about `side`.
 */
export async function placeDocument(rng: Rng, doc: Img, sources: SceneSources | readonly RealImage[], opts: PlaceOpts = {}): Promise<RawImage> {
  const src: SceneSources = Array.isArray(sources) ? { backgrounds: sources as readonly RealImage[], objects: [] } : (sources as SceneSources);
  const look = opts.look ?? pickLook(rng, false);
  const side = opts.side ?? rng.int(380, 1100);
  const [dw, dh] = await size(doc);
  switch (look) {
    case 'crop':
      return cropLook(rng, doc, dw, dh, side);
    case 'scan':
    case 'scanPage':
      return scanLook(rng, doc, dw, dh, side, look === 'scanPage');
    case 'viewer':
      return viewerLook(rng, doc, src, side);
    default:
      return photoLook(rng, doc, dw, dh, src, side, opts.occlude ?? true);
  }
}

async function cropLook(rng: Rng, doc: Img, dw: number, dh: number, side: number): Promise<RawImage> {
  const cw = Math.max(16, Math.min(dw, Math.round(Math.min(dw, side * rng.float(0.9, 1.1)))));
  const ch = Math.max(16, Math.min(dh, Math.round(cw * rng.float(0.55, 1.3))));
  const flat = await toSharp(doc)
    .flatten({ background: hsl(0, 0, rng.float(85, 100)) })
    .extract({ left: rng.int(0, dw - cw), top: rng.int(0, dh - ch), width: cw, height: ch })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return toRaw(sharp(flat.data, { raw: { width: flat.info.width, height: flat.info.height, channels: 3 } }).rotate(rng.float(-4, 4), { background: '#ffffff' }));
}

async function scanLook(rng: Rng, doc: Img, dw: number, dh: number, side: number, page: boolean): Promise<RawImage> {
  const bed = hsl(rng.int(30, 60), rng.float(0, 10), rng.float(88, 100));
  const r = await rotated(doc, rng.float(-3, 3));
  let W: number;
  let H: number;
  if (page) {
    const portrait = rng.bool(0.75);
    W = portrait ? Math.round(side / 1.414) : side;
    H = portrait ? side : Math.round(side / 1.414);
  } else {
    const fill = rng.float(0.86, 0.98);
    W = Math.round(r.w / fill);
    H = Math.round(r.h / fill);
  }
  W = Math.max(W, r.w + 2);
  H = Math.max(H, r.h + 2);
  const layers: OverlayOptions[] = [];
  const left = page && rng.bool(0.5) ? rng.int(0, Math.round((W - r.w) * 0.15)) : rng.int(0, W - r.w);
  const top = page && rng.bool(0.5) ? rng.int(0, Math.round((H - r.h) * 0.15)) : rng.int(0, H - r.h);
  layers.push({ input: r.buf, left, top });
  if (rng.bool(0.15)) {
    // open lid: a dark band along one edge
    const band = Math.round((rng.bool() ? W : H) * rng.float(0.03, 0.12));
    const vert = rng.bool();
    layers.push({ input: { create: { width: vert ? band : W, height: vert ? H : band, channels: 3, background: hsl(0, 0, rng.float(3, 25)) } }, left: vert && rng.bool() ? W - band : 0, top: !vert && rng.bool() ? H - band : 0 });
  }
  return toRaw(sharp({ create: { width: W, height: H, channels: 3, background: bed } }).composite(layers));
}

async function photoLook(rng: Rng, doc: Img, dw0: number, dh0: number, src: SceneSources, side: number, occlude: boolean): Promise<RawImage> {
  // canvas: a phone photo aspect
  const aspect = rng.pick([4 / 3, 3 / 4, 16 / 9, 9 / 16, 1, rng.float(0.6, 1.8)]);
  const W = aspect >= 1 ? side : Math.round(side * aspect);
  const H = aspect >= 1 ? Math.round(side / aspect) : side;
  // fit the document: at most ~92% of the canvas
  const fit = Math.min(1, (Math.min(W, H) * rng.float(0.55, 1.15)) / Math.min(dw0, dh0), (Math.max(W, H) * 0.95) / Math.max(dw0, dh0));
  let docImg: Img = doc;
  let dw = dw0;
  let dh = dh0;
  if (fit < 0.98) {
    dw = Math.max(8, Math.round(dw0 * fit));
    dh = Math.max(8, Math.round(dh0 * fit));
    docImg = await toRaw(toSharp(doc).resize(dw, dh, { fit: 'fill' }));
  }
  const docRaw = !Buffer.isBuffer(docImg) && docImg.channels === 4 ? docImg.data : (await toRaw(toSharp(docImg).ensureAlpha())).data;
  // quad: rotate + perspective (camera tilt) + corner jitter
  const ang = rng.bool(0.1) ? ((rng.pick([90, -90, 180]) + rng.float(-8, 8)) * Math.PI) / 180 : (rng.float(-25, 25) * Math.PI) / 180;
  const tilt = rng.float(-0.22, 0.22); // one side narrower than the other (perspective)
  const tiltVert = rng.bool();
  const j = Math.min(dw, dh) * rng.float(0, 0.06);
  const base: Pt[] = [[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]];
  const persp = base.map(([x, y]) => {
    let px = x;
    let py = y;
    if (tiltVert) px *= 1 + (y / dh) * 2 * tilt;
    else py *= 1 + (x / dw) * 2 * tilt;
    return [px + rng.float(-j, j), py * rng.float(0.85, 1.02) + rng.float(-j, j)] as Pt;
  });
  const rot = persp.map(([x, y]) => [x * Math.cos(ang) - y * Math.sin(ang), x * Math.sin(ang) + y * Math.cos(ang)] as Pt);
  const xs = rot.map((p) => p[0]);
  const ys = rot.map((p) => p[1]);
  const bw = Math.max(...xs) - Math.min(...xs);
  const bh = Math.max(...ys) - Math.min(...ys);
  const spill = rng.bool(0.12) ? 0.15 : 0; // sometimes the document runs off the frame
  const cx = rng.float(Math.min(W / 2, bw / 2 - spill * bw), Math.max(W / 2, W - bw / 2 + spill * bw));
  const cy = rng.float(Math.min(H / 2, bh / 2 - spill * bh), Math.max(H / 2, H - bh / 2 + spill * bh));
  const quad = rot.map(([x, y]) => [x + cx, y + cy] as Pt);

  const canvas = await background(rng, W, H, src.backgrounds);
  // clutter beside the document (objects, other cards) — drawn before the document
  const layersAfter: OverlayOptions[] = [];
  if (occlude && rng.bool(0.25)) {
    const n = rng.int(1, 2);
    const under: OverlayOptions[] = [];
    for (let i = 0; i < n; i++) {
      const o = await rotated(await objectImage(rng, src.objects, Math.min(W, H) * rng.float(0.2, 0.45)), rng.float(-40, 40));
      under.push({ input: o.buf, left: rng.int(-Math.round(o.w / 3), Math.max(0, W - Math.round((2 * o.w) / 3))), top: rng.int(-Math.round(o.h / 3), Math.max(0, H - Math.round((2 * o.h) / 3))) });
    }
    const clipped = await clipOverlays(under, W, H);
    if (clipped.length) {
      const withClutter = await sharp(canvas, { raw: { width: W, height: H, channels: 3 } }).composite(clipped).removeAlpha().raw().toBuffer();
      withClutter.copy(canvas);
    }
  }
  if (rng.bool(0.7)) castShadow(canvas, W, H, quad, rng.float(-0.03, 0.03) * W, rng.float(0.005, 0.04) * H, Math.min(W, H) * rng.float(0.01, 0.04), rng.float(0.25, 0.6));
  warpInto(canvas, W, H, docRaw, dw, dh, quad);
  light(rng, canvas, W, H, [cx + rng.float(-0.3, 0.3) * bw, cy + rng.float(-0.3, 0.3) * bh], Math.min(bw, bh) * rng.float(0.15, 0.4));
  if (occlude) {
    const corner = rng.int(0, 3);
    const a = quad[corner]!;
    const b = quad[(corner + 1) % 4]!;
    if (rng.bool(0.22)) {
      // a thumb holding the document at one edge, near a corner
      const t = rng.float(0.1, 0.4);
      const P: Pt = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
      const toC = Math.atan2(cy - P[1], cx - P[0]);
      const len = Math.min(bw, bh) * rng.float(0.3, 0.55);
      const wid = len * rng.float(0.38, 0.5);
      const th = thumbSvg(rng, len, wid);
      const png = await sharp(Buffer.from(th.svg)).png({ compressionLevel: 0 }).toBuffer();
      const angDeg = (toC * 180) / Math.PI + rng.float(-25, 25);
      const r = await rotated(png, angDeg);
      // the nail end (right side of the unrotated capsule) sits just inside the document edge
      const tip = len * rng.float(0.2, 0.45);
      const centre: Pt = [P[0] - Math.cos((angDeg * Math.PI) / 180) * (len / 2 - tip), P[1] - Math.sin((angDeg * Math.PI) / 180) * (len / 2 - tip)];
      layersAfter.push({ input: r.buf, left: Math.round(centre[0] - r.w / 2), top: Math.round(centre[1] - r.h / 2) });
    } else if (rng.bool(0.1)) {
      // another object over a corner
      const o = await rotated(await objectImage(rng, src.objects, Math.min(bw, bh) * rng.float(0.3, 0.6)), rng.float(-60, 60));
      layersAfter.push({ input: o.buf, left: Math.round(a[0] - o.w / 2), top: Math.round(a[1] - o.h / 2) });
    }
  }
  if (layersAfter.length) {
    const safe = await clipOverlays(layersAfter, W, H);
    if (safe.length) return toRaw(sharp(canvas, { raw: { width: W, height: H, channels: 3 } }).composite(safe).removeAlpha());
  }
  return { data: canvas, width: W, height: H, channels: 3 };
}

/** The document inside an app (phone photo viewer, chat, desktop image viewer, PDF viewer): a screenshot of it. */
async function viewerLook(rng: Rng, doc: Img, src: SceneSources, side: number): Promise<RawImage> {
  const kind = rng.pick(['phone-viewer', 'phone-chat', 'desktop-viewer', 'pdf']);
  const phone = kind.startsWith('phone');
  const W = phone ? Math.round(side / rng.pick([19.5 / 9, 2, 16 / 9])) : side;
  const H = phone ? side : Math.round(side * rng.pick([9 / 16, 10 / 16, 3 / 4]));
  const dark = kind === 'phone-viewer' || (kind === 'desktop-viewer' && rng.bool(0.6)) || rng.bool(0.2);
  const fg = dark ? '#eee' : '#222';
  const panel = dark ? hsl(0, 0, rng.float(8, 20)) : hsl(0, 0, rng.float(92, 98));
  let svg = '';
  let area: [number, number, number, number];
  const u = phone ? W / 400 : W / 1280;
  if (phone) {
    svg += rect(0, 0, W, H, kind === 'phone-viewer' ? '#000' : panel);
    svg += text(18 * u, 22 * u, `${rng.int(1, 12)}:${String(rng.int(0, 59)).padStart(2, '0')}`, { size: 14 * u, weight: 'bold', fill: kind === 'phone-viewer' ? '#fff' : fg });
    svg += rect(W - 46 * u, 10 * u, 26 * u, 12 * u, kind === 'phone-viewer' ? '#fff' : fg, `rx="${3 * u}"`);
    svg += text(16 * u, 70 * u, '‹', { size: 30 * u, fill: kind === 'phone-viewer' ? '#fff' : hsl(210, 80, 50) });
    svg += text(W / 2, 66 * u, kind === 'phone-chat' ? rng.pick(['Mum', 'Alex', 'Team chat', 'Support', '+1 555 0199']) : rng.pick(['Photos', 'Gallery', 'Recents', `IMG_${rng.digits(4)}`, 'Today']), { size: 17 * u, weight: 'bold', fill: kind === 'phone-viewer' ? '#fff' : fg, anchor: 'middle' });
    if (kind === 'phone-chat') {
      const y0 = 100 * u;
      svg += rect(16 * u, y0, W * 0.6, 44 * u, dark ? '#333' : '#e5e5ea', `rx="${16 * u}"`) + text(30 * u, y0 + 28 * u, rng.pick(['Here you go', 'Can you check this?', 'sent the photo', 'is this ok?']), { size: 14 * u, fill: fg });
      const bx = W * rng.float(0.2, 0.3);
      area = [bx, y0 + 60 * u, W - bx - 14 * u, H - y0 - 200 * u];
      svg += rect(area[0] - 4 * u, area[1] - 4 * u, area[2] + 8 * u, area[3] + 8 * u, hsl(210, 80, 55), `rx="${14 * u}"`);
      svg += rect(0, H - 70 * u, W, 70 * u, panel) + rect(14 * u, H - 58 * u, W - 80 * u, 40 * u, dark ? '#222' : '#fff', `rx="${20 * u}" stroke="${dark ? '#444' : '#ccc'}"`);
    } else {
      area = [0, 90 * u, W, H - 180 * u];
      svg += rect(0, H - 70 * u, W, 70 * u, '#000');
      for (let i = 0; i < 4; i++) svg += rect(W * (0.12 + i * 0.22), H - 48 * u, 24 * u, 24 * u, 'none', `stroke="#fff" stroke-width="${2 * u}" rx="${4 * u}"`);
    }
  } else {
    const th = 36 * u;
    svg += rect(0, 0, W, H, kind === 'pdf' ? hsl(0, 0, rng.float(30, 60)) : dark ? hsl(0, 0, rng.float(10, 22)) : hsl(0, 0, rng.float(85, 96)));
    svg += rect(0, 0, W, th, panel) + text(W / 2, th * 0.66, `${rng.pick(['scan', 'IMG', 'document', 'photo', 'attachment'])}_${rng.digits(4)}.${kind === 'pdf' ? 'pdf' : rng.pick(['jpg', 'png'])} — ${kind === 'pdf' ? rng.pick(['Document Viewer', 'PDF Reader', 'Preview']) : rng.pick(['Image Viewer', 'Photos', 'Preview', 'Eye of GNOME'])}`, { size: 13 * u, fill: fg, anchor: 'middle', family: SANS });
    ['#ff5f57', '#febc2e', '#28c840'].forEach((c, i) => (svg += `<circle cx="${16 * u + i * 20 * u}" cy="${th / 2}" r="${6 * u}" fill="${c}"/>`));
    svg += rect(0, th, W, th, panel) + text(W - 20 * u, th * 1.66, `${rng.int(25, 200)}%`, { size: 12 * u, fill: fg, anchor: 'end' });
    for (let i = 0; i < 6; i++) svg += rect(14 * u + i * 34 * u, th * 1.2, 22 * u, 22 * u, 'none', `stroke="${fg}" stroke-width="${1.5 * u}" rx="${3 * u}"`);
    const sideW = kind === 'pdf' && rng.bool(0.6) ? W * 0.15 : 0;
    if (sideW) {
      svg += rect(0, th * 2, sideW, H - th * 2, panel);
      for (let i = 0; i < 4; i++) svg += rect(sideW * 0.2, th * 2 + 20 * u + i * sideW * 1.1, sideW * 0.6, sideW * 0.8, '#fff', `stroke="${i === 0 ? hsl(210, 80, 55) : '#bbb'}" stroke-width="${2 * u}"`);
    }
    area = [sideW + 20 * u, th * 2 + 14 * u, W - sideW - 40 * u, H - th * 2 - 28 * u];
    if (kind === 'pdf') svg += rect(area[0] + area[2] * 0.1, area[1], area[2] * 0.8, area[3] + 14 * u, '#fff');
    if (kind === 'pdf') area = [area[0] + area[2] * 0.14, area[1] + 20 * u, area[2] * 0.72, area[3] - 30 * u];
  }
  const frame = await rasterise(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${svg}</svg>`);
  const aw = Math.max(16, Math.round(area[2]));
  const ah = Math.max(16, Math.round(area[3]));
  // content: the flat document, or a photo of it
  const inner: Img = rng.bool(phone ? 0.5 : 0.25) ? await photoLook(rng, doc, ...(await size(doc)), src, Math.max(aw, ah), rng.bool(0.5)) : doc;
  const content = await toSharp(inner).resize(aw, ah, { fit: 'inside' }).png({ compressionLevel: 0 }).toBuffer();
  const [cw, ch] = await size(content);
  return toRaw(
    toSharp(frame)
      .composite([{ input: content, left: Math.round(area[0] + (aw - cw) / 2), top: Math.round(area[1] + (ah - ch) / 2) }])
      .flatten({ background: '#000' }),
  );
}

/** The same scene for a viewer (screenshot class) showing a non-sensitive document. */
export async function viewerScene(rng: Rng, doc: Img, sources: SceneSources, side: number): Promise<RawImage> {
  return viewerLook(rng, doc, sources, side);
}

// ---------------------------------------------------------------------------------------------------- finish

/** 1 Mi of approximately normal noise (sd 32), made once from a fixed seed: noise is table look-ups from a random offset. */
let NOISE: Int8Array | null = null;
function noiseTable(): Int8Array {
  if (NOISE) return NOISE;
  const r = new Rng('casb-noise-table');
  NOISE = new Int8Array(1 << 20);
  for (let i = 0; i < NOISE.length; i++) {
    const v = Math.round(r.normal(0, 32));
    NOISE[i] = v > 127 ? 127 : v < -127 ? -127 : v;
  }
  return NOISE;
}

export interface FinishOpts {
  /** Range for the output's long side (ignored when `side` is given). */
  maxSide?: [number, number];
  /** Exact output long side. */
  side?: number;
  /** Scales every photometric effect (screenshots get less). */
  strength?: number;
  /** Camera-like extras: motion blur, resolution loss, JPEG twice. */
  camera?: boolean;
}

/** Share of samples (any class) finished in greyscale. */
export const GREY_SHARE = 0.08;

/** 3×3 colour matrix: brightness × saturation × hue rotation (luma-preserving, like modulate but in RGB). */
function colourMatrix(brightness: number, saturation: number, hueDeg: number): number[] {
  const a = (hueDeg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const hue = [
    0.299 + 0.701 * c + 0.168 * s, 0.587 - 0.587 * c + 0.33 * s, 0.114 - 0.114 * c - 0.497 * s,
    0.299 - 0.299 * c - 0.328 * s, 0.587 + 0.413 * c + 0.035 * s, 0.114 - 0.114 * c + 0.292 * s,
    0.299 - 0.3 * c + 1.25 * s, 0.587 - 0.588 * c - 1.05 * s, 0.114 + 0.886 * c - 0.203 * s,
  ];
  const L = [0.299, 0.587, 0.114];
  const m: number[] = [];
  for (let r = 0; r < 3; r++)
    for (let col = 0; col < 3; col++) {
      let v = 0;
      for (let k = 0; k < 3; k++) v += ((r === k ? saturation : 0) + (1 - saturation) * (L[k] as number)) * (hue[k * 3 + col] as number);
      m.push(v * brightness);
    }
  return m;
}

/**
 * Photometric jitter, resize, blur, noise and encode. Colour (brightness, saturation, hue), gamma curve, colour
 * cast and sensor noise are one pass over the raw pixels.
 */
export async function finish(rng: Rng, img: Img, opts: FinishOpts = {}): Promise<Encoded> {
  const k = opts.strength ?? 1;
  const [lo, hi] = opts.maxSide ?? [380, 1100];
  const side = opts.side ?? rng.int(lo, hi);
  let cur: Img = img;
  if (opts.camera && rng.bool(0.12)) {
    // resolution loss (a small image or a digital zoom) before everything else
    const f = rng.float(0.35, 0.7);
    cur = await toRaw(toSharp(img).flatten({ background: '#ffffff' }).resize(Math.round(side * f), Math.round(side * f), { fit: 'inside' }));
  }
  let p = toSharp(cur).flatten({ background: '#ffffff' });
  const [cw, ch] = await size(cur);
  if (Math.max(cw, ch) !== side) p = p.resize(side, side, { fit: 'inside', withoutEnlargement: false });
  // Monochrome in every class alike: greyscale scans, photocopies and black-and-white photos are common, and a
  // colour-only 'other' taught the model that grey means document (real grey photos came out as passports).
  const grey = rng.bool(GREY_SHARE);
  const m = colourMatrix(1 + rng.float(-0.25, 0.2) * k, grey ? 0 : 1 + rng.float(-0.4, 0.3) * k, rng.float(-12, 12) * k);
  const gamma = rng.bool(0.3 * k) ? rng.float(0.7, 1.4) : 1;
  if (opts.camera && rng.bool(0.12)) {
    const n = rng.pick([5, 7, 9]);
    const horiz = rng.bool();
    // sharp wants both sides ≥3: an n×3 (or 3×n) kernel whose middle row (column) is the box filter
    const kernel = new Array<number>(n * 3).fill(0);
    for (let i = 0; i < n; i++) kernel[horiz ? n + i : i * 3 + 1] = 1 / n;
    p = p.convolve({ width: horiz ? n : 3, height: horiz ? 3 : n, kernel });
  } else if (rng.bool(0.35 * k)) p = p.blur(rng.float(0.4, 1.8));
  else if (rng.bool(0.2 * k)) p = p.sharpen();
  const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const noisy = rng.bool(0.5 * k);
  const sd = noisy ? (rng.float(2, 12) * k) / 32 : 0;
  const cast = noisy ? [rng.float(-10, 10) * k, rng.float(-10, 10) * k, rng.float(-10, 10) * k] : [0, 0, 0];
  const table = noiseTable();
  const mask = table.length - 1;
  let t = rng.int(0, mask);
  const mono = rng.bool(0.5);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = gamma === 1 ? v : 255 * Math.pow(v / 255, gamma);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m as [number, number, number, number, number, number, number, number, number];
  const [c0, c1, c2] = cast as [number, number, number];
  for (let i = 0; i < data.length; i += 3) {
    const r0 = lut[data[i] as number] as number;
    const g0 = lut[data[i + 1] as number] as number;
    const b0 = lut[data[i + 2] as number] as number;
    let r = m0 * r0 + m1 * g0 + m2 * b0 + c0;
    let g = m3 * r0 + m4 * g0 + m5 * b0 + c1;
    let b = m6 * r0 + m7 * g0 + m8 * b0 + c2;
    if (noisy) {
      const n0 = (table[t & mask] as number) * sd;
      r += n0;
      if (mono) {
        g += n0;
        b += n0;
        t += 1;
      } else {
        g += (table[(t + 1) & mask] as number) * sd;
        b += (table[(t + 2) & mask] as number) * sd;
        t += 3;
      }
    }
    data[i] = r < 0 ? 0 : r > 255 ? 255 : r;
    data[i + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
    data[i + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
  }
  let raw = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
  if (opts.camera && rng.bool(0.15)) {
    // re-compressed: saved as a low-quality JPEG somewhere before
    raw = sharp(await raw.jpeg({ quality: rng.int(25, 60) }).toBuffer());
  }
  if (rng.bool(0.8)) return { data: await raw.jpeg({ quality: rng.int(35, 95), chromaSubsampling: rng.bool() ? '4:2:0' : '4:4:4' }).toBuffer(), ext: 'jpg' };
  return { data: await raw.png({ compressionLevel: 6 }).toBuffer(), ext: 'png' };
}

/**
 * Domain randomisation on rendered images, all with sharp and the seeded PRNG:
 * placement on a background (flat colour, gradient, wood/desk-like texture or a real
 * Debian photo), rotation, shear (a cheap stand-in for perspective), scale, partial
 * crops, colour jitter, blur, noise and JPEG re-encoding.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Rng } from './prng.js';
import { hsl } from './svg.js';

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
}

/** Pick a package uniformly, then a file in it, so one big package does not dominate. */
export function pickBalanced(rng: Rng, imgs: readonly RealImage[]): RealImage {
  const pkgs = [...new Set(imgs.map((i) => i.package))].sort();
  const pkg = rng.pick(pkgs);
  return rng.pick(imgs.filter((i) => i.package === pkg));
}

const SMALL_DIR = path.resolve('.cache/debian/small');

/** A real image downscaled to ≤1280 px (cached on disk), so repeated use is cheap. */
export async function loadSmall(img: RealImage): Promise<Buffer> {
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

export async function rasterise(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 }).png({ compressionLevel: 1 }).toBuffer();
}

/** A synthetic background: flat, gradient, desk/wood-like stripes, or cloth-like noise. */
function syntheticBackground(rng: Rng, W: number, H: number): string {
  const kind = rng.int(0, 3);
  const base = hsl(rng.int(0, 359), rng.float(0, 50), rng.float(15, 90));
  if (kind === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="${base}"/></svg>`;
  if (kind === 1) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs><radialGradient id="g" cx="${rng.float(0.2, 0.8)}" cy="${rng.float(0.2, 0.8)}" r="0.9"><stop offset="0" stop-color="${base}"/><stop offset="1" stop-color="${hsl(rng.int(0, 359), rng.float(0, 40), rng.float(5, 60))}"/></radialGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  }
  // wood grain / desk
  const hue = kind === 2 ? rng.int(18, 40) : rng.int(0, 359);
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="${hsl(hue, rng.float(20, 60), rng.float(20, 70))}"/>`;
  const n = rng.int(20, 70);
  for (let i = 0; i < n; i++) {
    const y = rng.float(0, H);
    let d = `M 0 ${y.toFixed(1)}`;
    for (let x = 0; x <= W; x += 40) d += ` L ${x} ${(y + 6 * Math.sin(x / rng.float(30, 120) + i)).toFixed(1)}`;
    s += `<path d="${d}" stroke="${hsl(hue, rng.float(20, 60), rng.float(10, 80))}" stroke-width="${rng.float(1, 8).toFixed(1)}" opacity="${rng.float(0.1, 0.5).toFixed(2)}" fill="none"/>`;
  }
  return s + '</svg>';
}

async function background(rng: Rng, W: number, H: number, photos: readonly RealImage[]): Promise<Buffer> {
  if (photos.length > 0 && rng.bool(0.35)) {
    const img = await loadSmall(pickBalanced(rng, photos));
    return randomCropResize(rng, img, W, H, 0.3);
  }
  return sharp(Buffer.from(syntheticBackground(rng, W, H))).resize(W, H, { fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer();
}

/** Random crop covering at least `minFrac` of each side, resized to W×H. */
export async function randomCropResize(rng: Rng, img: Buffer, W: number, H: number, minFrac: number): Promise<Buffer> {
  const meta = await sharp(img).metadata();
  const iw = meta.width ?? W;
  const ih = meta.height ?? H;
  const targetAspect = W / H;
  let cw = Math.round(iw * rng.float(minFrac, 1));
  let ch = Math.round(cw / targetAspect);
  if (ch > ih) {
    ch = ih;
    cw = Math.min(iw, Math.round(ch * targetAspect));
  }
  cw = Math.max(8, cw);
  ch = Math.max(8, ch);
  const left = rng.int(0, Math.max(0, iw - cw));
  const top = rng.int(0, Math.max(0, ih - ch));
  return sharp(img).extract({ left, top, width: Math.min(cw, iw - left), height: Math.min(ch, ih - top) }).resize(W, H, { fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer();
}

/**
 * Place a document raster in a scene: tight scan, photo on a background, or a partial
 * (zoomed-in) crop. Returns a PNG buffer.
 */
export async function placeDocument(rng: Rng, doc: Buffer, photos: readonly RealImage[]): Promise<Buffer> {
  const mode = rng.pick(['scan', 'scan', 'photo', 'photo', 'photo', 'crop']);
  let img = sharp(doc);
  const meta = await sharp(doc).metadata();
  const dw = meta.width ?? 800;
  const dh = meta.height ?? 500;
  if (mode === 'crop') {
    const fw = rng.float(0.55, 0.85);
    const fh = rng.float(0.55, 0.85);
    const cw = Math.round(dw * fw);
    const ch = Math.round(dh * fh);
    return sharp(doc)
      .flatten({ background: '#ffffff' })
      .extract({ left: rng.int(0, dw - cw), top: rng.int(0, dh - ch), width: cw, height: ch })
      .rotate(rng.float(-4, 4), { background: '#ffffff' })
      .png({ compressionLevel: 1 })
      .toBuffer();
  }
  // shear (perspective-ish) + rotation, transparent fill
  const shx = mode === 'photo' ? rng.float(-0.18, 0.18) : rng.float(-0.02, 0.02);
  const shy = mode === 'photo' ? rng.float(-0.12, 0.12) : rng.float(-0.02, 0.02);
  const sy = mode === 'photo' ? rng.float(0.75, 1.05) : 1;
  const angle = mode === 'photo' ? (rng.bool(0.1) ? rng.pick([90, -90, 180]) + rng.float(-8, 8) : rng.float(-25, 25)) : rng.float(-3, 3);
  img = img.ensureAlpha().affine([[1, shx], [shy, sy]], { background: { r: 0, g: 0, b: 0, alpha: 0 }, interpolator: 'bilinear' }).rotate(angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } });
  const { data: placed, info } = await img.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
  const fill = mode === 'scan' ? rng.float(0.85, 0.98) : rng.float(0.4, 0.9);
  const aspect = mode === 'scan' ? info.width / info.height : rng.float(0.6, 1.8);
  let W = Math.round(info.width / fill);
  let H = Math.round(W / aspect);
  if (H < info.height / fill) {
    H = Math.round(info.height / fill);
    W = Math.round(H * aspect);
  }
  const bg =
    mode === 'scan'
      ? await sharp({ create: { width: W, height: H, channels: 3, background: hsl(0, 0, rng.float(85, 100)) } }).png().toBuffer()
      : await background(rng, W, H, photos);
  const layers: OverlayOptions[] = [];
  const docLeft = Math.max(0, rng.int(0, W - info.width));
  const docTop = Math.max(0, rng.int(0, H - info.height));
  if (mode === 'photo' && rng.bool(0.6)) {
    // soft drop shadow
    const op = rng.float(0.3, 0.6);
    const { data: a } = await sharp(placed).extractChannel(3).blur(rng.float(4, 12)).raw().toBuffer({ resolveWithObject: true });
    const rgba = Buffer.alloc(info.width * info.height * 4);
    for (let i = 0; i < info.width * info.height; i++) rgba[i * 4 + 3] = Math.round((a[i] ?? 0) * op);
    const rgbaShadow = await sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } }).png({ compressionLevel: 1 }).toBuffer();
    const dx = rng.int(-12, 12);
    const dy = rng.int(2, 16);
    layers.push({ input: rgbaShadow, left: Math.max(0, Math.min(W - info.width, docLeft + dx)), top: Math.max(0, Math.min(H - info.height, docTop + dy)) });
  }
  layers.push({ input: placed, left: docLeft, top: docTop });
  return sharp(bg).composite(layers).flatten({ background: '#ffffff' }).png({ compressionLevel: 1 }).toBuffer();
}

/** Photometric jitter, resize, noise and encode. */
export async function finish(rng: Rng, img: Buffer, opts: { maxSide?: [number, number]; strength?: number } = {}): Promise<Encoded> {
  const k = opts.strength ?? 1;
  const [lo, hi] = opts.maxSide ?? [380, 1100];
  const side = rng.int(lo, hi);
  let p = sharp(img).flatten({ background: '#ffffff' }).resize(side, side, { fit: 'inside', withoutEnlargement: false });
  p = p.modulate({ brightness: 1 + rng.float(-0.25, 0.2) * k, saturation: 1 + rng.float(-0.4, 0.3) * k, hue: Math.round(rng.float(-12, 12) * k) });
  if (rng.bool(0.3 * k)) p = p.gamma(rng.float(1.0, 2.4));
  if (rng.bool(0.35 * k)) p = p.blur(rng.float(0.4, 1.8));
  else if (rng.bool(0.2 * k)) p = p.sharpen();
  const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (rng.bool(0.5 * k)) {
    const sd = rng.float(2, 12) * k;
    // colour cast + gaussian-ish noise
    const cast = [rng.float(-10, 10) * k, rng.float(-10, 10) * k, rng.float(-10, 10) * k];
    for (let i = 0; i < data.length; i++) {
      const v = (data[i] as number) + (cast[i % 3] as number) + sd * (rng.next() + rng.next() + rng.next() - 1.5) * 2;
      data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
  if (rng.bool(0.8)) return { data: await raw.jpeg({ quality: rng.int(35, 95), chromaSubsampling: rng.bool() ? '4:2:0' : '4:4:4' }).toBuffer(), ext: 'jpg' };
  return { data: await raw.png({ compressionLevel: 6 }).toBuffer(), ext: 'png' };
}

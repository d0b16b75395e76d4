/**
 * Cut the classifier's square views out of one small decoded RGB image, in plain JS.
 *
 * decode.ts asks libvips for a single downscaled copy (short side = model size); every view is
 * then a resample of a few hundred pixels, which costs far less here than a second libvips
 * pipeline (pipeline set-up dominates at this size). Training, evaluation and scanning all go
 * through this code, so the model always sees pixels prepared the same way.
 */

export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** For each output index: the input indices it reads and their weights (summing to 1). */
function axisWeights(src: number, dst: number): { idx: Int32Array; w: Float32Array; n: number } {
  const s = src / dst;
  if (s >= 1) {
    // downscale: area average, fractional coverage at the span's ends
    const n = Math.ceil(s) + 1;
    const idx = new Int32Array(dst * n);
    const w = new Float32Array(dst * n);
    for (let i = 0; i < dst; i++) {
      const a = i * s;
      const b = a + s;
      let k = 0;
      for (let j = Math.floor(a); j < b && j < src; j++, k++) {
        idx[i * n + k] = j;
        w[i * n + k] = (Math.min(b, j + 1) - Math.max(a, j)) / s;
      }
      for (; k < n; k++) idx[i * n + k] = Math.min(src - 1, Math.floor(a));
    }
    return { idx, w, n };
  }
  // upscale: linear interpolation between pixel centres
  const idx = new Int32Array(dst * 2);
  const w = new Float32Array(dst * 2);
  for (let i = 0; i < dst; i++) {
    const x = Math.min(src - 1, Math.max(0, (i + 0.5) * s - 0.5));
    const j = Math.floor(x);
    const f = x - j;
    idx[i * 2] = j;
    idx[i * 2 + 1] = Math.min(src - 1, j + 1);
    w[i * 2] = 1 - f;
    w[i * 2 + 1] = f;
  }
  return { idx, w, n: 2 };
}

/** Resample along x (rows of `src`, W wide, H high) into dw columns, into `out` (float, or uint8 when last). */
function horizontal(src: ArrayLike<number>, W: number, H: number, dw: number, out: Float32Array | Uint8Array): Float32Array | Uint8Array {
  const { idx, w, n } = axisWeights(W, dw);
  const round = out instanceof Uint8Array ? 0.5 : 0;
  for (let y = 0; y < H; y++) {
    const row = y * W * 3;
    const orow = y * dw * 3;
    for (let x = 0; x < dw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = x * n, end = k + n; k < end; k++) {
        const wt = w[k]!;
        const o = row + idx[k]! * 3;
        r += wt * (src[o] as number);
        g += wt * (src[o + 1] as number);
        b += wt * (src[o + 2] as number);
      }
      out[orow + x * 3] = r + round; // a Uint8Array truncates: + 0.5 rounds
      out[orow + x * 3 + 1] = g + round;
      out[orow + x * 3 + 2] = b + round;
    }
  }
  return out;
}

/** Resample along y (W wide, H high) into dh rows, into `out` (float, or uint8 when last). */
function vertical(src: ArrayLike<number>, W: number, H: number, dh: number, out: Float32Array | Uint8Array): Float32Array | Uint8Array {
  const { idx, w, n } = axisWeights(H, dh);
  const stride = W * 3;
  const acc = new Float32Array(stride);
  const round = out instanceof Uint8Array ? 0.5 : 0;
  for (let y = 0; y < dh; y++) {
    acc.fill(0);
    for (let k = y * n, end = k + n; k < end; k++) {
      const wt = w[k]!;
      if (wt === 0) continue;
      const irow = idx[k]! * stride;
      for (let i = 0; i < stride; i++) acc[i]! += wt * (src[irow + i] as number);
    }
    const orow = y * stride;
    for (let i = 0; i < stride; i++) out[orow + i] = acc[i]! + round;
  }
  return out;
}

/** Separable resample of an RGB image to dw×dh (area average when shrinking, linear when enlarging). */
export function resample(img: Rgb, dw: number, dh: number): Rgb {
  const { data, width: W, height: H } = img;
  if (dw === W && dh === H) return img;
  const out = new Uint8Array(dw * dh * 3);
  if (dw === W) vertical(data, W, H, dh, out);
  else if (dh === H) horizontal(data, W, H, dw, out);
  else vertical(horizontal(data, W, H, dw, new Float32Array(dw * H * 3)), dw, H, dh, out);
  return { data: out, width: dw, height: dh };
}

function crop(img: Rgb, left: number, top: number, w: number, h: number): Rgb {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + w) * 3), y * w * 3);
  return { data: out, width: w, height: h };
}

function mirror(img: Rgb): Rgb {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * 3;
      const d = (y * W + (W - 1 - x)) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  return { data: out, width: W, height: H };
}

/**
 * One square view: `fill` squashes the whole image, `cover` takes the centre square, `contain`
 * letterboxes on white; a `-mirror` suffix flips it left-right.
 */
export function cutView(img: Rgb, size: number, view: string): Uint8Array {
  const [fit, flip] = view.split('-') as ['fill' | 'cover' | 'contain', string | undefined];
  const { width: W, height: H } = img;
  let out: Rgb;
  if (fit === 'fill') out = resample(img, size, size);
  else if (fit === 'cover') {
    const k = size / Math.min(W, H);
    const sw = Math.max(size, Math.round(W * k));
    const sh = Math.max(size, Math.round(H * k));
    out = crop(resample(img, sw, sh), Math.floor((sw - size) / 2), Math.floor((sh - size) / 2), size, size);
  } else {
    const k = size / Math.max(W, H);
    const sw = Math.max(1, Math.min(size, Math.round(W * k)));
    const sh = Math.max(1, Math.min(size, Math.round(H * k)));
    const inner = resample(img, sw, sh);
    const data = new Uint8Array(size * size * 3).fill(255);
    const left = Math.floor((size - sw) / 2);
    const top = Math.floor((size - sh) / 2);
    for (let y = 0; y < sh; y++) data.set(inner.data.subarray(y * sw * 3, (y + 1) * sw * 3), ((top + y) * size + left) * 3);
    out = { data, width: size, height: size };
  }
  return (flip ? mirror(out) : out).data;
}

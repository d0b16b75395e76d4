/**
 * Synthetic data generator: one sample is a pure function of (seed, label, index).
 * Document classes are rendered as SVG, rasterised with librsvg via sharp, placed in a
 * scene and photometrically jittered. `screenshot` and `other` mix rendered images with
 * real images from Debian packages (see fetch-debian.ts).
 */
import sharp from 'sharp';
import { loadDebianIndex, type IndexEntry } from '../fetch-debian.js';
import { finish, loadSmall, pickBalanced, placeDocument, randomCropResize, rasterise, type Encoded, type RealImage } from './augment.js';
import { Rng } from './prng.js';
import { renderIdCard } from './renderers/idcard.js';
import { renderOther } from './renderers/other.js';
import { renderPassport } from './renderers/passport.js';
import { renderPaymentCard } from './renderers/payment.js';
import { renderScreenshot } from './renderers/screenshot.js';
import { renderSsnCard } from './renderers/ssn.js';

export const LABELS = ['passport', 'id_card', 'ssn_card', 'payment_card', 'screenshot', 'other'] as const;
export type Label = (typeof LABELS)[number];

/** Bump when the generator's output changes. */
export const GENERATOR_VERSION = 'synth-0.2.0';

export const AUGMENTATIONS = [
  'scene: scan (tight, ±3°) | photo on background (flat/gradient/wood/Debian photo, shear ±0.18, rotation ±25° or 90/180°, drop shadow) | partial crop 55-85%',
  'colour: brightness -25..+20%, saturation -40..+30%, hue ±12°, gamma 1-2.4 (30%)',
  'blur σ 0.4-1.8 (35%) or sharpen',
  'noise σ 2-12 + colour cast (50%)',
  'resize long side 380-1100 px',
  'encode: JPEG q35-95 (80%) or PNG',
];

export interface Sources {
  photos: RealImage[]; // Debian role=other
  screenshots: RealImage[]; // Debian role=screenshot
  packages: { name: string; version: string; role: string }[];
}

export function loadSources(): Sources {
  const idx = loadDebianIndex();
  if (!idx) return { photos: [], screenshots: [], packages: [] };
  const pick = (role: IndexEntry['role']): RealImage[] => idx.files.filter((f) => f.role === role).map((f) => ({ file: f.file, sha256: f.sha256, package: f.package }));
  return { photos: pick('other'), screenshots: pick('screenshot'), packages: idx.packages };
}

export interface Sample extends Encoded {
  label: Label;
  index: number;
  kind: string;
}

async function documentSample(rng: Rng, svg: string, sources: Sources): Promise<Buffer> {
  const raster = await rasterise(svg);
  return placeDocument(rng, raster, sources.photos);
}

export async function generateSample(label: Label, index: number, seed: number, sources: Sources): Promise<Sample> {
  const rng = new Rng(`${seed}:${label}:${index}`);
  let img: Buffer;
  let kind: string = label;
  let strength = 1;
  switch (label) {
    case 'passport':
      img = await documentSample(rng, renderPassport(rng).svg, sources);
      break;
    case 'id_card':
      img = await documentSample(rng, renderIdCard(rng).svg, sources);
      break;
    case 'ssn_card':
      img = await documentSample(rng, renderSsnCard(rng).svg, sources);
      break;
    case 'payment_card':
      img = await documentSample(rng, renderPaymentCard(rng).svg, sources);
      break;
    case 'screenshot': {
      strength = 0.4;
      if (sources.screenshots.length > 0 && rng.bool(0.3)) {
        const real = rng.pick(sources.screenshots);
        kind = 'screenshot:debian';
        img = await loadSmall(real);
        if (rng.bool(0.3)) {
          const m = await sharp(img).metadata();
          img = await randomCropResize(rng, img, m.width ?? 800, m.height ?? 600, 0.7);
        }
      } else {
        img = await rasterise(renderScreenshot(rng).svg);
        if (sources.photos.length > 0 && rng.bool(0.35)) {
          // image content inside the UI (web page hero image, photo viewer, map, video)
          kind = 'screenshot:with-photo';
          const m = await sharp(img).metadata();
          const W = m.width ?? 1280;
          const H = m.height ?? 800;
          const pw = Math.round(W * rng.float(0.25, 0.7));
          const ph = Math.round(H * rng.float(0.2, 0.6));
          const photo = await randomCropResize(rng, await loadSmall(pickBalanced(rng, sources.photos)), pw, ph, 0.5);
          img = await sharp(img).composite([{ input: photo, left: rng.int(0, W - pw), top: rng.int(Math.round(H * 0.08), H - ph) }]).png({ compressionLevel: 1 }).toBuffer();
        }
      }
      break;
    }
    default: {
      const objects = sources.photos.filter((p) => p.package === 'tuxpaint-stamps-default');
      if (objects.length > 0 && rng.bool(0.2)) {
        // an object photo placed in the same kind of scene as the documents (hard negative)
        kind = 'other:object-scene';
        const obj = await sharp(rng.pick(objects).file).resize(900, 900, { fit: 'inside' }).png({ compressionLevel: 1 }).toBuffer();
        img = await placeDocument(rng, obj, sources.photos);
      } else if (sources.photos.length > 0 && rng.bool(0.5)) {
        const real = pickBalanced(rng, sources.photos);
        kind = 'other:debian';
        const small = await loadSmall(real);
        const m = await sharp(small).metadata();
        const w = m.width ?? 800;
        const h = m.height ?? 600;
        img = await randomCropResize(rng, small, Math.max(64, Math.round(w * rng.float(0.5, 1))), Math.max(64, Math.round(h * rng.float(0.5, 1))), 0.4);
        if (rng.bool(0.5)) img = await sharp(img).flop().png({ compressionLevel: 1 }).toBuffer();
      } else {
        const r = renderOther(rng);
        kind = 'other:rendered';
        const raster = await rasterise(r.svg);
        img = rng.bool(0.5) ? await placeDocument(rng, raster, sources.photos) : raster;
      }
    }
  }
  const enc = await finish(rng, img, { strength, maxSide: label === 'screenshot' ? [500, 1400] : [380, 1100] });
  return { ...enc, label, index, kind };
}

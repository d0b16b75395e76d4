/**
 * Synthetic data generator: one sample is a pure function of (seed, label, index) and the Debian index.
 * Documents are rendered as SVG (at the pixel size the scene needs), rasterised with librsvg via sharp, photo slots
 * filled with real Debian photos, placed in a scene (scan / phone photo with perspective / crop / viewer app) and
 * photometrically jittered. `screenshot` and `other` mix rendered images with real images from Debian packages
 * (see fetch-debian.ts). Card-shaped negatives go through exactly the same scenes as the sensitive cards.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type OverlayOptions } from 'sharp';
import { loadDebianIndex, walk, type IndexEntry } from '../fetch-debian.js';
import { docTarget, finish, loadSmall, overlay, personPhoto, pickBalanced, pickLook, placeDocument, randomCropResize, rasterise, size, toRaw, toSharp, viewerScene, type Encoded, type Img, type Look, type RealImage, type SceneSources } from './augment.js';
import { Rng } from './prng.js';
import { renderIdCard } from './renderers/idcard.js';
import { OTHER_RENDERERS, pickOther } from './renderers/other.js';
import { renderPassport } from './renderers/passport.js';
import { renderPaymentCard } from './renderers/payment.js';
import { renderScreenshot } from './renderers/screenshot.js';
import { renderSsnCard } from './renderers/ssn.js';
import { randomPerson } from './people.js';
import { composeDocs, hsl, svgDoc, type Rendered, type RenderOpts } from './svg.js';

export const LABELS = ['passport', 'id_card', 'ssn_card', 'payment_card', 'screenshot', 'other'] as const;
export type Label = (typeof LABELS)[number];

/** Bump when the generator's output changes (the caches key on generatorFingerprint, which also hashes the code). */
export const GENERATOR_VERSION = 'synth-0.4.1';

const SYNTH_DIR = path.dirname(fileURLToPath(import.meta.url));

/**
 * What a sample depends on besides (seed, label, index): the generator's code and the Debian images it draws from.
 * Caches of rendered samples are keyed on it, so an edited renderer never serves stale samples, version bump or not.
 */
export function generatorFingerprint(sources: Sources): string {
  const h = createHash('sha256').update(GENERATOR_VERSION);
  // cli.ts writes samples to disk and draws none: editing it must not invalidate the caches
  for (const f of walk(SYNTH_DIR).filter((f) => f.endsWith('.ts') && path.basename(f) !== 'cli.ts').sort()) h.update(path.relative(SYNTH_DIR, f)).update(readFileSync(f));
  const imgs = [...sources.photos, ...sources.screenshots, ...(sources.objects ?? []), ...(sources.cards ?? [])];
  h.update(imgs.map((i) => `${i.sha256}:${i.kind ?? ''}`).sort().join('\n'));
  return h.digest('hex').slice(0, 16);
}

export const AUGMENTATIONS = [
  'mix: passport/id_card/ssn_card/payment_card = rendered documents in scenes (id_card 22% and payment_card 10% both sides of one card on a page, mostly scanned); screenshot = Debian doc screenshots 25% | a non-sensitive document open in a viewer/chat app 15% | rendered UI 60%; other = Debian photo/art/plot/drawing 40% (15% of those printed and photographed; of the rest half finished as cleanly as screenshots) | Debian cut-out object placed like a document 7% | Debian playing cards (single or fanned) 6% | rendered negatives 47% (card-shaped always placed like documents; paper 60% placed; flat/digital 25% placed; unplaced ones half finished cleanly)',
  'portraits: half of the portrait boxes on passports and ID cards show a painted/drawn person from Debian images (never a photo of a real person) on a studio backdrop, else a drawn face; 25% of photos in screenshots and 25-40% in newspapers, slides and memes show such a person',
  "documents: SVG rendered at the scene's pixel size; photo slots (card art, wallpapers, thumbnails, memes, newspapers, slides) filled with Debian photos",
  'look (sensitive documents and card-shaped/paper negatives alike): scan 28% (light bed, ±3°, lid edge 15%) | small on an A4 scan page 10% | phone photo 44% | zoomed crop 10% | viewer app 8% (sensitive only; for negatives that mass goes to phone photo — their viewer equivalent is the screenshot class)',
  'phone photo: canvas 4:3/3:4/16:9/9:16/1:1/free; homography warp (rotation ±25° or 90/180° 10%, perspective tilt ±22%, corner jitter ≤6%, runs off the frame 12%); background Debian photo/art (out of focus) 50% or synthetic flat/gradient/wood/cloth/stone; clutter objects beside 25%; soft shadow 70%; light gradient + vignette 50% + specular glare 35%; thumb over an edge 22%; object over a corner ~8%',
  'viewer: phone photo viewer / phone chat bubble / desktop image viewer / PDF viewer, the document flat or as a photo',
  'colour (one 3×3 matrix): brightness -25..+20%, saturation -40..+30%, hue ±12°; gamma 0.7-1.4 (30%); screenshots and viewer looks at 0.4 strength',
  'blur σ 0.4-1.8 (35%) or sharpen (20%); camera looks: motion blur 5-9 px (12%), resolution loss to 0.35-0.7 (12%)',
  'noise σ 2-12 (table-driven gaussian, mono or colour) + colour cast ±10 (50%)',
  'output long side 320-896 px (screenshots 448-1152); scenes composed at ≤768 px (≤896 for screens), then scaled',
  'encode: JPEG q35-95 (80%) or PNG; camera looks re-compressed from JPEG q25-60 first (15%)',
];

export interface Sources {
  photos: RealImage[]; // Debian role=other (photos, art, diagrams, drawings)
  screenshots: RealImage[]; // Debian role=screenshot
  packages: { name: string; version: string; role: string }[];
  objects?: RealImage[]; // Debian role=object (cut-outs)
  cards?: RealImage[]; // Debian role=cards (single playing cards)
  people?: RealImage[]; // Debian role=object kind=person (painted/drawn people): portrait boxes
}

export function loadSources(): Sources {
  const idx = loadDebianIndex();
  if (!idx) return { photos: [], screenshots: [], packages: [], objects: [], cards: [], people: [] };
  const pick = (role: IndexEntry['role']): RealImage[] =>
    idx.files.filter((f) => f.role === role).map((f) => ({ file: f.file, sha256: f.sha256, package: f.package, ...(f.small ? { small: f.small } : {}), ...(f.kind ? { kind: f.kind } : {}) }));
  const objects = pick('object');
  return { photos: pick('other'), screenshots: pick('screenshot'), packages: idx.packages, objects, cards: pick('cards'), people: objects.filter((o) => o.kind === 'person') };
}

/** Photos and artwork usable as scene backgrounds and in photo slots (not plots, maps or line drawings). */
function backgroundPool(sources: Sources): RealImage[] {
  return sources.photos.filter((p) => p.kind === undefined || p.kind === 'photo' || p.kind === 'art');
}

function sceneSources(sources: Sources): SceneSources {
  return { backgrounds: backgroundPool(sources), objects: sources.objects ?? [] };
}

export interface Sample extends Encoded {
  label: Label;
  index: number;
  kind: string;
}

function roundedMask(w: number, h: number, r: number): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" rx="${r.toFixed(1)}" fill="#fff"/></svg>`);
}

/**
 * Rasterise a rendered document so its long side is about `targetLong` px, filling photo slots (person slots from
 * `people`; without people they keep their drawn portrait) and drawing the overlay.
 */
export async function renderToRaster(rng: Rng, r: Rendered, targetLong: number, photos: readonly RealImage[], people: readonly RealImage[] = []): Promise<Img> {
  const scale = Math.max(0.15, Math.min(1.6, targetLong / Math.max(r.width, r.height)));
  let img: Img = await rasterise(r.svg, scale);
  const W = img.width;
  const H = img.height;
  if (r.slots?.length) {
    const under: OverlayOptions[] = [];
    const over: OverlayOptions[] = [];
    for (const s of r.slots) {
      const x = Math.max(0, Math.round(s.x * scale));
      const y = Math.max(0, Math.round(s.y * scale));
      const w = Math.min(W - x, Math.round(s.w * scale));
      const h = Math.min(H - y, Math.round(s.h * scale));
      if (w < 4 || h < 4) continue;
      if (s.person) {
        if (people.length) over.push({ input: await personPhoto(rng, people, w, h, s.person.grey, s.person.opacity), left: x, top: y });
        continue;
      }
      if (!photos.length) continue;
      let ph = await randomCropResize(rng, await loadSmall(pickBalanced(rng, photos)), w, h, 0.45);
      if (s.r) ph = await sharp(ph).ensureAlpha().composite([{ input: roundedMask(w, h, s.r * scale), blend: 'dest-in' }]).png({ compressionLevel: 0 }).toBuffer();
      (s.under ? under : over).push({ input: ph, left: x, top: y });
    }
    if (under.length) img = await toRaw(sharp({ create: { width: W, height: H, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).composite([...under, overlay(img, 0, 0)]));
    if (over.length) img = await toRaw(toSharp(img).composite(over));
  }
  if (r.overlay) {
    const ov = await rasterise(svgDoc(r.width, r.height, r.overlay).svg, scale);
    const fitted = ov.width === W && ov.height === H ? ov : await toRaw(toSharp(ov).resize(W, H, { fit: 'fill' }));
    img = await toRaw(toSharp(img).composite([overlay(fitted, 0, 0)]));
  }
  return img;
}

/** Scenes are composed at most this big; finish() scales to the output size (the model sees 224 px anyway). */
const WORK_SIDE = 768;

/** A rendered document in a scene, finished. */
async function documentSample(rng: Rng, r: Rendered, sources: Sources, allowViewer: boolean, look?: Look): Promise<{ enc: Encoded; look: Look }> {
  const side = rng.int(320, 896);
  const work = Math.min(side, WORK_SIDE);
  const lk = look ?? pickLook(rng, allowViewer);
  const raster = await renderToRaster(rng, r, docTarget(rng, lk, work), backgroundPool(sources), sources.people);
  const img = await placeDocument(rng, raster, sceneSources(sources), { look: lk, side: work });
  const screen = lk === 'viewer';
  return { enc: await finish(rng, img, { side, strength: screen ? 0.4 : 1, camera: !screen }), look: lk };
}

/** A raster (object, playing cards) placed like a document. */
async function rasterSample(rng: Rng, raster: Buffer, sources: Sources): Promise<{ enc: Encoded; look: Look }> {
  const side = rng.int(320, 896);
  const work = Math.min(side, WORK_SIDE);
  const lk = pickLook(rng, false);
  const meta = await sharp(raster).metadata();
  const long = Math.max(meta.width ?? 1, meta.height ?? 1);
  const target = docTarget(rng, lk, work);
  const scaled = Math.abs(target / long - 1) > 0.1 ? await sharp(raster).resize(Math.max(8, Math.round(((meta.width ?? 1) * target) / long)), Math.max(8, Math.round(((meta.height ?? 1) * target) / long)), { fit: 'fill' }).png({ compressionLevel: 0 }).toBuffer() : raster;
  const img = await placeDocument(rng, scaled, sceneSources(sources), { look: lk, side: work });
  return { enc: await finish(rng, img, { side, camera: true }), look: lk };
}

/** One playing card, or a fanned hand of 2-5, from the Debian decks (one deck per hand). */
async function playingCards(rng: Rng, cards: readonly RealImage[]): Promise<Buffer> {
  const deck = pickBalanced(rng, cards);
  const deckName = deck.file.split('/').slice(-2, -1)[0];
  const same = cards.filter((c) => c.package === deck.package && c.file.split('/').slice(-2, -1)[0] === deckName);
  const n = rng.bool(0.55) ? 1 : rng.int(2, 5);
  const ch = 420;
  const imgs: Buffer[] = [];
  for (let i = 0; i < n; i++) imgs.push(await sharp(await loadSmall(i === 0 ? deck : rng.pick(same))).resize(ch, ch, { fit: 'inside' }).ensureAlpha().png({ compressionLevel: 0 }).toBuffer());
  if (n === 1) return imgs[0]!;
  const cw = Math.round(ch * 0.7);
  const W = Math.round(cw * (1.4 + 0.35 * (n - 1)));
  const H = Math.round(ch * 1.5);
  const spread = rng.float(6, 16);
  const layers: OverlayOptions[] = [];
  for (let i = 0; i < n; i++) {
    const ang = (i - (n - 1) / 2) * spread;
    const { data, info } = await sharp(imgs[i]!).rotate(ang, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png({ compressionLevel: 0 }).toBuffer({ resolveWithObject: true });
    const cx = W / 2 + (i - (n - 1) / 2) * cw * 0.33;
    const cy = H / 2 + Math.abs(i - (n - 1) / 2) * ch * 0.04;
    const left = Math.max(0, Math.min(W - info.width, Math.round(cx - info.width / 2)));
    const top = Math.max(0, Math.min(H - info.height, Math.round(cy - info.height / 2)));
    layers.push({ input: data, left, top });
  }
  return sharp({ create: { width: W, height: H, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).composite(layers).png({ compressionLevel: 0 }).toBuffer();
}

async function flatSample(rng: Rng, r: Rendered, sources: Sources, maxSide: [number, number], strength: number): Promise<Encoded> {
  const side = rng.int(maxSide[0], maxSide[1]);
  const raster = await renderToRaster(rng, r, Math.min(side, 896), backgroundPool(sources), sources.people);
  return finish(rng, raster, { side, strength });
}

/**
 * Both sides of one card on a page, as people scan or photograph them for an upload: stacked (most often) or side by
 * side, on white paper or on nothing (the scene shows through).
 */
export function twoSided(rng: Rng, front: Rendered, back: Rendered): Rendered {
  const gap = Math.round(Math.max(front.width, back.width) * rng.float(0.04, 0.25));
  const m = Math.round(Math.max(front.width, back.width) * rng.float(0.03, 0.12));
  const stacked = rng.bool(0.75);
  const W = stacked ? Math.max(front.width, back.width) + 2 * m : front.width + back.width + gap + 2 * m;
  const H = stacked ? front.height + back.height + gap + 2 * m : Math.max(front.height, back.height) + 2 * m;
  const jitter = (room: number) => rng.float(0, Math.max(0, room));
  const parts = stacked
    ? [
        { doc: front, x: m + jitter(W - 2 * m - front.width), y: m },
        { doc: back, x: m + jitter(W - 2 * m - back.width), y: m + front.height + gap },
      ]
    : [
        { doc: front, x: m, y: m + jitter(H - 2 * m - front.height) },
        { doc: back, x: m + front.width + gap, y: m + jitter(H - 2 * m - back.height) },
      ];
  return composeDocs(parts, W, H, rng.bool(0.7) ? hsl(rng.int(30, 60), rng.float(0, 8), rng.float(92, 100)) : undefined);
}

/** Looks for a two-sided page: mostly scans (a photocopy of both sides is the classic upload). */
function twoSidedLook(rng: Rng): Look {
  return rng.pick(['scan', 'scan', 'scanPage', 'scanPage', 'photo', 'photo', 'viewer'] as const);
}

/**
 * `other`, cumulative: real Debian images (photos, art, drawings, diagrams) below `debian`, then cut-out objects placed
 * like documents, then playing cards; the rest are rendered negatives (paper, card-shaped, flat digital).
 */
export const OTHER_MIX = { debian: 0.4, objects: 0.47, cards: 0.53 } as const;

/**
 * Share of real and flat rendered `other` images finished as cleanly as screenshots (light photometric jitter, no
 * camera effects): most images in a tenant are downloads and exports, and a clean image must not read as a screenshot.
 */
export const CLEAN_OTHER_SHARE = 0.5;

/** Share of ID / payment card samples that show both sides of the card. */
export const TWO_SIDED_SHARE: Partial<Record<Label, number>> = { id_card: 0.22, payment_card: 0.1 };

export async function generateSample(label: Label, index: number, seed: number, sources: Sources): Promise<Sample> {
  const rng = new Rng(`${seed}:${label}:${index}`);
  const opts: RenderOpts = { photos: backgroundPool(sources).length > 0 };
  let enc: Encoded;
  let kind: string = label;
  switch (label) {
    case 'passport':
    case 'id_card':
    case 'ssn_card':
    case 'payment_card': {
      if (rng.bool(TWO_SIDED_SHARE[label] ?? 0)) {
        const page =
          label === 'id_card'
            ? (() => {
                const person = randomPerson(rng);
                const k = rng.pick(['dl', 'national', 'national', 'residence'] as const);
                return twoSided(rng, renderIdCard(rng, { side: 'front', person, kind: k }), renderIdCard(rng, { side: 'back', person, kind: k }));
              })()
            : twoSided(rng, renderPaymentCard(rng, { ...opts, side: 'front' }), renderPaymentCard(rng, { ...opts, side: 'back' }));
        const s = await documentSample(rng, page, sources, true, twoSidedLook(rng));
        enc = s.enc;
        kind = `${label}:both-sides:${s.look}`;
        break;
      }
      const r = label === 'passport' ? renderPassport(rng) : label === 'id_card' ? renderIdCard(rng) : label === 'ssn_card' ? renderSsnCard(rng) : renderPaymentCard(rng, opts);
      const s = await documentSample(rng, r, sources, true);
      enc = s.enc;
      kind = `${label}:${s.look}`;
      break;
    }
    case 'screenshot': {
      const x = rng.next();
      if (sources.screenshots.length > 0 && x < 0.25) {
        const real = pickBalanced(rng, sources.screenshots);
        kind = 'screenshot:debian';
        let img = await loadSmall(real);
        if (rng.bool(0.3)) {
          const m = await sharp(img).metadata();
          img = await randomCropResize(rng, img, m.width ?? 800, m.height ?? 600, 0.7);
        }
        enc = await finish(rng, img, { strength: 0.4, maxSide: [448, 1152] });
      } else if (x < 0.4) {
        // a non-sensitive document open in a viewer / chat app
        const [name, o] = pickOther(rng, rng.bool(0.4) ? 'card' : 'paper');
        kind = `screenshot:viewer:${name}`;
        const side = rng.int(448, 1152);
        const work = Math.min(side, 896);
        const raster = await renderToRaster(rng, o.fn(rng, opts), work * 0.7, backgroundPool(sources), sources.people);
        enc = await finish(rng, await viewerScene(rng, raster, sceneSources(sources), work), { side, strength: 0.4 });
      } else {
        kind = 'screenshot:rendered';
        enc = await flatSample(rng, renderScreenshot(rng, opts), sources, [448, 1152], 0.4);
      }
      break;
    }
    default: {
      const x = rng.next();
      const cards = sources.cards ?? [];
      const objects = sources.objects ?? [];
      if (sources.photos.length > 0 && x < OTHER_MIX.debian) {
        const real = pickBalanced(rng, sources.photos);
        kind = `other:debian:${real.kind ?? 'image'}`;
        const small = await loadSmall(real);
        if (rng.bool(0.15)) {
          // a printed photo / poster, photographed
          enc = (await rasterSample(rng, small, sources)).enc;
          kind += ':print';
        } else {
          const m = await sharp(small).metadata();
          const w = m.width ?? 800;
          const h = m.height ?? 600;
          let img = await randomCropResize(rng, small, Math.max(64, Math.round(w * rng.float(0.5, 1))), Math.max(64, Math.round(h * rng.float(0.5, 1))), 0.4);
          if (rng.bool(0.5)) img = await sharp(img).flop().png({ compressionLevel: 0 }).toBuffer();
          // half as taken (camera effects), half as a clean download or export: clean is not a screenshot cue
          enc = await finish(rng, img, rng.bool(CLEAN_OTHER_SHARE) ? { strength: 0.4, maxSide: [320, 896] } : { camera: true, maxSide: [320, 896] });
        }
      } else if (objects.length > 0 && x >= OTHER_MIX.debian && x < OTHER_MIX.objects) {
        // an object photo placed in the same kind of scene as the documents
        const obj = await sharp(await loadSmall(pickBalanced(rng, objects))).resize(900, 900, { fit: 'inside' }).ensureAlpha().png({ compressionLevel: 0 }).toBuffer();
        const s = await rasterSample(rng, obj, sources);
        enc = s.enc;
        kind = `other:object:${s.look}`;
      } else if (x >= OTHER_MIX.objects && x < OTHER_MIX.cards) {
        // playing cards (hard negative for payment cards)
        if (cards.length > 0) {
          const s = await rasterSample(rng, await playingCards(rng, cards), sources);
          enc = s.enc;
          kind = `other:cards:${s.look}`;
        } else {
          const s = await documentSample(rng, OTHER_RENDERERS.playingCard!.fn(rng, opts), sources, false);
          enc = s.enc;
          kind = `other:playingCard:${s.look}`;
        }
      } else {
        const [name, o] = pickOther(rng);
        const r = o.fn(rng, opts);
        const placed = o.placement === 'card' || (o.placement === 'paper' ? rng.bool(0.6) : rng.bool(0.25));
        if (placed) {
          const s = await documentSample(rng, r, sources, false);
          enc = s.enc;
          kind = `other:${name}:${s.look}`;
        } else {
          enc = await flatSample(rng, r, sources, [320, 896], rng.bool(CLEAN_OTHER_SHARE) ? 0.4 : 1);
          kind = `other:${name}:flat`;
        }
      }
    }
  }
  return { ...enc, label, index, kind };
}

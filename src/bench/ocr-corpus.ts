/**
 * The OCR benchmark's corpus: a deterministic mix (from a seed) of sensitive documents — about 20% —
 * and ordinary images, written to a folder, with the ground truth of every image.
 *
 * Sensitive images are drawn with the generator's own renderers (src/training/synth/renderers) and
 * given realistic but readable looks: a flat scan or a photo on a desk, rotated ±4°, the card's long
 * side 700–1400 px (pages 1000–1600 px), JPEG q60–95. A fifth of them come straight from
 * `generateSample` instead (the training looks: phone photos with perspective, blur, low resolution,
 * 320–896 px): their entities may be unreadable to any OCR, which the report shows separately.
 * Non-sensitive images are `generateSample('other' | 'screenshot')` (rendered receipts, forms,
 * slides, UI screenshots, ...; real Debian photos and screenshots too when the Debian index exists).
 *
 * Ground truth comes from the SVG source, never from OCR: the text of every `<text>` element, in
 * document order, becomes one OcrLine (fake boxes from the element's x / y / font-size), and the
 * project's recognizers (`findEntities`) run over those perfect lines; the `valid` payment card
 * numbers, SSNs, MRZs and IBANs are the truth. So truth means "what the recognizers would report
 * with a perfect OCR". An independent, deliberately simple scan of the same strings (digit runs
 * that pass Luhn, SSN-shaped strings inside the issued ranges, MRZ-shaped lines) is kept next to it
 * as `drawn`, so a renderer/recognizer mismatch shows up in the report instead of hiding in the truth.
 *
 * The truth of a non-sensitive generated image is empty by construction: the negative renderers
 * print only non-Luhn numbers (other.ts `nonLuhnNumber`), and generateSample does not hand back its
 * SVG. Whatever the scans find there is reported as a false entity, with the image's kind.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import type { OcrLine } from '../ocr/types.js';
import { findEntities } from '../recognizers/registry.js';
import type { EntityType } from '../recognizers/types.js';
import { luhnValid, ssnValid } from '../training/synth/checks.js';
import { generateSample, loadSources, renderToRaster, TWO_SIDED_SHARE, twoSided, type Label, type Sources } from '../training/synth/index.js';
import { toSharp } from '../training/synth/augment.js';
import { randomPerson } from '../training/synth/people.js';
import { Rng } from '../training/synth/prng.js';
import { renderIdCard } from '../training/synth/renderers/idcard.js';
import { renderPassport } from '../training/synth/renderers/passport.js';
import { renderPaymentCard } from '../training/synth/renderers/payment.js';
import { renderSsnCard } from '../training/synth/renderers/ssn.js';
import type { Rendered, RenderOpts } from '../training/synth/svg.js';
import { keyedHash } from '../util/redact.js';

/** Entity types that count for recall (dates are evidence only, never findings). */
export const TRUTH_ENTITIES = ['payment_card_number', 'us_ssn', 'mrz', 'iban'] as const satisfies readonly EntityType[];
export type TruthEntityType = (typeof TRUTH_ENTITIES)[number];

export const SENSITIVE_LABELS = ['passport', 'id_card', 'ssn_card', 'payment_card'] as const;
export type SensitiveLabel = (typeof SENSITIVE_LABELS)[number];

/** How an image was made. */
export type Origin = 'scan' | 'photo' | 'generator' | 'real';

export interface TruthEntity {
  entity: TruthEntityType;
  /** keyedHash(benchKey, entity, value): compared with findings.value_hash. */
  hash: string;
}

/** The independent count of what the SVG draws (see the file comment). */
export interface Drawn {
  pans: number;
  ssns: number;
  /** MRZ-shaped blocks (2 × 44 or 3 × 30 characters of A-Z 0-9 <), check digits not looked at, visas left out. */
  mrzBlocks: number;
  /** Visa MRZ blocks (line 1 starts with V): a passport booklet's visa page, random check digits, never truth. */
  visaMrzBlocks: number;
}

export interface CorpusItem {
  /** File name inside the corpus folder. */
  name: string;
  category: Label;
  sensitive: boolean;
  origin: Origin;
  /** Finer description: renderer variant and look (e.g. 'payment_card:front:scan'), or 'gen:' + generateSample's kind (e.g. 'gen:other:receipt:flat'). */
  kind: string;
  width: number;
  height: number;
  bytes: number;
  /** sha256 of the file's bytes (what the OCR engine is handed). */
  sha256: string;
  truth: TruthEntity[];
  /** Present where the SVG is known (every sensitive image). */
  drawn?: Drawn;
}

export interface OcrCorpus {
  dir: string;
  seed: number;
  items: CorpusItem[];
  /** Human-readable list of the image sources used. */
  sources: string[];
}

export interface OcrCorpusOptions {
  n: number;
  seed?: number;
  /** Share of sensitive images (default 0.2). */
  sensitiveShare?: number;
  /** Share of the sensitive images taken straight from generateSample (default 0.2). */
  generatorShare?: number;
  hashKey: Buffer;
  /** Use the Debian index when it exists (default true). */
  debian?: boolean;
  /**
   * A folder laid out <label>/<files> (e.g. .cache/eval-debian from `npm run fetch-eval`) to take
   * the non-sensitive images from — real photos and screenshots — instead of the generator's
   * rendered hard negatives. Its `other` and `screenshot` folders are used; files picked by a
   * seeded shuffle.
   */
  negativesDir?: string;
  log?: (line: string) => void;
}

const NO_REAL: Sources = { photos: [], screenshots: [], packages: [] };

// ------------------------------------------------------------------------------------ SVG text → truth

const ENTITY_REF: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITY_REF[ref] ?? m;
  });
}

function numAttr(attrs: string, name: string): number | undefined {
  const m = new RegExp(`\\s${name}="(-?[0-9.]+)`).exec(attrs);
  return m ? Number(m[1]) : undefined;
}

/**
 * The strings an SVG draws, one per `<text>` element in document order, at their page position
 * (nested `<svg x y>` and `<g transform="translate(...)">` offsets added; rotations ignored). A
 * `<tspan>` with its own position starts a new word; one without continues the text (so a PAN
 * split into styled groups joins back into the printed string). The renderers here write every
 * string as one `<text>` (letter-spacing is an attribute, the content is the plain string),
 * except `handwriting()`, which draws one `<text>` per character — only used on negatives.
 */
export function svgTexts(svg: string): { text: string; x: number; y: number; size: number }[] {
  const out: { text: string; x: number; y: number; size: number }[] = [];
  const stack: { x: number; y: number }[] = [{ x: 0, y: 0 }];
  const top = () => stack[stack.length - 1]!;
  const re = /<(\/?)(svg|g|text)\b([^>]*?)(\/?)>|<\/text>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const [, close, tag, attrs = '', selfClose] = m;
    if (tag === 'text' && !close) {
      const endAt = svg.indexOf('</text>', re.lastIndex);
      if (endAt < 0) break;
      const inner = svg
        .slice(re.lastIndex, endAt)
        .replace(/<tspan\b([^>]*)>/g, (_t, a: string) => (/\s(x|dx)="/.test(a) ? ' ' : ''))
        .replace(/<[^>]+>/g, '');
      re.lastIndex = endAt + '</text>'.length;
      const text = unescapeXml(inner).replace(/\s+/g, ' ').trim();
      if (text) out.push({ text, x: top().x + (numAttr(attrs, 'x') ?? 0), y: top().y + (numAttr(attrs, 'y') ?? 0), size: numAttr(attrs, 'font-size') ?? 16 });
      continue;
    }
    if (tag !== 'svg' && tag !== 'g') continue;
    if (close) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    if (selfClose) continue;
    let dx = 0;
    let dy = 0;
    if (tag === 'svg') {
      dx = numAttr(attrs, 'x') ?? 0;
      dy = numAttr(attrs, 'y') ?? 0;
    } else {
      const t = /transform="translate\(\s*(-?[0-9.]+)[\s,]+(-?[0-9.]+)/.exec(attrs);
      if (t) {
        dx = Number(t[1]);
        dy = Number(t[2]);
      }
    }
    stack.push({ x: top().x + dx, y: top().y + dy });
  }
  return out;
}

/** OcrLines as a perfect OCR would return them: one line per drawn string, words split on spaces, fake boxes. */
export function svgOcrLines(svg: string): OcrLine[] {
  return svgTexts(svg).map(({ text, x, y, size }) => {
    const cw = size * 0.6;
    let cx = x;
    const words = text.split(' ').map((w) => {
      const box = { x: Math.round(cx), y: Math.round(y - size), w: Math.max(1, Math.round(w.length * cw)), h: Math.max(1, Math.round(size)) };
      cx += (w.length + 1) * cw;
      return { text: w, conf: 96, box };
    });
    const first = words[0]!.box;
    const last = words[words.length - 1]!.box;
    return { words, box: { x: first.x, y: first.y, w: last.x + last.w - first.x, h: first.h } };
  });
}

/** The valid PAN / SSN / MRZ / IBAN entities the SVG shows, deduplicated (embossed PANs are drawn 2–3 times). */
export function truthFromSvg(svg: string, key: Buffer): TruthEntity[] {
  const seen = new Set<string>();
  const out: TruthEntity[] = [];
  for (const m of findEntities(svgOcrLines(svg))) {
    if (m.validation !== 'valid' || !(TRUTH_ENTITIES as readonly string[]).includes(m.entity)) continue;
    const hash = keyedHash(key, m.entity, m.value);
    if (seen.has(hash)) continue;
    seen.add(hash);
    out.push({ entity: m.entity as TruthEntityType, hash });
  }
  return out;
}

/** The independent, recognizer-free count of what the SVG draws (see the file comment). */
export function drawnInSvg(svg: string): Drawn {
  const texts = svgTexts(svg).map((t) => t.text);
  const mrzShaped = (t: string | undefined, len?: number) => t !== undefined && (len ? t.length === len : [30, 36, 44].includes(t.length)) && /^[A-Z0-9<]+$/.test(t);
  const pans = new Set<string>();
  const ssns = new Set<string>();
  for (const t of texts) {
    if (mrzShaped(t)) continue; // digit runs inside an MRZ line are not printed numbers
    for (const run of t.match(/\d[\d ]{11,30}\d/g) ?? []) {
      const d = run.replace(/ /g, '');
      if (d.length >= 13 && d.length <= 19 && luhnValid(d)) pans.add(d);
    }
    for (const s of t.match(/(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)/g) ?? []) {
      const d = s.replace(/ /g, '-');
      if (ssnValid(d)) ssns.add(d);
    }
  }
  let mrzBlocks = 0;
  let visaMrzBlocks = 0;
  for (let i = 0; i < texts.length; i++) {
    const two = [texts[i], texts[i + 1]];
    const three = [texts[i], texts[i + 1], texts[i + 2]];
    if (two.every((t) => mrzShaped(t, 44)) && two.some((t) => t!.includes('<'))) {
      if (texts[i]!.startsWith('V')) visaMrzBlocks++;
      else mrzBlocks++;
      i += 1;
    } else if (three.every((t) => mrzShaped(t, 30)) && three.some((t) => t!.includes('<'))) {
      mrzBlocks++;
      i += 2;
    }
  }
  return { pans: pans.size, ssns: ssns.size, mrzBlocks, visaMrzBlocks };
}

// ------------------------------------------------------------------------------------ documents

/**
 * A sensitive document for the j-th sample of its label, with the variant drawn. `mustShow`: the
 * slot is meant to carry the label's entity (a passport's MRZ, an SSN, the PAN on a card front, the
 * TD1 MRZ on an ID back), and the caller redraws until the SVG shows one; the other slots keep the
 * renderers' natural mix, entity-less variants included (masked SSNs, number-less card fronts,
 * card backs, licences without an MRZ).
 */
function renderSensitive(rng: Rng, label: SensitiveLabel, j: number): { r: Rendered; kind: string; mustShow: boolean } {
  switch (label) {
    case 'passport':
      return { r: renderPassport(rng), kind: 'passport', mustShow: true };
    case 'ssn_card':
      return { r: renderSsnCard(rng), kind: 'ssn_card', mustShow: j % 4 !== 3 };
    case 'id_card': {
      // every other ID card is a national ID / residence permit back, where the TD1 MRZ usually is
      if (j % 2 === 1) {
        const kind = rng.pick(['national', 'residence'] as const);
        return { r: renderIdCard(rng, { side: 'back', kind }), kind: `id_card:${kind}:back`, mustShow: true };
      }
      return { r: renderIdCard(rng), kind: 'id_card', mustShow: false };
    }
    case 'payment_card': {
      // three fronts, then one of either side
      const side = j % 4 === 3 ? undefined : ('front' as const);
      return { r: renderPaymentCard(rng, { photos: false, ...(side ? { side } : {}) }), kind: `payment_card:${side ?? 'any-side'}`, mustShow: side === 'front' };
    }
  }
}

/**
 * The Rendered document generateSample draws for a sensitive label — the first steps of
 * generateSample, replayed with the same Rng (the text does not depend on the rest: photo slots and
 * scene). `twoSided` says which branch it took; the caller checks it against the sample's kind.
 */
function generatorDocument(label: SensitiveLabel, index: number, seed: number, sources: Sources): { r: Rendered; twoSided: boolean } {
  const rng = new Rng(`${seed}:${label}:${index}`);
  const photos = sources.photos.some((p) => p.kind === undefined || p.kind === 'photo' || p.kind === 'art');
  const opts: RenderOpts = { photos };
  if (rng.bool(TWO_SIDED_SHARE[label] ?? 0)) {
    if (label === 'id_card') {
      const person = randomPerson(rng);
      const k = rng.pick(['dl', 'national', 'national', 'residence'] as const);
      return { r: twoSided(rng, renderIdCard(rng, { side: 'front', person, kind: k }), renderIdCard(rng, { side: 'back', person, kind: k })), twoSided: true };
    }
    return { r: twoSided(rng, renderPaymentCard(rng, { ...opts, side: 'front' }), renderPaymentCard(rng, { ...opts, side: 'back' })), twoSided: true };
  }
  const r = label === 'passport' ? renderPassport(rng) : label === 'id_card' ? renderIdCard(rng) : label === 'ssn_card' ? renderSsnCard(rng) : renderPaymentCard(rng, opts);
  return { r, twoSided: false };
}

type Rgb = { r: number; g: number; b: number };

function hslToRgb(h: number, s: number, l: number): Rgb {
  s /= 100;
  l /= 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)))));
  return { r: f(0), g: f(8), b: f(4) };
}

/**
 * A readable look: the document (RGBA raster, long side `docLong`) rotated ±4° on a scanner bed
 * (light, even) or a desk (mid-tone, soft shadow, brightness/saturation jitter, often a little blur), mild sensor
 * noise, JPEG q60–95.
 */
async function readableLook(rng: Rng, r: Rendered, look: 'scan' | 'photo', docLong: number): Promise<{ data: Buffer; width: number; height: number }> {
  const raster = await renderToRaster(rng, r, docLong, [], []);
  const doc = await toSharp(raster).ensureAlpha().png({ compressionLevel: 0 }).toBuffer();
  const angle = rng.float(-4, 4);
  const rot = await sharp(doc)
    .rotate(angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png({ compressionLevel: 0 })
    .toBuffer({ resolveWithObject: true });
  const dw = rot.info.width;
  const dh = rot.info.height;
  const margin = Math.round(Math.max(dw, dh) * (look === 'scan' ? rng.float(0.03, 0.12) : rng.float(0.06, 0.2)));
  const W = dw + 2 * margin;
  const H = dh + 2 * margin;
  const bg = look === 'scan' ? hslToRgb(rng.int(30, 60), rng.float(0, 10), rng.float(90, 99)) : hslToRgb(rng.int(0, 359), rng.float(5, 35), rng.float(25, 70));
  const layers: OverlayOptions[] = [];
  const left = margin + rng.int(-Math.floor(margin / 2), Math.floor(margin / 2));
  const top = margin + rng.int(-Math.floor(margin / 2), Math.floor(margin / 2));
  if (look === 'photo') {
    // soft shadow: the document's alpha, darkened, blurred, offset
    const shadow = await sharp(rot.data)
      .ensureAlpha()
      .linear([0, 0, 0, rng.float(0.3, 0.6)], [0, 0, 0, 0])
      .blur(Math.max(1, Math.round(Math.max(dw, dh) * 0.012)))
      .png({ compressionLevel: 0 })
      .toBuffer();
    const off = Math.round(Math.max(dw, dh) * rng.float(0.005, 0.02));
    layers.push({ input: shadow, left: Math.min(W - dw, left + off), top: Math.min(H - dh, top + off) });
  }
  layers.push({ input: rot.data, left, top });
  const sigma = look === 'scan' ? rng.float(2, 6) : rng.float(3, 9);
  // mono sensor noise from the Rng (sharp's own gaussian noise is seeded randomly: not reproducible)
  const noise = Buffer.alloc(W * H * 3);
  for (let i = 0; i < noise.length; i += 3) {
    const g = (rng.next() + rng.next() + rng.next() - 1.5) * 2; // ≈ N(0, 1)
    noise[i] = noise[i + 1] = noise[i + 2] = Math.max(0, Math.min(255, Math.round(128 + g * sigma)));
  }
  layers.push({ input: noise, raw: { width: W, height: H, channels: 3 }, blend: 'soft-light' });
  let img = sharp({ create: { width: W, height: H, channels: 3, background: bg } }).composite(layers);
  // composite output feeds the next steps as a fresh image (sharp applies composite last otherwise)
  let p = sharp(await img.png({ compressionLevel: 0 }).toBuffer());
  if (look === 'photo') {
    p = p.modulate({ brightness: rng.float(0.85, 1.1), saturation: rng.float(0.8, 1.1) });
    if (rng.bool(0.6)) p = p.blur(rng.float(0.4, 1.0));
  } else if (rng.bool(0.3)) p = p.blur(rng.float(0.3, 0.6));
  img = p;
  const data = await img.jpeg({ quality: rng.int(60, 95), chromaSubsampling: rng.bool() ? '4:2:0' : '4:4:4' }).toBuffer();
  return { data, width: W, height: H };
}

// ------------------------------------------------------------------------------------ the corpus

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Builds the corpus in `dir` (which must exist and be empty). */
export async function makeOcrCorpus(dir: string, opts: OcrCorpusOptions): Promise<OcrCorpus> {
  const seed = opts.seed ?? 7;
  const n = Math.max(1, Math.floor(opts.n));
  const nSens = Math.round(n * (opts.sensitiveShare ?? 0.2));
  const genEvery = (opts.generatorShare ?? 0.2) > 0 ? Math.max(1, Math.round(1 / (opts.generatorShare ?? 0.2))) : Infinity;
  const log = opts.log ?? (() => {});
  const debianSources = opts.debian === false ? NO_REAL : loadSources();
  const sources = debianSources.photos.length > 0 || debianSources.screenshots.length > 0 ? debianSources : NO_REAL;
  const withDebian = sources !== NO_REAL;

  // Deterministic order of the plan, then a deterministic shuffle of the file names, so the
  // sensitive images are spread through the folder (the scan lists it sorted).
  type Plan = { category: Label; j: number };
  const plan: Plan[] = [];
  const perLabel: Record<string, number> = {};
  for (let i = 0; i < nSens; i++) {
    const category = SENSITIVE_LABELS[i % SENSITIVE_LABELS.length]!;
    plan.push({ category, j: (perLabel[category] = (perLabel[category] ?? -1) + 1) });
  }
  const nNeg = n - nSens;
  for (let i = 0; i < nNeg; i++) {
    // 60% other, 40% screenshot, interleaved
    const category: Label = i % 5 === 1 || i % 5 === 3 ? 'screenshot' : 'other';
    plan.push({ category, j: (perLabel[category] = (perLabel[category] ?? -1) + 1) });
  }
  const order = new Rng(`ocr-bench:${seed}:order`);
  const slots = plan.map((_, i) => i);
  for (let i = slots.length - 1; i > 0; i--) {
    const k = order.int(0, i);
    [slots[i], slots[k]] = [slots[k]!, slots[i]!];
  }

  // Real negatives: every file of <negativesDir>/{other,screenshot}, shuffled by the seed.
  const real: Record<string, string[]> = {};
  if (opts.negativesDir) {
    for (const label of ['other', 'screenshot']) {
      const files = (await readdir(path.join(opts.negativesDir, label)).catch(() => [] as string[])).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
      const rng = new Rng(`ocr-bench:${seed}:real:${label}`);
      for (let i = files.length - 1; i > 0; i--) {
        const k = rng.int(0, i);
        [files[i], files[k]] = [files[k]!, files[i]!];
      }
      real[label] = files.map((f) => path.join(opts.negativesDir!, label, f));
    }
  }

  const items: CorpusItem[] = [];
  let sensIndex = 0;
  const used = new Set<string>();
  for (let pi = 0; pi < plan.length; pi++) {
    const { category, j } = plan[pi]!;
    const stem = `img${String(slots[pi]).padStart(5, '0')}`;
    let data: Buffer;
    let ext: string;
    let origin: Origin;
    let kind: string;
    let truth: TruthEntity[] = [];
    let drawn: Drawn | undefined;
    let width = 0;
    let height = 0;
    const sensitive = (SENSITIVE_LABELS as readonly string[]).includes(category);
    if (sensitive) {
      const label = category as SensitiveLabel;
      const fromGenerator = sensIndex % genEvery === genEvery - 1;
      sensIndex++;
      if (fromGenerator) {
        const index = j;
        const sample = await generateSample(label, index, seed, sources);
        const doc = generatorDocument(label, index, seed, sources);
        if (sample.kind.includes(':both-sides:') !== doc.twoSided) {
          throw new Error(`ocr corpus: replaying generateSample(${label}, ${index}) drew a different document (${sample.kind}); update generatorDocument()`);
        }
        data = sample.data;
        ext = sample.ext;
        origin = 'generator';
        kind = `gen:${sample.kind}`;
        truth = truthFromSvg(doc.r.svg, opts.hashKey);
        drawn = drawnInSvg(doc.r.svg);
      } else {
        let attempt = 0;
        let rng = new Rng(`ocr-bench:${seed}:${label}:${j}`);
        let { r, kind: k, mustShow } = renderSensitive(rng, label, j);
        while (mustShow && truthFromSvg(r.svg, opts.hashKey).length === 0 && attempt < 8) {
          rng = new Rng(`ocr-bench:${seed}:${label}:${j}:${++attempt}`);
          ({ r, kind: k, mustShow } = renderSensitive(rng, label, j));
        }
        const look = rng.bool(0.6) ? 'scan' : 'photo';
        // cards: the card's long side 700–1400 px; pages (passport pages, booklets, SSN carrier letters): 1000–1600 px
        const docLong = r.card ? rng.int(700, 1400) : rng.int(1000, 1600);
        const img = await readableLook(rng, r, look, docLong);
        data = img.data;
        ext = 'jpg';
        width = img.width;
        height = img.height;
        origin = look;
        kind = `${k}:${look}`;
        truth = truthFromSvg(r.svg, opts.hashKey);
        drawn = drawnInSvg(r.svg);
      }
    } else if (real[category]?.length) {
      const file = real[category]![j % real[category]!.length]!;
      data = await readFile(file);
      ext = path.extname(file).slice(1).toLowerCase();
      origin = 'real';
      kind = `real:${path.basename(path.dirname(file))}/${path.basename(file)}`;
    } else {
      const sample = await generateSample(category, j, seed, sources);
      data = sample.data;
      ext = sample.ext;
      origin = 'generator';
      kind = `gen:${sample.kind}`;
    }
    if (!width) {
      const m = await sharp(data).metadata();
      width = m.width ?? 0;
      height = m.height ?? 0;
    }
    // identical bytes would be one item to the store's content hash; keep names unique regardless
    const h = sha(data);
    if (used.has(h)) log(`ocr corpus: duplicate image content at ${stem} (${kind})`);
    used.add(h);
    const name = `${stem}.${ext}`;
    await writeFile(path.join(dir, name), data);
    items.push({ name, category, sensitive, origin, kind, width, height, bytes: data.length, sha256: h, truth, ...(drawn ? { drawn } : {}) });
    if ((pi + 1) % 20 === 0) log(`ocr corpus: ${pi + 1}/${plan.length} images`);
  }
  items.sort((a, b) => a.name.localeCompare(b.name));
  const srcs = [
    'sensitive: rendered with src/training/synth/renderers (passport, id_card, ssn_card, payment_card), flat scan / desk photo looks, ±4°, JPEG q60-95',
    `sensitive: every ${genEvery === Infinity ? 'none' : `${genEvery}th`} straight from generateSample (training looks)`,
    opts.negativesDir
      ? `not sensitive: real photos and screenshots from ${path.relative(process.cwd(), opts.negativesDir)} (Debian packages reserved for evaluation; never trained on)`
      : `not sensitive: generateSample('other' | 'screenshot') ${withDebian ? `with the Debian index (${sources.photos.length} photos, ${sources.screenshots.length} screenshots)` : 'rendered only (no Debian index: run `npm run fetch-debian` for real photos/screenshots)'}`,
  ];
  return { dir, seed, items, sources: srcs };
}

/** Small SVG-building helpers shared by the renderers. */
import type { Rng } from './prng.js';

/** A rectangle of the rendered image where a real photo is composited (over the SVG, or under it when `under`). */
export interface PhotoSlot {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Corner radius of the photo's clip. */
  r?: number;
  under?: boolean;
  /** A portrait box: filled with a (painted or drawn, never real) person on a plain backdrop instead of a photo. */
  person?: { grey: boolean; opacity: number };
}

export interface Rendered {
  svg: string;
  width: number;
  height: number;
  slots?: PhotoSlot[];
  /** SVG body drawn over the photo slots (captions). */
  overlay?: string;
  /** ID-1 sized, rounded: a card (placed and augmented exactly like the sensitive cards). */
  card?: boolean;
}

/**
 * Options every renderer accepts. `photos`: real photos will fill the slots (so skip drawn placeholders under them).
 * `side`: for two-sided documents, force the front or the back.
 */
export interface RenderOpts {
  photos?: boolean;
  side?: 'front' | 'back';
}

/**
 * Several rendered documents on one page (e.g. both sides of an ID card, as people scan and upload them):
 * each document is nested at (x, y), its photo slots moved with it.
 */
export function composeDocs(parts: readonly { doc: Rendered; x: number; y: number }[], W: number, H: number, background?: string): Rendered {
  let body = background ? `<rect width="${W}" height="${H}" fill="${background}"/>` : '';
  const slots: PhotoSlot[] = [];
  for (const { doc, x, y } of parts) {
    if (doc.overlay) throw new Error('composeDocs: documents with overlays are not supported');
    body += doc.svg.replace('<svg ', `<svg x="${x.toFixed(1)}" y="${y.toFixed(1)}" `);
    for (const sl of doc.slots ?? []) slots.push({ ...sl, x: sl.x + x, y: sl.y + y });
  }
  return { ...svgDoc(W, H, body), slots };
}

export const SANS = "DejaVu Sans";
export const SERIF = "DejaVu Serif";
export const MONO = "DejaVu Sans Mono";

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function svgDoc(width: number, height: number, body: string): Rendered {
  return {
    width,
    height,
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg>`,
  };
}

export interface TextOpts {
  size: number;
  family?: string;
  weight?: 'normal' | 'bold';
  fill?: string;
  anchor?: 'start' | 'middle' | 'end';
  spacing?: number;
  opacity?: number;
  italic?: boolean;
}

export function text(x: number, y: number, s: string, o: TextOpts): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${o.family ?? SANS}" font-size="${o.size.toFixed(1)}" font-weight="${o.weight ?? 'normal'}"${o.italic ? ' font-style="italic"' : ''} fill="${o.fill ?? '#111'}" text-anchor="${o.anchor ?? 'start'}"${o.spacing ? ` letter-spacing="${o.spacing}"` : ''}${o.opacity !== undefined ? ` opacity="${o.opacity}"` : ''}>${esc(s)}</text>`;
}

export function rect(x: number, y: number, w: number, h: number, fill: string, extra = ''): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}" ${extra}/>`;
}

export function hsl(h: number, s: number, l: number): string {
  return `hsl(${Math.round(((h % 360) + 360) % 360)},${Math.round(s)}%,${Math.round(l)}%)`;
}

export function randomColor(rng: Rng, sat: [number, number] = [20, 80], light: [number, number] = [30, 70]): string {
  return hsl(rng.int(0, 359), rng.float(sat[0], sat[1]), rng.float(light[0], light[1]));
}

/** Wavy "guilloche" security lines across a region. */
export function guilloche(rng: Rng, x: number, y: number, w: number, h: number, color: string, n = 24, opacity = 0.35): string {
  const amp = rng.float(4, 18);
  const freq = rng.float(0.01, 0.05);
  const phaseStep = rng.float(0.1, 0.6);
  // one path, stroke-opacity (no group opacity: that costs an offscreen surface in librsvg); smooth curves through
  // few points keep rasterising cheap
  const stepX = Math.max(10, w / 40);
  let d = '';
  for (let i = 0; i < n; i++) {
    const y0 = y + (h * i) / n;
    const f = (xx: number): string => (y0 + amp * Math.sin(freq * (xx - x) + i * phaseStep) + (amp / 2) * Math.sin(freq * 2.7 * (xx - x) - i * phaseStep)).toFixed(1);
    d += `M${x.toFixed(1)} ${f(x)}`;
    for (let xx = x + stepX; xx <= x + w + stepX / 2; xx += stepX) d += `T${xx.toFixed(1)} ${f(xx)}`;
  }
  if (rng.bool(0.6)) {
    // rosette
    const cx = x + rng.float(0.2, 0.8) * w;
    const cy = y + rng.float(0.2, 0.8) * h;
    const r = Math.min(w, h) * rng.float(0.15, 0.35);
    const k = rng.int(5, 12);
    for (let j = 0; j < 8; j++) {
      for (let t = 0; t <= 360; t += 6) {
        const a = (t * Math.PI) / 180;
        const rr = r * (0.6 + 0.4 * Math.cos(k * a + j * 0.3)) * (0.5 + j / 16);
        d += `${t === 0 ? 'M' : 'L'}${(cx + rr * Math.cos(a)).toFixed(1)} ${(cy + rr * Math.sin(a)).toFixed(1)}`;
      }
      d += 'Z';
    }
  }
  return `<path d="${d}" stroke="${color}" stroke-width="${rng.float(0.6, 1.4).toFixed(2)}" fill="none" stroke-opacity="${opacity}"/>`;
}

/** A photo slot that shows a person (a news photo, a profile picture) with probability `p`, else any photo. */
export function photoSlot(rng: Rng, x: number, y: number, w: number, h: number, p: number, r?: number): PhotoSlot {
  return { x, y, w, h, ...(r ? { r } : {}), ...(rng.bool(p) ? { person: { grey: rng.bool(0.15), opacity: 1 } } : {}) };
}

/** Share of portraits that become person-photo slots (when the renderer collects slots). */
export const PERSON_PHOTO_SHARE = 0.5;

/**
 * A drawn (never real) head-and-shoulders portrait in a photo box: skin, hair style, eyes, brows, nose, mouth, clothes.
 * With `slots`, about half of the portraits also get a person slot over the same box, which the generator fills with a
 * painted/drawn person from the Debian images (texture closer to a printed photo); the drawing stays as the fallback.
 */
export function portrait(rng: Rng, x: number, y: number, w: number, h: number, grey = false, slots?: PhotoSlot[], opacity = 1): string {
  if (slots && rng.bool(PERSON_PHOTO_SHARE)) slots.push({ x, y, w, h, person: { grey, opacity } });
  const g = (hue: number, sat: number, l: number): string => (grey ? hsl(0, 0, l) : hsl(hue, sat, l));
  const bg = grey ? hsl(0, 0, rng.float(70, 95)) : rng.bool(0.6) ? hsl(rng.int(190, 225), rng.float(5, 45), rng.float(72, 94)) : hsl(0, 0, rng.float(82, 97));
  const skinL = rng.float(22, 82);
  const skinH = rng.int(14, 34);
  const skin = g(skinH, rng.float(25, 60), skinL);
  const skinDark = g(skinH, rng.float(25, 60), skinL * 0.8);
  const hairL = rng.bool(0.15) ? rng.float(60, 85) : rng.float(4, 40);
  const hair = g(rng.int(10, 45), rng.float(10, 65), hairL);
  const cloth = grey ? hsl(0, 0, rng.float(8, 70)) : randomColor(rng, [5, 60], [8, 55]);
  const cx = x + w / 2 + rng.float(-0.06, 0.06) * w;
  const headR = w * rng.float(0.2, 0.28);
  const cy = y + h * rng.float(0.36, 0.46);
  const ry = headR * rng.float(1.15, 1.35);
  const id = `clip${rng.u32()}`;
  const style = rng.int(0, 5); // 0 short, 1 long, 2 bald, 3 bun, 4 scarf, 5 curly
  let out = `<defs><clipPath id="${id}"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}"/></clipPath></defs><g clip-path="url(#${id})">`;
  out += rect(x, y, w, h, bg);
  if (style === 1) out += `<path d="M ${cx - headR * 1.15} ${cy - headR * 0.3} Q ${cx - headR * 1.3} ${cy + ry * 1.6} ${cx - headR * 0.9} ${cy + ry * 1.7} L ${cx + headR * 0.9} ${cy + ry * 1.7} Q ${cx + headR * 1.3} ${cy + ry * 1.6} ${cx + headR * 1.15} ${cy - headR * 0.3} Z" fill="${hair}"/>`;
  if (style === 4) out += `<ellipse cx="${cx}" cy="${cy + ry * 0.3}" rx="${headR * 1.35}" ry="${ry * 1.45}" fill="${cloth}"/>`;
  // shoulders and neck
  const sh = y + h * rng.float(0.82, 0.9);
  out += `<path d="M ${x - w * 0.1} ${y + h * 1.02} Q ${cx - w * 0.45} ${sh} ${cx - headR * 0.6} ${sh - h * 0.04} L ${cx + headR * 0.6} ${sh - h * 0.04} Q ${cx + w * 0.45} ${sh} ${x + w * 1.1} ${y + h * 1.02} Z" fill="${cloth}"/>`;
  out += rect(cx - headR * 0.42, cy + ry * 0.6, headR * 0.84, sh - cy - ry * 0.6 + h * 0.01, skinDark);
  if (rng.bool(0.5)) out += `<path d="M ${cx - headR * 0.5} ${sh - h * 0.04} L ${cx} ${sh + h * 0.07} L ${cx + headR * 0.5} ${sh - h * 0.04} Z" fill="${rng.bool() ? '#f4f4f4' : skinDark}"/>`;
  // ears and head
  out += `<ellipse cx="${cx - headR * 0.98}" cy="${cy + ry * 0.05}" rx="${headR * 0.16}" ry="${ry * 0.2}" fill="${skinDark}"/><ellipse cx="${cx + headR * 0.98}" cy="${cy + ry * 0.05}" rx="${headR * 0.16}" ry="${ry * 0.2}" fill="${skinDark}"/>`;
  out += `<ellipse cx="${cx}" cy="${cy}" rx="${headR}" ry="${ry}" fill="${skin}"/>`;
  out += `<ellipse cx="${cx + headR * 0.25}" cy="${cy + ry * 0.1}" rx="${headR * 0.7}" ry="${ry * 0.85}" fill="#000" opacity="0.06"/>`;
  // hair
  if (style === 0 || style === 1 || style === 3) out += `<path d="M ${cx - headR * 1.04} ${cy - ry * 0.05} Q ${cx - headR * 1.1} ${cy - ry * 1.25} ${cx} ${cy - ry * 1.12} Q ${cx + headR * 1.1} ${cy - ry * 1.25} ${cx + headR * 1.04} ${cy - ry * 0.05} Q ${cx + headR * 0.8} ${cy - ry * 0.6} ${cx + headR * rng.float(-0.3, 0.3)} ${cy - ry * 0.62} Q ${cx - headR * 0.8} ${cy - ry * 0.6} ${cx - headR * 1.04} ${cy - ry * 0.05} Z" fill="${hair}"/>`;
  if (style === 3) out += `<circle cx="${cx}" cy="${cy - ry * 1.15}" r="${headR * 0.42}" fill="${hair}"/>`;
  if (style === 5) for (let i = 0; i < 14; i++) {
    const a = Math.PI * (1.05 + (i / 13) * 0.9);
    out += `<circle cx="${(cx + Math.cos(a) * headR * 0.95).toFixed(1)}" cy="${(cy - ry * 0.15 + Math.sin(a) * ry * 0.95).toFixed(1)}" r="${(headR * 0.3).toFixed(1)}" fill="${hair}"/>`;
  }
  if (style === 4) out += `<path d="M ${cx - headR * 1.05} ${cy + ry * 0.2} Q ${cx - headR * 1.1} ${cy - ry * 1.25} ${cx} ${cy - ry * 1.15} Q ${cx + headR * 1.1} ${cy - ry * 1.25} ${cx + headR * 1.05} ${cy + ry * 0.2} Q ${cx + headR * 0.9} ${cy - ry * 0.75} ${cx} ${cy - ry * 0.78} Q ${cx - headR * 0.9} ${cy - ry * 0.75} ${cx - headR * 1.05} ${cy + ry * 0.2} Z" fill="${cloth}"/>`;
  // face
  const ey = cy - ry * rng.float(0.02, 0.15);
  const ex = headR * rng.float(0.32, 0.42);
  const er = headR * rng.float(0.1, 0.14);
  const iris = grey ? hsl(0, 0, rng.float(5, 35)) : hsl(rng.int(20, 220), rng.float(20, 60), rng.float(10, 35));
  for (const sgn of [-1, 1]) {
    out += `<ellipse cx="${cx + sgn * ex}" cy="${ey}" rx="${er}" ry="${er * 0.55}" fill="#f2f2f2"/><circle cx="${cx + sgn * ex}" cy="${ey}" r="${er * 0.45}" fill="${iris}"/>`;
    out += `<path d="M ${cx + sgn * (ex - er * 1.2)} ${ey - er * 1.3} Q ${cx + sgn * ex} ${ey - er * rng.float(1.7, 2.1)} ${cx + sgn * (ex + er * 1.3)} ${ey - er * 1.2}" stroke="${hairL > 55 ? g(30, 30, 40) : hair}" stroke-width="${(er * 0.4).toFixed(1)}" fill="none"/>`;
  }
  out += `<path d="M ${cx} ${ey + er} L ${cx - headR * 0.1} ${cy + ry * 0.3} L ${cx + headR * 0.06} ${cy + ry * 0.33}" stroke="${skinDark}" stroke-width="${(headR * 0.05).toFixed(1)}" fill="none"/>`;
  const my = cy + ry * rng.float(0.5, 0.6);
  const mw = headR * rng.float(0.25, 0.4);
  out += `<path d="M ${cx - mw} ${my} Q ${cx} ${my + headR * rng.float(-0.02, 0.12)} ${cx + mw} ${my}" stroke="${grey ? hsl(0, 0, skinL * 0.6) : hsl(rng.int(350, 370), 35, skinL * 0.65)}" stroke-width="${(headR * 0.07).toFixed(1)}" fill="none"/>`;
  if (style !== 1 && style !== 4 && rng.bool(0.2)) out += `<path d="M ${cx - headR * 0.85} ${cy + ry * 0.2} Q ${cx - headR * 0.7} ${cy + ry * 1.1} ${cx} ${cy + ry * 1.08} Q ${cx + headR * 0.7} ${cy + ry * 1.1} ${cx + headR * 0.85} ${cy + ry * 0.2} Q ${cx + headR * 0.5} ${cy + ry * 0.75} ${cx} ${cy + ry * 0.72} Q ${cx - headR * 0.5} ${cy + ry * 0.75} ${cx - headR * 0.85} ${cy + ry * 0.2} Z" fill="${hair}" opacity="0.85"/>`;
  if (rng.bool(0.2)) out += `<g fill="none" stroke="${g(0, 0, rng.float(5, 40))}" stroke-width="${(headR * 0.05).toFixed(1)}"><rect x="${cx - ex - er * 1.6}" y="${ey - er * 1.1}" width="${er * 3.2}" height="${er * 2.2}" rx="${er * 0.6}"/><rect x="${cx + ex - er * 1.6}" y="${ey - er * 1.1}" width="${er * 3.2}" height="${er * 2.2}" rx="${er * 0.6}"/><path d="M ${cx - ex + er * 1.6} ${ey} L ${cx + ex - er * 1.6} ${ey}"/></g>`;
  return out + '</g>';
}

/** A scribbled signature. */
export function signature(rng: Rng, x: number, y: number, w: number, h: number, color = '#1a2a6c'): string {
  let d = `M ${x} ${y + h / 2}`;
  const n = rng.int(5, 10);
  for (let i = 1; i <= n; i++) {
    const xx = x + (w * i) / n;
    d += ` C ${(xx - w / n / 2).toFixed(1)} ${(y + rng.float(-0.2, 1.2) * h).toFixed(1)}, ${(xx - w / n / 3).toFixed(1)} ${(y + rng.float(-0.2, 1.2) * h).toFixed(1)}, ${xx.toFixed(1)} ${(y + rng.float(0.2, 0.8) * h).toFixed(1)}`;
  }
  return `<path d="${d}" stroke="${color}" stroke-width="${rng.float(1, 2.5).toFixed(1)}" fill="none"/>`;
}

/** A 1-D barcode as one path (random bar widths; not a valid symbology). */
export function barcode(rng: Rng, x: number, y: number, w: number, h: number, color = '#000'): string {
  let d = '';
  const unit = Math.max(0.8, w / rng.int(90, 160));
  let xx = x + unit * 4;
  while (xx < x + w - unit * 4) {
    const bw = unit * rng.int(1, 4);
    if (rng.bool()) d += `M${xx.toFixed(1)} ${y.toFixed(1)}h${bw.toFixed(1)}v${h.toFixed(1)}h${(-bw).toFixed(1)}z`;
    xx += bw;
  }
  return `<path d="${d}" fill="${color}"/>`;
}

/** A PDF417-like stacked barcode (start/stop columns, row indicators, random codewords) as one path. */
export function pdf417(rng: Rng, x: number, y: number, w: number, h: number, color = '#000'): string {
  const cols = rng.int(3, 8);
  const modules = 17 * (cols + 2) + 17 + 18; // start + left/right indicators + data + stop
  const m = w / modules;
  const rows = Math.max(3, Math.min(40, Math.round(h / (m * 3))));
  const rh = h / rows;
  let d = '';
  const bars = (x0: number, y0: number, widths: readonly number[]): number => {
    let xx = x0;
    widths.forEach((k, i) => {
      if (i % 2 === 0) d += `M${xx.toFixed(2)} ${y0.toFixed(2)}h${(k * m).toFixed(2)}v${(rh + 0.2).toFixed(2)}h${(-k * m).toFixed(2)}z`;
      xx += k * m;
    });
    return xx;
  };
  const codeword = (): number[] => {
    // 4 bars + 4 spaces, widths 1-6, summing to 17
    const wds = [1, 1, 1, 1, 1, 1, 1, 1];
    for (let left = 9; left > 0; left--) {
      const i = rng.int(0, 7);
      if ((wds[i] as number) < 6) wds[i] = (wds[i] as number) + 1;
      else left++;
    }
    return wds;
  };
  for (let r = 0; r < rows; r++) {
    const yy = y + r * rh;
    let xx = bars(x, yy, [8, 1, 1, 1, 1, 1, 1, 3]);
    for (let c = 0; c < cols + 2; c++) xx = bars(xx, yy, codeword());
    bars(xx, yy, [7, 1, 1, 3, 1, 1, 1, 2, 1]);
  }
  return `<path d="${d}" fill="${color}"/>`;
}

/** A QR-like 2-D code (finder patterns, random modules) as one path. */
export function qr(rng: Rng, x: number, y: number, size: number, n = 25): string {
  const c = size / n;
  let d = '';
  const cell = (i: number, j: number): void => {
    d += `M${(x + j * c).toFixed(1)} ${(y + i * c).toFixed(1)}h${(c + 0.3).toFixed(2)}v${(c + 0.3).toFixed(2)}h${(-c - 0.3).toFixed(2)}z`;
  };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const finder = (i < 7 && j < 7) || (i < 7 && j >= n - 7) || (i >= n - 7 && j < 7);
      if (finder) {
        const li = i >= n - 7 ? i - (n - 7) : i;
        const lj = j >= n - 7 ? j - (n - 7) : j;
        const ring = Math.max(Math.abs(li - 3), Math.abs(lj - 3));
        if (ring === 3 || ring <= 1) cell(i, j);
      } else if (rng.bool()) cell(i, j);
    }
  return rect(x, y, size, size, '#fff') + `<path d="${d}" fill="#000"/>`;
}

/** A contact chip (ISO 7816 pad layout). */
export function chip(rng: Rng, x: number, y: number, w: number, h: number): string {
  const gold = rng.bool(0.75);
  const c1 = gold ? hsl(rng.int(38, 48), rng.float(45, 75), rng.float(55, 72)) : hsl(0, 0, rng.float(68, 85));
  const c2 = gold ? hsl(rng.int(35, 45), rng.float(40, 70), rng.float(38, 52)) : hsl(0, 0, rng.float(45, 60));
  let out = rect(x, y, w, h, c1, `rx="${(h * 0.18).toFixed(1)}" stroke="${c2}" stroke-width="${(h * 0.03).toFixed(1)}"`);
  const sw = (h * 0.035).toFixed(1);
  out += `<path d="M ${x} ${y + h / 3} H ${x + w * 0.35} M ${x} ${y + (2 * h) / 3} H ${x + w * 0.35} M ${x + w} ${y + h / 3} H ${x + w * 0.65} M ${x + w} ${y + (2 * h) / 3} H ${x + w * 0.65} M ${x + w * 0.35} ${y} V ${y + h} M ${x + w * 0.65} ${y} V ${y + h}" stroke="${c2}" stroke-width="${sw}" fill="none"/>`;
  out += rect(x + w * 0.35, y + h * 0.3, w * 0.3, h * 0.4, c1, `rx="${(h * 0.06).toFixed(1)}" stroke="${c2}" stroke-width="${sw}"`);
  return out;
}

/** Contactless (EMV) symbol: four arcs. */
export function contactless(x: number, y: number, s: number, color: string): string {
  let out = `<g stroke="${color}" fill="none" stroke-width="${(s * 0.09).toFixed(1)}" stroke-linecap="round">`;
  for (let i = 0; i < 4; i++) {
    const r = s * (0.2 + i * 0.22);
    out += `<path d="M ${x + r * 0.5} ${y - r * 0.87} A ${r} ${r} 0 0 1 ${x + r * 0.5} ${y + r * 0.87}"/>`;
  }
  return out + '</g>';
}

/** A magnetic stripe band across the card. */
export function magstripe(rng: Rng, y: number, w: number, h: number): string {
  return rect(0, y, w, h, hsl(rng.int(20, 40), rng.float(0, 20), rng.float(5, 22))) + (rng.bool(0.3) ? rect(0, y + h * 0.45, w, h * 0.08, '#fff', 'opacity="0.08"') : '');
}

/** A translucent holographic patch (rainbow gradient). */
export function hologram(rng: Rng, x: number, y: number, w: number, h: number, opacity = 0.35): string {
  const id = `holo${rng.u32()}`;
  const h0 = rng.int(0, 359);
  return `<defs><linearGradient id="${id}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(h0, 80, 70)}"/><stop offset="0.35" stop-color="${hsl(h0 + 90, 80, 75)}"/><stop offset="0.7" stop-color="${hsl(h0 + 180, 80, 70)}"/><stop offset="1" stop-color="${hsl(h0 + 270, 80, 78)}"/></linearGradient></defs><ellipse cx="${(x + w / 2).toFixed(1)}" cy="${(y + h / 2).toFixed(1)}" rx="${(w / 2).toFixed(1)}" ry="${(h / 2).toFixed(1)}" fill="url(#${id})" opacity="${opacity}"/>`;
}

/** Grey placeholder lines that read as body text at a distance. */
export function textLines(rng: Rng, x: number, y: number, w: number, lineH: number, n: number, color = '#999', thick = 0.45): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const lw = w * (i === n - 1 ? rng.float(0.2, 0.7) : rng.float(0.75, 1));
    out += rect(x, y + i * lineH, lw, lineH * thick, color, 'rx="1"');
  }
  return out;
}

/** A drawn stand-in for a photo (sky, hills, sun) where no real photo fills a slot. */
export function photoPlaceholder(rng: Rng, x: number, y: number, w: number, h: number): string {
  const id = `ph${rng.u32()}`;
  const sky = hsl(rng.int(180, 230), rng.float(30, 80), rng.float(55, 85));
  const ground = hsl(rng.int(60, 140), rng.float(20, 60), rng.float(20, 50));
  let out = `<defs><clipPath id="${id}"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}"/></clipPath></defs><g clip-path="url(#${id})">`;
  out += rect(x, y, w, h, sky);
  if (rng.bool(0.6)) out += `<circle cx="${x + rng.float(0.1, 0.9) * w}" cy="${y + rng.float(0.1, 0.4) * h}" r="${Math.min(w, h) * rng.float(0.05, 0.12)}" fill="${hsl(rng.int(40, 55), 90, 75)}"/>`;
  for (let i = 0; i < rng.int(1, 3); i++) {
    const base = y + h * rng.float(0.5, 0.8);
    out += `<path d="M ${x} ${base} Q ${x + w * rng.float(0.2, 0.8)} ${base - h * rng.float(0.1, 0.45)} ${x + w} ${base + h * rng.float(-0.1, 0.1)} L ${x + w} ${y + h} L ${x} ${y + h} Z" fill="${hsl(rng.int(60, 150), rng.float(15, 60), rng.float(15, 55))}"/>`;
  }
  out += rect(x, y + h * 0.85, w, h * 0.15, ground);
  return out + '</g>';
}

/** Marker-style handwriting: text drawn letter by letter with jitter (whiteboards, notes). */
export function handwriting(rng: Rng, x: number, y: number, s: string, size: number, color: string): string {
  let out = `<g fill="${color}" font-family="${SANS}" font-size="${size.toFixed(1)}" font-style="italic">`;
  let xx = x;
  const slope = rng.float(-0.04, 0.04);
  for (const ch of s) {
    if (ch !== ' ') out += `<text x="${xx.toFixed(1)}" y="${(y + (xx - x) * slope + rng.float(-0.08, 0.08) * size).toFixed(1)}" transform="rotate(${rng.float(-8, 8).toFixed(1)} ${xx.toFixed(1)} ${y.toFixed(1)})">${esc(ch)}</text>`;
    xx += size * (ch === ' ' ? 0.45 : rng.float(0.52, 0.66));
  }
  return out + '</g>';
}

/** Small SVG-building helpers shared by the renderers. */
import type { Rng } from './prng.js';

export interface Rendered {
  svg: string;
  width: number;
  height: number;
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
  let out = `<g stroke="${color}" stroke-width="${rng.float(0.6, 1.4).toFixed(2)}" fill="none" opacity="${opacity}">`;
  for (let i = 0; i < n; i++) {
    const y0 = y + (h * i) / n;
    let d = `M ${x} ${y0.toFixed(1)}`;
    for (let xx = x; xx <= x + w; xx += 8) {
      const yy = y0 + amp * Math.sin(freq * (xx - x) + i * phaseStep) + (amp / 2) * Math.sin(freq * 2.7 * (xx - x) - i * phaseStep);
      d += ` L ${xx.toFixed(1)} ${yy.toFixed(1)}`;
    }
    out += `<path d="${d}"/>`;
  }
  if (rng.bool(0.6)) {
    // rosette
    const cx = x + rng.float(0.2, 0.8) * w;
    const cy = y + rng.float(0.2, 0.8) * h;
    const r = Math.min(w, h) * rng.float(0.15, 0.35);
    const k = rng.int(5, 12);
    for (let j = 0; j < 10; j++) {
      let d = '';
      for (let t = 0; t <= 360; t += 3) {
        const a = (t * Math.PI) / 180;
        const rr = r * (0.6 + 0.4 * Math.cos(k * a + j * 0.3)) * (0.5 + j / 20);
        d += `${t === 0 ? 'M' : 'L'} ${(cx + rr * Math.cos(a)).toFixed(1)} ${(cy + rr * Math.sin(a)).toFixed(1)} `;
      }
      out += `<path d="${d}Z"/>`;
    }
  }
  return out + '</g>';
}

/** A stylised head-and-shoulders portrait (photo box). */
export function portrait(rng: Rng, x: number, y: number, w: number, h: number, grey = false): string {
  const bg = grey ? hsl(0, 0, rng.float(70, 92)) : hsl(rng.int(180, 230), rng.float(5, 40), rng.float(70, 92));
  const skinL = rng.float(25, 80);
  const skin = grey ? hsl(0, 0, skinL) : hsl(rng.int(15, 35), rng.float(25, 60), skinL);
  const hair = grey ? hsl(0, 0, rng.float(5, 40)) : hsl(rng.int(10, 40), rng.float(10, 60), rng.float(5, 45));
  const cloth = grey ? hsl(0, 0, rng.float(10, 60)) : randomColor(rng, [5, 60], [10, 50]);
  const cx = x + w / 2 + rng.float(-0.05, 0.05) * w;
  const headR = w * rng.float(0.22, 0.3);
  const cy = y + h * rng.float(0.36, 0.45);
  const id = `clip${rng.u32()}`;
  return `<defs><clipPath id="${id}"><rect x="${x}" y="${y}" width="${w}" height="${h}"/></clipPath></defs>
<g clip-path="url(#${id})">${rect(x, y, w, h, bg)}
<ellipse cx="${cx}" cy="${y + h * 1.05}" rx="${w * 0.55}" ry="${h * 0.35}" fill="${cloth}"/>
<rect x="${cx - headR * 0.45}" y="${cy + headR * 0.7}" width="${headR * 0.9}" height="${headR * 0.8}" fill="${skin}"/>
<ellipse cx="${cx}" cy="${cy - headR * 0.25}" rx="${headR * 1.08}" ry="${headR * 1.05}" fill="${hair}"/>
<ellipse cx="${cx}" cy="${cy}" rx="${headR * 0.9}" ry="${headR * 1.15}" fill="${skin}"/>
<ellipse cx="${cx - headR * 0.35}" cy="${cy - headR * 0.1}" rx="${headR * 0.12}" ry="${headR * 0.07}" fill="#222"/>
<ellipse cx="${cx + headR * 0.35}" cy="${cy - headR * 0.1}" rx="${headR * 0.12}" ry="${headR * 0.07}" fill="#222"/>
<path d="M ${cx - headR * 0.3} ${cy + headR * 0.5} Q ${cx} ${cy + headR * 0.62} ${cx + headR * 0.3} ${cy + headR * 0.5}" stroke="#7a3b3b" stroke-width="${headR * 0.06}" fill="none"/>
</g>`;
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

export function barcode(rng: Rng, x: number, y: number, w: number, h: number, color = '#000'): string {
  let out = '';
  let xx = x;
  while (xx < x + w) {
    const bw = rng.int(1, 4);
    if (rng.bool()) out += rect(xx, y, bw, h, color);
    xx += bw;
  }
  return out;
}

export function qr(rng: Rng, x: number, y: number, size: number, n = 25): string {
  const c = size / n;
  let out = rect(x, y, size, size, '#fff');
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const finder = (i < 7 && j < 7) || (i < 7 && j >= n - 7) || (i >= n - 7 && j < 7);
      if (finder) {
        const li = i >= n - 7 ? i - (n - 7) : i;
        const lj = j >= n - 7 ? j - (n - 7) : j;
        const ring = Math.max(Math.abs(li - 3), Math.abs(lj - 3));
        if (ring === 3 || ring <= 1) out += rect(x + j * c, y + i * c, c + 0.3, c + 0.3, '#000');
      } else if (rng.bool()) out += rect(x + j * c, y + i * c, c + 0.3, c + 0.3, '#000');
    }
  return out;
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

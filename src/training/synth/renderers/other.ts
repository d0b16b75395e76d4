/** Rendered hard negatives for `other`: business cards, receipts, forms, slides, charts, book pages, tickets, abstract art. */
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, barcode, hsl, qr, randomColor, rect, svgDoc, text, textLines, type Rendered } from '../svg.js';
import { randomPerson } from '../people.js';

const WORDS = 'the of and to in is that for it as with was on be by this are or from at which an but not have has were their one all would there been if more when will out up other into only some could time these two may then do first any new very most over such after through where much before between good long great world life still being same last under never'.split(' ');

function sentence(rng: Rng, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(rng.pick(WORDS));
  const s = w.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function businessCard(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round(W * rng.pick([0.55, 0.571, 0.6]));
  const p = randomPerson(rng);
  const dark = rng.bool(0.3);
  const bg = dark ? randomColor(rng, [10, 50], [10, 30]) : randomColor(rng, [0, 20], [88, 99]);
  const fg = dark ? '#f0f0f0' : '#222';
  const acc = randomColor(rng, [40, 90], [35, 60]);
  let b = rect(0, 0, W, H, bg);
  if (rng.bool(0.5)) b += rect(0, 0, W * rng.float(0.02, 0.35), H, acc);
  const x = W * rng.float(0.08, 0.4);
  b += text(x, H * 0.35, `${p.given} ${p.surname}`.replace(/\b(\w)(\w*)/g, (_, a: string, r: string) => a + r.toLowerCase()), { size: W * 0.05, weight: 'bold', fill: fg, family: rng.pick([SANS, SERIF]) });
  b += text(x, H * 0.45, rng.pick(['Senior Engineer', 'Account Manager', 'Architect', 'Sales Director', 'Consultant', 'Photographer']), { size: W * 0.028, fill: acc });
  const lines = [`+1 555 ${rng.digits(3)} ${rng.digits(4)}`, `${p.given.toLowerCase().split(' ')[0]}@${rng.pick(['example.com', 'acme.io', 'studio.net'])}`, p.address, `www.${rng.pick(['acme', 'northwind', 'contoso', 'globex'])}.com`];
  lines.forEach((l, i) => (b += text(x, H * 0.62 + i * H * 0.08, l, { size: W * 0.024, fill: fg })));
  if (rng.bool(0.3)) b += qr(rng, W * 0.78, H * 0.55, H * 0.3);
  return svgDoc(W, H, b);
}

function receipt(rng: Rng): Rendered {
  const W = rng.int(380, 520);
  const n = rng.int(5, 18);
  const H = 260 + n * 26 + 160;
  let b = rect(0, 0, W, H, hsl(45, rng.float(0, 20), rng.float(93, 99)));
  b += text(W / 2, 50, rng.pick(['SUPERMART', 'CAFE LUNA', 'HARDWARE CO', 'BOOK NOOK', 'FUEL STOP']), { size: 26, weight: 'bold', anchor: 'middle', family: MONO });
  b += text(W / 2, 80, `${rng.int(1, 999)} Main Street`, { size: 14, anchor: 'middle', family: MONO });
  b += text(W / 2, 100, `${rng.int(1, 28)}/${rng.int(1, 12)}/20${rng.int(18, 26)} ${rng.int(8, 21)}:${rng.digits(2)}`, { size: 14, anchor: 'middle', family: MONO });
  let y = 150;
  let total = 0;
  for (let i = 0; i < n; i++, y += 26) {
    const price = rng.int(50, 5000) / 100;
    total += price;
    b += text(20, y, rng.pick(['MILK', 'BREAD', 'COFFEE', 'SCREWS 4MM', 'PAPER A4', 'APPLES', 'BATTERIES', 'TEA', 'PASTA', 'SOAP']), { size: 15, family: MONO });
    b += text(W - 20, y, price.toFixed(2), { size: 15, family: MONO, anchor: 'end' });
  }
  b += rect(20, y, W - 40, 2, '#333');
  b += text(20, y + 30, 'TOTAL', { size: 20, weight: 'bold', family: MONO }) + text(W - 20, y + 30, total.toFixed(2), { size: 20, weight: 'bold', family: MONO, anchor: 'end' });
  b += text(20, y + 60, `CARD ************${rng.digits(4)}`, { size: 14, family: MONO });
  b += barcode(rng, 40, y + 80, W - 80, 50);
  return svgDoc(W, H, b);
}

function form(rng: Rng): Rendered {
  const W = rng.int(700, 900);
  const H = Math.round(W * 1.414);
  let b = rect(0, 0, W, H, '#fdfdfd');
  b += text(50, 80, rng.pick(['APPLICATION FORM', 'Registration', 'Employee Onboarding', 'Incident Report', 'Purchase Order', 'INVOICE']), { size: 30, weight: 'bold', family: rng.pick([SANS, SERIF]) });
  let y = 130;
  while (y < H - 80) {
    if (rng.bool(0.7)) {
      b += text(50, y, rng.pick(['Name', 'Address', 'Date', 'Department', 'Phone', 'Email', 'Description', 'Amount', 'Reference']), { size: 15, fill: '#333' });
      b += rect(220, y - 18, W - 270, 26, '#fff', 'stroke="#888"');
      y += 46;
    } else {
      b += textLines(rng, 50, y, W - 100, 20, rng.int(2, 6), '#777', 0.4);
      y += 140;
    }
  }
  return svgDoc(W, H, b);
}

function slide(rng: Rng): Rendered {
  const W = rng.pick([1280, 1024, 960]);
  const H = Math.round(W * rng.pick([9 / 16, 3 / 4]));
  const dark = rng.bool(0.3);
  const bg = dark ? randomColor(rng, [20, 60], [10, 25]) : randomColor(rng, [0, 30], [92, 100]);
  const fg = dark ? '#fff' : '#222';
  const acc = randomColor(rng, [50, 90], [40, 60]);
  let b = rect(0, 0, W, H, bg) + rect(0, 0, W, H * 0.02, acc);
  b += text(W * 0.07, H * 0.18, sentence(rng, rng.int(2, 5)).replace('.', ''), { size: H * 0.07, weight: 'bold', fill: fg });
  for (let i = 0; i < rng.int(3, 6); i++) {
    b += `<circle cx="${W * 0.08}" cy="${H * (0.32 + i * 0.1) - H * 0.015}" r="${H * 0.008}" fill="${acc}"/>`;
    b += text(W * 0.1, H * (0.32 + i * 0.1), sentence(rng, rng.int(4, 9)), { size: H * 0.038, fill: fg });
  }
  if (rng.bool(0.5)) b += rect(W * 0.62, H * 0.3, W * 0.3, H * 0.5, acc, 'rx="12" opacity="0.6"');
  return svgDoc(W, H, b);
}

function chart(rng: Rng): Rendered {
  const W = rng.int(700, 1100);
  const H = Math.round(W * rng.float(0.55, 0.8));
  let b = rect(0, 0, W, H, '#fff');
  b += text(W / 2, 40, sentence(rng, 4).replace('.', ''), { size: 22, anchor: 'middle', weight: 'bold' });
  const x0 = 80;
  const y0 = H - 60;
  b += rect(x0, 70, 2, y0 - 70, '#333') + rect(x0, y0, W - x0 - 40, 2, '#333');
  const n = rng.int(4, 14);
  const bw = (W - x0 - 60) / n;
  const kind = rng.int(0, 2);
  if (kind === 2) {
    const cx = W / 2;
    const cy = H / 2 + 20;
    const r = H * 0.32;
    b = rect(0, 0, W, H, '#fff');
    let a0 = 0;
    for (let i = 0; i < rng.int(3, 7); i++) {
      const a1 = Math.min(Math.PI * 2, a0 + rng.float(0.3, 2));
      b += `<path d="M ${cx} ${cy} L ${cx + r * Math.cos(a0)} ${cy + r * Math.sin(a0)} A ${r} ${r} 0 ${a1 - a0 > Math.PI ? 1 : 0} 1 ${cx + r * Math.cos(a1)} ${cy + r * Math.sin(a1)} Z" fill="${randomColor(rng)}"/>`;
      a0 = a1;
    }
    return svgDoc(W, H, b);
  }
  let d = '';
  for (let i = 0; i < n; i++) {
    const h = rng.float(0.1, 0.95) * (y0 - 80);
    if (kind === 0) b += rect(x0 + 10 + i * bw, y0 - h, bw * 0.7, h, randomColor(rng, [40, 80], [40, 60]));
    else d += `${i === 0 ? 'M' : 'L'} ${x0 + 10 + i * bw} ${y0 - h} `;
    b += text(x0 + 10 + i * bw, y0 + 22, String(2010 + i), { size: 12, fill: '#555' });
  }
  if (d) b += `<path d="${d}" stroke="${randomColor(rng)}" stroke-width="3" fill="none"/>`;
  return svgDoc(W, H, b);
}

function bookPage(rng: Rng): Rendered {
  const W = rng.int(600, 850);
  const H = Math.round(W * rng.float(1.3, 1.6));
  let b = rect(0, 0, W, H, hsl(40, rng.float(10, 40), rng.float(88, 97)));
  let y = 90;
  if (rng.bool(0.4)) {
    b += text(W / 2, y, `Chapter ${rng.int(1, 30)}`, { size: 30, family: SERIF, anchor: 'middle' });
    y += 60;
  }
  const per = Math.floor((W - 120) / 9.5);
  while (y < H - 70) {
    let line = '';
    while (line.length < per) line += rng.pick(WORDS) + ' ';
    b += text(60, y, line.slice(0, per), { size: 17, family: SERIF, fill: '#222' });
    y += 26;
  }
  b += text(W / 2, H - 35, String(rng.int(1, 400)), { size: 14, family: SERIF, anchor: 'middle' });
  return svgDoc(W, H, b);
}

function ticketOrLabel(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round(W * rng.float(0.35, 0.6));
  const acc = randomColor(rng, [40, 90], [30, 55]);
  let b = rect(0, 0, W, H, '#fafafa', 'rx="18"') + rect(0, 0, W, H * 0.22, acc, 'rx="18"');
  b += text(30, H * 0.15, rng.pick(['BOARDING PASS', 'ADMIT ONE', 'SHIPPING LABEL', 'GIFT CARD', 'LIBRARY CARD', 'MEMBERSHIP', 'EVENT PASS']), { size: H * 0.09, weight: 'bold', fill: '#fff' });
  for (let i = 0; i < 4; i++) b += text(30 + (i % 2) * W * 0.3, H * (0.4 + Math.floor(i / 2) * 0.25), rng.pick(['GATE ' + rng.int(1, 60), 'SEAT ' + rng.int(1, 40) + rng.letters(1), 'ROW ' + rng.int(1, 30), 'ZONE ' + rng.int(1, 5), rng.letters(3) + ' → ' + rng.letters(3)]), { size: H * 0.08, fill: '#222', weight: 'bold' });
  if (rng.bool()) b += barcode(rng, W * 0.7, H * 0.3, W * 0.25, H * 0.55);
  else b += qr(rng, W * 0.72, H * 0.3, H * 0.6);
  return svgDoc(W, H, b);
}

function abstractArt(rng: Rng): Rendered {
  const W = rng.int(600, 1200);
  const H = Math.round(W * rng.float(0.5, 1.4));
  let b = rect(0, 0, W, H, randomColor(rng, [0, 80], [10, 95]));
  const n = rng.int(5, 40);
  for (let i = 0; i < n; i++) {
    const c = randomColor(rng, [10, 90], [15, 90]);
    const o = rng.float(0.3, 1).toFixed(2);
    if (rng.bool()) b += `<circle cx="${rng.float(0, W)}" cy="${rng.float(0, H)}" r="${rng.float(10, W / 3)}" fill="${c}" opacity="${o}"/>`;
    else b += `<rect x="${rng.float(-50, W)}" y="${rng.float(-50, H)}" width="${rng.float(20, W / 2)}" height="${rng.float(20, H / 2)}" fill="${c}" opacity="${o}" transform="rotate(${rng.float(-45, 45)} ${W / 2} ${H / 2})"/>`;
  }
  return svgDoc(W, H, b);
}

function diagram(rng: Rng): Rendered {
  const W = rng.int(700, 1200);
  const H = Math.round(W * rng.float(0.4, 0.9));
  const bg = rng.bool(0.8) ? '#ffffff' : randomColor(rng, [0, 20], [90, 98]);
  let b = rect(0, 0, W, H, bg);
  const cols = rng.int(2, 5);
  const rows = rng.int(1, 4);
  const bw = (W / cols) * rng.float(0.5, 0.75);
  const bh = (H / rows) * rng.float(0.25, 0.5);
  const fill = randomColor(rng, [20, 80], [70, 92]);
  const stroke = randomColor(rng, [0, 60], [15, 40]);
  const centers: [number, number][] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      if (rng.bool(0.2)) continue;
      const x = (W / cols) * (c + 0.5);
      const y = (H / rows) * (r + 0.5);
      centers.push([x, y]);
      b += rng.bool(0.7)
        ? rect(x - bw / 2, y - bh / 2, bw, bh, fill, `stroke="${stroke}" stroke-width="2" rx="${rng.pick([0, 6, 14])}"`)
        : `<ellipse cx="${x}" cy="${y}" rx="${bw / 2}" ry="${bh / 2}" fill="${fill}" stroke="${stroke}" stroke-width="2"/>`;
      b += text(x, y + 5, rng.pick(WORDS) + ' ' + rng.pick(WORDS), { size: Math.min(18, bh / 3), anchor: 'middle', fill: '#222', family: rng.pick([SANS, MONO]) });
    }
  for (let i = 1; i < centers.length; i++) {
    const [x1, y1] = centers[i - 1]!;
    const [x2, y2] = centers[i]!;
    b += `<line x1="${x1}" y1="${y1 + bh / 2}" x2="${x2}" y2="${y2 - bh / 2}" stroke="${stroke}" stroke-width="2"/>`;
    b += `<circle cx="${x2}" cy="${y2 - bh / 2}" r="4" fill="${stroke}"/>`;
  }
  return svgDoc(W, H, b);
}

export const OTHER_RENDERERS = { businessCard, receipt, form, slide, chart, bookPage, ticketOrLabel, abstractArt, diagram } as const;

export function renderOther(rng: Rng): Rendered {
  const keys = Object.keys(OTHER_RENDERERS) as (keyof typeof OTHER_RENDERERS)[];
  return OTHER_RENDERERS[rng.pick(keys)](rng);
}

/**
 * Documents the OCR tests render themselves (SVG through sharp): a payment card with a PAN,
 * a passport data page with an MRZ, an SSN card. Values are public test values (processor test
 * PANs, the ICAO 9303 specimen MRZ, an SSN inside the issued ranges), never a real person's.
 */
import sharp from 'sharp';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface RenderOpts {
  width?: number;
  angle?: number;
  jpegQuality?: number;
}

async function encode(svg: string, opts: RenderOpts): Promise<Buffer> {
  let img = sharp(Buffer.from(svg));
  if (opts.angle) img = sharp(await img.png().toBuffer()).rotate(opts.angle, { background: '#e8e4dc' });
  return opts.jpegQuality ? img.jpeg({ quality: opts.jpegQuality }).toBuffer() : img.png().toBuffer();
}

/** An ID-1 payment card front (85.6 × 54 mm) with the PAN in groups of four. */
export function paymentCard(pan: string, opts: RenderOpts = {}): Promise<Buffer> {
  const W = opts.width ?? 1000;
  const H = Math.round((W * 53.98) / 85.6);
  const groups = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
  const f = W / 1000;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1d3f8f"/><stop offset="1" stop-color="#3c7bd1"/></linearGradient></defs>
    <rect width="${W}" height="${H}" rx="${40 * f}" fill="url(#g)"/>
    <text x="${60 * f}" y="${100 * f}" font-family="DejaVu Sans" font-weight="bold" font-size="${56 * f}" fill="#fff">TESTBANK</text>
    <rect x="${80 * f}" y="${170 * f}" width="${130 * f}" height="${100 * f}" rx="${14 * f}" fill="#d9c27a"/>
    <text x="${60 * f}" y="${390 * f}" font-family="DejaVu Sans Mono" font-size="${68 * f}" fill="#fff">${esc(groups)}</text>
    <text x="${60 * f}" y="${470 * f}" font-family="DejaVu Sans" font-size="${30 * f}" fill="#fff">VALID THRU 09/29</text>
    <text x="${60 * f}" y="${550 * f}" font-family="DejaVu Sans" font-size="${40 * f}" fill="#fff">JANE Q SAMPLE</text>
    <text x="${760 * f}" y="${560 * f}" font-family="DejaVu Sans" font-weight="bold" font-style="italic" font-size="${64 * f}" fill="#fff">VISA</text>
  </svg>`;
  return encode(svg, opts);
}

/** The ICAO 9303 specimen TD3 MRZ (Anna Maria Eriksson, Utopia). */
export const SPECIMEN_TD3: [string, string] = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];

/** A passport data page (TD3, 125 × 88 mm) with fields, a photo box and the MRZ at the bottom. */
export function passportPage(mrz: readonly [string, string] = SPECIMEN_TD3, opts: RenderOpts = {}): Promise<Buffer> {
  const W = opts.width ?? 1250;
  const H = Math.round((W * 88) / 125);
  const f = W / 1250;
  const field = (x: number, y: number, label: string, value: string) =>
    `<text x="${x * f}" y="${y * f}" font-family="DejaVu Sans" font-size="${20 * f}" fill="#556">${esc(label)}</text>
     <text x="${x * f}" y="${(y + 34) * f}" font-family="DejaVu Sans" font-size="${30 * f}" fill="#111">${esc(value)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <rect width="${W}" height="${H}" fill="#eef3ea"/>
    <text x="${40 * f}" y="${60 * f}" font-family="DejaVu Serif" font-size="${36 * f}" fill="#233">PASSPORT  UTOPIA</text>
    <rect x="${40 * f}" y="${100 * f}" width="${300 * f}" height="${390 * f}" fill="#c8cfd8"/>
    ${field(380, 110, 'Surname', 'ERIKSSON')}${field(380, 190, 'Given names', 'ANNA MARIA')}
    ${field(380, 270, 'Date of birth', '12 AUG 1974')}${field(380, 350, 'Date of expiry', '15 APR 2012')}
    ${field(800, 110, 'Passport No.', 'L898902C3')}${field(800, 190, 'Nationality', 'UTOPIAN')}
    <rect x="0" y="${640 * f}" width="${W}" height="${H - 640 * f}" fill="#fff"/>
    <text x="${40 * f}" y="${720 * f}" font-family="DejaVu Sans Mono" font-size="${42 * f}" fill="#000">${esc(mrz[0])}</text>
    <text x="${40 * f}" y="${800 * f}" font-family="DejaVu Sans Mono" font-size="${42 * f}" fill="#000">${esc(mrz[1])}</text>
  </svg>`;
  return encode(svg, opts);
}

/** A US social security card look with a number in AAA-GG-SSSS form. */
export function ssnCard(ssn: string, opts: RenderOpts = {}): Promise<Buffer> {
  const W = opts.width ?? 1000;
  const H = Math.round(W * 0.55);
  const f = W / 1000;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <rect width="${W}" height="${H}" fill="#eaf1f8"/>
    <text x="${W / 2}" y="${90 * f}" text-anchor="middle" font-family="DejaVu Serif" font-weight="bold" font-size="${52 * f}" fill="#1b3a6b">SOCIAL SECURITY</text>
    <text x="${W / 2}" y="${200 * f}" text-anchor="middle" font-family="DejaVu Sans Mono" font-size="${64 * f}" fill="#111">${esc(ssn)}</text>
    <text x="${W / 2}" y="${290 * f}" text-anchor="middle" font-family="DejaVu Sans" font-size="${30 * f}" fill="#333">THIS NUMBER HAS BEEN ESTABLISHED FOR</text>
    <text x="${W / 2}" y="${380 * f}" text-anchor="middle" font-family="DejaVu Sans" font-size="${44 * f}" fill="#111">JANE Q SAMPLE</text>
  </svg>`;
  return encode(svg, opts);
}

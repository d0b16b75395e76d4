/**
 * OCR integration: documents rendered here (SVG via sharp, DejaVu fonts), photographed badly
 * (sizes, skew, JPEG quality), read by the real OCR pool and checked through the recognizers:
 * each case must yield the VALIDATED entity — `validation === 'valid'`, the right entity type,
 * the exact value that was drawn (the value only lives in memory here, as in the OCR stage),
 * the hash-independent facts (issuer, MRZ format, grouping) and boxes where the text was drawn.
 *
 * Known misses are kept as `todo` cases with the reason, not deleted (node:test reports them,
 * they don't fail the run; one that starts passing shows up as a passing todo).
 *
 * All images go through one pool of 2 workers, recognised up front in parallel; the cases then
 * only assert. About 100 images, 25–45 s on a 2-core machine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createOcrPool, type OcrPool } from '../src/ocr/index.js';
import type { Box, OcrResult } from '../src/ocr/types.js';
import { findEntities } from '../src/recognizers/registry.js';
import type { EntityType, Match } from '../src/recognizers/types.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/* ---------------------------------------------------------------- documents (1000-unit viewBox) */

interface Doc {
  name: string;
  /** viewBox size; the image is rendered `width` px wide with this aspect. */
  vw: number;
  vh: number;
  svg: (width: number) => string;
  entity: EntityType;
  value: string;
  /** Whether a reported value is the drawn one (default: equal). */
  same?: (value: string) => boolean;
  /** Where the entity's text is, in viewBox units. */
  region: Box;
  facts: (m: Match) => void;
}

function cardSvg(o: { pan: string; bg1: string; bg2: string; fg: string; brand: string }) {
  return (w: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${Math.round((w * 630) / 1000)}" viewBox="0 0 1000 630">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${o.bg1}"/><stop offset="1" stop-color="${o.bg2}"/></linearGradient></defs>
  <rect width="1000" height="630" rx="40" fill="url(#g)"/>
  <text x="60" y="110" font-family="DejaVu Sans" font-weight="bold" font-size="56" fill="${o.fg}">FIRST BANK</text>
  <rect x="80" y="200" width="130" height="100" rx="12" fill="#d8b45a"/>
  <text x="70" y="400" font-family="DejaVu Sans Mono" font-size="68" fill="${o.fg}">${o.pan}</text>
  <text x="330" y="470" font-family="DejaVu Sans" font-size="24" fill="${o.fg}">VALID THRU</text>
  <text x="500" y="475" font-family="DejaVu Sans Mono" font-size="40" fill="${o.fg}">12/29</text>
  <text x="70" y="560" font-family="DejaVu Sans Mono" font-size="44" fill="${o.fg}">ANNA M ERIKSSON</text>
  <text x="780" y="570" font-family="DejaVu Sans" font-weight="bold" font-style="italic" font-size="60" fill="${o.fg}">${o.brand}</text>
</svg>`;
}

const MRZ1 = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<';
const MRZ2 = 'L898902C36UTO7408122F1204159ZE184226B<<<<<10';

/** ICAO 9303 specimen data page (TD3, 125 × 88 mm), MRZ in the monospace font. */
function passportSvg(w: number): string {
  const field = (y: number, label: string, value: string) => `
  <text x="400" y="${y}" font-family="DejaVu Sans" font-size="20" fill="#445">${label}</text>
  <text x="400" y="${y + 35}" font-family="DejaVu Sans" font-size="30" fill="#111">${value}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${Math.round((w * 880) / 1250)}" viewBox="0 0 1250 880">
  <rect width="1250" height="880" fill="#eef3ea"/>
  <rect x="0" y="0" width="1250" height="70" fill="#c9d8c0"/>
  <text x="40" y="50" font-family="DejaVu Sans" font-weight="bold" font-size="34" fill="#223">PASSPORT  PASS  UTOPIA</text>
  <rect x="50" y="110" width="300" height="390" fill="#b9c4cf"/>
  ${field(140, 'Type / Type   Code / Code   Passport No.', 'P      UTO      L898902C3')}
  ${field(225, 'Surname / Nom', 'ERIKSSON')}
  ${field(305, 'Given names / Prénoms', 'ANNA MARIA')}
  ${field(385, 'Date of birth / Date de naissance', '12 AUG 1974')}
  ${field(465, 'Date of expiry / Date d&apos;expiration', '15 APR 2012')}
  <rect x="0" y="680" width="1250" height="200" fill="#ffffff"/>
  <text x="45" y="755" font-family="DejaVu Sans Mono" font-size="45" fill="#000">${esc(MRZ1)}</text>
  <text x="45" y="835" font-family="DejaVu Sans Mono" font-size="45" fill="#000">${esc(MRZ2)}</text>
</svg>`;
}

function ssnSvg(num: string) {
  return (w: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${Math.round((w * 630) / 1000)}" viewBox="0 0 1000 630">
  <rect width="1000" height="630" fill="#dfe9f5"/>
  <circle cx="500" cy="330" r="200" fill="#c8d8ee"/>
  <text x="500" y="90" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="52" fill="#1b3a6b">SOCIAL SECURITY</text>
  <text x="500" y="190" text-anchor="middle" font-family="DejaVu Sans" font-size="30" fill="#1b3a6b">THIS NUMBER HAS BEEN ESTABLISHED FOR</text>
  <text x="500" y="300" text-anchor="middle" font-family="DejaVu Sans Mono" font-weight="bold" font-size="64" fill="#111">${num}</text>
  <text x="500" y="420" text-anchor="middle" font-family="DejaVu Sans" font-size="44" fill="#111">JOHN Q PUBLIC</text>
  <line x1="300" y1="530" x2="700" y2="530" stroke="#333" stroke-width="2"/>
  <text x="500" y="570" text-anchor="middle" font-family="DejaVu Sans" font-size="22" fill="#333">SIGNATURE</text>
</svg>`;
}

const VISA: Doc = {
  name: 'visa card (white on blue)',
  vw: 1000,
  vh: 630,
  svg: cardSvg({ pan: '4539 1488 0343 6467', bg1: '#1d3f8f', bg2: '#3a78c9', fg: '#f4f4f4', brand: 'VISA' }),
  entity: 'payment_card_number',
  value: '4539148803436467',
  region: { x: 70, y: 350, w: 790, h: 50 },
  facts: (m) => {
    assert.equal(m.details.issuer, 'Visa');
    assert.equal(m.details.luhn, true);
    assert.equal(m.details.length, 16);
    assert.equal(m.redacted.endsWith('6467'), true);
  },
};

const MASTERCARD: Doc = {
  name: 'mastercard (cream on charcoal)',
  vw: 1000,
  vh: 630,
  svg: cardSvg({ pan: '5425 2334 3010 9903', bg1: '#202020', bg2: '#5a5a5a', fg: '#e8e0c8', brand: 'mastercard' }),
  entity: 'payment_card_number',
  value: '5425233430109903',
  region: { x: 70, y: 350, w: 790, h: 50 },
  facts: (m) => {
    assert.equal(m.details.issuer, 'Mastercard');
    assert.equal(m.details.luhn, true);
  },
};

const PASSPORT: Doc = {
  name: 'passport data page (ICAO specimen MRZ)',
  vw: 1250,
  vh: 880,
  svg: passportSvg,
  entity: 'mrz',
  value: `${MRZ1}\n${MRZ2}`,
  // Check digits protect line 2 and nothing of the names in line 1: a valid MRZ may carry a
  // misread name ("MARIA" → "MARTIA" at 1400 px, q60/q35), and is still this passport.
  // the MRZ's hashed identity: format, document code and the check-digit-protected fields (names are not part of it)
  same: (v) => v === 'TD3|P|L898902C3|740812|120415',
  region: { x: 45, y: 722, w: 1190, h: 113 },
  facts: (m) => {
    assert.equal(m.details.format, 'TD3');
    assert.equal(m.details.issuer, 'UTO');
    assert.equal(m.details.nationality, 'UTO');
    assert.equal(m.details.docType, 'P');
    assert.equal(m.details.expired, true); // the specimen expired in 2012
  },
};

const SSN: Doc = {
  name: 'social security card',
  vw: 1000,
  vh: 630,
  svg: ssnSvg('412-67-9358'),
  entity: 'us_ssn',
  value: '412679358',
  region: { x: 288, y: 253, w: 424, h: 47 },
  facts: (m) => {
    assert.equal(m.details.format, 'dashed');
    assert.ok((m.details.context as string[]).some((c) => /social security|this number has been established/.test(c)), `context ${JSON.stringify(m.details.context)}`);
  },
};

/* ---------------------------------------------------------------- photographing */

interface Case {
  doc: Doc;
  width: number;
  angle: number;
  quality: number;
  /** Expected miss, with the reason (the case becomes a node:test todo). */
  miss?: string;
}

const key = (c: Case): string => `${c.doc.name} @ ${c.width}px, ${c.angle}°, q${c.quality}`;

/** Render, rotate (clockwise, canvas expanded, white around: a card on a table) and JPEG-encode. */
async function photograph(c: Case): Promise<Buffer> {
  const flat = await sharp(Buffer.from(c.doc.svg(c.width))).flatten({ background: '#ffffff' }).png().toBuffer();
  const img = c.angle ? sharp(flat).rotate(c.angle, { background: '#ffffff' }) : sharp(flat);
  return img.jpeg({ quality: c.quality }).toBuffer();
}

/** Where the entity's region lands in the photograph: scaled, then rotated like sharp does. */
function expectedRegion(c: Case): Box {
  const s = c.width / c.doc.vw;
  const W = c.width;
  const H = Math.round((c.width * c.doc.vh) / c.doc.vw);
  const r = c.doc.region;
  const rad = (c.angle * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const W2 = Math.abs(W * cos) + Math.abs(H * sin);
  const H2 = Math.abs(W * sin) + Math.abs(H * cos);
  const pts = [
    [r.x, r.y],
    [r.x + r.w, r.y],
    [r.x, r.y + r.h],
    [r.x + r.w, r.y + r.h],
  ].map(([x, y]) => {
    const dx = x! * s - W / 2;
    const dy = y! * s - H / 2;
    return [W2 / 2 + cos * dx - sin * dy, H2 / 2 + sin * dx + cos * dy] as const;
  });
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
}

function union(boxes: Box[]): Box {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.w));
  const y1 = Math.max(...boxes.map((b) => b.y + b.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/* ---------------------------------------------------------------- the grid */

const ANGLES = [0, 4, -4, 8];
const QUALITIES = [95, 60, 35];

/**
 * Measured misses (tesseract.js 7, eng 4.0.0_best_int, this project's prepare.ts defaults). In
 * every one the text is sharp enough; the LSTM inserts one character into a line at this
 * particular scale after deskewing — "0343 6467" → "0343 06467" (17 digits: no PAN), MRZ
 * "1204159ZE" → "12041597ZE" (Z read as both 7 and Z; the check digits then fail, so the MRZ is
 * reported as an invalid near miss, not as valid). Each is an invalid near miss, and a second
 * reading at another scale (`recognize(img, { prepare: { scaleFactor: 0.8 } })`; 0.7, 0.8 and
 * 1.2 all work here, 1.4 does not for the cards) reads every one of them: the test below. The
 * pipeline decides whether a near miss is worth that second pass.
 */
const MISSES: Record<string, string> = {
  [`${VISA.name} @ 1000px, 4°, q95`]: 'LSTM inserts a 0: "0343 06467"',
  [`${VISA.name} @ 600px, -4°, q35`]: 'LSTM inserts a 0: "0343 06467"',
  [`${PASSPORT.name} @ 1400px, 4°, q35`]: 'LSTM inserts a 7 before the Z: "9ZE" → "97ZE"; personal-number and composite checks fail (invalid MRZ)',
  [`${PASSPORT.name} @ 1400px, 4°, q60`]: 'LSTM inserts a 7 before the Z: "9ZE" → "97ZE"; personal-number and composite checks fail (invalid MRZ)',
};

const CASES: Case[] = [];
for (const [doc, widths, qualities] of [
  [VISA, [1000, 600, 400], QUALITIES],
  [PASSPORT, [1400, 1000, 700], QUALITIES],
  [SSN, [1000, 600, 400], QUALITIES],
  [MASTERCARD, [1000, 600, 400], [60]],
] as const) {
  for (const width of widths) for (const angle of ANGLES) for (const quality of qualities) CASES.push({ doc, width, angle, quality });
}
for (const c of CASES) c.miss = MISSES[key(c)];

describe('OCR → recognizers on rendered documents', () => {
  let pool: OcrPool;
  const results = new Map<string, OcrResult | Error>();

  before(async () => {
    pool = createOcrPool({ size: 2 });
    await Promise.all(
      CASES.map(async (c) => {
        try {
          results.set(key(c), await pool.recognize(await photograph(c)));
        } catch (err) {
          results.set(key(c), err as Error);
        }
      }),
    );
  });

  after(async () => {
    await pool?.close();
  });

  for (const c of CASES) {
    test(key(c), c.miss ? { todo: c.miss } : {}, (t) => {
      const r = results.get(key(c));
      assert.ok(r && !(r instanceof Error), `OCR failed: ${r instanceof Error ? r.message : 'no result'}`);
      const matches = findEntities(r.lines);
      const ofType = matches.filter((m) => m.entity === c.doc.entity);
      const valid = ofType.filter((m) => m.validation === 'valid');
      // Never a wrong value reported as valid.
      for (const m of valid) {
        if (c.doc.same) assert.ok(c.doc.same(m.value), `a valid ${c.doc.entity} with the wrong value: ${JSON.stringify(m.value)}`);
        else assert.equal(m.value, c.doc.value, `a valid ${c.doc.entity} with the wrong value`);
      }
      if (!valid.length) {
        t.diagnostic(`seen: ${ofType.map((m) => `${m.validation} (${m.explanation})`).join('; ') || 'nothing of this type'}`);
      }
      assert.equal(valid.length, 1, `one valid ${c.doc.entity}`);
      const m = valid[0]!;
      c.doc.facts(m);
      // Boxes are in the photograph's pixels, where the text was drawn.
      assert.equal(r.width, Math.round(r.width));
      const got = union(m.boxes);
      const want = expectedRegion(c);
      const tol = 0.04 * c.width;
      assert.ok(Math.abs(got.x + got.w / 2 - (want.x + want.w / 2)) < tol, `box centre x: got ${JSON.stringify(got)}, drawn ${JSON.stringify(want)}`);
      assert.ok(Math.abs(got.y + got.h / 2 - (want.y + want.h / 2)) < tol, `box centre y: got ${JSON.stringify(got)}, drawn ${JSON.stringify(want)}`);
      assert.ok(got.w > 0.7 * want.w && got.w < 1.25 * want.w, `box width ${got.w} vs ${want.w.toFixed(0)}`);
    });
  }

  test('a second reading at another scale recovers the near misses documented above', async () => {
    const missed = CASES.filter((c) => c.miss);
    assert.ok(missed.length > 0);
    for (const c of missed) {
      const first = results.get(key(c));
      assert.ok(first && !(first instanceof Error));
      // What the OCR stage would see: a near miss (an invalid match of the type), worth a second pass.
      assert.ok(findEntities(first.lines).some((m) => m.entity === c.doc.entity && m.validation === 'invalid'), `${key(c)}: near miss`);
      const second = await pool.recognize(await photograph(c), { prepare: { scaleFactor: 0.8 } });
      const valid = findEntities(second.lines).filter((m) => m.entity === c.doc.entity && m.validation === 'valid');
      assert.equal(valid.length, 1, `${key(c)}: valid on the second reading`);
      assert.ok(c.doc.same ? c.doc.same(valid[0]!.value) : valid[0]!.value === c.doc.value);
    }
  });

  test('every case was read in one pass, at the photograph size', () => {
    for (const c of CASES) {
      const r = results.get(key(c));
      if (!r || r instanceof Error) continue;
      assert.deepEqual(r.passes, ['full']);
      assert.ok(r.width >= c.width && r.width < c.width * 1.2, `${key(c)}: width ${r.width}`);
    }
  });
});

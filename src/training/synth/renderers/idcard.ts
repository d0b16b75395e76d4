/**
 * ID-1 identity card / driving licence / residence permit (85.60 × 53.98 mm): fronts (portrait, fields, signature,
 * ghost image, chip, hologram) and backs (PDF417-like barcode, 1-D barcode, magstripe, categories table, TD1 MRZ);
 * some vertical (portrait-orientation) licences.
 */
import { td1 } from '../checks.js';
import { fmtDate, randomPerson, yymmdd, type Person } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, barcode, chip, guilloche, hologram, hsl, magstripe, pdf417, portrait, qr, rect, signature, svgDoc, text, type PhotoSlot, type Rendered } from '../svg.js';

const ASPECT = 53.98 / 85.6;
export type Kind = 'dl' | 'national' | 'residence';

/** The TD1 MRZ printed on ID cards (all ICAO 9303 check digits). */
export function idCardMrz(rng: Rng, p: Person): [string, string, string] {
  return td1({
    docType: rng.pick(['I<', 'ID', 'IR', 'AR', 'I']),
    issuer: p.country.code,
    surname: p.surname,
    given: p.given,
    docNumber: p.docNumber.slice(0, 9),
    nationality: p.country.code,
    birth: yymmdd(p.birth),
    sex: p.sex,
    expiry: yymmdd(p.expiry),
    personal: rng.bool() ? rng.digits(8) : '',
  });
}

function mrzBlock(rng: Rng, lines: readonly string[], W: number, H: number, s: number): string {
  const top = H - 175 * s;
  let out = rect(0, top - 10 * s, W, 185 * s, '#fff', `opacity="${rng.float(0.3, 0.9).toFixed(2)}"`);
  const size = (W * 0.9) / 30 / 0.602;
  lines.forEach((l, i) => (out += text(W * 0.05, top + 40 * s + i * 50 * s, l, { size, family: MONO, fill: '#111' })));
  return out;
}

function titles(rng: Rng, kind: Kind): string {
  return kind === 'dl'
    ? rng.pick(['DRIVER LICENSE', 'DRIVING LICENCE', 'FÜHRERSCHEIN', 'PERMIS DE CONDUIRE', 'PRAWO JAZDY', 'RIJBEWIJS', 'PATENTE DI GUIDA', 'COMMERCIAL DRIVER LICENSE', 'LEARNER PERMIT'])
    : kind === 'national'
      ? rng.pick(['IDENTITY CARD', 'NATIONAL ID CARD', 'PERSONALAUSWEIS', "CARTE NATIONALE D'IDENTITÉ", 'DOWÓD OSOBISTY', 'IDENTITEITSKAART', "CARTA D'IDENTITÀ", 'DOCUMENTO NACIONAL DE IDENTIDAD', 'IDENTIFICATION CARD'])
      : rng.pick(['RESIDENCE PERMIT', 'PERMANENT RESIDENT CARD', 'AUFENTHALTSTITEL', 'TITRE DE SÉJOUR', 'WORK PERMIT']);
}

export interface IdCardOpts {
  /** Force a front or a back (default: a back 35% of the time). */
  side?: 'front' | 'back';
  /** Person and kind shared by both sides of one card. */
  person?: Person;
  kind?: Kind;
}

export function renderIdCard(rng: Rng, opts: IdCardOpts = {}): Rendered {
  const kind: Kind = opts.kind ?? rng.pick(['dl', 'dl', 'national', 'national', 'residence']);
  const vertical = kind === 'dl' && rng.bool(0.12);
  const W = rng.int(700, 900);
  const H = Math.round(W * ASPECT);
  const s = W / 856;
  const p = opts.person ?? randomPerson(rng);
  const slots: PhotoSlot[] = [];
  const hue = rng.int(0, 359);
  const bg1 = hsl(hue, rng.float(10, 60), rng.float(72, 95));
  const bg2 = hsl(hue + rng.int(-60, 60), rng.float(10, 60), rng.float(68, 95));
  const ink = hsl(hue + rng.int(-40, 40), rng.float(30, 80), rng.float(18, 45));
  const r = 30 * s;
  const isBack = opts.side ? opts.side === 'back' : rng.bool(0.35);
  const withMrz = kind !== 'dl' && rng.bool(0.7);
  const state = rng.pick(['CALIFORNIA', 'NEW YORK', 'TEXAS', 'FLORIDA', 'OHIO', 'ONTARIO', 'QUEENSLAND', 'VICTORIA', p.country.name, p.country.name]);
  const title = titles(rng, kind);
  const gid = `g${rng.u32()}`;
  // a vertical card is drawn in a W×H frame then rotated into H×W
  const CW = vertical ? H : W;
  const CH = vertical ? W : H;
  let body = `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="${rng.float(0.5, 1)}" y2="1"><stop offset="0" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/></linearGradient></defs>`;
  body += rect(0, 0, CW, CH, `url(#${gid})`, `rx="${r}"`);
  body += guilloche(rng, 0, 0, CW, CH, ink, rng.int(8, 30), rng.float(0.08, 0.3));
  if (rng.bool(0.3)) body += `<circle cx="${CW * rng.float(0.3, 0.8)}" cy="${CH * rng.float(0.3, 0.7)}" r="${CH * rng.float(0.25, 0.45)}" fill="${ink}" opacity="${rng.float(0.04, 0.1).toFixed(2)}"/>`;

  if (vertical) {
    // portrait-orientation licence (under-21 style): header, photo, fields below
    const vs = CW / 540;
    body += rect(0, 0, CW, 110 * vs, ink, `rx="${r}"`) + rect(0, 60 * vs, CW, 50 * vs, ink);
    body += text(CW / 2, 50 * vs, state, { size: 36 * vs, weight: 'bold', fill: '#fff', anchor: 'middle' });
    body += text(CW / 2, 92 * vs, title, { size: 22 * vs, fill: '#fff', anchor: 'middle' });
    body += portrait(rng, 40 * vs, 140 * vs, 230 * vs, 290 * vs, rng.bool(0.3), slots);
    body += text(300 * vs, 170 * vs, 'UNDER 21 UNTIL', { size: 16 * vs, fill: '#a00', weight: 'bold' });
    body += text(300 * vs, 200 * vs, fmtDate(rng, new Date(Date.UTC(p.birth.getUTCFullYear() + 21, p.birth.getUTCMonth(), p.birth.getUTCDate()))), { size: 20 * vs, fill: '#a00' });
    const fields: [string, string][] = [['DL', p.docNumber], ['EXP', fmtDate(rng, p.expiry)], ['LN', p.surname], ['FN', p.given], ['DOB', fmtDate(rng, p.birth)], ['ADDRESS', p.address], ['SEX', p.sex]];
    fields.forEach(([l, v], i) => {
      const y = 470 * vs + i * 52 * vs;
      if (y > CH - 60 * vs) return;
      body += text(40 * vs, y, l, { size: 15 * vs, fill: ink }) + text(120 * vs, y, v, { size: (v.length > 18 ? 18 : 24) * vs, weight: 'bold', fill: l === 'DL' ? '#a00' : '#111' });
    });
    body += signature(rng, 40 * vs, CH - 90 * vs, 300 * vs, 50 * vs);
    return { ...svgDoc(CW, CH, `<g>${body}</g>`), slots, card: true };
  }

  const band = rng.bool(0.6);
  if (band) body += rect(0, 0, W, 90 * s, ink, `rx="${r}" opacity="${rng.float(0.7, 1).toFixed(2)}"`) + rect(0, 50 * s, W, 40 * s, ink, `opacity="${rng.float(0.7, 1).toFixed(2)}"`);
  const titleFill = band ? '#fff' : ink;
  body += text(30 * s, 42 * s, state, { size: 30 * s, weight: 'bold', fill: titleFill, family: rng.pick([SANS, SERIF]) });
  body += text(30 * s, 78 * s, title, { size: 24 * s, fill: titleFill, spacing: 1 });
  if (kind === 'dl' && rng.bool(0.5)) body += text(W - 30 * s, 60 * s, rng.pick(['USA', 'EU', 'D', 'F', 'PL', 'NL', 'I']), { size: 40 * s, weight: 'bold', fill: titleFill, anchor: 'end' });
  if (kind === 'dl' && rng.bool(0.3)) body += `<path d="M ${W - 70 * s} ${100 * s} l ${12 * s} ${26 * s} l ${28 * s} ${2 * s} l ${-22 * s} ${17 * s} l ${8 * s} ${27 * s} l ${-26 * s} ${-15 * s} l ${-26 * s} ${15 * s} l ${8 * s} ${-27 * s} l ${-22 * s} ${-17 * s} l ${28 * s} ${-2 * s} z" fill="${rng.pick(['#d4a017', '#111', '#b22'])}"/>`;

  if (!isBack) {
    const px = rng.bool(0.8) ? 30 * s : W - 280 * s;
    body += portrait(rng, px, 110 * s, 240 * s, 300 * s, rng.bool(0.4), slots);
    const fx = px < W / 2 ? 300 * s : 30 * s;
    const fields: [string, string][] =
      kind === 'dl'
        ? [
            [rng.pick(['DL', '4d.', 'LIC#']), p.docNumber],
            [rng.pick(['EXP', '4b.']), fmtDate(rng, p.expiry)],
            [rng.pick(['LN', '1.']), p.surname],
            [rng.pick(['FN', '2.']), p.given],
            [rng.pick(['ADDRESS', '8.']), p.address],
            [rng.pick(['DOB', '3.']), fmtDate(rng, p.birth)],
            ['SEX', p.sex],
            [rng.pick(['CLASS', '9.']), rng.pick(['C', 'B', 'AM B', 'A1 B BE', 'D'])],
          ]
        : [
            ['Surname / Nom', p.surname],
            ['Given names / Prénoms', p.given],
            ['Date of birth', fmtDate(rng, p.birth)],
            ['Sex', p.sex],
            ['Nationality', p.country.nat],
            ['Document No.', p.docNumber],
            ['Date of expiry', fmtDate(rng, p.expiry)],
          ];
    const frontMrz = withMrz && rng.bool(0.25);
    const step = ((frontMrz ? 220 : 300) * s) / fields.length;
    const twoCol = rng.bool(0.4);
    let y = 125 * s;
    fields.forEach(([l, v], i) => {
      const col = twoCol && i >= Math.ceil(fields.length / 2) ? 1 : 0;
      const yy = twoCol ? 125 * s + (i % Math.ceil(fields.length / 2)) * step * 1.6 : y;
      const xx = fx + col * 270 * s;
      body += text(xx, yy, l, { size: 13 * s, fill: ink });
      body += text(xx, yy + 22 * s, v, { size: (v.length > 18 ? 17 : 22) * s, weight: 'bold', fill: kind === 'dl' && i === 0 ? '#a00' : '#111' });
      y += step;
    });
    if (!frontMrz) body += signature(rng, px + 10 * s, 430 * s, 200 * s, 35 * s);
    if (rng.bool(0.5)) {
      const ghost = rng.float(0.25, 0.45);
      body += portrait(rng, W - 150 * s, 300 * s, 110 * s, 140 * s, true, slots, ghost).replace('<g ', `<g opacity="${ghost.toFixed(2)}" `);
    }
    if (kind !== 'dl' && rng.bool(0.35)) body += chip(rng, fx + rng.float(0, 200) * s, frontMrz ? 300 * s : 400 * s, 95 * s, 72 * s);
    if (rng.bool(0.4)) body += hologram(rng, rng.float(0.1, 0.7) * W, rng.float(0.2, 0.6) * H, W * 0.25, H * 0.3, rng.float(0.12, 0.3));
    if (frontMrz) body += mrzBlock(rng, idCardMrz(rng, p), W, H, s);
  } else {
    // back
    const back = kind === 'dl' ? rng.pick(['pdf417', 'pdf417', 'pdf417+stripe', 'table']) : withMrz ? rng.pick(['mrz', 'mrz', 'mrz+qr']) : rng.pick(['qr', 'pdf417', 'table']);
    let top = 110 * s;
    if (back.includes('stripe')) {
      body += magstripe(rng, H - 140 * s, W, 95 * s);
    }
    if (back.startsWith('pdf417')) {
      body += rect(30 * s, top - 10 * s, W - 60 * s, 190 * s, '#fff', `opacity="${rng.float(0.6, 1).toFixed(2)}"`);
      body += pdf417(rng, 40 * s, top, W - 80 * s, 170 * s);
      top += 200 * s;
      if (rng.bool(0.5)) {
        body += barcode(rng, 40 * s, top, W * 0.5, 50 * s);
        top += 60 * s;
      }
    } else if (back.includes('qr')) {
      body += qr(rng, 40 * s, top, 150 * s);
      body += text(220 * s, top + 30 * s, rng.pick(['Address / Adresse', 'Residence', 'Issuing authority']), { size: 14 * s, fill: ink });
      body += text(220 * s, top + 60 * s, p.address, { size: 18 * s, fill: '#111', weight: 'bold' });
      body += text(220 * s, top + 100 * s, `${rng.pick(['Height', 'Eyes', 'Issued'])}: ${rng.pick([`${rng.int(150, 200)} cm`, 'BLUE', 'BROWN', fmtDate(rng, p.issue)])}`, { size: 16 * s, fill: '#111' });
      top += 170 * s;
    } else if (back.startsWith('mrz')) {
      body += text(40 * s, top + 10 * s, rng.pick(['Address / Adresse', 'Domicile', 'Place of birth']), { size: 14 * s, fill: ink });
      body += text(40 * s, top + 38 * s, p.address, { size: 20 * s, fill: '#111', weight: 'bold' });
      body += text(40 * s, top + 70 * s, `${rng.pick(['Issued', 'Authority'])}: ${rng.pick([p.city, fmtDate(rng, p.issue)])}`, { size: 16 * s, fill: '#111' });
      if (rng.bool(0.4)) body += chip(rng, W - 150 * s, top, 95 * s, 72 * s);
      top += 90 * s;
    }
    const rowsN = back === 'table' ? rng.int(5, 9) : rng.int(0, 4);
    for (let i = 0; i < rowsN; i++) {
      const y = top + i * 28 * s;
      if (y > H - (back.startsWith('mrz') || back.includes('stripe') ? 190 : 30) * s) break;
      body += rect(40 * s, y, W - 80 * s, 1.5 * s, ink);
      body += text(45 * s, y + 22 * s, rng.pick(['A', 'A1', 'B', 'BE', 'C', 'D', 'Address', 'Height', 'Eyes', 'Restrictions', 'Endorsements', 'Organ donor']), { size: 15 * s, fill: '#222' });
      body += text(300 * s, y + 22 * s, fmtDate(rng, p.issue), { size: 15 * s, fill: '#222' });
    }
    if (back.startsWith('mrz')) body += mrzBlock(rng, idCardMrz(rng, p), W, H, s);
  }
  return { ...svgDoc(W, H, `<g>${body}</g>`), slots, card: true };
}

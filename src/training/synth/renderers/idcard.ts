/** ID-1 identity card / driving licence (85.60 × 53.98 mm), fronts and backs, optional TD1 MRZ. */
import { td1 } from '../checks.js';
import { fmtDate, randomPerson, yymmdd } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, barcode, guilloche, hsl, portrait, qr, rect, signature, svgDoc, text, type Rendered } from '../svg.js';

const ASPECT = 53.98 / 85.6;

export function renderIdCard(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round(W * ASPECT);
  const s = W / 856;
  const p = randomPerson(rng);
  const hue = rng.int(0, 359);
  const bg1 = hsl(hue, rng.float(10, 60), rng.float(75, 95));
  const bg2 = hsl(hue + rng.int(-60, 60), rng.float(10, 60), rng.float(70, 95));
  const ink = hsl(hue + rng.int(-40, 40), rng.float(30, 80), rng.float(20, 45));
  const r = 30 * s;
  const gid = `g${rng.u32()}`;
  let body = `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="${rng.float(0.5, 1)}" y2="1"><stop offset="0" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/></linearGradient></defs>`;
  body += rect(0, 0, W, H, `url(#${gid})`, `rx="${r}"`);
  body += guilloche(rng, 0, 0, W, H, ink, rng.int(10, 35), rng.float(0.1, 0.3));
  const kind = rng.pick(['dl', 'dl', 'national', 'national', 'residence']);
  const isBack = rng.bool(0.3);
  const withMrz = kind !== 'dl' && rng.bool(0.7);
  const band = rng.bool(0.6);
  if (band) body += rect(0, 0, W, 90 * s, ink, `rx="${r}" opacity="${rng.float(0.7, 1).toFixed(2)}"`) + rect(0, 50 * s, W, 40 * s, ink, `opacity="${rng.float(0.7, 1).toFixed(2)}"`);
  const titleFill = band ? '#fff' : ink;
  const state = rng.pick(['CALIFORNIA', 'NEW YORK', 'TEXAS', 'FLORIDA', 'ONTARIO', 'QUEENSLAND', p.country.name, p.country.name]);
  const title =
    kind === 'dl'
      ? rng.pick(['DRIVER LICENSE', 'DRIVING LICENCE', 'FÜHRERSCHEIN', 'PERMIS DE CONDUIRE', 'PRAWO JAZDY'])
      : kind === 'national'
        ? rng.pick(['IDENTITY CARD', 'NATIONAL ID CARD', 'PERSONALAUSWEIS', "CARTE NATIONALE D'IDENTITÉ", 'DOWÓD OSOBISTY', 'IDENTITEITSKAART'])
        : rng.pick(['RESIDENCE PERMIT', 'PERMANENT RESIDENT CARD', 'AUFENTHALTSTITEL']);
  body += text(30 * s, 42 * s, state, { size: 30 * s, weight: 'bold', fill: titleFill, family: rng.pick([SANS, SERIF]) });
  body += text(30 * s, 78 * s, title, { size: 24 * s, fill: titleFill, spacing: 1 });
  if (kind === 'dl' && rng.bool(0.5)) body += text(W - 30 * s, 60 * s, rng.pick(['USA', 'EU', 'D', 'F', 'PL']), { size: 40 * s, weight: 'bold', fill: titleFill, anchor: 'end' });

  if (!isBack) {
    const px = rng.bool(0.8) ? 30 * s : W - 280 * s;
    body += portrait(rng, px, 110 * s, 240 * s, 300 * s, rng.bool(0.4));
    const fx = px < W / 2 ? 300 * s : 30 * s;
    const fields: [string, string][] =
      kind === 'dl'
        ? [
            ['DL', p.docNumber],
            ['EXP', fmtDate(rng, p.expiry)],
            ['LN', p.surname],
            ['FN', p.given],
            [rng.pick(['ADDRESS', '8.']), p.address],
            ['DOB', fmtDate(rng, p.birth)],
            ['SEX', p.sex],
            ['CLASS', rng.pick(['C', 'B', 'AM B', 'A1 B BE'])],
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
    let y = 125 * s;
    const step = ((withMrz ? 240 : 300) * s) / fields.length;
    const twoCol = rng.bool(0.4);
    fields.forEach(([l, v], i) => {
      const col = twoCol && i >= Math.ceil(fields.length / 2) ? 1 : 0;
      const yy = twoCol ? 125 * s + (i % Math.ceil(fields.length / 2)) * step * 1.6 : y;
      const xx = fx + col * 270 * s;
      body += text(xx, yy, l, { size: 13 * s, fill: ink });
      body += text(xx, yy + 22 * s, v, { size: (v.length > 18 ? 17 : 22) * s, weight: 'bold', fill: kind === 'dl' && l === 'DL' ? '#a00' : '#111' });
      y += step;
    });
    body += signature(rng, px + 10 * s, 430 * s, 200 * s, 35 * s);
    if (kind === 'dl' && rng.bool(0.5)) body += portrait(rng, W - 150 * s, 300 * s, 110 * s, 140 * s, true).replace('<g ', '<g opacity="0.4" ');
  } else {
    // back: barcode, QR, categories table or MRZ
    if (rng.bool(0.6)) body += barcode(rng, 40 * s, 110 * s, W - 80 * s, 120 * s);
    else body += qr(rng, 40 * s, 110 * s, 180 * s);
    const rowsN = rng.int(3, 7);
    for (let i = 0; i < rowsN; i++) {
      const y = 250 * s + i * 28 * s;
      if (withMrz && y > 330 * s) break;
      body += rect(40 * s, y, W - 80 * s, 1.5 * s, ink);
      body += text(45 * s, y + 22 * s, rng.pick(['A', 'A1', 'B', 'BE', 'C', 'D', 'Address', 'Height', 'Eyes', 'Restrictions', 'Endorsements']), { size: 15 * s, fill: '#222' });
      body += text(300 * s, y + 22 * s, fmtDate(rng, p.issue), { size: 15 * s, fill: '#222' });
    }
  }
  if (withMrz && (isBack || rng.bool(0.3))) {
    const lines = td1({
      docType: rng.pick(['I<', 'ID', 'IR', 'AR']),
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
    const top = H - 170 * s;
    body += rect(0, top - 10 * s, W, 180 * s, '#fff', `opacity="${rng.float(0.3, 0.9).toFixed(2)}"`);
    const size = (W * 0.9) / 30 / 0.602;
    lines.forEach((l, i) => (body += text(W * 0.05, top + 40 * s + i * 50 * s, l, { size, family: MONO, fill: '#111' })));
  }
  return svgDoc(W, H, `<g>${body}</g>`);
}

/** Passport: TD3 data page (125 × 88 mm) with ICAO 9303 MRZ; sometimes an open booklet. */
import { td3, type MrzPerson } from '../checks.js';
import { fmtDate, randomPerson, yymmdd, type Person } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, esc, guilloche, hsl, portrait, rect, signature, svgDoc, text, type Rendered } from '../svg.js';

export function passportMrz(p: Person, rng: Rng): [string, string] {
  const m: MrzPerson = {
    docType: rng.bool(0.85) ? 'P' : 'P' + rng.pick(['O', 'D', 'S']),
    issuer: p.country.code,
    surname: p.surname,
    given: p.given,
    docNumber: p.docNumber.slice(0, 9),
    nationality: p.country.code,
    birth: yymmdd(p.birth),
    sex: p.sex,
    expiry: yymmdd(p.expiry),
    personal: rng.bool(0.5) ? rng.digits(rng.int(6, 14)) : '',
  };
  return td3(m);
}

/** The data page body, drawn at (ox, oy) with width W (height W*0.704). */
function dataPage(rng: Rng, ox: number, oy: number, W: number): string {
  const H = W * 0.704;
  const p = randomPerson(rng);
  const hue = rng.int(0, 359);
  const paper = hsl(hue, rng.float(10, 45), rng.float(86, 96));
  const ink = hsl(hue + rng.int(-30, 30), rng.float(30, 70), rng.float(35, 60));
  const s = W / 1000;
  let out = rect(ox, oy, W, H, paper, `rx="${8 * s}"`);
  out += guilloche(rng, ox, oy, W, H * 0.78, ink, rng.int(15, 40), rng.float(0.15, 0.4));
  // header
  const title = rng.pick(['PASSPORT', 'PASSEPORT', 'PASSPORT / PASSEPORT', 'REISEPASS / PASSPORT', 'PASAPORTE', 'PASZPORT / PASSPORT']);
  out += text(ox + W * 0.5, oy + 48 * s, p.country.name, { size: 30 * s, family: rng.pick([SERIF, SANS]), weight: 'bold', fill: ink, anchor: 'middle' });
  out += text(ox + W * 0.5, oy + 82 * s, title, { size: 22 * s, fill: ink, anchor: 'middle', spacing: 2 });
  // photo
  const px = ox + 40 * s;
  const py = oy + 110 * s;
  out += portrait(rng, px, py, 260 * s, 330 * s, rng.bool(0.3));
  if (rng.bool(0.5)) out += portrait(rng, ox + W * 0.82, oy + 420 * s, 110 * s, 140 * s, true).replace(/<g /, '<g opacity="0.35" ');
  const fx = ox + 330 * s;
  const lab = { size: 13 * s, fill: ink } as const;
  const val = { size: 24 * s, fill: '#111', weight: 'bold' as const, family: rng.pick([SANS, MONO, SANS]) };
  const rows: [string, string][] = [
    ['Type / Type', 'P'],
    ['Surname / Nom', p.surname],
    ['Given names / Prénoms', p.given],
    ['Nationality / Nationalité', p.country.nat],
    ['Date of birth / Date de naissance', fmtDate(rng, p.birth)],
    ['Sex / Sexe', p.sex],
    ['Place of birth / Lieu de naissance', p.city],
    ['Date of issue / Date de délivrance', fmtDate(rng, p.issue)],
    ['Date of expiry / Date d\'expiration', fmtDate(rng, p.expiry)],
  ];
  let y = oy + 125 * s;
  const step = (355 * s) / rows.length;
  for (const [l, v] of rows) {
    out += text(fx, y, l, lab);
    out += text(fx, y + 24 * s, v, val);
    y += step;
  }
  out += text(ox + W * 0.72, oy + 125 * s, 'Passport No.', lab);
  out += text(ox + W * 0.72, oy + 150 * s, p.docNumber, { ...val, fill: rng.bool(0.4) ? '#a01010' : '#111' });
  out += signature(rng, px + 10 * s, oy + 460 * s, 220 * s, 40 * s);
  // MRZ
  const [l1, l2] = passportMrz(p, rng);
  const mrzTop = oy + H * 0.78;
  out += rect(ox, mrzTop, W, H * 0.22, paper, `opacity="${rng.float(0.6, 1).toFixed(2)}"`);
  const ms = Math.min(32, 1000 / 44 / 0.602) * s * rng.float(0.92, 1);
  out += text(ox + W * 0.03, mrzTop + H * 0.09, l1, { size: ms, family: MONO, fill: '#111', spacing: 0 });
  out += text(ox + W * 0.03, mrzTop + H * 0.18, l2, { size: ms, family: MONO, fill: '#111', spacing: 0 });
  return out;
}

function visaPage(rng: Rng, ox: number, oy: number, W: number): string {
  const H = W * 0.704;
  const hue = rng.int(0, 359);
  let out = rect(ox, oy, W, H, hsl(hue, rng.float(10, 40), rng.float(85, 95)));
  out += guilloche(rng, ox, oy, W, H, hsl(hue, 50, 50), rng.int(20, 50), 0.3);
  if (rng.bool(0.6)) {
    // stamp
    const cx = ox + rng.float(0.2, 0.8) * W;
    const cy = oy + rng.float(0.2, 0.8) * H;
    const c = hsl(rng.int(0, 359), 60, 35);
    out += `<circle cx="${cx}" cy="${cy}" r="${W * 0.09}" fill="none" stroke="${c}" stroke-width="4" opacity="0.7"/>`;
    out += text(cx, cy + 6, rng.pick(['ARRIVAL', 'DEPARTED', 'ENTRY', 'IMMIGRATION']), { size: W * 0.025, fill: c, anchor: 'middle', weight: 'bold' });
  }
  out += text(ox + W / 2, oy + H * 0.12, rng.pick(['OBSERVATIONS', 'VISAS', 'AMENDMENTS / ENDORSEMENTS', '']), { size: W * 0.025, anchor: 'middle', fill: '#555' });
  return out;
}

export function renderPassport(rng: Rng): Rendered {
  const W = rng.int(760, 1100);
  const H = Math.round(W * 0.704);
  if (rng.bool(0.35)) {
    // open booklet: upper page + data page, with a fold and a cover edge
    const cover = hsl(rng.pick([0, 220, 130, 350, 20]), rng.float(30, 70), rng.float(12, 30));
    const m = Math.round(W * 0.03);
    let body = rect(0, 0, W + 2 * m, 2 * H + 2 * m, cover, `rx="${m}"`);
    body += visaPage(rng, m, m, W);
    body += dataPage(rng, m, m + H, W);
    body += rect(m, m + H - 2, W, 4, 'rgba(0,0,0,0.25)');
    return svgDoc(W + 2 * m, 2 * H + 2 * m, body);
  }
  return svgDoc(W, H, dataPage(rng, 0, 0, W));
}
export { esc };

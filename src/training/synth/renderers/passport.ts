/** Passport: TD3 data page (125 × 88 mm) with ICAO 9303 MRZ, in several layouts; often the open booklet (data page + facing visa/observations page). */
import { td3, type MrzPerson } from '../checks.js';
import { COUNTRIES, fmtDate, randomPerson, yymmdd, type Person } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, esc, guilloche, hologram, hsl, portrait, rect, signature, svgDoc, text, type PhotoSlot, type Rendered } from '../svg.js';

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
function dataPage(rng: Rng, ox: number, oy: number, W: number, p: Person, slots: PhotoSlot[]): string {
  const H = W * 0.704;
  const hue = rng.int(0, 359);
  const paper = hsl(hue, rng.float(8, 45), rng.float(84, 96));
  const paper2 = hsl(hue + rng.int(-50, 50), rng.float(8, 45), rng.float(80, 95));
  const ink = hsl(hue + rng.int(-30, 30), rng.float(30, 70), rng.float(30, 55));
  const s = W / 1000;
  const gid = `pp${rng.u32()}`;
  let out = `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="${rng.float(0.3, 1).toFixed(2)}" y2="1"><stop offset="0" stop-color="${paper}"/><stop offset="1" stop-color="${paper2}"/></linearGradient></defs>`;
  out += rect(ox, oy, W, H, `url(#${gid})`, `rx="${8 * s}"`);
  out += guilloche(rng, ox, oy, W, H * 0.78, ink, rng.int(12, 36), rng.float(0.12, 0.35));
  const layout = rng.int(0, 2); // 0 classic, 1 numbered fields in two columns, 2 photo right
  const numbered = layout === 1 || rng.bool(0.2);
  const bilingual = rng.bool(0.6);
  const title = rng.pick(['PASSPORT', 'PASSEPORT', 'PASSPORT / PASSEPORT', 'REISEPASS / PASSPORT / PASSEPORT', 'PASAPORTE / PASSPORT', 'PASZPORT / PASSPORT', 'PASSAPORTO', 'PASPOORT / PASSPORT']);
  const headerCentered = rng.bool(0.6);
  out += text(headerCentered ? ox + W * 0.5 : ox + W * 0.35, oy + 48 * s, p.country.name, { size: rng.float(24, 32) * s, family: rng.pick([SERIF, SANS]), weight: 'bold', fill: ink, anchor: headerCentered ? 'middle' : 'start' });
  out += text(headerCentered ? ox + W * 0.5 : ox + W * 0.35, oy + 82 * s, title, { size: rng.float(17, 23) * s, fill: ink, anchor: headerCentered ? 'middle' : 'start', spacing: 2 });
  // photo
  const photoRight = layout === 2;
  const pw = rng.float(230, 280) * s;
  const ph = pw * rng.float(1.22, 1.32);
  const px = photoRight ? ox + W - pw - 40 * s : ox + 40 * s;
  const py = oy + rng.float(100, 125) * s;
  out += portrait(rng, px, py, pw, ph, rng.bool(0.35), slots);
  if (rng.bool(0.5)) {
    const ghost = rng.float(0.2, 0.45);
    out += portrait(rng, photoRight ? ox + 40 * s : ox + W * 0.84, oy + 400 * s, 105 * s, 135 * s, true, slots, ghost).replace(/<g /, `<g opacity="${ghost.toFixed(2)}" `);
  }
  const lab = { size: rng.float(11, 14) * s, fill: ink } as const;
  const val = { size: rng.float(20, 25) * s, fill: '#111', weight: (rng.bool(0.8) ? 'bold' : 'normal') as 'bold' | 'normal', family: rng.pick([SANS, MONO, SANS, SERIF]) };
  const L = (en: string, fr: string, n: number): string => `${numbered ? `${n}. ` : ''}${en}${bilingual ? ` / ${fr}` : ''}`;
  const rows: [string, string][] = [
    [L('Type', 'Type', 1), 'P'],
    [L('Code', 'Code', 2), p.country.code.replace(/</g, '')],
    [L('Surname', 'Nom', 3), p.surname],
    [L('Given names', 'Prénoms', 4), p.given],
    [L('Nationality', 'Nationalité', 5), p.country.nat],
    [L('Date of birth', 'Date de naissance', 6), fmtDate(rng, p.birth)],
    [L('Sex', 'Sexe', 7), p.sex],
    [L('Place of birth', 'Lieu de naissance', 8), p.city],
    [L('Date of issue', 'Date de délivrance', 9), fmtDate(rng, p.issue)],
    [L('Authority', 'Autorité', 10), rng.pick(['MINISTRY OF INTERIOR', 'PASSPORT OFFICE', p.city, 'DEPARTMENT OF STATE', 'HM PASSPORT OFFICE'])],
    [L('Date of expiry', "Date d'expiration", 11), fmtDate(rng, p.expiry)],
  ];
  const shown = rows.filter((_, i) => i > 1 || rng.bool(0.6));
  const fx = photoRight ? ox + 40 * s : ox + 40 * s + pw + 30 * s;
  const fw = W - pw - 110 * s;
  let y = oy + 125 * s;
  if (layout === 1) {
    const half = Math.ceil(shown.length / 2);
    const step = (330 * s) / half;
    shown.forEach(([l, v], i) => {
      const col = i < half ? 0 : 1;
      const yy = oy + 125 * s + (i % half) * step;
      const xx = fx + col * fw * 0.5;
      out += text(xx, yy, l, lab) + text(xx, yy + 24 * s, v.length > 16 ? v.slice(0, 16) : v, val);
    });
  } else {
    const step = (360 * s) / shown.length;
    for (const [l, v] of shown) {
      out += text(fx, y, l, lab);
      out += text(fx, y + 22 * s, v, val);
      y += step;
    }
  }
  const noX = photoRight ? ox + W * 0.45 : ox + W * 0.72;
  out += text(noX, oy + 125 * s, numbered ? 'Passport No. / No. du passeport' : 'Passport No.', lab);
  out += text(noX, oy + 150 * s, p.docNumber, { ...val, fill: rng.bool(0.4) ? '#a01010' : '#111' });
  out += signature(rng, px + 10 * s, oy + H * 0.66, pw * 0.8, 36 * s);
  if (rng.bool(0.5)) out += hologram(rng, ox + rng.float(0.2, 0.7) * W, oy + rng.float(0.1, 0.5) * H, W * rng.float(0.15, 0.3), H * rng.float(0.15, 0.3), rng.float(0.15, 0.35));
  // MRZ
  const [l1, l2] = passportMrz(p, rng);
  const mrzTop = oy + H * 0.78;
  out += rect(ox, mrzTop, W, H * 0.22, paper, `opacity="${rng.float(0.6, 1).toFixed(2)}" rx="${8 * s}"`);
  const ms = Math.min(32, 1000 / 44 / 0.602) * s * rng.float(0.92, 1);
  out += text(ox + W * 0.03, mrzTop + H * 0.09, l1, { size: ms, family: MONO, fill: '#111', spacing: 0 });
  out += text(ox + W * 0.03, mrzTop + H * 0.18, l2, { size: ms, family: MONO, fill: '#111', spacing: 0 });
  return out;
}

function visaPage(rng: Rng, ox: number, oy: number, W: number, p: Person, slots: PhotoSlot[]): string {
  const H = W * 0.704;
  const hue = rng.int(0, 359);
  let out = rect(ox, oy, W, H, hsl(hue, rng.float(10, 40), rng.float(84, 95)));
  out += guilloche(rng, ox, oy, W, H, hsl(hue, 50, 50), rng.int(15, 45), rng.float(0.15, 0.35));
  const kind = rng.int(0, 3);
  if (kind === 0) {
    // observations / endorsements page with a page number and country emblem watermark
    out += text(ox + W / 2, oy + H * 0.12, rng.pick(['OBSERVATIONS', 'AMENDMENTS / ENDORSEMENTS', 'OFFICIAL OBSERVATIONS']), { size: W * 0.025, anchor: 'middle', fill: '#555' });
    out += `<circle cx="${ox + W / 2}" cy="${oy + H * 0.55}" r="${W * 0.16}" fill="none" stroke="${hsl(hue, 40, 45)}" stroke-width="${W * 0.006}" opacity="0.25"/>`;
  } else if (kind === 1) {
    // visa sticker
    const vx = ox + W * 0.06;
    const vy = oy + H * 0.08;
    const vw = W * 0.88;
    const vh = H * 0.84;
    out += rect(vx, vy, vw, vh, hsl(rng.int(0, 359), 30, 90), `stroke="#999" stroke-width="1"`);
    out += guilloche(rng, vx, vy, vw, vh * 0.8, hsl(rng.int(0, 359), 60, 45), 20, 0.3);
    out += text(vx + vw * 0.05, vy + vh * 0.12, 'VISA', { size: W * 0.05, weight: 'bold', fill: '#333' });
    out += text(vx + vw * 0.3, vy + vh * 0.12, rng.pick(COUNTRIES).name, { size: W * 0.025, fill: '#333' });
    out += portrait(rng, vx + vw * 0.04, vy + vh * 0.2, vw * 0.2, vh * 0.5, true, slots);
    const fields = ['VALID FROM', 'UNTIL', 'TYPE OF VISA', 'NUMBER OF ENTRIES', 'SURNAME, NAME', 'REMARKS'];
    fields.forEach((f, i) => {
      out += text(vx + vw * 0.3, vy + vh * (0.25 + i * 0.09), f, { size: W * 0.014, fill: '#555' });
      out += text(vx + vw * 0.3, vy + vh * (0.25 + i * 0.09) + W * 0.022, i === 4 ? `${p.surname}, ${p.given}` : rng.pick(['MULT', '01', 'C', fmtDate(rng, p.issue), 'TOURISM']), { size: W * 0.02, fill: '#111', family: MONO });
    });
    const mrz1 = `V<${p.country.code}${p.surname}<<${p.given.replace(/ /g, '<')}`.padEnd(44, '<').slice(0, 44);
    const mrz2 = `${rng.letters(1)}${rng.digits(8)}<${rng.digits(1)}${p.country.code}${yymmdd(p.birth)}${rng.digits(1)}${p.sex}${yymmdd(p.expiry)}${rng.digits(1)}`.padEnd(44, '<');
    out += text(vx + vw * 0.03, vy + vh * 0.86, mrz1, { size: (vw / 44 / 0.602) * 0.95, family: MONO, fill: '#111' });
    out += text(vx + vw * 0.03, vy + vh * 0.95, mrz2, { size: (vw / 44 / 0.602) * 0.95, family: MONO, fill: '#111' });
  } else {
    out += text(ox + W / 2, oy + H * 0.12, rng.pick(['VISAS', 'VISA', '']), { size: W * 0.025, anchor: 'middle', fill: '#555' });
  }
  const stamps = kind === 1 ? rng.int(0, 1) : rng.int(0, 3);
  for (let i = 0; i < stamps; i++) {
    const cx = ox + rng.float(0.15, 0.85) * W;
    const cy = oy + rng.float(0.2, 0.8) * H;
    const c = hsl(rng.int(0, 359), 60, 35);
    const r = W * rng.float(0.06, 0.1);
    out += rng.bool()
      ? `<circle cx="${cx}" cy="${cy}" r="${r}" fill="none" stroke="${c}" stroke-width="${r * 0.05}" opacity="0.7"/>`
      : rect(cx - r * 1.3, cy - r * 0.7, r * 2.6, r * 1.4, 'none', `stroke="${c}" stroke-width="${r * 0.05}" opacity="0.7" rx="${r * 0.2}" transform="rotate(${rng.float(-20, 20).toFixed(0)} ${cx} ${cy})"`);
    out += text(cx, cy, rng.pick(['ARRIVAL', 'DEPARTED', 'ENTRY', 'IMMIGRATION', 'ADMITTED']), { size: r * 0.28, fill: c, anchor: 'middle', weight: 'bold' });
    out += text(cx, cy + r * 0.35, fmtDate(rng, p.issue), { size: r * 0.22, fill: c, anchor: 'middle' });
  }
  if (rng.bool(0.5)) out += text(ox + W / 2, oy + H * 0.96, String(rng.int(1, 48)), { size: W * 0.02, anchor: 'middle', fill: '#666' });
  return out;
}

export function renderPassport(rng: Rng): Rendered {
  const W = rng.int(760, 1000);
  const H = Math.round(W * 0.704);
  const p = randomPerson(rng);
  const slots: PhotoSlot[] = [];
  if (rng.bool(0.45)) {
    // open booklet: data page and the facing page, with a fold, the cover edge showing
    const cover = hsl(rng.pick([0, 220, 130, 350, 20, 200]), rng.float(30, 70), rng.float(10, 30));
    const m = Math.round(W * rng.float(0.015, 0.04));
    const dataBelow = rng.bool(0.75);
    let body = rect(0, 0, W + 2 * m, 2 * H + 2 * m, cover, `rx="${m}"`);
    body += dataBelow ? visaPage(rng, m, m, W, p, slots) + dataPage(rng, m, m + H, W, p, slots) : dataPage(rng, m, m, W, p, slots) + visaPage(rng, m, m + H, W, p, slots);
    const fid = `fold${rng.u32()}`;
    body += `<defs><linearGradient id="${fid}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#000" stop-opacity="0"/><stop offset="0.5" stop-color="#000" stop-opacity="${rng.float(0.15, 0.4).toFixed(2)}"/><stop offset="1" stop-color="#000" stop-opacity="0"/></linearGradient></defs>`;
    body += rect(m, m + H - H * 0.04, W, H * 0.08, `url(#${fid})`);
    if (rng.bool(0.4)) {
      // stitching along the fold
      let d = '';
      for (let x = m + W * 0.05; x < m + W * 0.95; x += W * 0.03) d += `M${x.toFixed(1)} ${m + H}h${(W * 0.015).toFixed(1)}`;
      body += `<path d="${d}" stroke="${hsl(0, 0, rng.float(30, 90))}" stroke-width="${(W * 0.003).toFixed(1)}"/>`;
    }
    return { ...svgDoc(W + 2 * m, 2 * H + 2 * m, body), slots };
  }
  const page = dataPage(rng, 0, 0, W, p, slots);
  return { ...svgDoc(W, H, page), slots };
}
export { esc };

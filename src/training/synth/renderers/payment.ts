/**
 * Payment card (ID-1): chip, contactless mark, brand marks, Luhn-valid PAN (flat-printed or embossed), name, expiry;
 * backs with magstripe, signature panel, CVV and hologram; some vertical cards, some with photo card art, some
 * number-less fronts (PAN on the back).
 */
import { groupPan, randomPan } from '../checks.js';
import { randomPerson } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, chip, contactless, guilloche, hologram, hsl, magstripe, rect, signature, svgDoc, text, type Rendered, type RenderOpts } from '../svg.js';

const BANKS = ['FIRST BANK', 'UNION CREDIT', 'NOVA BANK', 'MERIDIAN', 'CITY SAVINGS', 'NORDBANK', 'ATLAS FINANCIAL', 'BANCO SOL', 'REVOLT', 'MONZO-ISH', 'HARBOR TRUST', 'PIONEER CU', 'KREDITBANK', 'SUNRISE BANK'];

function brandMark(rng: Rng, brand: string, x: number, y: number, s: number, light: boolean): string {
  const fg = light ? '#fff' : '#1a1f71';
  switch (brand) {
    case 'mastercard':
      return `<circle cx="${x - 38 * s}" cy="${y}" r="${38 * s}" fill="#eb001b"/><circle cx="${x}" cy="${y}" r="${38 * s}" fill="#f79e1b" opacity="0.9"/>`;
    case 'visa':
      return text(x, y + 18 * s, 'VISA', { size: 60 * s, weight: 'bold', italic: true, fill: fg, anchor: 'end', family: SANS });
    case 'amex':
      return rect(x - 120 * s, y - 40 * s, 120 * s, 80 * s, '#2e77bb') + text(x - 60 * s, y + 10 * s, 'AMEX', { size: 30 * s, weight: 'bold', fill: '#fff', anchor: 'middle' });
    default:
      return text(x, y + 15 * s, rng.pick(['DISCOVER', 'UnionPay', 'JCB', 'Maestro']), { size: 36 * s, weight: 'bold', fill: fg, anchor: 'end' });
  }
}

/** Embossed characters: a dark offset copy under a light one (or the reverse on light cards). */
function embossedText(x: number, y: number, str: string, size: number, light: boolean, s: number): string {
  const hi = light ? '#f4f4f4' : '#fafafa';
  const lo = light ? '#000' : '#555';
  return text(x + 2.5 * s, y + 2.5 * s, str, { size, family: MONO, fill: lo, opacity: 0.55, spacing: 2 }) + text(x, y, str, { size, family: MONO, fill: hi, spacing: 2, weight: 'bold' }) + (light ? '' : text(x, y, str, { size, family: MONO, fill: '#333', spacing: 2, opacity: 0.5 }));
}

export function renderPaymentCard(rng: Rng, opts: RenderOpts = {}): Rendered {
  const W = rng.int(700, 900);
  const H = Math.round((W * 53.98) / 85.6);
  const s = W / 856;
  const { pan, brand } = randomPan(rng);
  const p = randomPerson(rng);
  const hue = rng.int(0, 359);
  const art = opts.photos === true && rng.bool(0.3);
  const dark = art ? true : rng.bool(0.6);
  const c1 = hsl(hue, rng.float(20, 90), dark ? rng.float(8, 35) : rng.float(55, 90));
  const c2 = hsl(hue + rng.int(-80, 80), rng.float(20, 90), dark ? rng.float(10, 45) : rng.float(55, 95));
  const fg = dark ? '#f4f4f4' : '#1b1b1b';
  const gid = `g${rng.u32()}`;
  const r = 32 * s;
  const back = opts.side ? opts.side === 'back' : rng.bool(0.3);
  const vertical = !back && rng.bool(0.12);
  const CW = vertical ? H : W;
  const CH = vertical ? W : H;
  let body = `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="1" y2="${rng.float(0, 1).toFixed(2)}"><stop offset="0" stop-color="${c1}"/><stop offset="1" stop-color="${c2}"/></linearGradient></defs>`;
  const result: Rendered = { ...svgDoc(CW, CH, ''), card: true };
  if (art && !back) {
    result.slots = [{ x: 0, y: 0, w: CW, h: CH, r, under: true }];
    body += rect(0, 0, CW, CH, '#000', `rx="${r}" opacity="${rng.float(0.05, 0.35).toFixed(2)}"`);
  } else {
    body += rect(0, 0, CW, CH, `url(#${gid})`, `rx="${r}"`);
    if (rng.bool(0.5)) body += guilloche(rng, 0, 0, CW, CH, dark ? '#fff' : '#000', rng.int(5, 20), 0.08);
    if (rng.bool(0.4)) body += `<circle cx="${CW * rng.float(0.5, 1)}" cy="${CH * rng.float(0, 1)}" r="${CW * rng.float(0.2, 0.5)}" fill="#fff" opacity="${rng.float(0.04, 0.15).toFixed(2)}"/>`;
  }
  const expiry = `${String(p.expiry.getUTCMonth() + 1).padStart(2, '0')}/${String(p.expiry.getUTCFullYear() % 100).padStart(2, '0')}`;
  const bank = rng.pick(BANKS);
  const holder = `${p.given} ${p.surname}`.toUpperCase();
  if (vertical) {
    // portrait-orientation card: chip near the top, number and name low (or on the back)
    const vs = CW / 540;
    body += text(40 * vs, 70 * vs, bank, { size: 30 * vs, weight: 'bold', fill: fg });
    body += chip(rng, 40 * vs, 240 * vs, 110 * vs, 85 * vs) + contactless(200 * vs, 282 * vs, 50 * vs, fg);
    if (rng.bool(0.6)) {
      body += text(40 * vs, CH - 260 * vs, groupPan(pan), { size: 36 * vs, family: MONO, fill: fg });
      body += text(40 * vs, CH - 210 * vs, expiry, { size: 28 * vs, family: MONO, fill: fg });
    }
    body += text(40 * vs, CH - 160 * vs, holder, { size: 26 * vs, fill: fg });
    body += brandMark(rng, brand, CW - 40 * vs, CH - 70 * vs, vs * 0.9, dark);
    result.svg = svgDoc(CW, CH, body).svg;
    return result;
  }
  if (!back) {
    body += text(45 * s, 75 * s, bank, { size: rng.float(28, 40) * s, weight: 'bold', fill: fg, family: rng.pick([SANS, SERIF]) });
    const cx = 80 * s;
    const cy = rng.float(150, 185) * s;
    body += chip(rng, cx, cy, 110 * s, 85 * s);
    if (rng.bool(0.7)) body += contactless(cx + 165 * s, cy + 42 * s, 48 * s, fg);
    const numberless = rng.bool(0.12);
    if (!numberless) {
      const embossed = rng.bool(0.45);
      const panText = groupPan(pan);
      const size = rng.float(48, 60) * s;
      if (embossed) body += embossedText(45 * s, 350 * s, panText, size, dark, s);
      else body += text(45 * s, 350 * s, panText, { size, family: rng.pick([MONO, MONO, SANS]), fill: fg, weight: rng.bool() ? 'bold' : 'normal', spacing: 2 });
      if (rng.bool(0.5)) body += text(45 * s, 378 * s, pan.slice(0, 4), { size: 13 * s, family: MONO, fill: fg });
      body += text(300 * s, 400 * s, rng.pick(['VALID THRU', 'EXPIRES END', 'GOOD THRU', 'VALID DATES']), { size: 13 * s, fill: fg });
      body += embossed ? embossedText(420 * s, 405 * s, expiry, 30 * s, dark, s) : text(420 * s, 405 * s, expiry, { size: 30 * s, family: MONO, fill: fg });
      body += embossed ? embossedText(45 * s, 475 * s, holder, 30 * s, dark, s) : text(45 * s, 475 * s, holder, { size: 30 * s, family: SANS, fill: fg });
    } else {
      body += text(45 * s, 475 * s, holder, { size: 28 * s, family: SANS, fill: fg });
    }
    body += brandMark(rng, brand, W - 45 * s, H - 75 * s, s, dark);
    if (rng.bool(0.4)) body += text(W - 45 * s, 75 * s, rng.pick(['DEBIT', 'CREDIT', 'PLATINUM', 'GOLD', 'BUSINESS', 'WORLD', 'SIGNATURE']), { size: 24 * s, fill: fg, anchor: 'end', weight: 'bold' });
    if (rng.bool(0.2)) body += hologram(rng, W - 200 * s, 160 * s, 130 * s, 90 * s, 0.5);
  } else {
    body += magstripe(rng, rng.float(40, 60) * s, W, 95 * s);
    const sy = 185 * s;
    body += rect(45 * s, sy, 480 * s, 70 * s, '#f2f2f2') + rect(45 * s, sy, 480 * s, 70 * s, 'none', `stroke="#ccc"`);
    for (let i = 0; i < 8; i++) body += rect(45 * s, sy + i * 9 * s, 480 * s, 4 * s, hsl(rng.int(180, 220), 30, 80), 'opacity="0.6"');
    if (rng.bool(0.85)) body += signature(rng, 60 * s, sy + 10 * s, 260 * s, 45 * s);
    body += rect(540 * s, sy + 5 * s, 110 * s, 60 * s, '#fff');
    body += text(595 * s, sy + 45 * s, rng.digits(brand === 'amex' ? 4 : 3), { size: 28 * s, family: MONO, italic: true, fill: '#111', anchor: 'middle' });
    if (rng.bool(0.4)) body += text(360 * s, sy + 45 * s, pan.slice(-4), { size: 22 * s, family: MONO, italic: true, fill: '#333' });
    if (rng.bool(0.5)) body += text(45 * s, 300 * s, groupPan(pan), { size: 22 * s, family: MONO, fill: fg });
    if (rng.bool(0.6)) body += hologram(rng, 670 * s, 280 * s, 130 * s, 80 * s, 0.55);
    const lines = rng.int(2, 5);
    for (let i = 0; i < lines; i++) body += text(45 * s, 350 * s + i * 24 * s, rng.pick(['This card is property of the issuing bank.', 'If found, please return to any branch.', 'Customer service 1-800-555-0199', 'Use of this card is subject to the cardholder agreement.', 'Authorized signature — not valid unless signed', 'Call the number on the back if lost or stolen.']), { size: 15 * s, fill: fg });
    body += brandMark(rng, brand, W - 45 * s, H - 60 * s, s * 0.7, dark);
  }
  result.svg = svgDoc(CW, CH, body).svg;
  return result;
}

/** Payment card (ID-1): chip, brand marks, Luhn-valid PAN, name, expiry; fronts and backs. */
import { groupPan, randomPan } from '../checks.js';
import { randomPerson } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, guilloche, hsl, rect, signature, svgDoc, text, type Rendered } from '../svg.js';

const BANKS = ['FIRST BANK', 'UNION CREDIT', 'NOVA BANK', 'MERIDIAN', 'CITY SAVINGS', 'NORDBANK', 'ATLAS FINANCIAL', 'BANCO SOL', 'REVOLT', 'MONZO-ISH'];

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

export function renderPaymentCard(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round((W * 53.98) / 85.6);
  const s = W / 856;
  const { pan, brand } = randomPan(rng);
  const p = randomPerson(rng);
  const hue = rng.int(0, 359);
  const dark = rng.bool(0.6);
  const c1 = hsl(hue, rng.float(20, 90), dark ? rng.float(8, 35) : rng.float(55, 90));
  const c2 = hsl(hue + rng.int(-80, 80), rng.float(20, 90), dark ? rng.float(10, 45) : rng.float(55, 95));
  const fg = dark ? '#f4f4f4' : '#1b1b1b';
  const gid = `g${rng.u32()}`;
  let body = `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="1" y2="${rng.float(0, 1).toFixed(2)}"><stop offset="0" stop-color="${c1}"/><stop offset="1" stop-color="${c2}"/></linearGradient></defs>`;
  const r = 32 * s;
  body += rect(0, 0, W, H, `url(#${gid})`, `rx="${r}"`);
  if (rng.bool(0.5)) body += guilloche(rng, 0, 0, W, H, dark ? '#fff' : '#000', rng.int(5, 20), 0.08);
  if (rng.bool(0.4)) body += `<circle cx="${W * rng.float(0.5, 1)}" cy="${H * rng.float(0, 1)}" r="${W * rng.float(0.2, 0.5)}" fill="#fff" opacity="${rng.float(0.04, 0.15).toFixed(2)}"/>`;
  const back = rng.bool(0.25);
  const expiry = `${String(p.expiry.getUTCMonth() + 1).padStart(2, '0')}/${String(p.expiry.getUTCFullYear() % 100).padStart(2, '0')}`;
  if (!back) {
    body += text(45 * s, 75 * s, rng.pick(BANKS), { size: rng.float(28, 40) * s, weight: 'bold', fill: fg, family: rng.pick([SANS, SERIF]) });
    // chip
    const cx = 80 * s;
    const cy = 170 * s;
    body += rect(cx, cy, 110 * s, 85 * s, hsl(45, rng.float(30, 70), rng.float(55, 75)), `rx="${12 * s}"`);
    for (let i = 1; i < 3; i++) body += rect(cx, cy + (i * 85 * s) / 3, 110 * s, 1.5 * s, '#7a6a3a');
    body += rect(cx + 40 * s, cy, 1.5 * s, 85 * s, '#7a6a3a') + rect(cx + 70 * s, cy, 1.5 * s, 85 * s, '#7a6a3a');
    if (rng.bool(0.6)) {
      // contactless waves
      for (let i = 0; i < 4; i++) body += `<path d="M ${cx + 150 * s + i * 12 * s} ${cy + 15 * s} q ${15 * s} ${28 * s} 0 ${56 * s}" stroke="${fg}" stroke-width="${4 * s}" fill="none"/>`;
    }
    const embossed = rng.bool(0.4);
    const panStyle = { size: rng.float(48, 60) * s, family: rng.pick([MONO, MONO, SANS]), fill: embossed ? '#e8e8e8' : fg, weight: (rng.bool() ? 'bold' : 'normal') as 'bold' | 'normal', spacing: 2 };
    const panText = groupPan(pan);
    if (embossed) body += text(48 * s, 353 * s, panText, { ...panStyle, fill: '#000', opacity: 0.5 });
    body += text(45 * s, 350 * s, panText, panStyle);
    body += text(300 * s, 400 * s, rng.pick(['VALID THRU', 'EXPIRES END', 'GOOD THRU']), { size: 13 * s, fill: fg });
    body += text(420 * s, 405 * s, expiry, { size: 30 * s, family: MONO, fill: fg });
    body += text(45 * s, 475 * s, `${p.given} ${p.surname}`.toUpperCase(), { size: 30 * s, family: embossed ? MONO : SANS, fill: fg });
    body += brandMark(rng, brand, W - 45 * s, H - 75 * s, s, dark);
    if (rng.bool(0.4)) body += text(W - 45 * s, 75 * s, rng.pick(['DEBIT', 'CREDIT', 'PLATINUM', 'GOLD', 'BUSINESS']), { size: 24 * s, fill: fg, anchor: 'end', weight: 'bold' });
  } else {
    body += rect(0, 50 * s, W, 95 * s, '#111');
    body += rect(45 * s, 190 * s, 480 * s, 70 * s, '#f2f2f2') + rect(45 * s, 190 * s, 480 * s, 70 * s, 'none', `stroke="#ccc"`);
    for (let i = 0; i < 8; i++) body += rect(45 * s, 190 * s + i * 9 * s, 480 * s, 4 * s, hsl(200, 30, 80), 'opacity="0.6"');
    body += signature(rng, 60 * s, 200 * s, 260 * s, 45 * s);
    body += rect(540 * s, 195 * s, 110 * s, 60 * s, '#fff');
    body += text(595 * s, 235 * s, rng.digits(brand === 'amex' ? 4 : 3), { size: 28 * s, family: MONO, italic: true, fill: '#111', anchor: 'middle' });
    if (rng.bool(0.5)) body += text(45 * s, 300 * s, groupPan(pan), { size: 22 * s, family: MONO, fill: fg });
    const lines = rng.int(2, 5);
    for (let i = 0; i < lines; i++) body += text(45 * s, 350 * s + i * 24 * s, rng.pick(['This card is property of the issuing bank.', 'If found, please return to any branch.', 'Customer service 1-800-555-0199', 'Use of this card is subject to the cardholder agreement.', 'Authorized signature — not valid unless signed']), { size: 15 * s, fill: fg });
    body += brandMark(rng, brand, W - 45 * s, H - 60 * s, s * 0.7, dark);
  }
  return svgDoc(W, H, body);
}

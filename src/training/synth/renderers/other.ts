/**
 * Rendered hard negatives for `other`.
 *  - card-shaped (ID-1, rounded; placed in scenes exactly like the sensitive cards): business, loyalty, gift,
 *    membership/library/insurance, transit/hotel key cards and playing cards — no chip, no PAN, never a portrait;
 *    numbers on them are deliberately not Luhn-valid;
 *  - paper: receipts, forms/invoices, letters, book pages and spreads, newspapers, certificates, boarding passes,
 *    tickets/labels, menus, sticky notes, envelopes, puzzles, whiteboards, postcards;
 *  - flat/digital: slides, charts, diagrams, memes (photo with a big top/bottom caption), abstract art.
 */
import { luhnValid } from '../checks.js';
import { randomPerson } from '../people.js';
import type { Rng } from '../prng.js';
import { MONO, SANS, SERIF, barcode, contactless, guilloche, handwriting, hologram, hsl, magstripe, photoPlaceholder, photoSlot, qr, randomColor, rect, signature, svgDoc, text, textLines, type PhotoSlot, type Rendered, type RenderOpts } from '../svg.js';

const WORDS = 'the of and to in is that for it as with was on be by this are or from at which an but not have has were their one all would there been if more when will out up other into only some could time these two may then do first any new very most over such after through where much before between good long great world life still being same last under never'.split(' ');
const BRANDS = ['ACME', 'Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', 'Soylent', 'Cyberdyne', 'Tyrell', 'Wonka', 'Gringotts', 'Oceanic', 'Massive', 'Aperture'];
const STORES = ['FreshMart', 'Book Nook', 'Café Luna', 'Hardware Co', 'Pet Palace', 'Green Grocer', 'Style Hub', 'Coffee Corner', 'MegaStore', 'Garden World', 'Toy Town', 'Fuel Stop'];

function sentence(rng: Rng, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(rng.pick(WORDS));
  const s = w.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function titleCase(s: string): string {
  return s.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
}

/** A digit string of length n that is NOT Luhn-valid (so card-shaped negatives never carry a valid PAN). */
export function nonLuhnNumber(rng: Rng, n: number): string {
  let d = rng.digits(n);
  if (luhnValid(d)) d = d.slice(0, -1) + String((Number(d.slice(-1)) + 1) % 10);
  return d;
}

function logo(rng: Rng, x: number, y: number, size: number, color: string, name: string): string {
  const shape = rng.int(0, 3);
  let out = '';
  if (shape === 0) out += `<circle cx="${x + size / 2}" cy="${y - size / 3}" r="${size / 2}" fill="${color}"/>`;
  else if (shape === 1) out += rect(x, y - size * 0.8, size, size, color, `rx="${size * 0.2}"`);
  else if (shape === 2) out += `<path d="M ${x} ${y} L ${x + size / 2} ${y - size} L ${x + size} ${y} Z" fill="${color}"/>`;
  return out + text(x + (shape === 3 ? 0 : size * 1.25), y, name, { size: size * 0.8, weight: 'bold', fill: color, family: rng.pick([SANS, SERIF]) });
}

/** Card background: gradient, flat, or (with real photos) a photo-art slot under the SVG. */
function cardBase(rng: Rng, W: number, H: number, opts: RenderOpts, artP = 0.3): { body: string; slots?: PhotoSlot[]; dark: boolean } {
  const r = W * 0.037;
  if (opts.photos && rng.bool(artP)) return { body: rect(0, 0, W, H, '#000', `rx="${r}" opacity="${rng.float(0.05, 0.3).toFixed(2)}"`), slots: [{ x: 0, y: 0, w: W, h: H, r, under: true }], dark: true };
  const dark = rng.bool(0.45);
  const hue = rng.int(0, 359);
  const gid = `cb${rng.u32()}`;
  const c1 = hsl(hue, rng.float(10, 90), dark ? rng.float(8, 35) : rng.float(60, 96));
  const c2 = hsl(hue + rng.int(-90, 90), rng.float(10, 90), dark ? rng.float(10, 40) : rng.float(55, 96));
  let body = `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="1" y2="${rng.float(0, 1).toFixed(2)}"><stop offset="0" stop-color="${c1}"/><stop offset="1" stop-color="${c2}"/></linearGradient></defs>`;
  body += rect(0, 0, W, H, `url(#${gid})`, `rx="${r}"`);
  if (rng.bool(0.3)) body += guilloche(rng, 0, 0, W, H, dark ? '#fff' : '#000', rng.int(4, 14), 0.08);
  if (rng.bool(0.4)) body += `<circle cx="${W * rng.float(0, 1)}" cy="${H * rng.float(0, 1)}" r="${W * rng.float(0.2, 0.6)}" fill="${randomColor(rng)}" opacity="${rng.float(0.1, 0.4).toFixed(2)}"/>`;
  if (rng.bool(0.3)) for (let i = 0; i < rng.int(2, 6); i++) body += rect(rng.float(-0.2, 1) * W, rng.float(-0.2, 1) * H, rng.float(0.1, 0.6) * W, rng.float(0.05, 0.2) * H, randomColor(rng), `opacity="${rng.float(0.1, 0.5).toFixed(2)}" transform="rotate(${rng.float(-40, 40).toFixed(0)} ${W / 2} ${H / 2})"`);
  return { body, dark };
}

function idSize(rng: Rng): [number, number] {
  const W = rng.int(700, 900);
  return [W, Math.round((W * 53.98) / 85.6)];
}

function cardResult(W: number, H: number, body: string, slots?: PhotoSlot[]): Rendered {
  return { ...svgDoc(W, H, body), card: true, ...(slots ? { slots } : {}) };
}

// ---------------------------------------------------------------- card-shaped

function businessCard(rng: Rng, opts: RenderOpts): Rendered {
  const vertical = rng.bool(0.12);
  const W0 = rng.int(700, 900);
  const H0 = Math.round(W0 * rng.pick([0.55, 0.571, 0.6, 0.63]));
  const [W, H] = vertical ? [H0, W0] : [W0, H0];
  const p = randomPerson(rng);
  const dark = rng.bool(0.3);
  const bg = dark ? randomColor(rng, [10, 50], [8, 30]) : randomColor(rng, [0, 20], [88, 99]);
  const fg = dark ? '#f0f0f0' : '#222';
  const acc = randomColor(rng, [40, 90], [35, 60]);
  let b = rect(0, 0, W, H, bg, `rx="${rng.pick([0, 0, W * 0.02])}"`);
  const deco = rng.int(0, 3);
  if (deco === 0) b += rect(0, 0, W * rng.float(0.02, 0.35), H, acc);
  else if (deco === 1) b += rect(0, H * rng.float(0.75, 0.9), W, H * 0.25, acc);
  else if (deco === 2) b += `<circle cx="${W}" cy="0" r="${H * rng.float(0.3, 0.7)}" fill="${acc}" opacity="0.8"/>`;
  const x = vertical ? W * 0.1 : W * rng.float(0.08, 0.4);
  const brand = rng.pick(BRANDS);
  b += logo(rng, x, H * (vertical ? 0.15 : 0.2), Math.min(W, H) * 0.1, acc, brand);
  b += text(x, H * 0.4, titleCase(`${p.given} ${p.surname}`), { size: Math.min(W, H * 1.7) * 0.05, weight: 'bold', fill: fg, family: rng.pick([SANS, SERIF]) });
  b += text(x, H * 0.48, rng.pick(['Senior Engineer', 'Account Manager', 'Architect', 'Sales Director', 'Consultant', 'Photographer', 'Attorney at Law', 'Dentist', 'Real Estate Agent', 'Chef']), { size: Math.min(W, H * 1.7) * 0.028, fill: acc });
  const lines = [`+1 555 ${rng.digits(3)} ${rng.digits(4)}`, `${p.given.toLowerCase().split(' ')[0]}@${brand.toLowerCase()}.com`, p.address, `www.${brand.toLowerCase()}.com`];
  lines.forEach((l, i) => (b += text(x, H * 0.62 + i * H * 0.075, l, { size: Math.min(W, H * 1.7) * 0.024, fill: fg })));
  if (rng.bool(0.3)) b += qr(rng, W * 0.78 - (vertical ? W * 0.4 : 0), H * 0.55, Math.min(W, H) * 0.3);
  return cardResult(W, H, b);
}

function loyaltyCard(rng: Rng, opts: RenderOpts): Rendered {
  const [W, H] = idSize(rng);
  const s = W / 856;
  const base = cardBase(rng, W, H, opts);
  const fg = base.dark ? '#fff' : '#1b1b1b';
  const store = rng.pick(STORES);
  let b = base.body;
  b += logo(rng, 45 * s, 90 * s, 60 * s, fg, store);
  b += text(W - 45 * s, 80 * s, rng.pick(['REWARDS', 'LOYALTY CARD', 'CLUB CARD', 'MEMBER', 'PLUS', 'VIP', 'BONUS CARD']), { size: 26 * s, weight: 'bold', fill: fg, anchor: 'end' });
  const back = rng.bool(0.4);
  if (back || rng.bool(0.5)) {
    b += rect(45 * s, H - 230 * s, W - 90 * s, 150 * s, '#fff', `rx="${8 * s}"`);
    b += barcode(rng, 70 * s, H - 215 * s, W - 140 * s, 95 * s);
    b += text(W / 2, H - 95 * s, nonLuhnNumber(rng, rng.pick([10, 12, 13, 16])).replace(/(\d{4})(?=\d)/g, '$1 '), { size: 20 * s, family: MONO, fill: '#111', anchor: 'middle' });
  } else {
    b += text(45 * s, H - 140 * s, rng.pick(['Member since', 'Points', 'Level']) + ' ' + rng.pick([String(rng.int(2005, 2025)), String(rng.int(100, 99999)), 'GOLD', 'SILVER']), { size: 24 * s, fill: fg });
    b += text(45 * s, H - 70 * s, nonLuhnNumber(rng, rng.pick([8, 10, 12])), { size: 34 * s, family: MONO, fill: fg });
  }
  if (back) for (let i = 0; i < 3; i++) b += text(45 * s, 150 * s + i * 26 * s, sentence(rng, rng.int(5, 9)), { size: 16 * s, fill: fg });
  if (rng.bool(0.35)) b += text(45 * s, H - 40 * s, randomPerson(rng).surname, { size: 22 * s, fill: fg });
  return cardResult(W, H, b, base.slots);
}

function giftCard(rng: Rng, opts: RenderOpts): Rendered {
  const [W, H] = idSize(rng);
  const s = W / 856;
  const back = rng.bool(0.4);
  const base = back ? { body: rect(0, 0, W, H, hsl(0, 0, rng.float(85, 99)), `rx="${W * 0.037}"`), dark: false } : cardBase(rng, W, H, opts, 0.45);
  const fg = base.dark ? '#fff' : '#1b1b1b';
  let b = base.body;
  if (!back) {
    b += logo(rng, 45 * s, 100 * s, 64 * s, fg, rng.pick([...STORES, ...BRANDS]));
    b += text(45 * s, H - 60 * s, rng.pick(['GIFT CARD', 'Gift Card', 'eGift', 'CARTE CADEAU', 'GUTSCHEIN']), { size: 46 * s, weight: 'bold', fill: fg });
    if (rng.bool(0.6)) b += text(W - 45 * s, H - 60 * s, `${rng.pick(['$', '€', '£'])}${rng.pick([10, 20, 25, 50, 100])}`, { size: 80 * s, weight: 'bold', fill: fg, anchor: 'end' });
    if (rng.bool(0.3)) b += `<path d="M ${W * 0.6} 0 V ${H} M 0 ${H * 0.45} H ${W}" stroke="${randomColor(rng, [60, 90], [40, 60])}" stroke-width="${26 * s}"/>`;
  } else {
    if (rng.bool(0.4)) b += magstripe(rng, 40 * s, W, 90 * s);
    const y0 = rng.bool(0.4) ? 160 * s : 60 * s;
    b += rect(45 * s, y0, 360 * s, 60 * s, hsl(0, 0, 70), `rx="${6 * s}"`) + text(60 * s, y0 + 40 * s, rng.pick(['SCRATCH HERE', 'PIN ████', 'PIN']), { size: 22 * s, fill: '#333' });
    b += barcode(rng, 45 * s, y0 + 90 * s, W * 0.6, 90 * s);
    b += text(45 * s, y0 + 210 * s, nonLuhnNumber(rng, 19).replace(/(\d{4})(?=\d)/g, '$1 '), { size: 20 * s, family: MONO, fill: '#111' });
    for (let i = 0; i < 3; i++) b += text(45 * s, y0 + 250 * s + i * 22 * s, sentence(rng, rng.int(6, 10)), { size: 14 * s, fill: '#444' });
  }
  return cardResult(W, H, b, back ? undefined : base.slots);
}

function membershipCard(rng: Rng, opts: RenderOpts): Rendered {
  const [W, H] = idSize(rng);
  const s = W / 856;
  const base = cardBase(rng, W, H, opts, 0.2);
  const fg = base.dark ? '#fff' : '#1b1b1b';
  const kind = rng.pick(['library', 'gym', 'health', 'club', 'student-union', 'museum']);
  const title = { library: 'PUBLIC LIBRARY', gym: 'FITNESS CLUB', health: 'HEALTH PLAN', club: 'MEMBERS CLUB', 'student-union': 'STUDENT UNION', museum: 'MUSEUM MEMBER' }[kind] as string;
  const p = randomPerson(rng);
  let b = base.body;
  b += rect(0, 0, W, 100 * s, randomColor(rng, [40, 90], [25, 50]), `rx="${W * 0.037}" opacity="${rng.float(0.6, 1).toFixed(2)}"`);
  b += text(40 * s, 65 * s, `${rng.pick(['CITY', 'COUNTY', 'METRO', rng.pick(BRANDS).toUpperCase()])} ${title}`, { size: 32 * s, weight: 'bold', fill: '#fff' });
  const rows: [string, string][] = [
    ['Member', titleCase(`${p.given} ${p.surname}`)],
    [kind === 'health' ? 'Member ID' : 'Card No.', `${rng.letters(rng.int(0, 3))}${nonLuhnNumber(rng, rng.int(7, 11))}`],
    [rng.pick(['Valid until', 'Expires', 'Since']), `${rng.int(1, 12)}/${rng.int(2024, 2031)}`],
  ];
  if (kind === 'health') rows.push(['Group', `${rng.letters(2)}-${rng.digits(5)}`], ['Copay', `$${rng.int(1, 6) * 5}`]);
  rows.forEach(([l, v], i) => {
    b += text(40 * s, 160 * s + i * 62 * s, l, { size: 16 * s, fill: fg, opacity: 0.8 });
    b += text(40 * s, 188 * s + i * 62 * s, v, { size: 26 * s, weight: 'bold', fill: fg });
  });
  if (rng.bool(0.6)) {
    b += rect(W - 300 * s, H - 170 * s, 260 * s, 130 * s, '#fff', `rx="${6 * s}"`);
    b += barcode(rng, W - 290 * s, H - 160 * s, 240 * s, 110 * s);
  } else b += qr(rng, W - 210 * s, H - 210 * s, 170 * s);
  if (rng.bool(0.3)) b += signature(rng, 40 * s, H - 70 * s, 260 * s, 40 * s);
  return cardResult(W, H, b, base.slots);
}

function transitOrKeyCard(rng: Rng, opts: RenderOpts): Rendered {
  const [W, H] = idSize(rng);
  const s = W / 856;
  const base = cardBase(rng, W, H, opts, 0.4);
  const fg = base.dark ? '#fff' : '#1b1b1b';
  let b = base.body;
  if (rng.bool()) {
    b += logo(rng, 50 * s, 110 * s, 70 * s, fg, rng.pick(['Metro', 'CityRail', 'TransitCard', 'GoPass', 'Tram+Bus', 'Oyster-ish', 'RideOn']));
    b += contactless(W - 120 * s, H - 120 * s, 70 * s, fg);
    if (rng.bool(0.6)) b += text(50 * s, H - 50 * s, nonLuhnNumber(rng, 10), { size: 22 * s, family: MONO, fill: fg });
  } else {
    b += text(W / 2, H * 0.42, rng.pick(['GRAND HOTEL', 'Hotel Aurora', 'SEASIDE RESORT', 'The Plaza Inn', 'CITY LODGE', 'Hotel Central']), { size: 54 * s, family: rng.pick([SERIF, SANS]), fill: fg, anchor: 'middle', weight: 'bold' });
    b += text(W / 2, H * 0.55, rng.pick(['ROOM KEY', 'Welcome', 'Please keep this card away from phones', 'KEY CARD']), { size: 22 * s, fill: fg, anchor: 'middle', spacing: 2 });
    if (rng.bool(0.5)) b += `<path d="M ${W / 2 - 40 * s} ${H * 0.75} h ${60 * s} v ${-20 * s} l ${40 * s} ${30 * s} l ${-40 * s} ${30 * s} v ${-20 * s} h ${-60 * s} z" fill="${fg}"/>`;
  }
  return cardResult(W, H, b, base.slots);
}

const SUITS = [
  { ch: '♠', color: '#111' },
  { ch: '♥', color: '#c00' },
  { ch: '♦', color: '#c00' },
  { ch: '♣', color: '#111' },
];

/** A drawn playing card (used when no Debian card deck is indexed). */
function playingCard(rng: Rng): Rendered {
  const W = rng.int(400, 560);
  const H = Math.round(W * 1.4);
  const suit = rng.pick(SUITS);
  const rank = rng.pick(['A', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K']);
  const back = rng.bool(0.15);
  let b = rect(0, 0, W, H, back ? randomColor(rng, [40, 80], [25, 45]) : '#fdfdfd', `rx="${W * 0.06}" stroke="#999" stroke-width="2"`);
  if (back) {
    b += rect(W * 0.08, H * 0.06, W * 0.84, H * 0.88, 'none', `stroke="#fff" stroke-width="${W * 0.02}" rx="${W * 0.04}"`);
    b += guilloche(rng, W * 0.08, H * 0.06, W * 0.84, H * 0.88, '#fff', 20, 0.4);
    return cardResult(W, H, b);
  }
  b += text(W * 0.1, H * 0.12, rank, { size: W * 0.16, fill: suit.color, weight: 'bold', anchor: 'middle' }) + text(W * 0.1, H * 0.2, suit.ch, { size: W * 0.13, fill: suit.color, anchor: 'middle' });
  b += `<g transform="rotate(180 ${W / 2} ${H / 2})">${text(W * 0.1, H * 0.12, rank, { size: W * 0.16, fill: suit.color, weight: 'bold', anchor: 'middle' })}${text(W * 0.1, H * 0.2, suit.ch, { size: W * 0.13, fill: suit.color, anchor: 'middle' })}</g>`;
  const n = Number(rank);
  if (n >= 2) {
    for (let i = 0; i < n; i++) {
      const col = n <= 3 ? 1 : i % 2 === 0 ? 0 : 2;
      const row = n <= 3 ? i : Math.floor(i / 2);
      const rows = n <= 3 ? n : Math.ceil(n / 2);
      b += text(W * (0.3 + col * 0.2), H * (0.25 + (row + 0.5) * (0.55 / rows)), suit.ch, { size: W * 0.16, fill: suit.color, anchor: 'middle' });
    }
  } else if (rank === 'A') b += text(W / 2, H * 0.6, suit.ch, { size: W * 0.5, fill: suit.color, anchor: 'middle' });
  else {
    b += rect(W * 0.2, H * 0.16, W * 0.6, H * 0.68, randomColor(rng, [40, 80], [60, 80]), `stroke="${suit.color}" stroke-width="3"`);
    b += text(W / 2, H * 0.56, rank, { size: W * 0.4, fill: suit.color, anchor: 'middle', family: SERIF, weight: 'bold' });
  }
  return cardResult(W, H, b);
}

// ---------------------------------------------------------------- paper

function receipt(rng: Rng): Rendered {
  const W = rng.int(380, 520);
  const n = rng.int(4, 22);
  const H = 260 + n * 26 + rng.int(140, 260);
  const thermal = rng.bool(0.7);
  let b = rect(0, 0, W, H, hsl(45, rng.float(0, 20), rng.float(thermal ? 93 : 96, 99)));
  const fam = rng.pick([MONO, MONO, SANS]);
  const store = rng.pick(STORES).toUpperCase();
  if (rng.bool(0.3)) b += logo(rng, W / 2 - 60, 45, 34, '#222', '');
  b += text(W / 2, 60, store, { size: rng.int(20, 28), weight: 'bold', anchor: 'middle', family: fam });
  b += text(W / 2, 88, `${rng.int(1, 999)} ${rng.pick(['Main Street', 'High St', 'Market Sq', 'Oak Ave'])}`, { size: 14, anchor: 'middle', family: fam });
  b += text(W / 2, 108, `${rng.int(1, 28)}/${rng.int(1, 12)}/20${rng.int(18, 26)} ${rng.int(8, 21)}:${rng.digits(2)}   #${rng.digits(5)}`, { size: 14, anchor: 'middle', family: fam });
  let y = 150;
  let total = 0;
  for (let i = 0; i < n; i++, y += 26) {
    const price = rng.int(50, 5000) / 100;
    total += price;
    b += text(20, y, rng.pick(['MILK', 'BREAD', 'COFFEE', 'SCREWS 4MM', 'PAPER A4', 'APPLES', 'BATTERIES', 'TEA', 'PASTA', 'SOAP', 'CAPPUCCINO', 'CROISSANT', 'DOG FOOD', 'LIGHT BULB']) + (rng.bool(0.2) ? ` x${rng.int(2, 5)}` : ''), { size: 15, family: fam });
    b += text(W - 20, y, price.toFixed(2), { size: 15, family: fam, anchor: 'end' });
  }
  b += rect(20, y - 10, W - 40, 2, '#333');
  b += text(20, y + 20, 'TOTAL', { size: 20, weight: 'bold', family: fam }) + text(W - 20, y + 20, total.toFixed(2), { size: 20, weight: 'bold', family: fam, anchor: 'end' });
  b += text(20, y + 48, rng.pick([`CARD ************${rng.digits(4)}`, `VISA ****${rng.digits(4)}`, 'CASH', `AUTH ${rng.digits(6)}`]), { size: 14, family: fam });
  b += text(20, y + 70, rng.pick(['THANK YOU!', 'Please come again', 'Returns within 30 days with receipt', 'VAT 20% incl.']), { size: 14, family: fam });
  if (rng.bool(0.6)) b += barcode(rng, 40, y + 88, W - 80, 50);
  else b += qr(rng, W / 2 - 50, y + 88, 100);
  if (thermal && rng.bool(0.4)) b += rect(0, 0, W, H, `hsl(45,30%,60%)`, `opacity="${rng.float(0.05, 0.15).toFixed(2)}"`);
  return svgDoc(W, H, b);
}

function form(rng: Rng): Rendered {
  const W = rng.int(700, 860);
  const H = Math.round(W * 1.414);
  let b = rect(0, 0, W, H, '#fdfdfd');
  const titleStr = rng.pick(['APPLICATION FORM', 'Registration', 'Employee Onboarding', 'Incident Report', 'Purchase Order', 'INVOICE', 'Delivery Note', 'Tax Form 1040-ish', 'Change of Address', 'Expense Claim', 'Patient Intake Form']);
  if (rng.bool(0.5)) b += logo(rng, 50, 70, 36, randomColor(rng, [40, 80], [25, 45]), rng.pick(BRANDS));
  b += text(rng.bool() ? 50 : W / 2, 130, titleStr, { size: 30, weight: 'bold', family: rng.pick([SANS, SERIF]), ...(rng.bool() ? {} : {}) });
  let y = 180;
  const table = rng.bool(0.35);
  while (y < H - 80) {
    const r = rng.next();
    if (table && r < 0.3) {
      const cols = rng.int(3, 5);
      const rows = rng.int(3, 8);
      const cw = (W - 100) / cols;
      for (let i = 0; i <= rows; i++) b += rect(50, y + i * 28, W - 100, 1, '#666');
      for (let c = 0; c <= cols; c++) b += rect(50 + c * cw, y, 1, rows * 28, '#666');
      for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) b += text(56 + c * cw, y + i * 28 + 19, i === 0 ? rng.pick(['Item', 'Qty', 'Price', 'Total', 'Date', 'Code']) : c === 0 ? rng.pick(WORDS) : String(rng.int(1, 999)), { size: 13, fill: '#222', weight: i === 0 ? 'bold' : 'normal' });
      y += rows * 28 + 40;
    } else if (r < 0.7) {
      b += text(50, y, rng.pick(['Name', 'Address', 'Date', 'Department', 'Phone', 'Email', 'Description', 'Amount', 'Reference', 'City', 'Postcode', 'Signature']), { size: 15, fill: '#333' });
      b += rect(220, y - 18, W - 270, 26, '#fff', 'stroke="#888"');
      if (rng.bool(0.4)) b += text(228, y, rng.pick(WORDS) + ' ' + rng.pick(WORDS), { size: 15, fill: '#1a2a8c', family: rng.pick([SANS, SERIF]), italic: true });
      y += 46;
    } else if (r < 0.8) {
      for (let i = 0; i < rng.int(2, 4); i++) b += rect(50 + i * 180, y - 14, 16, 16, '#fff', 'stroke="#555"') + text(74 + i * 180, y, rng.pick(WORDS), { size: 14, fill: '#333' });
      y += 40;
    } else {
      b += textLines(rng, 50, y, W - 100, 20, rng.int(2, 6), '#777', 0.4);
      y += 140;
    }
  }
  return svgDoc(W, H, b);
}

function letter(rng: Rng): Rendered {
  const W = rng.int(700, 860);
  const H = Math.round(W * 1.414);
  const p = randomPerson(rng);
  let b = rect(0, 0, W, H, hsl(40, rng.float(0, 10), rng.float(96, 100)));
  const acc = randomColor(rng, [30, 80], [25, 45]);
  b += logo(rng, 60, 80, 34, acc, rng.pick([...BRANDS, 'City Council', 'University Hospital', 'Water Utility']));
  if (rng.bool(0.5)) b += rect(0, 110, W, 3, acc);
  b += text(60, 180, titleCase(`${p.given} ${p.surname}`), { size: 15 }) + text(60, 200, p.address, { size: 15 });
  b += text(W - 60, 250, `${rng.int(1, 28)} ${rng.pick(['January', 'March', 'June', 'October', 'December'])} 20${rng.int(18, 26)}`, { size: 15, anchor: 'end' });
  b += text(60, 300, rng.pick(['Dear', 'Re:', 'Subject:']) + ' ' + rng.pick(['Sir or Madam,', `${titleCase(p.given)},`, 'your account', 'your appointment']), { size: 16, weight: rng.bool() ? 'bold' : 'normal' });
  let y = 340;
  while (y < H - 260) {
    b += textLines(rng, 60, y, W - 120, 22, rng.int(3, 7), '#555', 0.35);
    y += 22 * 7 + 20;
  }
  b += text(60, H - 220, rng.pick(['Sincerely,', 'Kind regards,', 'Yours faithfully,']), { size: 16 });
  b += signature(rng, 60, H - 200, 220, 50);
  b += text(60, H - 130, titleCase(randomPerson(rng).given + ' ' + randomPerson(rng).surname), { size: 15 });
  b += rect(0, H - 60, W, 1, '#ccc') + text(W / 2, H - 35, `${rng.pick(BRANDS)} · ${rng.int(1, 999)} Main St · www.example.com`, { size: 12, anchor: 'middle', fill: '#777' });
  return svgDoc(W, H, b);
}

function bookPage(rng: Rng): Rendered {
  const spread = rng.bool(0.35);
  const PW = rng.int(560, 760);
  const H = Math.round(PW * rng.float(1.3, 1.6));
  const W = spread ? PW * 2 : PW;
  const paper = hsl(40, rng.float(10, 45), rng.float(84, 97));
  let b = rect(0, 0, W, H, paper);
  const fs = rng.float(15, 19);
  for (let page = 0; page < (spread ? 2 : 1); page++) {
    const ox = page * PW;
    let y = 90;
    if (rng.bool(0.3)) {
      b += text(ox + PW / 2, y, `Chapter ${rng.int(1, 30)}`, { size: 30, family: SERIF, anchor: 'middle' });
      y += 60;
    }
    const per = Math.floor((PW - 120) / (fs * 0.56));
    while (y < H - 70) {
      if (rng.bool(0.06)) {
        y += fs * 0.8;
        continue;
      }
      let line = '';
      while (line.length < per) line += rng.pick(WORDS) + ' ';
      b += text(ox + 60, y, line.slice(0, per), { size: fs, family: SERIF, fill: '#222' });
      y += fs * 1.5;
    }
    b += text(ox + PW / 2, H - 35, String(rng.int(1, 400)), { size: 14, family: SERIF, anchor: 'middle' });
  }
  if (spread) {
    const gid = `gut${rng.u32()}`;
    b += `<defs><linearGradient id="${gid}" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#000" stop-opacity="0"/><stop offset="0.5" stop-color="#000" stop-opacity="${rng.float(0.2, 0.45).toFixed(2)}"/><stop offset="1" stop-color="#000" stop-opacity="0"/></linearGradient></defs>` + rect(PW - 40, 0, 80, H, `url(#${gid})`);
  }
  return svgDoc(W, H, b);
}

function newspaper(rng: Rng, opts: RenderOpts): Rendered {
  const W = rng.int(800, 1000);
  const H = Math.round(W * rng.float(1.2, 1.5));
  let b = rect(0, 0, W, H, hsl(45, rng.float(5, 20), rng.float(88, 95)));
  b += text(W / 2, 80, rng.pick(['The Daily Planet', 'MORNING HERALD', 'The Gazette', 'EVENING POST', 'Tribune', 'The Chronicle']), { size: 64, family: SERIF, weight: 'bold', anchor: 'middle' });
  b += rect(30, 100, W - 60, 2, '#222') + rect(30, 106, W - 60, 1, '#222');
  b += text(W / 2, 170, sentence(rng, rng.int(4, 7)).replace('.', ''), { size: 40, family: SERIF, weight: 'bold', anchor: 'middle' });
  const cols = rng.int(3, 5);
  const cw = (W - 60) / cols;
  const slots: PhotoSlot[] = [];
  const px = 30 + cw * rng.int(0, cols - 2);
  const pw = cw * 2 - 16;
  const ph = pw * rng.float(0.5, 0.75);
  const py = 210;
  slots.push(photoSlot(rng, px, py, pw, ph, 0.4));
  if (!opts.photos) b += photoPlaceholder(rng, px, py, pw, ph);
  for (let c = 0; c < cols; c++) {
    const x = 30 + c * cw;
    const covered = x >= px - 1 && x < px + pw;
    let y = covered ? py + ph + 30 : 215;
    if (rng.bool(0.4)) {
      b += text(x, y + 10, sentence(rng, 3).replace('.', ''), { size: 20, family: SERIF, weight: 'bold' });
      y += 36;
    }
    // a few real lines, then grey line bars (cheap to rasterise; text at this size is a texture anyway)
    for (let i = 0; i < rng.int(2, 6) && y < H - 40; i++, y += 15) b += text(x, y + 10, sentence(rng, Math.max(3, Math.floor((cw - 16) / 40))).slice(0, Math.floor((cw - 16) / 6.2)), { size: 11, family: SERIF, fill: '#333' });
    b += textLines(rng, x, y, cw - 16, 15, Math.max(0, Math.floor((H - y - 30) / 15)), '#777', 0.32);
  }
  return { ...svgDoc(W, H, b), slots };
}

function certificate(rng: Rng): Rendered {
  const W = rng.int(900, 1100);
  const H = Math.round(W * rng.pick([0.707, 0.77]));
  const ink = randomColor(rng, [30, 70], [20, 40]);
  let b = rect(0, 0, W, H, hsl(rng.int(30, 60), rng.float(10, 40), rng.float(90, 98)));
  b += guilloche(rng, 0, 0, W, H * 0.12, ink, 10, 0.4) + guilloche(rng, 0, H * 0.88, W, H * 0.12, ink, 10, 0.4);
  b += rect(W * 0.03, H * 0.04, W * 0.94, H * 0.92, 'none', `stroke="${ink}" stroke-width="${W * 0.008}"`) + rect(W * 0.045, H * 0.06, W * 0.91, H * 0.88, 'none', `stroke="${ink}" stroke-width="2"`);
  b += text(W / 2, H * 0.25, rng.pick(['Certificate of Achievement', 'CERTIFICATE', 'Diploma', 'Certificate of Completion', 'Award of Excellence', 'Certificate of Attendance']), { size: W * 0.05, family: SERIF, weight: 'bold', fill: ink, anchor: 'middle', italic: rng.bool() });
  b += text(W / 2, H * 0.36, rng.pick(['This is to certify that', 'is hereby awarded to', 'presented to']), { size: W * 0.02, family: SERIF, anchor: 'middle', fill: '#333' });
  const p = randomPerson(rng);
  b += text(W / 2, H * 0.48, titleCase(`${p.given} ${p.surname}`), { size: W * 0.045, family: SERIF, anchor: 'middle', italic: true, fill: '#111' });
  b += text(W / 2, H * 0.57, sentence(rng, rng.int(6, 10)), { size: W * 0.018, family: SERIF, anchor: 'middle', fill: '#333' });
  b += signature(rng, W * 0.15, H * 0.7, W * 0.22, H * 0.07) + rect(W * 0.13, H * 0.79, W * 0.26, 2, '#333');
  b += signature(rng, W * 0.63, H * 0.7, W * 0.22, H * 0.07) + rect(W * 0.61, H * 0.79, W * 0.26, 2, '#333');
  const sx = W / 2;
  const sy = H * 0.76;
  const sr = H * 0.08;
  let star = '';
  for (let i = 0; i < 24; i++) {
    const a = (i / 24) * Math.PI * 2;
    const rr = i % 2 ? sr : sr * 1.15;
    star += `${i ? 'L' : 'M'} ${(sx + rr * Math.cos(a)).toFixed(1)} ${(sy + rr * Math.sin(a)).toFixed(1)} `;
  }
  b += `<path d="${star}Z" fill="${rng.pick(['#c9a227', '#b22', '#2a5caa'])}"/>` + `<circle cx="${sx}" cy="${sy}" r="${sr * 0.7}" fill="none" stroke="#fff" stroke-width="2" opacity="0.7"/>`;
  if (rng.bool(0.4)) b += hologram(rng, W * 0.75, H * 0.1, W * 0.12, H * 0.12, 0.3);
  return svgDoc(W, H, b);
}

function boardingPass(rng: Rng): Rendered {
  const W = rng.int(900, 1100);
  const H = Math.round(W * rng.float(0.36, 0.45));
  const acc = randomColor(rng, [50, 90], [25, 45]);
  const p = randomPerson(rng);
  const from = rng.letters(3);
  const to = rng.letters(3);
  let b = rect(0, 0, W, H, '#fbfbfb', `rx="${H * 0.04}"`) + rect(0, 0, W, H * 0.2, acc, `rx="${H * 0.04}"`);
  b += text(W * 0.03, H * 0.13, rng.pick(['BOARDING PASS', 'Boarding Pass', 'CARTE D’EMBARQUEMENT', 'BORDKARTE']), { size: H * 0.08, weight: 'bold', fill: '#fff' });
  b += text(W * 0.72, H * 0.13, rng.pick(['SKYWAYS', 'AeroNova', 'BlueJet', 'TransGlobal', 'NORDIC AIR']), { size: H * 0.07, weight: 'bold', fill: '#fff', anchor: 'end' });
  const L = (x: number, y: number, l: string, v: string, big = false): string => text(x, y, l, { size: H * 0.04, fill: '#777' }) + text(x, y + H * (big ? 0.12 : 0.07), v, { size: H * (big ? 0.12 : 0.06), weight: 'bold', fill: '#111', family: big ? SANS : rng.pick([SANS, MONO]) });
  b += L(W * 0.03, H * 0.3, 'PASSENGER', `${p.surname}/${p.given.split(' ')[0]}`);
  b += L(W * 0.03, H * 0.48, 'FROM', from, true) + L(W * 0.2, H * 0.48, 'TO', to, true);
  b += `<path d="M ${W * 0.155} ${H * 0.56} l ${W * 0.03} 0 m -${W * 0.01} -${H * 0.02} l ${W * 0.01} ${H * 0.02} l -${W * 0.01} ${H * 0.02}" stroke="${acc}" stroke-width="3" fill="none"/>`;
  b += L(W * 0.38, H * 0.3, 'FLIGHT', `${rng.letters(2)}${rng.int(10, 9999)}`) + L(W * 0.38, H * 0.5, 'GATE', `${rng.letters(1)}${rng.int(1, 60)}`) + L(W * 0.38, H * 0.7, 'SEAT', `${rng.int(1, 45)}${rng.letters(1, 'ABCDEF')}`);
  b += L(W * 0.52, H * 0.3, 'DATE', `${rng.int(1, 28)}${rng.pick(['JAN', 'MAR', 'JUL', 'OCT', 'DEC'])}`) + L(W * 0.52, H * 0.5, 'BOARDING', `${rng.int(5, 23)}:${rng.pick(['05', '20', '35', '50'])}`) + L(W * 0.52, H * 0.7, 'ZONE', String(rng.int(1, 5)));
  b += rect(W * 0.68, H * 0.22, 2, H * 0.75, '#bbb', 'stroke-dasharray="6 6"');
  b += L(W * 0.71, H * 0.3, 'NAME', p.surname) + L(W * 0.71, H * 0.5, 'FLIGHT / SEAT', `${rng.letters(2)}${rng.int(10, 999)} ${rng.int(1, 45)}C`);
  if (rng.bool(0.5)) b += rect(W * 0.03, H * 0.8, W * 0.3, H * 0.15, '#fff') + barcode(rng, W * 0.035, H * 0.81, W * 0.3, H * 0.13);
  else b += qr(rng, W * 0.86, H * 0.62, H * 0.34);
  return svgDoc(W, H, b);
}

function ticketOrLabel(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round(W * rng.float(0.35, 0.6));
  const acc = randomColor(rng, [40, 90], [30, 55]);
  let b = rect(0, 0, W, H, '#fafafa', 'rx="18"') + rect(0, 0, W, H * 0.22, acc, 'rx="18"');
  b += text(30, H * 0.15, rng.pick(['ADMIT ONE', 'SHIPPING LABEL', 'EVENT PASS', 'CONCERT TICKET', 'PARKING PERMIT', 'TRAIN TICKET', 'MUSEUM ENTRY']), { size: H * 0.09, weight: 'bold', fill: '#fff' });
  for (let i = 0; i < 4; i++) b += text(30 + (i % 2) * W * 0.3, H * (0.4 + Math.floor(i / 2) * 0.25), rng.pick(['GATE ' + rng.int(1, 60), 'SEAT ' + rng.int(1, 40) + rng.letters(1), 'ROW ' + rng.int(1, 30), 'ZONE ' + rng.int(1, 5), rng.letters(3) + ' → ' + rng.letters(3), 'PLATFORM ' + rng.int(1, 12), `${rng.int(1, 28)}.${rng.int(1, 12)}.20${rng.int(20, 26)}`]), { size: H * 0.08, fill: '#222', weight: 'bold' });
  if (rng.bool()) b += barcode(rng, W * 0.7, H * 0.3, W * 0.25, H * 0.55);
  else b += qr(rng, W * 0.72, H * 0.3, H * 0.6);
  return svgDoc(W, H, b);
}

function menu(rng: Rng): Rendered {
  const W = rng.int(600, 800);
  const H = Math.round(W * rng.float(1.3, 1.5));
  const dark = rng.bool(0.3);
  const fg = dark ? '#f3ead8' : '#2a2118';
  let b = rect(0, 0, W, H, dark ? hsl(rng.int(0, 359), 20, 12) : hsl(40, rng.float(20, 50), rng.float(88, 96)));
  b += text(W / 2, 90, rng.pick(['MENU', 'Trattoria Roma', 'The Green Fork', 'Bistro 42', 'Café Luna']), { size: 48, family: SERIF, anchor: 'middle', fill: fg, italic: rng.bool() });
  let y = 170;
  while (y < H - 60) {
    if (rng.bool(0.25)) {
      b += text(W / 2, y, rng.pick(['Starters', 'Mains', 'Desserts', 'Drinks', 'Pasta', 'Salads']), { size: 26, family: SERIF, anchor: 'middle', fill: fg, weight: 'bold' });
      y += 44;
    }
    b += text(60, y, titleCase(`${rng.pick(WORDS)} ${rng.pick(['soup', 'salad', 'risotto', 'steak', 'tart', 'burger', 'pasta', 'curry'])}`), { size: 18, fill: fg, family: SERIF });
    b += text(W - 60, y, `${rng.int(4, 32)}.${rng.pick(['00', '50', '90'])}`, { size: 18, fill: fg, anchor: 'end' });
    b += text(60, y + 20, sentence(rng, rng.int(4, 8)), { size: 13, fill: fg, opacity: 0.7, italic: true });
    y += 56;
  }
  return svgDoc(W, H, b);
}

function stickyNotes(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round(W * rng.float(0.6, 1));
  let b = rect(0, 0, W, H, rng.bool() ? hsl(rng.int(20, 40), rng.float(20, 50), rng.float(40, 75)) : hsl(0, 0, rng.float(85, 97)));
  const n = rng.int(1, 6);
  for (let i = 0; i < n; i++) {
    const size = rng.float(0.25, 0.45) * Math.min(W, H);
    const x = rng.float(0, W - size);
    const y = rng.float(0, H - size);
    const color = rng.pick(['#fff68f', '#ffb3c6', '#b3e5fc', '#c8f7c5', '#ffd59e']);
    let note = rect(0, 0, size, size, color) + rect(0, 0, size, size * 0.12, '#000', 'opacity="0.04"');
    for (let l = 0; l < rng.int(1, 4); l++) note += handwriting(rng, size * 0.08, size * (0.3 + l * 0.2), rng.pick(['call mum', 'buy milk', 'TODO', 'meeting 3pm', 'pay rent', 'ideas!', 'fix bug #12', 'dentist tue']), size * 0.11, rng.pick(['#222', '#1a2a8c', '#a00']));
    b += `<g transform="translate(${x.toFixed(1)} ${y.toFixed(1)}) rotate(${rng.float(-12, 12).toFixed(1)} ${size / 2} ${size / 2})">${note}</g>`;
  }
  return svgDoc(W, H, b);
}

function envelope(rng: Rng): Rendered {
  const W = rng.int(800, 1000);
  const H = Math.round(W * rng.float(0.45, 0.55));
  const p = randomPerson(rng);
  let b = rect(0, 0, W, H, hsl(rng.int(30, 50), rng.float(10, 50), rng.float(80, 96)));
  b += rect(W - 150, 30, 110, 130, randomColor(rng, [30, 80], [40, 70]), 'stroke="#fff" stroke-width="6" stroke-dasharray="4 4"');
  b += `<path d="M ${W - 260} 60 q 30 -20 60 0 t 60 0 t 60 0" stroke="#333" stroke-width="2" fill="none"/>`;
  const hand = rng.bool(0.4);
  const lines = [titleCase(`${p.given} ${p.surname}`), titleCase(p.address), rng.pick(['USA', 'UNITED KINGDOM', 'GERMANY', 'CANADA', ''])];
  lines.forEach((l, i) => (b += hand ? handwriting(rng, W * 0.4, H * 0.55 + i * 36, l, 26, '#1a2a5c') : text(W * 0.4, H * 0.55 + i * 32, l.toUpperCase(), { size: 22, family: MONO })));
  b += text(40, 60, rng.pick(BRANDS) + ' Inc.', { size: 16 }) + text(40, 82, `PO Box ${rng.int(100, 9999)}`, { size: 14 });
  return svgDoc(W, H, b);
}

function puzzle(rng: Rng): Rendered {
  const W = rng.int(600, 900);
  const H = Math.round(W * rng.float(1, 1.3));
  const n = rng.pick([9, 9, 13, 15]);
  const size = W * 0.8;
  const c = size / n;
  const ox = W * 0.1;
  const oy = H * 0.15;
  let b = rect(0, 0, W, H, hsl(45, rng.float(0, 15), rng.float(90, 98)));
  b += text(W / 2, oy - 30, n === 9 ? rng.pick(['SUDOKU', 'Daily Sudoku']) : rng.pick(['CROSSWORD', 'Crossword No. ' + rng.int(100, 9999)]), { size: 32, weight: 'bold', anchor: 'middle', family: SERIF });
  let d = '';
  for (let i = 0; i <= n; i++) d += `M${ox} ${oy + i * c}h${size}M${ox + i * c} ${oy}v${size}`;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (n === 9) {
        if (rng.bool(0.35)) b += text(ox + j * c + c / 2, oy + i * c + c * 0.72, String(rng.int(1, 9)), { size: c * 0.6, anchor: 'middle' });
      } else if (rng.bool(0.18)) b += rect(ox + j * c, oy + i * c, c, c, '#111');
      else if (rng.bool(0.15)) b += text(ox + j * c + 2, oy + i * c + c * 0.3, String(rng.int(1, 60)), { size: c * 0.25 });
    }
  b += `<path d="${d}" stroke="#222" stroke-width="1.5"/>`;
  if (n === 9) for (let i = 0; i <= 3; i++) b += rect(ox + i * c * 3 - 1.5, oy, 3, size, '#111') + rect(ox, oy + i * c * 3 - 1.5, size, 3, '#111');
  b += textLines(rng, ox, oy + size + 40, size, 18, rng.int(2, 6), '#666');
  return svgDoc(W, H, b);
}

function whiteboard(rng: Rng): Rendered {
  const W = rng.int(900, 1200);
  const H = Math.round(W * rng.float(0.55, 0.75));
  const frame = rng.float(10, 24);
  let b = rect(0, 0, W, H, hsl(0, 0, rng.float(55, 80))) + rect(frame, frame, W - 2 * frame, H - 2 * frame, hsl(rng.int(180, 220), rng.float(0, 8), rng.float(90, 98)));
  b += `<ellipse cx="${W * rng.float(0.2, 0.8)}" cy="${H * rng.float(0.2, 0.6)}" rx="${W * 0.3}" ry="${H * 0.2}" fill="#fff" opacity="${rng.float(0.2, 0.5).toFixed(2)}"/>`;
  const markers = ['#1b3fa0', '#b01c1c', '#1d7a2e', '#111'];
  let y = frame + rng.float(60, 90);
  while (y < H - 80) {
    const c = rng.pick(markers);
    const kind = rng.int(0, 4);
    const x = frame + rng.float(30, W * 0.4);
    if (kind === 0) {
      const bw = rng.float(120, 260);
      const bh = rng.float(60, 110);
      b += rect(x, y - 30, bw, bh, 'none', `stroke="${c}" stroke-width="${rng.float(3, 5).toFixed(1)}" rx="${rng.pick([0, 10, 30])}"`);
      b += handwriting(rng, x + 15, y + bh / 2 - 20, rng.pick(WORDS) + ' ' + rng.pick(WORDS), 26, c);
      b += `<path d="M ${x + bw} ${y + bh / 2 - 30} L ${x + bw + rng.float(60, 160)} ${y + rng.float(-40, 60)}" stroke="${c}" stroke-width="4" fill="none"/>`;
      y += bh + 30;
    } else if (kind === 1) {
      for (let i = 0; i < rng.int(2, 4); i++) {
        b += `<circle cx="${x}" cy="${y - 9}" r="5" fill="${c}"/>` + handwriting(rng, x + 20, y, sentence(rng, rng.int(2, 4)), rng.float(24, 32), c);
        y += 44;
      }
    } else {
      b += handwriting(rng, x, y, sentence(rng, rng.int(2, 5)), rng.float(26, 40), c);
      y += rng.float(50, 70);
    }
  }
  b += rect(W * 0.3, H - frame - 4, W * 0.4, frame + 4, hsl(0, 0, 45));
  return svgDoc(W, H, b);
}

function postcard(rng: Rng, opts: RenderOpts): Rendered {
  const W = rng.int(800, 1000);
  const H = Math.round(W * 0.68);
  const front = rng.bool(0.6);
  let b = rect(0, 0, W, H, '#fbfaf5');
  if (front) {
    const m = rng.bool() ? W * 0.03 : 0;
    if (!opts.photos) b += photoPlaceholder(rng, m, m, W - 2 * m, H - 2 * m);
    const greet = rng.pick(['Greetings from', 'Hello from', 'Wish you were here!', 'Souvenir de']);
    return { ...svgDoc(W, H, b), slots: [{ x: m, y: m, w: W - 2 * m, h: H - 2 * m }], overlay: text(W * 0.06, H * 0.2, greet, { size: W * 0.06, weight: 'bold', fill: '#fff', family: SERIF, italic: true }) };
  }
  b += rect(W / 2, H * 0.1, 2, H * 0.8, '#999');
  b += rect(W - 140, 30, 100, 120, randomColor(rng, [30, 80], [40, 70]));
  for (let i = 0; i < 4; i++) b += rect(W / 2 + 40, H * (0.45 + i * 0.1), W / 2 - 80, 1.5, '#999');
  const p = randomPerson(rng);
  b += handwriting(rng, W / 2 + 45, H * 0.44, titleCase(`${p.given} ${p.surname}`), 26, '#1a2a6c');
  b += handwriting(rng, W / 2 + 45, H * 0.54, titleCase(p.address).slice(0, 22), 24, '#1a2a6c');
  for (let i = 0; i < rng.int(3, 7); i++) b += handwriting(rng, 40, H * (0.2 + i * 0.1), sentence(rng, rng.int(3, 5)), 22, '#1a2a6c');
  return svgDoc(W, H, b);
}

// ---------------------------------------------------------------- flat / digital

function slide(rng: Rng, opts: RenderOpts): Rendered {
  const W = rng.pick([1280, 1024, 960]);
  const H = Math.round(W * rng.pick([9 / 16, 3 / 4]));
  const dark = rng.bool(0.3);
  const bg = dark ? randomColor(rng, [20, 60], [10, 25]) : randomColor(rng, [0, 30], [92, 100]);
  const fg = dark ? '#fff' : '#222';
  const acc = randomColor(rng, [50, 90], [40, 60]);
  let b = rect(0, 0, W, H, bg) + rect(0, 0, W, H * 0.02, acc);
  b += text(W * 0.07, H * 0.18, sentence(rng, rng.int(2, 5)).replace('.', ''), { size: H * 0.07, weight: 'bold', fill: fg });
  const withPhoto = rng.bool(0.5);
  for (let i = 0; i < rng.int(3, 6); i++) {
    b += `<circle cx="${W * 0.08}" cy="${H * (0.32 + i * 0.1) - H * 0.015}" r="${H * 0.008}" fill="${acc}"/>`;
    b += text(W * 0.1, H * (0.32 + i * 0.1), sentence(rng, rng.int(3, withPhoto ? 6 : 9)), { size: H * 0.038, fill: fg });
  }
  let slots: PhotoSlot[] | undefined;
  if (withPhoto) {
    slots = [photoSlot(rng, W * 0.58, H * 0.28, W * 0.36, H * 0.55, 0.3)];
    if (!opts.photos) b += photoPlaceholder(rng, W * 0.58, H * 0.28, W * 0.36, H * 0.55);
  } else if (rng.bool(0.5)) b += rect(W * 0.62, H * 0.3, W * 0.3, H * 0.5, acc, 'rx="12" opacity="0.6"');
  b += text(W * 0.95, H * 0.96, String(rng.int(1, 40)), { size: H * 0.025, fill: fg, anchor: 'end' });
  return { ...svgDoc(W, H, b), ...(slots ? { slots } : {}) };
}

function chart(rng: Rng): Rendered {
  const W = rng.int(700, 1100);
  const H = Math.round(W * rng.float(0.55, 0.8));
  let b = rect(0, 0, W, H, rng.bool(0.85) ? '#fff' : randomColor(rng, [0, 20], [92, 98]));
  b += text(W / 2, 40, sentence(rng, 4).replace('.', ''), { size: 22, anchor: 'middle', weight: 'bold' });
  const x0 = 80;
  const y0 = H - 60;
  const kind = rng.int(0, 3);
  if (kind === 2) {
    const cx = W / 2;
    const cy = H / 2 + 20;
    const r = H * 0.32;
    let a0 = 0;
    const donut = rng.bool(0.4);
    for (let i = 0; i < rng.int(3, 7); i++) {
      const a1 = Math.min(Math.PI * 2 - 0.001, a0 + rng.float(0.3, 2));
      b += `<path d="M ${cx} ${cy} L ${cx + r * Math.cos(a0)} ${cy + r * Math.sin(a0)} A ${r} ${r} 0 ${a1 - a0 > Math.PI ? 1 : 0} 1 ${cx + r * Math.cos(a1)} ${cy + r * Math.sin(a1)} Z" fill="${randomColor(rng)}"/>`;
      a0 = a1;
    }
    if (donut) b += `<circle cx="${cx}" cy="${cy}" r="${r * 0.55}" fill="#fff"/>`;
    for (let i = 0; i < 4; i++) b += rect(W * 0.8, H * (0.3 + i * 0.08), 16, 16, randomColor(rng)) + text(W * 0.8 + 24, H * (0.3 + i * 0.08) + 14, rng.pick(WORDS), { size: 14 });
    return svgDoc(W, H, b);
  }
  b += rect(x0, 70, 2, y0 - 70, '#333') + rect(x0, y0, W - x0 - 40, 2, '#333');
  for (let i = 1; i <= 4; i++) b += rect(x0, y0 - ((y0 - 80) * i) / 4, W - x0 - 40, 1, '#ddd') + text(x0 - 8, y0 - ((y0 - 80) * i) / 4 + 4, String(i * rng.pick([10, 25, 100])), { size: 12, anchor: 'end', fill: '#555' });
  const n = rng.int(4, 14);
  const bw = (W - x0 - 60) / n;
  const series = kind === 3 ? rng.int(2, 3) : 1;
  for (let sIdx = 0; sIdx < series; sIdx++) {
    let d = '';
    const color = randomColor(rng, [40, 80], [40, 60]);
    for (let i = 0; i < n; i++) {
      const h = rng.float(0.1, 0.95) * (y0 - 80);
      if (kind === 0) b += rect(x0 + 10 + i * bw, y0 - h, bw * 0.7, h, color);
      else d += `${i === 0 ? 'M' : 'L'} ${x0 + 10 + i * bw} ${y0 - h} `;
      if (sIdx === 0) b += text(x0 + 10 + i * bw, y0 + 22, String(2010 + i), { size: 12, fill: '#555' });
    }
    if (d) b += `<path d="${d}" stroke="${color}" stroke-width="3" fill="none"/>`;
  }
  return svgDoc(W, H, b);
}

function abstractArt(rng: Rng): Rendered {
  const W = rng.int(600, 1100);
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
  const W = rng.int(700, 1100);
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

function meme(rng: Rng, opts: RenderOpts): Rendered {
  const W = rng.int(500, 800);
  const H = Math.round(W * rng.float(0.75, 1.25));
  const style = rng.int(0, 2); // 0 classic caption on the photo, 1 white band above, 2 both
  const band = style === 0 ? 0 : H * rng.float(0.15, 0.25);
  let b = rect(0, 0, W, H, '#fff');
  const slot = photoSlot(rng, 0, band, W, H - band, 0.25);
  if (!opts.photos) b += photoPlaceholder(rng, 0, band, W, H - band);
  const caption = (): string => rng.pick(['WHEN THE CODE', 'ONE DOES NOT SIMPLY', 'NOBODY:', 'ME ON MONDAY', 'SUCH WOW', 'IT WORKS ON MY MACHINE', 'NOT SURE IF', 'Y U NO', 'BRACE YOURSELVES', 'THAT FEELING WHEN']) + (rng.bool() ? ' ' + rng.pick(WORDS).toUpperCase() + ' ' + rng.pick(WORDS).toUpperCase() : '');
  const maxSize = W * rng.float(0.065, 0.1);
  let over = '';
  const memeText = (y: number, s: string): string => {
    // fit the caption to the width (bold DejaVu capitals ≈ 0.72 em wide)
    const size = Math.min(maxSize, (W * 0.94) / (s.length * 0.8));
    return `<text x="${W / 2}" y="${y.toFixed(1)}" font-family="DejaVu Sans" font-weight="bold" font-size="${size.toFixed(1)}" text-anchor="middle" fill="#fff" stroke="#000" stroke-width="${(size * 0.08).toFixed(1)}" paint-order="stroke">${s.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`;
  };
  const size = maxSize;
  if (style !== 1) {
    over += memeText(band + size * 1.2, caption());
    over += memeText(H - size * 0.5, caption());
  }
  if (style !== 0) b += text(W * 0.04, band * 0.6, sentence(rng, rng.int(4, 9)).toLowerCase(), { size: Math.min(band * 0.3, W * 0.045), fill: '#111' });
  return { ...svgDoc(W, H, b), slots: [slot], overlay: over };
}

export type Placement = 'card' | 'paper' | 'flat';
type Renderer = (rng: Rng, opts: RenderOpts) => Rendered;
export interface OtherRenderer {
  fn: Renderer;
  placement: Placement;
  weight: number;
}

export const OTHER_RENDERERS: Record<string, OtherRenderer> = {
  businessCard: { fn: businessCard, placement: 'card', weight: 2 },
  loyaltyCard: { fn: loyaltyCard, placement: 'card', weight: 2 },
  giftCard: { fn: giftCard, placement: 'card', weight: 2 },
  membershipCard: { fn: membershipCard, placement: 'card', weight: 2 },
  transitOrKeyCard: { fn: transitOrKeyCard, placement: 'card', weight: 1 },
  playingCard: { fn: (rng) => playingCard(rng), placement: 'card', weight: 1 },
  receipt: { fn: (rng) => receipt(rng), placement: 'paper', weight: 3 },
  form: { fn: (rng) => form(rng), placement: 'paper', weight: 3 },
  letter: { fn: (rng) => letter(rng), placement: 'paper', weight: 2 },
  bookPage: { fn: (rng) => bookPage(rng), placement: 'paper', weight: 2 },
  newspaper: { fn: newspaper, placement: 'paper', weight: 2 },
  certificate: { fn: (rng) => certificate(rng), placement: 'paper', weight: 2 },
  boardingPass: { fn: (rng) => boardingPass(rng), placement: 'paper', weight: 2 },
  ticketOrLabel: { fn: (rng) => ticketOrLabel(rng), placement: 'paper', weight: 1 },
  menu: { fn: (rng) => menu(rng), placement: 'paper', weight: 1 },
  stickyNotes: { fn: (rng) => stickyNotes(rng), placement: 'paper', weight: 1 },
  envelope: { fn: (rng) => envelope(rng), placement: 'paper', weight: 1 },
  puzzle: { fn: (rng) => puzzle(rng), placement: 'paper', weight: 1 },
  whiteboard: { fn: (rng) => whiteboard(rng), placement: 'flat', weight: 2 },
  postcard: { fn: postcard, placement: 'paper', weight: 1 },
  slide: { fn: slide, placement: 'flat', weight: 2 },
  chart: { fn: (rng) => chart(rng), placement: 'flat', weight: 2 },
  diagram: { fn: (rng) => diagram(rng), placement: 'flat', weight: 1 },
  meme: { fn: meme, placement: 'flat', weight: 3 },
  abstractArt: { fn: (rng) => abstractArt(rng), placement: 'flat', weight: 1 },
};

/** Pick a renderer by weight (optionally only those with a given placement). */
export function pickOther(rng: Rng, placement?: Placement): [string, OtherRenderer] {
  const entries = Object.entries(OTHER_RENDERERS).filter(([, r]) => !placement || r.placement === placement);
  const total = entries.reduce((s, [, r]) => s + r.weight, 0);
  let x = rng.float(0, total);
  for (const e of entries) {
    x -= e[1].weight;
    if (x <= 0) return e;
  }
  return entries[entries.length - 1]!;
}

export function renderOther(rng: Rng, opts: RenderOpts = {}): Rendered & { name: string; placement: Placement } {
  const [name, r] = pickOther(rng);
  return { ...r.fn(rng, opts), name, placement: r.placement };
}

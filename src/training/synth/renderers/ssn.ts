/**
 * US Social Security card: light blue (sometimes pinkish or near-white) marbled security stock, "SOCIAL SECURITY",
 * a valid-format number (SSA rules), name, signature line; several layouts; sometimes still attached to the paper
 * carrier letter it is mailed on.
 */
import { randomSsn } from '../checks.js';
import { randomPerson } from '../people.js';
import type { Rng } from '../prng.js';
import { SANS, SERIF, guilloche, hsl, rect, signature, svgDoc, text, textLines, type Rendered } from '../svg.js';

function card(rng: Rng, W: number, H: number): string {
  const s = W / 850;
  const p = randomPerson(rng);
  const ssn = randomSsn(rng);
  const hx = rng.next();
  const hue = hx < 0.75 ? rng.int(185, 215) : hx < 0.9 ? rng.int(330, 360) : rng.int(40, 60);
  const paper = hsl(hue, rng.float(15, 60), rng.float(82, 95));
  const ink = hsl(rng.int(200, 225), rng.float(40, 80), rng.float(22, 45));
  let body = rect(0, 0, W, H, paper);
  // marbled stock: a few soft blobs and fine wavy lines (cheap to rasterise)
  for (let i = 0; i < rng.int(3, 8); i++) body += `<ellipse cx="${rng.float(0, W)}" cy="${rng.float(0, H)}" rx="${rng.float(0.1, 0.4) * W}" ry="${rng.float(0.1, 0.4) * H}" fill="${hsl(hue + rng.int(-15, 15), rng.float(20, 60), rng.float(70, 90))}" opacity="${rng.float(0.2, 0.5).toFixed(2)}"/>`;
  body += guilloche(rng, 0, 0, W, H, ink, rng.int(10, 26), rng.float(0.1, 0.25));
  // seal
  const cx = W * 0.5;
  const cy = H * rng.float(0.42, 0.52);
  body += `<circle cx="${cx}" cy="${cy}" r="${H * 0.28}" fill="none" stroke="${ink}" stroke-width="${2 * s}" opacity="0.18"/>`;
  body += `<circle cx="${cx}" cy="${cy}" r="${H * 0.22}" fill="${ink}" opacity="0.07"/>`;
  const layout = rng.int(0, 2);
  const serif = rng.bool(0.6) ? SERIF : SANS;
  if (layout === 2) {
    // banner header
    body += rect(0, 20 * s, W, 95 * s, ink, `opacity="${rng.float(0.75, 1).toFixed(2)}"`);
    body += text(cx, 80 * s, 'SOCIAL SECURITY', { size: rng.float(44, 54) * s, family: serif, weight: 'bold', fill: '#fff', anchor: 'middle', spacing: 2 });
    body += text(cx, 140 * s, 'UNITED STATES OF AMERICA', { size: 17 * s, fill: ink, anchor: 'middle', spacing: 3 });
  } else {
    body += text(cx, 70 * s, 'SOCIAL SECURITY', { size: rng.float(44, 56) * s, family: serif, weight: 'bold', fill: ink, anchor: 'middle', spacing: 2 });
    body += text(cx, 105 * s, layout === 1 ? 'ADMINISTRATION' : 'UNITED STATES OF AMERICA', { size: 17 * s, fill: ink, anchor: 'middle', spacing: 3 });
  }
  body += text(cx, 178 * s, 'THIS NUMBER HAS BEEN ESTABLISHED FOR', { size: 15 * s, fill: ink, anchor: 'middle' });
  const shown = rng.bool(0.12) ? ssn.replace(/^\d{3}-\d{2}/, 'XXX-XX') : rng.bool(0.1) ? ssn.replace(/-/g, ' ') : ssn;
  body += text(cx, rng.float(225, 250) * s, shown, { size: rng.float(40, 54) * s, family: rng.pick([SANS, SERIF]), weight: 'bold', fill: '#111', anchor: 'middle', spacing: 3 });
  body += text(cx, rng.float(305, 330) * s, `${p.given} ${rng.bool(0.3) ? rng.letters(1) + ' ' : ''}${p.surname}`, { size: 34 * s, weight: 'bold', fill: '#111', anchor: 'middle', family: rng.pick([SANS, SERIF]) });
  const sy = H - 90 * s;
  body += rect(W * 0.2, sy, W * 0.6, 1.5 * s, '#222');
  body += text(W * 0.5, sy + 22 * s, 'SIGNATURE', { size: 14 * s, fill: ink, anchor: 'middle' });
  if (rng.bool(0.7)) body += signature(rng, W * 0.25, sy - 45 * s, W * 0.45, 40 * s);
  if (rng.bool(0.5)) body += text(40 * s, H - 25 * s, `${rng.letters(1)}${rng.digits(8)}`, { size: 13 * s, fill: '#c33' });
  if (rng.bool(0.3)) body += text(W - 40 * s, H - 25 * s, 'NOT VALID FOR EMPLOYMENT WITHOUT DHS AUTHORIZATION', { size: 10 * s, fill: ink, anchor: 'end' });
  return body;
}

export function renderSsnCard(rng: Rng): Rendered {
  const W = rng.int(700, 900);
  const H = Math.round(W * rng.float(0.6, 0.66));
  if (rng.bool(0.25)) {
    // card still on its paper carrier: letter text above, perforated outline around the card
    const PW = Math.round(W * 1.25);
    const PH = Math.round(PW * 1.2);
    const ox = Math.round((PW - W) / 2);
    const oy = Math.round(PH * 0.36);
    let body = rect(0, 0, PW, PH, hsl(rng.int(30, 60), rng.float(0, 15), rng.float(93, 99)));
    body += text(ox, PH * 0.06, 'SOCIAL SECURITY ADMINISTRATION', { size: PW * 0.022, weight: 'bold', fill: '#223' });
    body += textLines(rng, ox, PH * 0.1, W, PW * 0.022, rng.int(6, 10), '#8a8a8a', 0.4);
    body += `<g transform="translate(${ox} ${oy})">${card(rng, W, H)}</g>`;
    body += rect(ox, oy, W, H, 'none', `stroke="#777" stroke-width="2" stroke-dasharray="6 4"`);
    body += textLines(rng, ox, oy + H + PW * 0.05, W, PW * 0.022, rng.int(3, 6), '#8a8a8a', 0.4);
    return svgDoc(PW, PH, body);
  }
  return { ...svgDoc(W, H, card(rng, W, H)), card: true };
}

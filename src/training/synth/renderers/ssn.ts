/** US Social Security card: light blue patterned stock, "SOCIAL SECURITY", valid-format number, name, signature line. */
import { randomSsn } from '../checks.js';
import { randomPerson } from '../people.js';
import type { Rng } from '../prng.js';
import { SANS, SERIF, guilloche, hsl, rect, signature, svgDoc, text, type Rendered } from '../svg.js';

export function renderSsnCard(rng: Rng): Rendered {
  const W = rng.int(700, 1000);
  const H = Math.round(W * rng.float(0.6, 0.66));
  const s = W / 850;
  const p = randomPerson(rng);
  const ssn = randomSsn(rng);
  const hue = rng.int(185, 215);
  const paper = hsl(hue, rng.float(20, 60), rng.float(82, 94));
  const ink = hsl(hue + rng.int(-10, 15), rng.float(40, 80), rng.float(25, 45));
  let body = rect(0, 0, W, H, paper);
  // fine repeated pattern
  const pid = `p${rng.u32()}`;
  const cell = rng.float(6, 14) * s;
  body += `<defs><pattern id="${pid}" width="${cell}" height="${cell}" patternUnits="userSpaceOnUse"><path d="M0 ${cell / 2} Q ${cell / 4} 0 ${cell / 2} ${cell / 2} T ${cell} ${cell / 2}" stroke="${ink}" stroke-width="0.6" fill="none" opacity="0.35"/></pattern></defs>`;
  body += rect(0, 0, W, H, `url(#${pid})`);
  body += guilloche(rng, 0, 0, W, H, ink, rng.int(8, 20), 0.2);
  // seal
  const cx = W * 0.5;
  const cy = H * 0.47;
  body += `<circle cx="${cx}" cy="${cy}" r="${H * 0.28}" fill="none" stroke="${ink}" stroke-width="${2 * s}" opacity="0.18"/>`;
  body += `<circle cx="${cx}" cy="${cy}" r="${H * 0.22}" fill="${ink}" opacity="0.07"/>`;
  body += text(cx, 70 * s, 'SOCIAL SECURITY', { size: rng.float(44, 56) * s, family: rng.pick([SERIF, SANS]), weight: 'bold', fill: ink, anchor: 'middle', spacing: 2 });
  body += text(cx, 105 * s, 'UNITED STATES OF AMERICA', { size: 17 * s, fill: ink, anchor: 'middle', spacing: 3 });
  body += text(cx, 170 * s, 'THIS NUMBER HAS BEEN ESTABLISHED FOR', { size: 15 * s, fill: ink, anchor: 'middle' });
  const shown = rng.bool(0.15) ? ssn.replace(/^\d{3}-\d{2}/, 'XXX-XX') : ssn;
  body += text(cx, 235 * s, shown, { size: rng.float(40, 52) * s, family: rng.pick([SANS, SERIF]), weight: 'bold', fill: '#111', anchor: 'middle', spacing: 3 });
  body += text(cx, 320 * s, `${p.given} ${rng.bool(0.3) ? rng.letters(1) + ' ' : ''}${p.surname}`, { size: 34 * s, weight: 'bold', fill: '#111', anchor: 'middle', family: rng.pick([SANS, SERIF]) });
  const sy = H - 90 * s;
  body += rect(W * 0.2, sy, W * 0.6, 1.5 * s, '#222');
  body += text(W * 0.5, sy + 22 * s, 'SIGNATURE', { size: 14 * s, fill: ink, anchor: 'middle' });
  if (rng.bool(0.7)) body += signature(rng, W * 0.25, sy - 45 * s, W * 0.45, 40 * s);
  if (rng.bool(0.5)) body += text(40 * s, H - 25 * s, `${rng.letters(1)}${rng.digits(8)}`, { size: 13 * s, fill: '#c33' });
  return svgDoc(W, H, body);
}

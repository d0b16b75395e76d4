/**
 * Payment card numbers (PAN): 13–19 digits in any printed grouping, Luhn, issuer by IIN range.
 *
 * The IIN table is hand-written rather than taken from e.g. credit-card-type: that library is
 * built for as-you-type prefix guessing (it returns several candidate brands for a partial
 * number), while we need one answer for a complete number against a fixed, reviewable list of
 * ranges and lengths.
 */
import { maskKeepLast } from '../util/redact.js';
import type { Match, Recognizer, Validation } from './types.js';
import {
  boxesForSpan, clamp01, confFactor, confForSpan, contextWords, digitRuns, joinLines, repairDigits, repairsIn, runWindows,
  type DigitRun, type JoinedLine, type RunWindow,
} from './text.js';

interface IinRange {
  brand: string;
  /** Inclusive range over the first `digits` digits. */
  lo: number;
  hi: number;
  digits: number;
  lengths: readonly number[];
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const L16_19 = range(16, 19);

/** The most specific (longest) matching prefix wins: 6011 is Discover, not Maestro's "6x". */
const IIN: readonly IinRange[] = [
  { brand: 'Visa', lo: 4, hi: 4, digits: 1, lengths: [13, 16, 19] },
  { brand: 'Mastercard', lo: 51, hi: 55, digits: 2, lengths: [16] },
  { brand: 'Mastercard', lo: 2221, hi: 2720, digits: 4, lengths: [16] },
  { brand: 'Amex', lo: 34, hi: 34, digits: 2, lengths: [15] },
  { brand: 'Amex', lo: 37, hi: 37, digits: 2, lengths: [15] },
  { brand: 'Discover', lo: 6011, hi: 6011, digits: 4, lengths: L16_19 },
  { brand: 'Discover', lo: 644, hi: 649, digits: 3, lengths: L16_19 },
  { brand: 'Discover', lo: 65, hi: 65, digits: 2, lengths: L16_19 },
  { brand: 'Discover', lo: 622126, hi: 622925, digits: 6, lengths: L16_19 },
  { brand: 'JCB', lo: 3528, hi: 3589, digits: 4, lengths: L16_19 },
  { brand: 'Diners Club', lo: 300, hi: 305, digits: 3, lengths: range(14, 19) },
  { brand: 'Diners Club', lo: 36, hi: 36, digits: 2, lengths: range(14, 19) },
  { brand: 'Diners Club', lo: 38, hi: 39, digits: 2, lengths: range(14, 19) },
  { brand: 'UnionPay', lo: 62, hi: 62, digits: 2, lengths: L16_19 },
  { brand: 'Maestro', lo: 50, hi: 50, digits: 2, lengths: range(12, 19) },
  { brand: 'Maestro', lo: 56, hi: 58, digits: 2, lengths: range(12, 19) },
  { brand: 'Maestro', lo: 6, hi: 6, digits: 1, lengths: range(12, 19) },
  { brand: 'Mir', lo: 2200, hi: 2204, digits: 4, lengths: L16_19 },
];

/** Issuer by IIN, ignoring length; undefined when no range covers the prefix. */
export function iinRange(pan: string): IinRange | undefined {
  let best: IinRange | undefined;
  for (const r of IIN) {
    if (pan.length < r.digits) continue;
    const p = Number(pan.slice(0, r.digits));
    if (p >= r.lo && p <= r.hi && (!best || r.digits > best.digits)) best = r;
  }
  return best;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let v = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return digits.length > 1 && sum % 10 === 0;
}

export interface PanCheck {
  validation: Validation;
  luhn: boolean;
  /** Brand when the IIN is known AND the length is allowed for it. */
  issuer: string | null;
}

export function checkPan(digits: string): PanCheck {
  const ok = luhn(digits);
  const r = iinRange(digits);
  const issuer = r && r.lengths.includes(digits.length) ? r.brand : null;
  return { luhn: ok, issuer, validation: !ok ? 'invalid' : issuer ? 'valid' : 'unknown' };
}

const CONTEXT = [
  'card', 'card number', 'card no', 'credit', 'debit', 'visa', 'mastercard', 'master card', 'amex', 'american express',
  'valid thru', 'valid through', 'good thru', 'valid until', 'expires', 'expiry', 'exp', 'cvv', 'cvc',
] as const;

/** Leftover digits a valid window may leave in its run: a CVV, the "12" of an expiry. */
const MAX_LEFTOVER = 4;

/**
 * A sub-window of a longer run is only believable when it checks out fully, leaves little
 * behind, and the group next to it is shorter than the window's edge group (a CVV "123" or an
 * expiry "12" after 4-4-4-4); otherwise "4111 1111 1111 1111 1111" or an account number would
 * yield a chance Luhn hit.
 */
function standsApart(run: DigitRun, w: RunWindow): boolean {
  // A run glued to letters is part of something else (an IBAN's "DE89 3704 …"): whole or nothing.
  if (run.glued) return false;
  const len = (i: number) => run.groups[i]?.digits.length ?? 0;
  const before = w.from === 0 || len(w.from - 1) < len(w.from);
  const after = w.to === run.groups.length - 1 || len(w.to + 1) < len(w.to);
  return w.leftover <= MAX_LEFTOVER && before && after;
}

function choose(run: DigitRun): { w: RunWindow; c: PanCheck } | undefined {
  const evald = runWindows(run, 13, 19).map((w) => ({ w, c: checkPan(w.digits) }));
  const whole = evald.find((e) => e.w.leftover === 0);
  const subs = evald
    .filter((e) => e !== whole && e.c.validation === 'valid' && standsApart(run, e.w))
    .sort((a, b) => b.w.digits.length - a.w.digits.length);
  if (whole && (whole.c.validation === 'valid' || subs.length === 0)) return whole;
  return subs[0];
}

function findInLine(lines: JoinedLine[], j: JoinedLine): Match[] {
  const rep = repairDigits(j.text);
  const out: Match[] = [];
  for (const run of digitRuns(rep.text)) {
    if (run.digits.length < 13) continue;
    const picked = choose(run);
    if (!picked) continue;
    const { w, c } = picked;
    if (/^(\d)\1*$/.test(w.digits)) continue; // 0000…, 1111…: test patterns and form fillers, not cards
    const repaired = repairsIn(rep.repaired, w.start, w.end);
    const context = contextWords(lines, j.index, CONTEXT, 2);
    const base = c.validation === 'valid' ? 0.75 : c.validation === 'unknown' ? 0.35 : 0.15;
    const score = clamp01(
      (base + (context.length > 0 ? 0.15 : 0) - 0.05 * repaired - (w.leftover > 0 ? 0.05 : 0)) * confFactor(confForSpan(j, w.start, w.end)),
    );
    const parts = [
      `Luhn ${c.luhn ? 'valid' : 'invalid'}`,
      c.issuer ?? (c.luhn ? 'no known IIN for this length' : iinRange(w.digits)?.brand ?? 'unknown issuer'),
      `${w.digits.length} digits`,
    ];
    if (context.length) parts.push(`context: ${context.join(', ')}`);
    if (repaired) parts.push(`${repaired} OCR repair${repaired > 1 ? 's' : ''}`);
    out.push({
      recognizer: 'pan',
      entity: 'payment_card_number',
      value: w.digits,
      validation: c.validation,
      score,
      explanation: parts.join('; '),
      details: { issuer: c.issuer, length: w.digits.length, luhn: c.luhn, context, repaired },
      redacted: maskKeepLast(w.digits, 4, { group: 4 }),
      boxes: boxesForSpan(j, w.start, w.end),
    });
  }
  return out;
}

export const panRecognizer: Recognizer = {
  id: 'pan',
  entity: 'payment_card_number',
  find(lines) {
    const joined = joinLines(lines);
    return joined.flatMap((j) => findInLine(joined, j));
  },
};

/**
 * IBANs: country code, 2 check digits, BBAN; printed in groups of four or run together.
 *
 * Uses ibantools (well kept, typed, ~100 countries) for the per-country length — which is also
 * what tells us where the IBAN ends inside an OCR line — and for the BBAN structure and national
 * check digits on top of mod-97. Only a country ibantools doesn't know falls back to our own
 * mod-97, reported as 'unknown'.
 *
 * No look-alike repair: BBANs mix letters and digits differently per country, so an O/0 swap
 * can't be forced safely; a misread simply fails mod-97 and shows up as an 'invalid' near miss.
 */
import { ValidationErrorsIBAN, getCountrySpecifications, validateIBAN } from 'ibantools';
import { maskKeepLast } from '../util/redact.js';
import type { Match, Recognizer, Validation } from './types.js';
import { boxesForSpan, clamp01, confFactor, confForSpan, contextWords, joinLines, type JoinedLine } from './text.js';

const SPECS = getCountrySpecifications();

/** ISO 13616 mod-97 over the rearranged IBAN; true when the remainder is 1. */
export function mod97(iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4);
  let r = 0;
  for (const c of s) {
    const v = c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : c >= 'A' && c <= 'Z' ? c.charCodeAt(0) - 55 : -1;
    if (v < 0) return false;
    r = (v > 9 ? r * 100 + v : r * 10 + v) % 97;
  }
  return r === 1;
}

const CONTEXT = ['iban', 'bic', 'swift', 'bank', 'account', 'konto', 'kontonummer', 'sort code', 'rib'] as const;

interface Cut {
  iban: string;
  end: number;
}

/** Alphanumerics from `start`, single spaces allowed between them, with their end positions. */
function alnumFrom(text: string, start: number, max: number): { chars: string; ends: number[] } {
  let chars = '';
  const ends: number[] = [];
  for (let i = start; i < text.length && chars.length < max; i++) {
    const c = text[i] as string;
    if (/[A-Z0-9]/.test(c)) {
      chars += c;
      ends.push(i + 1);
    } else if (c === ' ' && /[A-Z0-9]/.test(text[i + 1] ?? '') && chars.length > 0) continue;
    else break;
  }
  return { chars, ends };
}

function judge(cut: Cut, known: boolean): { validation: Validation; reason: string } {
  if (!known) return { validation: 'unknown', reason: 'mod-97 valid; country not in the IBAN registry' };
  const r = validateIBAN(cut.iban);
  if (r.valid) return { validation: 'valid', reason: 'mod-97 valid; length and BBAN format match the country' };
  if (r.errorCodes.includes(ValidationErrorsIBAN.WrongIBANChecksum) || r.errorCodes.includes(ValidationErrorsIBAN.ChecksumNotNumber)) {
    return { validation: 'invalid', reason: 'mod-97 fails' };
  }
  if (r.errorCodes.includes(ValidationErrorsIBAN.WrongAccountBankBranchChecksum)) {
    return { validation: 'invalid', reason: 'mod-97 valid; national check digits fail' };
  }
  return { validation: 'unknown', reason: 'mod-97 valid; BBAN format does not match the country' };
}

function findInLine(lines: JoinedLine[], j: JoinedLine): Match[] {
  // Upper-case char by char so positions (and word spans) stay put.
  const text = [...j.text].map((c) => (c.toUpperCase().length === 1 ? c.toUpperCase() : c)).join('');
  const out: Match[] = [];
  const re = /(?<![A-Z0-9])([A-Z]{2}) ?\d{2}(?= ?[A-Z0-9])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index;
    const spec = SPECS[m[1] as string];
    const { chars, ends } = alnumFrom(text, start, 34);
    let cut: Cut | undefined;
    const known = !!spec?.chars;
    if (spec?.chars) {
      if (chars.length < spec.chars) continue;
      const iban = chars.slice(0, spec.chars);
      const end = ends[spec.chars - 1] as number;
      // A failing checksum counts as a near miss only when the IBAN ends where a word ends.
      if (!mod97(iban) && /[A-Z0-9]/.test(text[end] ?? '')) continue;
      cut = { iban, end };
    } else {
      for (let n = chars.length; n >= 15 && !cut; n--) {
        const iban = chars.slice(0, n);
        if (mod97(iban)) cut = { iban, end: ends[n - 1] as number };
      }
      if (!cut) continue;
    }
    const { validation, reason } = judge(cut, known);
    const context = contextWords(lines, j.index, CONTEXT, 1);
    const base = validation === 'valid' ? 0.8 : validation === 'unknown' ? 0.4 : 0.15;
    const score = clamp01((base + (context.length ? 0.1 : 0)) * confFactor(confForSpan(j, start, cut.end)));
    const country = cut.iban.slice(0, 2);
    out.push({
      recognizer: 'iban',
      entity: 'iban',
      value: cut.iban,
      validation,
      score,
      explanation: `${reason}; ${country}; ${cut.iban.length} characters${context.length ? `; context: ${context.join(', ')}` : ''}`,
      details: { country, length: cut.iban.length, mod97: mod97(cut.iban), context },
      redacted: maskKeepLast(cut.iban, 4, { keepFirst: 2, group: 4, groupFrom: 'left' }),
      boxes: boxesForSpan(j, start, cut.end),
    });
    re.lastIndex = Math.max(re.lastIndex, cut.end);
  }
  return out;
}

export const ibanRecognizer: Recognizer = {
  id: 'iban',
  entity: 'iban',
  find(lines) {
    const joined = joinLines(lines);
    return joined.flatMap((j) => findInLine(joined, j));
  },
};

/**
 * Check-digit and number-format rules for the synthetic documents:
 * ICAO 9303 MRZ check digits, Luhn for payment card numbers, SSA rules for SSNs.
 */
import type { Rng } from './prng.js';

/** ICAO 9303 character value: digits 0-9, A-Z = 10-35, filler '<' = 0. */
function mrzValue(ch: string): number {
  if (ch >= '0' && ch <= '9') return ch.charCodeAt(0) - 48;
  if (ch >= 'A' && ch <= 'Z') return ch.charCodeAt(0) - 55;
  if (ch === '<') return 0;
  throw new Error(`invalid MRZ character ${JSON.stringify(ch)}`);
}

/** ICAO 9303 check digit: weights 7-3-1 repeating, sum mod 10. */
export function mrzCheckDigit(field: string): number {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += mrzValue(field[i] as string) * (weights[i % 3] as number);
  return sum % 10;
}

/** Uppercase, transliterate to A-Z, replace anything else with '<'. */
export function mrzName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z<]/g, '<');
}

export function padMrz(s: string, len: number): string {
  return (s + '<'.repeat(len)).slice(0, len);
}

export interface MrzPerson {
  docType: string; // 'P' or 'I'/'ID'
  issuer: string; // 3 letters
  surname: string;
  given: string;
  docNumber: string; // up to 9
  nationality: string;
  birth: string; // YYMMDD
  sex: 'M' | 'F' | '<';
  expiry: string; // YYMMDD
  personal: string; // optional data
}

/** TD3 (passport) two lines of 44 characters with all check digits. */
export function td3(p: MrzPerson): [string, string] {
  const line1 = padMrz(padMrz(p.docType, 2) + p.issuer + mrzName(p.surname) + '<<' + mrzName(p.given).replace(/ /g, '<'), 44);
  const doc = padMrz(p.docNumber, 9);
  const personal = padMrz(p.personal, 14);
  const personalCheck = p.personal.replace(/</g, '') === '' ? '<' : String(mrzCheckDigit(personal));
  const docPart = doc + mrzCheckDigit(doc);
  const birthPart = p.birth + mrzCheckDigit(p.birth);
  const expPart = p.expiry + mrzCheckDigit(p.expiry);
  const composite = docPart + birthPart + expPart + personal + personalCheck;
  const line2 = docPart + p.nationality + birthPart + p.sex + expPart + personal + personalCheck + mrzCheckDigit(composite);
  return [line1, line2];
}

/** TD1 (ID-1 card) three lines of 30 characters with all check digits. */
export function td1(p: MrzPerson): [string, string, string] {
  const doc = padMrz(p.docNumber, 9);
  const opt1 = padMrz(p.personal, 15);
  const line1 = padMrz(padMrz(p.docType, 2) + p.issuer + doc + mrzCheckDigit(doc) + opt1, 30);
  const birthPart = p.birth + mrzCheckDigit(p.birth);
  const expPart = p.expiry + mrzCheckDigit(p.expiry);
  const opt2 = '<'.repeat(11);
  const upper = line1.slice(5, 30) + birthPart + expPart + opt2;
  const line2 = birthPart + p.sex + expPart + p.nationality + opt2 + mrzCheckDigit(upper);
  const line3 = padMrz(mrzName(p.surname) + '<<' + mrzName(p.given).replace(/ /g, '<'), 30);
  return [line1, line2, line3];
}

/** Luhn: true if the digit string passes the mod-10 check. */
export function luhnValid(num: string): boolean {
  const d = num.replace(/\D/g, '');
  if (d.length < 2) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let v = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return sum % 10 === 0;
}

/** Append the Luhn check digit to a digit string. */
export function luhnComplete(partial: string): string {
  for (let c = 0; c <= 9; c++) if (luhnValid(partial + c)) return partial + c;
  throw new Error('unreachable');
}

const PAN_PREFIXES: readonly { prefix: (rng: Rng) => string; len: number; brand: string }[] = [
  { brand: 'visa', len: 16, prefix: (rng) => '4' + rng.digits(5) },
  { brand: 'mastercard', len: 16, prefix: (rng) => String(rng.int(51, 55)) + rng.digits(4) },
  { brand: 'mastercard', len: 16, prefix: (rng) => String(rng.int(2221, 2720)) + rng.digits(2) },
  { brand: 'discover', len: 16, prefix: (rng) => '6011' + rng.digits(2) },
  { brand: 'amex', len: 15, prefix: (rng) => rng.pick(['34', '37']) + rng.digits(4) },
];

/** A Luhn-valid PAN with a plausible IIN for its brand. */
export function randomPan(rng: Rng, brand?: string): { pan: string; brand: string } {
  const choices = brand ? PAN_PREFIXES.filter((p) => p.brand === brand) : PAN_PREFIXES;
  const spec = rng.pick(choices.length ? choices : PAN_PREFIXES);
  const head = spec.prefix(rng);
  const body = head + rng.digits(spec.len - 1 - head.length);
  return { pan: luhnComplete(body), brand: spec.brand };
}

/** Group a PAN the way it is printed: 4-4-4-4, or 4-6-5 for 15-digit Amex. */
export function groupPan(pan: string): string {
  if (pan.length === 15) return `${pan.slice(0, 4)} ${pan.slice(4, 10)} ${pan.slice(10)}`;
  return pan.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function ssnValid(ssn: string): boolean {
  const m = /^(\d{3})-?(\d{2})-?(\d{4})$/.exec(ssn);
  if (!m) return false;
  const area = Number(m[1]);
  const group = Number(m[2]);
  const serial = Number(m[3]);
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0) return false;
  if (serial === 0) return false;
  return true;
}

export function randomSsn(rng: Rng): string {
  let area = rng.int(1, 899);
  if (area === 666) area = 665;
  const group = rng.int(1, 99);
  const serial = rng.int(1, 9999);
  return `${String(area).padStart(3, '0')}-${String(group).padStart(2, '0')}-${String(serial).padStart(4, '0')}`;
}

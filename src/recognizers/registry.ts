/**
 * All recognizers, and the one call the OCR stage makes: run them, drop overlapping duplicates,
 * best first.
 *
 * Overlap is decided on word boxes: two matches overlap when they cover a common OCR word. The
 * recognizers already avoid the obvious collisions (an SSN never matches inside a longer digit
 * run), so this is the safety net for what slips through — e.g. a 9-digit document number in an
 * MRZ that an "SSN" label on the next line would otherwise claim.
 */
import type { Box, OcrLine } from '../ocr/types.js';
import { dateOfBirthRecognizer, dateOfExpiryRecognizer } from './dates.js';
import { ibanRecognizer } from './iban.js';
import { mrzRecognizer } from './mrz.js';
import { panRecognizer } from './pan.js';
import { ssnRecognizer } from './ssn.js';
import type { EntityType, Match, Recognizer, Validation } from './types.js';

export const RECOGNIZERS: Recognizer[] = [
  mrzRecognizer,
  panRecognizer,
  ssnRecognizer,
  ibanRecognizer,
  dateOfBirthRecognizer,
  dateOfExpiryRecognizer,
];

export const VALIDATION_RANK: Readonly<Record<Validation, number>> = { valid: 2, unknown: 1, invalid: 0 };

const boxKey = (b: Box): string => `${b.x},${b.y},${b.w},${b.h}`;

/** Better of two overlapping matches: valid over unknown over invalid, then the higher score, then the larger span. */
function beats(a: Match, b: Match): boolean {
  const va = VALIDATION_RANK[a.validation];
  const vb = VALIDATION_RANK[b.validation];
  if (va !== vb) return va > vb;
  if (a.score !== b.score) return a.score > b.score;
  return a.boxes.length > b.boxes.length;
}

/** Keep the best of every group of overlapping matches, greedily from the best down. */
export function dedupe(matches: Match[]): Match[] {
  const ordered = [...matches].sort((a, b) => (beats(a, b) ? -1 : beats(b, a) ? 1 : 0));
  const taken = new Set<string>();
  const kept: Match[] = [];
  for (const m of ordered) {
    const keys = m.boxes.map(boxKey);
    if (keys.some((k) => taken.has(k))) continue;
    for (const k of keys) taken.add(k);
    kept.push(m);
  }
  return kept;
}

export function findEntities(lines: OcrLine[], opts: { only?: EntityType[] } = {}): Match[] {
  const only = opts.only ? new Set(opts.only) : undefined;
  const all = RECOGNIZERS.filter((r) => !only || only.has(r.entity))
    .flatMap((r) => r.find(lines))
    .filter((m) => !only || only.has(m.entity));
  return dedupe(all).sort((a, b) => b.score - a.score || VALIDATION_RANK[b.validation] - VALIDATION_RANK[a.validation]);
}

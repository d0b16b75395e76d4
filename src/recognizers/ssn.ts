/**
 * US Social Security numbers.
 *
 * Dashed/spaced AAA-GG-SSSS is distinctive enough alone; a bare 9-digit number is not (zip+4,
 * routing numbers, order ids), so undashed matches are returned ONLY with an SSN context phrase
 * on the same or an adjacent line — without context they are dropped, not reported as unknown,
 * because an "unknown" for every 9-digit number would drown the near misses worth counting.
 * "account number" is deliberately not a context phrase: bank documents are full of 9-digit
 * account numbers.
 */
import type { Match, Recognizer, Validation } from './types.js';
import {
  boxesForSpan, clamp01, confFactor, confForSpan, contextWords, digitRuns, joinLines, repairDigits, repairsIn,
  type DigitGroup, type DigitRun, type JoinedLine,
} from './text.js';

/** Published in advertising (wallet inserts, 1938; a 1962 promotion) and used by many people since: never a real person's. */
const ADVERTISING = new Set(['078051120', '219099999']);

export interface SsnCheck {
  validation: Validation;
  /** Which rule failed, for the explanation (never the digits). */
  reason?: string;
}

export function checkSsn(digits: string): SsnCheck {
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (digits.length !== 9) return { validation: 'invalid', reason: 'not 9 digits' };
  if (ADVERTISING.has(digits)) return { validation: 'invalid', reason: 'known advertising number' };
  if (area === 0) return { validation: 'invalid', reason: 'area 000' };
  if (area === 666) return { validation: 'invalid', reason: 'area 666' };
  if (area >= 900) return { validation: 'invalid', reason: 'area 900-999' };
  if (group === 0) return { validation: 'invalid', reason: 'group 00' };
  if (serial === 0) return { validation: 'invalid', reason: 'serial 0000' };
  return { validation: 'valid' };
}

const CONTEXT = [
  'ssn', 'ss#', 'ss no', 'social security', 'social security number', 'social security administration',
  'soc sec', 'ssa', 'this number has been established',
] as const;

interface Candidate {
  start: number;
  end: number;
  digits: string;
  dashed: boolean;
}

/**
 * The whole run must be the SSN (3-2-4 groups, or one 9-digit group), so a 9-digit stretch of a
 * PAN or of a longer number never matches. One exception: a dash-separated 3-2-4 may sit in a
 * run next to other numbers joined only by a space ("123-45-6789 12") — the dashes mark it out.
 */
function candidates(run: DigitRun): Candidate[] {
  const g = run.groups;
  const lens = g.map((x) => x.digits.length);
  if (g.length === 1 && lens[0] === 9) {
    const only = g[0] as DigitGroup;
    return [{ start: only.start, end: only.end, digits: only.digits, dashed: false }];
  }
  const out: Candidate[] = [];
  for (let i = 0; i + 2 < g.length; i++) {
    if (lens[i] !== 3 || lens[i + 1] !== 2 || lens[i + 2] !== 4) continue;
    const a = g[i] as DigitGroup;
    const c = g[i + 2] as DigitGroup;
    const whole = g.length === 3;
    const inner = [run.seps[i], run.seps[i + 1]];
    const dashedInner = inner.every((s) => s !== undefined && /[-–]/.test(s));
    const spaceOutside = (i === 0 || run.seps[i - 1] === ' ') && (i + 3 === g.length || run.seps[i + 2] === ' ');
    if (whole ? inner.every((s) => s !== undefined && !s.includes('.')) : dashedInner && spaceOutside) {
      out.push({ start: a.start, end: c.end, digits: g.slice(i, i + 3).map((x) => x.digits).join(''), dashed: true });
    }
  }
  return out;
}

function findInLine(lines: JoinedLine[], j: JoinedLine): Match[] {
  const rep = repairDigits(j.text);
  const out: Match[] = [];
  for (const run of digitRuns(rep.text)) {
    for (const cand of candidates(run)) {
      const context = contextWords(lines, j.index, CONTEXT, 1);
      if (!cand.dashed && context.length === 0) continue;
      const check = checkSsn(cand.digits);
      const repaired = repairsIn(rep.repaired, cand.start, cand.end);
      const base = check.validation === 'valid' ? (cand.dashed ? 0.6 : 0.55) : 0.15;
      const score = clamp01((base + (context.length ? 0.3 : 0) - 0.05 * repaired) * confFactor(confForSpan(j, cand.start, cand.end)));
      const parts = [
        check.validation === 'valid' ? 'SSA rules pass' : `SSA rules fail (${check.reason})`,
        cand.dashed ? 'grouped 3-2-4' : 'undashed 9 digits',
      ];
      if (context.length) parts.push(`context: ${context.join(', ')}`);
      if (repaired) parts.push(`${repaired} OCR repair${repaired > 1 ? 's' : ''}`);
      out.push({
        recognizer: 'ssn',
        entity: 'us_ssn',
        value: cand.digits,
        validation: check.validation,
        score,
        explanation: parts.join('; '),
        details: { format: cand.dashed ? 'dashed' : 'undashed', context, repaired, ...(check.reason ? { failed: check.reason } : {}) },
        // The printed SSN form with only the serial (last 4) in clear.
        redacted: `***-**-${cand.digits.slice(5)}`,
        boxes: boxesForSpan(j, cand.start, cand.end),
      });
    }
  }
  return out;
}

export const ssnRecognizer: Recognizer = {
  id: 'ssn',
  entity: 'us_ssn',
  find(lines) {
    const joined = joinLines(lines);
    return joined.flatMap((j) => findInLine(joined, j));
  },
};

/**
 * Shared text helpers for the recognizers.
 *
 * Tesseract gives words with boxes, not a string, so every recognizer works on a line's words
 * joined with single spaces and keeps, for every character, which word it came from: a match
 * over a character span then maps back to exactly the boxes of the words it touched (the
 * boxes are what the UI highlights and what the de-duplication compares).
 *
 * OCR digit repair is deliberately conservative: a letter is read as a digit only inside a
 * token made of digits and look-alikes where real digits are the majority, so "SSN", "EXP",
 * "ID" or a name never turn into numbers.
 */
import type { Box, OcrLine } from '../ocr/types.js';

export interface WordSpan {
  /** Character span of the word inside JoinedLine.text, end exclusive. */
  start: number;
  end: number;
  box: Box;
  conf: number;
}

export interface JoinedLine {
  /** Index of the line in the OcrLine[] given to the recognizer. */
  index: number;
  /** The words joined with single spaces. */
  text: string;
  words: WordSpan[];
  line: OcrLine;
}

export function joinLine(line: OcrLine, index: number): JoinedLine {
  const words: WordSpan[] = [];
  let text = '';
  for (const w of line.words) {
    if (w.text.length === 0) continue;
    if (text.length > 0) text += ' ';
    words.push({ start: text.length, end: text.length + w.text.length, box: w.box, conf: w.conf });
    text += w.text;
  }
  return { index, text, words, line };
}

export function joinLines(lines: OcrLine[]): JoinedLine[] {
  return lines.map((l, i) => joinLine(l, i));
}

/** Words whose characters overlap [start, end). */
export function wordsInSpan(j: JoinedLine, start: number, end: number): WordSpan[] {
  return j.words.filter((w) => w.start < end && w.end > start);
}

export function boxesForSpan(j: JoinedLine, start: number, end: number): Box[] {
  return wordsInSpan(j, start, end).map((w) => w.box);
}

/** Mean tesseract confidence (0..100) of the words under a span; 0 when none. */
export function confForSpan(j: JoinedLine, start: number, end: number): number {
  const ws = wordsInSpan(j, start, end);
  if (ws.length === 0) return 0;
  return ws.reduce((a, w) => a + w.conf, 0) / ws.length;
}

/** Horizontal centre of a span, in image pixels (used to pair a label with the value below it). */
export function spanCenterX(j: JoinedLine, start: number, end: number): number {
  const bs = boxesForSpan(j, start, end);
  if (bs.length === 0) return 0;
  const x0 = Math.min(...bs.map((b) => b.x));
  const x1 = Math.max(...bs.map((b) => b.x + b.w));
  return (x0 + x1) / 2;
}

/**
 * Letters (and marks) tesseract prints instead of digits. Kept to the common, high-confidence
 * shape confusions; ambiguous ones (A/4, T/7, g/9, q/9) are left out because mapping them turns
 * ordinary words into numbers more often than it rescues a number.
 */
export const DIGIT_LOOKALIKES: Readonly<Record<string, string>> = {
  O: '0', o: '0', D: '0', Q: '0',
  I: '1', l: '1', '|': '1', '!': '1',
  Z: '2', z: '2',
  S: '5', s: '5',
  B: '8',
  G: '6', b: '6',
};

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isLetter = (c: string): boolean => /\p{L}/u.test(c);

export interface DigitRepair {
  /** Same length as the input: look-alikes replaced by digits inside mostly-digit tokens. */
  text: string;
  /** Positions that were replaced. */
  repaired: Set<number>;
}

/**
 * Replace digit look-alikes inside tokens (maximal runs of letters, digits and the marks in
 * DIGIT_LOOKALIKES) that consist only of digits and look-alikes with strictly more real digits
 * than look-alikes. A leading or trailing run of two or more letters is treated as a word glued
 * to the number ("ID123456789", "No12345") and left alone. Length-preserving, so spans stay valid.
 */
export function repairDigits(text: string): DigitRepair {
  const out = text.split('');
  const repaired = new Set<number>();
  const tokenRe = /[\p{L}\p{N}|!]+/gu;
  for (let m = tokenRe.exec(text); m; m = tokenRe.exec(text)) {
    const tok = m[0];
    let a = 0;
    let b = tok.length;
    // A glued word prefix/suffix of 2+ letters stays a word.
    let lead = 0;
    while (lead < tok.length && isLetter(tok[lead] as string)) lead++;
    if (lead >= 2) a = lead;
    let trail = 0;
    while (trail < tok.length - a && isLetter(tok[tok.length - 1 - trail] as string)) trail++;
    if (trail >= 2) b = tok.length - trail;
    if (b - a < 2) continue;
    const core = tok.slice(a, b);
    let digits = 0;
    let looks = 0;
    let other = 0;
    for (const c of core) {
      if (isDigit(c)) digits++;
      else if (c in DIGIT_LOOKALIKES) looks++;
      else other++;
    }
    if (other > 0 || looks === 0 || digits <= looks) continue;
    for (let i = a; i < b; i++) {
      const c = tok[i] as string;
      const d = DIGIT_LOOKALIKES[c];
      if (d !== undefined) {
        out[m.index + i] = d;
        repaired.add(m.index + i);
      }
    }
  }
  return { text: out.join(''), repaired };
}

export interface DigitGroup {
  digits: string;
  start: number;
  end: number;
}

export interface DigitRun {
  groups: DigitGroup[];
  /** seps[i] is the separator text between groups[i] and groups[i+1]. */
  seps: string[];
  start: number;
  end: number;
  digits: string;
  /** A letter touches the run (e.g. "DE89 3704 …", the check digits of an IBAN). */
  glued: boolean;
}

/**
 * Runs of digit groups separated by a single space, dash or dot (optionally with spaces around
 * a dash: "4111 - 1111"). Computed on the repaired text, so look-alikes already count as digits.
 * Groups are kept so callers can try windows of whole groups (a PAN followed by "123" on the
 * same line) without ever cutting a printed group in half.
 */
export function digitRuns(text: string): DigitRun[] {
  const runs: DigitRun[] = [];
  const re = /\d+(?:(?: ?[-–.] ?| )\d+)*/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const groups: DigitGroup[] = [];
    const seps: string[] = [];
    const g = /\d+/g;
    let prevEnd = -1;
    for (let d = g.exec(m[0]); d; d = g.exec(m[0])) {
      const start = m.index + d.index;
      if (prevEnd >= 0) seps.push(text.slice(prevEnd, start));
      groups.push({ digits: d[0], start, end: start + d[0].length });
      prevEnd = start + d[0].length;
    }
    const end = m.index + m[0].length;
    const glued = isLetter(text[m.index - 1] ?? '') || isLetter(text[end] ?? '');
    runs.push({ groups, seps, start: m.index, end, digits: groups.map((x) => x.digits).join(''), glued });
  }
  return runs;
}

/** A contiguous window of a run's groups, [from, to] inclusive. */
export interface RunWindow {
  from: number;
  to: number;
  start: number;
  end: number;
  digits: string;
  /** Digits in the run outside the window. */
  leftover: number;
}

export function runWindows(run: DigitRun, minDigits: number, maxDigits: number): RunWindow[] {
  const out: RunWindow[] = [];
  for (let from = 0; from < run.groups.length; from++) {
    let digits = '';
    for (let to = from; to < run.groups.length; to++) {
      digits += (run.groups[to] as DigitGroup).digits;
      if (digits.length > maxDigits) break;
      if (digits.length >= minDigits) {
        out.push({
          from,
          to,
          start: (run.groups[from] as DigitGroup).start,
          end: (run.groups[to] as DigitGroup).end,
          digits,
          leftover: run.digits.length - digits.length,
        });
      }
    }
  }
  return out;
}

/** Number of repaired positions inside [start, end). */
export function repairsIn(repaired: Set<number>, start: number, end: number): number {
  let n = 0;
  for (const p of repaired) if (p >= start && p < end) n++;
  return n;
}

function phraseRegex(phrase: string): RegExp {
  // Inner spaces match any run of spaces, dots or dashes: OCR spacing around "D.O.B" or "soc. sec." varies.
  const body = phrase
    .toLowerCase()
    .split(' ')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s.\\-/]*');
  return new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'gu');
}

const phraseCache = new Map<string, RegExp>();

export interface ContextHit {
  phrase: string;
  line: number;
  start: number;
  end: number;
}

/** Every occurrence of the phrases in one joined line (case-insensitive, word-bounded). */
export function findPhrases(j: JoinedLine, phrases: readonly string[]): ContextHit[] {
  const lower = j.text.toLowerCase();
  const hits: ContextHit[] = [];
  for (const p of phrases) {
    let re = phraseCache.get(p);
    if (!re) {
      re = phraseRegex(p);
      phraseCache.set(p, re);
    }
    re.lastIndex = 0;
    for (let m = re.exec(lower); m; m = re.exec(lower)) hits.push({ phrase: p, line: j.index, start: m.index, end: m.index + m[0].length });
  }
  return hits;
}

/**
 * Context phrases seen in the line itself or within `radius` lines of it (reading order is
 * all tesseract gives us; a label usually sits on the same line or the one above).
 * Returns the distinct phrases found — they come from the recognizer's fixed list, so they are
 * safe to put in details.
 */
export function contextWords(lines: JoinedLine[], index: number, phrases: readonly string[], radius = 1): string[] {
  const seen = new Set<string>();
  for (let i = Math.max(0, index - radius); i <= Math.min(lines.length - 1, index + radius); i++) {
    for (const h of findPhrases(lines[i] as JoinedLine, phrases)) seen.add(h.phrase);
  }
  return [...seen];
}

export const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

/** Score factor from OCR confidence: a shaky read lowers, never zeroes, the score. */
export const confFactor = (conf: number): number => 0.7 + 0.3 * clamp01(conf / 100);

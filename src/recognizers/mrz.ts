/**
 * Machine-readable zones (ICAO 9303): TD3 passports (2×44), TD1 cards (3×30), TD2 (2×36), and
 * the MRV-A/MRV-B visa layouts that share the TD3/TD2 sizes but carry no composite check.
 *
 * OCR of an MRZ is noisy in predictable ways — spaces inserted, '<' read as K/«/(/[/c, filler
 * runs shortened or lengthened, O/0 I/1 B/8 S/5 Z/2 G/6 swapped — and the check digits tell us
 * when a repair is right. So: normalise chevrons, fit each line to the layout's length by
 * stretching a filler run, force each position into its field's character class (digits in
 * dates and check digits, letters in state codes), then try look-alike swaps in the
 * alphanumeric fields only where they make a failing check digit pass.
 *
 * Hand-written rather than using the `mrz` package: that parser wants clean, exact-length lines,
 * and the repair search above is most of the work.
 */
import { maskKeepLast } from '../util/redact.js';
import type { Box } from '../ocr/types.js';
import type { Match, Recognizer } from './types.js';
import { clamp01, confFactor, joinLines, type JoinedLine } from './text.js';

export type MrzFormat = 'TD3' | 'TD1' | 'TD2' | 'MRV-A' | 'MRV-B';

/** ICAO 9303 character value: 0-9, A=10..Z=35, '<'=0; -1 for anything else (the check then fails). */
function charValue(c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55;
  return c === '<' ? 0 : -1;
}

/** ICAO 9303 check digit: weights 7, 3, 1 repeating, sum mod 10; -1 when a character is not MRZ. */
export function checkDigit(data: string): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = charValue(data[i] as string);
    if (v < 0) return -1;
    sum += v * ([7, 3, 1][i % 3] as number);
  }
  return sum % 10;
}

/** Position classes: A letters/filler, N digit, n digit or filler, X alphanumeric/filler, S sex. */
type Cls = 'A' | 'N' | 'n' | 'X' | 'S';
const cls = (...parts: [Cls, number][]): string => parts.map(([c, n]) => c.repeat(n)).join('');

interface CheckDef {
  name: 'document number' | 'birth date' | 'expiry date' | 'personal number' | 'composite';
  /** [line, start, end) pieces concatenated. */
  data: [number, number, number][];
  at: [number, number];
  /** '<' is an accepted check character when the data is all filler (TD3 personal number). */
  fillerOk?: boolean;
}

interface Fields {
  docType: [number, number, number];
  issuer: [number, number, number];
  nationality: [number, number, number];
  expiry: [number, number, number];
}

interface Layout {
  format: MrzFormat;
  len: number;
  classes: string[];
  checks(lines: string[]): CheckDef[];
  fields: Fields;
  /** Only visas use the MRV layouts; only visas lack the composite. */
  visa: boolean;
}

/**
 * Document number with the TD1/TD2 long-number rule: when the check position holds '<', the
 * number continues in the optional data and its check digit is the last character before the
 * next filler.
 */
function docCheck(lines: string[], line: number, start: number, optStart: number, optEnd: number): CheckDef {
  const l = lines[line] as string;
  const checkPos = start + 9;
  if (l[checkPos] === '<' && l[optStart] !== undefined && l[optStart] !== '<') {
    let end = optStart;
    while (end < optEnd && l[end] !== '<') end++;
    if (end - optStart >= 2) {
      return { name: 'document number', data: [[line, start, checkPos], [line, optStart, end - 1]], at: [line, end - 1] };
    }
  }
  return { name: 'document number', data: [[line, start, checkPos]], at: [line, checkPos] };
}

const TD3: Layout = {
  format: 'TD3',
  len: 44,
  visa: false,
  classes: [cls(['A', 44]), cls(['X', 9], ['N', 1], ['A', 3], ['N', 7], ['S', 1], ['N', 7], ['X', 14], ['n', 1], ['N', 1])],
  checks: () => [
    { name: 'document number', data: [[1, 0, 9]], at: [1, 9] },
    { name: 'birth date', data: [[1, 13, 19]], at: [1, 19] },
    { name: 'expiry date', data: [[1, 21, 27]], at: [1, 27] },
    { name: 'personal number', data: [[1, 28, 42]], at: [1, 42], fillerOk: true },
    { name: 'composite', data: [[1, 0, 10], [1, 13, 20], [1, 21, 43]], at: [1, 43] },
  ],
  fields: { docType: [0, 0, 2], issuer: [0, 2, 5], nationality: [1, 10, 13], expiry: [1, 21, 27] },
};

const TD1: Layout = {
  format: 'TD1',
  len: 30,
  visa: false,
  classes: [
    cls(['A', 5], ['X', 9], ['n', 1], ['X', 15]),
    cls(['N', 7], ['S', 1], ['N', 7], ['A', 3], ['X', 11], ['N', 1]),
    cls(['A', 30]),
  ],
  checks: (lines) => [
    docCheck(lines, 0, 5, 15, 30),
    { name: 'birth date', data: [[1, 0, 6]], at: [1, 6] },
    { name: 'expiry date', data: [[1, 8, 14]], at: [1, 14] },
    // ICAO 9303-5 4.2.2: upper line 6–30, middle line 1–7, 9–15, 19–29 (1-based).
    { name: 'composite', data: [[0, 5, 30], [1, 0, 7], [1, 8, 15], [1, 18, 29]], at: [1, 29] },
  ],
  fields: { docType: [0, 0, 2], issuer: [0, 2, 5], nationality: [1, 15, 18], expiry: [1, 8, 14] },
};

const TD2: Layout = {
  format: 'TD2',
  len: 36,
  visa: false,
  classes: [cls(['A', 36]), cls(['X', 9], ['n', 1], ['A', 3], ['N', 7], ['S', 1], ['N', 7], ['X', 7], ['N', 1])],
  checks: (lines) => [
    docCheck(lines, 1, 0, 28, 35),
    { name: 'birth date', data: [[1, 13, 19]], at: [1, 19] },
    { name: 'expiry date', data: [[1, 21, 27]], at: [1, 27] },
    // ICAO 9303-6 4.2.2: lower line 1–10, 14–20, 22–35 (1-based).
    { name: 'composite', data: [[1, 0, 10], [1, 13, 20], [1, 21, 35]], at: [1, 35] },
  ],
  fields: { docType: [0, 0, 2], issuer: [0, 2, 5], nationality: [1, 10, 13], expiry: [1, 21, 27] },
};

const visaChecks = (): CheckDef[] => [
  { name: 'document number', data: [[1, 0, 9]], at: [1, 9] },
  { name: 'birth date', data: [[1, 13, 19]], at: [1, 19] },
  { name: 'expiry date', data: [[1, 21, 27]], at: [1, 27] },
];

const MRV_A: Layout = {
  format: 'MRV-A',
  len: 44,
  visa: true,
  classes: [cls(['A', 44]), cls(['X', 9], ['N', 1], ['A', 3], ['N', 7], ['S', 1], ['N', 7], ['X', 16])],
  checks: visaChecks,
  fields: TD3.fields,
};

const MRV_B: Layout = { ...MRV_A, format: 'MRV-B', len: 36, classes: [cls(['A', 36]), cls(['X', 9], ['N', 1], ['A', 3], ['N', 7], ['S', 1], ['N', 7], ['X', 8])] };

const LAYOUTS: readonly Layout[] = [TD3, TD1, TD2, MRV_A, MRV_B];

/** Letters read where a digit must be (dates, check digits). */
const TO_DIGIT: Readonly<Record<string, string>> = { O: '0', D: '0', Q: '0', U: '0', I: '1', L: '1', Z: '2', S: '5', B: '8', G: '6' };
/** Digits read where a letter must be (state codes, names, document code). */
const TO_LETTER: Readonly<Record<string, string>> = { '0': 'O', '1': 'I', '2': 'Z', '5': 'S', '8': 'B', '6': 'G' };
/**
 * Swaps tried in alphanumeric fields only when a check digit asks for it. Letter→digit
 * (plus K→'<') everywhere; digit→letter only outside the document number.
 *
 * Why the asymmetry: the composite weighs each field exactly as the field's own check does, so a
 * digit→letter repair is confirmed by one check digit, not two. In a document number, trying
 * '0'→'D' and friends "repaired" a wrongly read digit in ~18% of simulated cases (letter→digit
 * only: under 1%), and a wrong repair there changes the number we hash. In the optional data
 * (TD3 personal number, TD1/TD2 optional fields) tesseract really does read 'Z' as '7' or '2'
 * (seen on the ICAO specimen page), a repair there cannot make a wrong document number pass,
 * and the repair count is in the explanation.
 */
const SWAPS: Readonly<Record<string, readonly string[]>> = {
  O: ['0'], D: ['0'], Q: ['0'],
  I: ['1'],
  Z: ['2'],
  S: ['5'],
  B: ['8'],
  K: ['<'],
  // L→1 and G→6 are missing on purpose: their values differ by 20 and 10, so no check digit
  // (weights 7, 3, 1, mod 10) can ever notice them.
};
/** Digit→letter swaps, tried only outside the document number (see SWAPS). */
const DIGIT_SWAPS: Readonly<Record<string, readonly string[]>> = { '0': ['O', 'D'], '1': ['I'], '2': ['Z'], '7': ['Z'], '5': ['S'], '8': ['B'] };
const MAX_SWAPS = 3;

interface Normalised {
  text: string;
  subs: number;
}

/**
 * Chevron look-alikes to '<', upper case, drop what can't be MRZ. Upper-case K, L and C are what
 * a small or blurred '<' is most often read as (seen on real ID backs: '<<L<L<K', 'LLL<CLLLLLLKL'),
 * but they are real letters too (ERIKSSON, LLOYD), so they become '<' only where a name can't be:
 * in a run of three or more, between fillers, or trailing a filler at the end of the line.
 */
export function normaliseMrzLine(raw: string): Normalised {
  let subs = 0;
  let s = '';
  for (const c of raw.replace(/\s+/g, '')) {
    if ('«‹<([{'.includes(c) || c === 'c' || c === 'k') {
      if (c !== '<') subs++;
      s += '<';
    } else s += c.toUpperCase();
  }
  s = s.replace(/[^A-Z0-9<]/g, '');
  s = s.replace(/[KLC]+/g, (run, at: number) => {
    const before = at === 0 ? '<' : s[at - 1];
    const afterIdx = at + run.length;
    const after = afterIdx >= s.length ? 'END' : s[afterIdx];
    const fillerBoth = before === '<' && (after === '<' || after === 'END');
    if (run.length >= 3 || fillerBoth) {
      subs += run.length;
      return '<'.repeat(run.length);
    }
    return run;
  });
  return { text: s, subs };
}

/** A line worth trying: long, almost only MRZ characters, little lower case. */
function mrzLike(raw: string): boolean {
  const compact = raw.replace(/\s+/g, '');
  if (compact.length < 20 || compact.length > 52) return false;
  let good = 0;
  let lower = 0;
  for (const c of compact) {
    if (/[A-Z0-9<«‹(\[{]/.test(c) || c === 'c' || c === 'k') good++;
    else if (/[a-z]/.test(c)) lower++;
  }
  return good / compact.length >= 0.9 && lower <= 3;
}

/** Ways to bring a line to `len`: stretch or shrink one of its longest filler runs, or pad/cut the end. */
function fitLength(line: string, len: number): string[] {
  const d = len - line.length;
  if (d === 0) return [line];
  if (d < -6 || d > 24) return [];
  const out = new Set<string>();
  const runs = [...line.matchAll(/<+/g)].sort((a, b) => b[0].length - a[0].length).slice(0, 4);
  for (const r of runs) {
    const n = r[0].length + d;
    if (n < 1) continue;
    out.add(line.slice(0, r.index) + '<'.repeat(n) + line.slice(r.index + r[0].length));
  }
  out.add(d > 0 ? line + '<'.repeat(d) : line.slice(0, len));
  return [...out];
}

interface Evaluated {
  lines: string[];
  passed: number;
  total: number;
  failed: string[];
  repairs: number;
}

function evaluate(layout: Layout, lines: string[]): Omit<Evaluated, 'repairs' | 'lines'> {
  const checks = layout.checks(lines);
  const failed: string[] = [];
  for (const c of checks) {
    const data = c.data.map(([l, a, b]) => (lines[l] as string).slice(a, b)).join('');
    const ch = (lines[c.at[0]] as string)[c.at[1]];
    const ok =
      ch !== undefined &&
      ((ch >= '0' && ch <= '9' && checkDigit(data) === Number(ch)) || (ch === '<' && c.fillerOk === true && /^<*$/.test(data)));
    if (!ok) failed.push(c.name);
  }
  return { passed: checks.length - failed.length, total: checks.length, failed };
}

/** Force every position into its class; returns the lines and the number of substitutions. */
function forceClasses(layout: Layout, lines: string[]): { lines: string[]; subs: number } {
  let subs = 0;
  const out = lines.map((l, li) =>
    [...l]
      .map((c, i) => {
        const k = (layout.classes[li] as string)[i] as Cls;
        const to = k === 'N' || k === 'n' ? TO_DIGIT[c] : k === 'A' ? TO_LETTER[c] : undefined;
        if (to === undefined) return c;
        subs++;
        return to;
      })
      .join(''),
  );
  return { lines: out, subs };
}

type Pos = [number, number];

const covers = (c: CheckDef, [l, i]: Pos): boolean =>
  (c.at[0] === l && c.at[1] === i) || c.data.some(([dl, a, b]) => dl === l && i >= a && i < b);

function* combos(positions: Pos[], size: 1 | 2): Generator<Pos[]> {
  for (let a = 0; a < positions.length; a++) {
    if (size === 1) yield [positions[a] as Pos];
    else for (let b = a + 1; b < positions.length; b++) yield [positions[a] as Pos, positions[b] as Pos];
  }
}

/** Swaps worth trying at one position (see SWAPS); `inDocNumber`: no digit→letter there. */
function alternatives(lines: string[], [l, i]: Pos, inDocNumber = true): readonly string[] {
  const ch = (lines[l] as string)[i] as string;
  return SWAPS[ch] ?? (inDocNumber ? [] : (DIGIT_SWAPS[ch] ?? []));
}

function* applySwaps(lines: string[], at: Pos[], inDoc: (p: Pos) => boolean, k = 0): Generator<string[]> {
  if (k === at.length) {
    yield lines;
    return;
  }
  const [l, i] = at[k] as Pos;
  const line = lines[l] as string;
  for (const alt of alternatives(lines, [l, i], inDoc([l, i]))) {
    const next = lines.slice();
    next[l] = line.slice(0, i) + alt + line.slice(i + 1);
    yield* applySwaps(next, at, inDoc, k + 1);
  }
}

/**
 * Look-alike swaps in the alphanumeric positions of failing checks. A swap — or a pair inside one
 * field's own check, for two misreads in a document number — is kept only when EVERY check that
 * covers the swapped positions passes afterwards. A real misread breaks the field's check and the
 * composite together, and its repair fixes both; "fixing" a wrongly read digit by swapping some
 * other character would have to satisfy two independent check digits by chance.
 */
function repairByChecks(layout: Layout, start: string[]): Evaluated {
  const docChecks = layout.checks(start).filter((c) => c.name === 'document number');
  const inDoc = (p: Pos) => docChecks.some((c) => covers(c, p));
  let lines = start;
  let cur = evaluate(layout, lines);
  let repairs = 0;
  while (cur.failed.length > 0 && repairs < MAX_SWAPS) {
    const failing = layout.checks(lines).filter((c) => cur.failed.includes(c.name));
    let found: { lines: string[]; ev: ReturnType<typeof evaluate>; n: number } | undefined;
    /** Other, different repairs as good as `found`: then the check digits can't say which is right. */
    let rivals = 0;
    for (const size of [1, 2] as const) {
      if (repairs + size > MAX_SWAPS) break;
      for (const c of failing) {
        // Pairs only inside a field's own check: over the composite's ~40 positions they'd be a fishing trip.
        if (size === 2 && c.name === 'composite') continue;
        const positions: Pos[] = [];
        for (const [l, a, b] of c.data) {
          for (let i = a; i < b; i++) {
            if ((layout.classes[l] as string)[i] === 'X' && alternatives(lines, [l, i], inDoc([l, i])).length) positions.push([l, i]);
          }
        }
        for (const at of combos(positions, size)) {
          for (const next of applySwaps(lines, at, inDoc)) {
            const ev = evaluate(layout, next);
            if (ev.passed <= cur.passed || (found && ev.passed < found.ev.passed)) continue;
            const covering = layout.checks(next).filter((k) => at.some((p) => covers(k, p)));
            if (!covering.every((k) => !ev.failed.includes(k.name))) continue;
            if (found && ev.passed === found.ev.passed) {
              if (next.join('\n') !== found.lines.join('\n')) rivals++;
              continue;
            }
            found = { lines: next, ev, n: size };
            rivals = 0;
          }
        }
      }
      if (found) break;
    }
    if (!found || rivals > 0) break;
    lines = found.lines;
    cur = found.ev;
    repairs += found.n;
  }
  return { lines, ...cur, repairs };
}

interface Candidate extends Evaluated {
  layout: Layout;
  /** Characters added or removed to fit the layout's lengths (a tie-breaker between layouts). */
  stretch: number;
}

function tryLayout(layout: Layout, norm: Normalised[]): Candidate | undefined {
  const options = norm.map((n) => fitLength(n.text, layout.len));
  if (options.some((o) => o.length === 0)) return undefined;
  const stretch = norm.reduce((a, n) => a + Math.abs(n.text.length - layout.len), 0);
  const baseSubs = norm.reduce((a, n) => a + n.subs, 0);
  let best: Candidate | undefined;
  let combos: string[][] = [[]];
  for (const o of options) combos = combos.flatMap((c) => o.map((x) => [...c, x])).slice(0, 64);
  for (const combo of combos) {
    const first = combo[0]?.[0] ?? '';
    const code = TO_LETTER[first] ?? first;
    if (!/^[A-Z]$/.test(code)) continue; // the document code is a letter
    if (layout.visa !== (code === 'V')) continue; // V is a visa, and only visas use the MRV layouts
    const forced = forceClasses(layout, combo);
    const ev = repairByChecks(layout, forced.lines);
    const cand: Candidate = { ...ev, repairs: ev.repairs + forced.subs + baseSubs, layout, stretch };
    if (!best || better(cand, best)) best = cand;
  }
  return best;
}

/**
 * Valid beats invalid. Between invalid readings the share of passing checks counts, less a
 * penalty for the padding needed: a TD2 padded out to TD3 size passes an empty personal-number
 * check for free, and shouldn't win on that.
 */
function better(a: Candidate, b: Candidate): boolean {
  const av = a.passed === a.total;
  const bv = b.passed === b.total;
  if (av !== bv) return av;
  if (!av) {
    const ar = a.passed / a.total - 0.04 * a.stretch;
    const br = b.passed / b.total - 0.04 * b.stretch;
    if (ar !== br) return ar > br;
  }
  if (a.stretch !== b.stretch) return a.stretch < b.stretch;
  return a.repairs < b.repairs;
}

const field = (lines: string[], [l, a, b]: [number, number, number]): string => (lines[l] as string).slice(a, b);

/** Expiry YYMMDD → expired?; null when the digits are not a date. Years within +20 of now are 20xx, else 19xx. */
function isExpired(yymmdd: string, now: Date): boolean | null {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(yymmdd);
  if (!m) return null;
  let year = 2000 + Number(m[1]);
  if (year > now.getUTCFullYear() + 20) year -= 100;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  // A document is valid through its expiry day.
  return d.getTime() + 86_400_000 <= now.getTime();
}

/**
 * What identifies the document, for the keyed hash: the fields the check digits protect (document
 * number, birth date, expiry), format and document code. Names are left out on purpose: no check
 * digit covers them, so one passport read twice with a name misread ("MARTIA") must still hash the same.
 */
export function mrzIdentity(layout: Layout, lines: string[]): string {
  const protectedParts = layout
    .checks(lines)
    .filter((c) => c.name === 'document number' || c.name === 'birth date' || c.name === 'expiry date')
    .map((c) => c.data.map((p) => field(lines, p)).join(''));
  return [layout.format, field(lines, layout.fields.docType).replace(/</g, ''), ...protectedParts].join('|');
}

function toMatch(c: Candidate, group: JoinedLine[], now: Date): Match {
  const { layout, lines } = c;
  const valid = c.passed === c.total;
  const docType = field(lines, layout.fields.docType).replace(/</g, '');
  const issuer = field(lines, layout.fields.issuer).replace(/</g, '');
  const nationality = field(lines, layout.fields.nationality).replace(/</g, '');
  const docCheckDef = layout.checks(lines).find((x) => x.name === 'document number');
  const docNumber = (docCheckDef?.data ?? []).map((p) => field(lines, p)).join('').replace(/</g, '');
  const expired = isExpired(field(lines, layout.fields.expiry), now);
  const boxes: Box[] = group.flatMap((g) => g.words.map((w) => w.box));
  const words = group.flatMap((g) => g.words);
  const conf = words.length ? words.reduce((a, w) => a + w.conf, 0) / words.length : 0;
  const base = valid ? Math.max(0.8, 0.95 - 0.02 * c.repairs) : 0.2 + (0.3 * c.passed) / c.total;
  const what = `${layout.format}, issuer ${issuer || '?'}, check digits ${c.passed}/${c.total}`;
  const repairs = c.repairs ? `, ${c.repairs} OCR repair${c.repairs > 1 ? 's' : ''}` : '';
  const failed = c.failed.length ? `; failed: ${c.failed.join(', ')}` : '';
  return {
    recognizer: 'mrz',
    entity: 'mrz',
    value: mrzIdentity(layout, lines),
    validation: valid ? 'valid' : 'invalid',
    score: clamp01(base * confFactor(conf)),
    explanation: `MRZ ${valid ? 'valid' : 'invalid'} (${what}${repairs})${failed}`,
    details: {
      format: layout.format,
      docType,
      issuer,
      nationality,
      checks: { passed: c.passed, total: c.total, failed: c.failed },
      repaired: c.repairs,
      expired,
    },
    redacted: `${layout.format} ${issuer || '?'} doc no. ${maskKeepLast(docNumber, 4, { mask: '•' })}`,
    boxes,
  };
}

/** Best reading of lines [i, i+n) under any layout of that many lines; undefined when none fits. */
function readAt(joined: JoinedLine[], i: number, like: boolean[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const layout of LAYOUTS) {
    const n = layout.classes.length;
    if (i + n > joined.length || like.slice(i, i + n).some((x) => !x)) continue;
    const norm = joined.slice(i, i + n).map((j) => normaliseMrzLine(j.text));
    if (!norm.some((x) => x.text.includes('<<'))) continue; // every real MRZ has a filler pair somewhere
    const cand = tryLayout(layout, norm);
    if (cand && (!best || better(cand, best))) best = cand;
  }
  return best;
}

export function createMrzRecognizer(opts: { now?: () => Date } = {}): Recognizer {
  return {
    id: 'mrz',
    entity: 'mrz',
    find(lines) {
      const now = opts.now?.() ?? new Date();
      const joined = joinLines(lines);
      const like = joined.map((j) => mrzLike(j.text));
      const out: Match[] = [];
      for (let i = 0; i < joined.length; ) {
        const c = like[i] ? readAt(joined, i, like) : undefined;
        if (!c) {
          i++;
          continue;
        }
        const n = c.layout.classes.length;
        out.push(toMatch(c, joined.slice(i, i + n), now));
        i += n;
      }
      return out;
    },
  };
}

export const mrzRecognizer: Recognizer = createMrzRecognizer();

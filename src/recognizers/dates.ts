/**
 * Dates of birth and of expiry — supporting evidence for ID documents and cards, never enough
 * alone. A date is emitted only when a birth/expiry keyword is on the same line or the line
 * above/below; which kind it is comes from the nearest keyword (on other lines, the one whose
 * column is closest, because data pages print "Date of issue   Date of expiry" above two values).
 * A nearest keyword of "issue"/"valid from" claims the date and suppresses it.
 *
 * validation: valid = some reading is a real calendar date in the kind's plausible range
 * (birth 1900..today, expiry today±20y) — DD/MM vs MM/DD does not matter for that, so an
 * order-ambiguous date is still valid (details.orderAmbiguous); unknown = a two-digit year whose
 * century can't be told (a birth year '05' could be 1905 or 2005); invalid = no reading is real
 * and in range (31/02, month 13, a birth date in the future).
 *
 * Redaction keeps nothing: every digit becomes '*' ('****-**-**'; a card's MM/YY becomes two
 * starred pairs around the slash). A date of birth is identifying on its own, and the year
 * alone narrows it a lot.
 */
import type { EntityType, Match, Recognizer, Validation } from './types.js';
import {
  clamp01, confFactor, confForSpan, findPhrases, joinLines, repairDigits, spanCenterX, boxesForSpan,
  type ContextHit, type JoinedLine,
} from './text.js';

type Kind = 'birth' | 'expiry' | 'issue';

const KEYWORDS: Record<Kind, readonly string[]> = {
  birth: [
    'dob', 'd.o.b', 'date of birth', 'birth date', 'birthdate', 'birthday', 'born', 'birth', 'geburtsdatum', 'geboren',
    'date de naissance', 'naissance', 'fecha de nacimiento', 'nacimiento',
  ],
  expiry: [
    'expiry', 'expires', 'expiration', 'expiration date', 'exp', 'exp date', 'valid thru', 'valid through', 'valid until',
    'good thru', 'date of expiry', 'expiry date', 'gültig bis', 'ablaufdatum', "date d'expiration", 'expire', 'caducidad',
  ],
  issue: ['issue', 'issued', 'date of issue', 'issue date', 'valid from', 'member since', 'ausstellungsdatum', 'délivrance'],
};

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6, jul: 7, july: 7,
  aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
};
const MONTH_RE = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');

type Format = 'YMD' | 'numeric' | 'D MMM Y' | 'MMM D Y' | 'MM/YY';

interface Found {
  start: number;
  end: number;
  format: Format;
  /** Candidate readings as [year or 2-digit year, month, day]; day 0 = month precision. */
  readings: [string, number, number][];
}

const PATTERNS: readonly { re: RegExp; format: Format; read(m: RegExpExecArray): [string, number, number][] }[] = [
  { re: /(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)/g, format: 'YMD', read: (m) => [[m[1]!, +m[2]!, +m[3]!]] },
  {
    re: /(?<!\d)(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)/g,
    format: 'numeric',
    read: (m) => [[m[4]!, +m[3]!, +m[1]!], [m[4]!, +m[1]!, +m[3]!]],
  },
  {
    re: new RegExp(`(?<![\\p{L}\\d])(\\d{1,2})[ .\\-/]?(${MONTH_RE})\\.?[ .,\\-/]?(\\d{4}|\\d{2})(?!\\d)`, 'giu'),
    format: 'D MMM Y',
    read: (m) => [[m[3]!, MONTHS[m[2]!.toLowerCase()] ?? 0, +m[1]!]],
  },
  {
    re: new RegExp(`(?<![\\p{L}\\d])(${MONTH_RE})\\.?[ .]?(\\d{1,2}),?[ ]?(\\d{4})(?!\\d)`, 'giu'),
    format: 'MMM D Y',
    read: (m) => [[m[3]!, MONTHS[m[1]!.toLowerCase()] ?? 0, +m[2]!]],
  },
  { re: /(?<![\d/])(\d{2}) ?\/ ?(\d{4}|\d{2})(?![\d/])/g, format: 'MM/YY', read: (m) => [[m[2]!, +m[1]!, 0]] },
];

function findDates(text: string): Found[] {
  const out: Found[] = [];
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    for (let m = p.re.exec(text); m; m = p.re.exec(text)) {
      const start = m.index;
      const end = m.index + m[0].length;
      // Earlier (more specific) patterns win overlapping spans.
      if (out.some((f) => f.start < end && f.end > start)) continue;
      out.push({ start, end, format: p.format, readings: p.read(m) });
    }
  }
  return out;
}

interface Keyword {
  kind: Kind;
  phrase: string;
  rank: [number, number];
}

/** Nearest keyword: same line (before the date beats after), then the line above, then below, by column. */
function nearestKeyword(lines: JoinedLine[], j: JoinedLine, f: Found): Keyword | undefined {
  let best: Keyword | undefined;
  const cx = spanCenterX(j, f.start, f.end);
  const consider = (kind: Kind, h: ContextHit, rank: [number, number]) => {
    if (!best || rank[0] < best.rank[0] || (rank[0] === best.rank[0] && rank[1] < best.rank[1])) best = { kind, phrase: h.phrase, rank };
  };
  for (const [delta, lineRank] of [[0, 0], [-1, 1], [1, 2]] as const) {
    const other = lines[j.index + delta];
    if (!other) continue;
    for (const kind of Object.keys(KEYWORDS) as Kind[]) {
      for (const h of findPhrases(other, KEYWORDS[kind])) {
        if (delta === 0) {
          if (h.start < f.end && h.end > f.start) continue;
          const before = h.end <= f.start;
          consider(kind, h, [0, before ? f.start - h.end : 100_000 + h.start - f.end]);
        } else {
          consider(kind, h, [lineRank, Math.abs(spanCenterX(other, h.start, h.end) - cx)]);
        }
      }
    }
    // Longer phrases ('date of expiry') over their parts ('expiry') needs no special case: same kind.
  }
  return best;
}

const DAY = 86_400_000;

function realDate(y: number, m: number, d: number): Date | undefined {
  if (m < 1 || m > 12) return undefined;
  // Month precision (MM/YY): the card is valid through the month's last day.
  const dt = d === 0 ? new Date(Date.UTC(y, m, 0)) : new Date(Date.UTC(y, m - 1, d));
  if (d !== 0 && (dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d)) return undefined;
  return dt;
}

interface Judged {
  validation: Validation;
  iso?: string;
  orderAmbiguous: boolean;
  centuryAmbiguous: boolean;
}

function judge(f: Found, kind: 'birth' | 'expiry', now: Date): Judged {
  const t = now.getTime();
  const [lo, hi] = kind === 'birth' ? [Date.UTC(1900, 0, 1), t] : [t - 20 * 365.25 * DAY, t + 20 * 365.25 * DAY];
  const valid: string[] = [];
  let centuryAmbiguous = false;
  for (const [ys, m, d] of f.readings) {
    const years = ys.length === 4 ? [+ys] : [1900 + +ys, 2000 + +ys];
    const ok = years
      .map((y) => ({ y, dt: realDate(y, m, d) }))
      .filter((r): r is { y: number; dt: Date } => r.dt !== undefined && r.dt.getTime() >= lo && r.dt.getTime() <= hi);
    if (ok.length > 1) centuryAmbiguous = true;
    // With the century unknown, 19xx is the likelier birth year on a document held by an adult.
    const r = ok[0];
    if (r) {
      const iso = r.dt.toISOString().slice(0, d === 0 ? 7 : 10);
      if (!valid.includes(iso)) valid.push(iso);
    }
  }
  const first = valid[0];
  if (!first) return { validation: 'invalid', orderAmbiguous: false, centuryAmbiguous: false };
  return { validation: centuryAmbiguous ? 'unknown' : 'valid', iso: first, orderAmbiguous: valid.length > 1, centuryAmbiguous };
}

function scan(lines: JoinedLine[], now: Date): Match[] {
  const out: Match[] = [];
  for (const j of lines) {
    const text = repairDigits(j.text).text;
    for (const f of findDates(text)) {
      const kw = nearestKeyword(lines, j, f);
      if (!kw || kw.kind === 'issue') continue;
      if (f.format === 'MM/YY' && kw.kind !== 'expiry') continue; // month/year alone is a card expiry, nothing else
      const kind = kw.kind;
      const jd = judge(f, kind, now);
      const entity: EntityType = kind === 'birth' ? 'date_of_birth' : 'date_of_expiry';
      const base = jd.validation === 'valid' ? 0.6 : jd.validation === 'unknown' ? 0.4 : 0.15;
      const score = clamp01((base + (kw.rank[0] === 0 ? 0.1 : 0)) * confFactor(confForSpan(j, f.start, f.end)));
      const notes = [
        jd.validation === 'invalid' ? 'not a real date in range' : 'real date in range',
        ...(jd.orderAmbiguous ? ['day/month order ambiguous'] : []),
        ...(jd.centuryAmbiguous ? ['century ambiguous'] : []),
      ];
      out.push({
        recognizer: 'dates',
        entity,
        value: jd.iso ?? text.slice(f.start, f.end).replace(/\s+/g, ' ').toUpperCase(),
        validation: jd.validation,
        score,
        explanation: `date of ${kind} near '${kw.phrase}'; ${notes.join('; ')}`,
        details: { kind, format: f.format, keyword: kw.phrase, orderAmbiguous: jd.orderAmbiguous, centuryAmbiguous: jd.centuryAmbiguous },
        redacted: f.format === 'MM/YY' ? '**/**' : '****-**-**',
        boxes: boxesForSpan(j, f.start, f.end),
      });
    }
  }
  return out;
}

/** Two recognizers (one per entity) over one scan; `now` is injectable for tests. */
export function createDateRecognizers(opts: { now?: () => Date } = {}): { birth: Recognizer; expiry: Recognizer } {
  const run = (lines: Parameters<Recognizer['find']>[0], entity: EntityType) =>
    scan(joinLines(lines), opts.now?.() ?? new Date()).filter((m) => m.entity === entity);
  return {
    birth: { id: 'dates', entity: 'date_of_birth', find: (lines) => run(lines, 'date_of_birth') },
    expiry: { id: 'dates', entity: 'date_of_expiry', find: (lines) => run(lines, 'date_of_expiry') },
  };
}

const defaults = createDateRecognizers();
export const dateOfBirthRecognizer: Recognizer = defaults.birth;
export const dateOfExpiryRecognizer: Recognizer = defaults.expiry;

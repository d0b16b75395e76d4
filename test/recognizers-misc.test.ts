import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDateRecognizers } from '../src/recognizers/dates.js';
import { ibanRecognizer, mod97 } from '../src/recognizers/iban.js';
import { dedupe, findEntities, RECOGNIZERS } from '../src/recognizers/registry.js';
import { ssnRecognizer } from '../src/recognizers/ssn.js';
import type { Match } from '../src/recognizers/types.js';
import { assertNoLeak, boxesOf, boxesOfLines, ocrLines } from './helpers/ocr-lines.js';

// ---------------------------------------------------------------- dates

const NOW = new Date('2026-06-01T00:00:00Z');
const dates = createDateRecognizers({ now: () => NOW });
const findDates = (...texts: string[]): Match[] => {
  const lines = ocrLines(texts);
  return [...dates.birth.find(lines), ...dates.expiry.find(lines)];
};

const DATE_CASES: readonly [string, string[], { entity: string; validation: string; value?: string; format?: string; redacted?: string } | null][] = [
  ['DOB same line, DD/MM/YYYY', ['DOB 12/08/1974'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-12', format: 'numeric' }],
  ['date of birth above, DD MMM YYYY', ['Date of birth', '12 AUG 1974'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-12', format: 'D MMM Y' }],
  ['born, ISO', ['Born: 1974-08-12'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-12', format: 'YMD' }],
  ['US order MM/DD/YYYY (day > 12)', ['D.O.B. 08/25/1974'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-25' }],
  ['MMM D, YYYY', ['Birth date Aug 12, 1974'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-12', format: 'MMM D Y' }],
  ['German keyword, dotted', ['Geburtsdatum 12.08.1974'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-12' }],
  ['not a calendar date', ['DOB 31/02/1990'], { entity: 'date_of_birth', validation: 'invalid' }],
  ['birth in the future', ['DOB 01/02/2099'], { entity: 'date_of_birth', validation: 'invalid' }],
  ['birth before 1900', ['DOB 01/02/1850'], { entity: 'date_of_birth', validation: 'invalid' }],
  ['two-digit year, century clear', ['DOB 12/08/74'], { entity: 'date_of_birth', validation: 'valid', value: '1974-08-12' }],
  ['two-digit year, century ambiguous', ['DOB 25/08/05'], { entity: 'date_of_birth', validation: 'unknown' }],
  ['card expiry MM/YY', ['VALID THRU 12/28'], { entity: 'date_of_expiry', validation: 'valid', value: '2028-12', format: 'MM/YY', redacted: '**/**' }],
  ['card expiry, month 13', ['EXP 13/28'], { entity: 'date_of_expiry', validation: 'invalid', redacted: '**/**' }],
  ['document expiry', ['Date of expiry', '15 APR 2031'], { entity: 'date_of_expiry', validation: 'valid', value: '2031-04-15' }],
  ['expiry more than 20 years out', ['Expires 01/01/2060'], { entity: 'date_of_expiry', validation: 'invalid' }],
  ['no keyword: nothing', ['12/08/1974'], null],
  ['keyword two lines away: nothing', ['DOB', 'JOHN', '12/08/1974'], null],
  ['MM/YY next to a birth keyword is not a date of birth', ['DOB 08/74'], null],
  ['issue date is not reported', ['Date of issue 16 APR 2017'], null],
];

for (const [name, lines, want] of DATE_CASES) {
  test(`dates: ${name}`, () => {
    const ms = findDates(...lines);
    if (!want) {
      assert.deepEqual(ms, []);
      return;
    }
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.entity, want.entity);
    assert.equal(m.validation, want.validation, m.explanation);
    if (want.value) assert.equal(m.value, want.value);
    if (want.format) assert.equal(m.details.format, want.format);
    assert.equal(m.redacted, want.redacted ?? '****-**-**');
    assert.equal(m.details.kind, want.entity === 'date_of_birth' ? 'birth' : 'expiry');
    assert.doesNotMatch(JSON.stringify([m.explanation, m.details, m.redacted]), /\d{2}/, 'no date digits shown');
  });
}

test('dates: day/month order ambiguity is noted but still valid', () => {
  const [m] = findDates('DOB 05/06/1980');
  assert.equal(m?.validation, 'valid');
  assert.equal(m?.details.orderAmbiguous, true);
  assert.match(m!.explanation, /order ambiguous/);
});

test('dates: label row above two values pairs each value with its column', () => {
  const lines = ocrLines(['Date of issue      Date of expiry', '16 APR 2017        15 APR 2027']);
  const ms = [...dates.birth.find(lines), ...dates.expiry.find(lines)];
  assert.equal(ms.length, 1);
  assert.equal(ms[0]!.entity, 'date_of_expiry');
  assert.equal(ms[0]!.value, '2027-04-15');
  assert.deepEqual(ms[0]!.boxes, boxesOf(lines, 1, [3, 4, 5]));
});

test('dates: two dates on one line take the nearest keyword before them', () => {
  const ms = findDates('DOB 12/08/1974 EXP 01/02/2030');
  assert.deepEqual(ms.map((m) => [m.entity, m.value]), [
    ['date_of_birth', '1974-08-12'],
    ['date_of_expiry', '2030-02-01'],
  ]);
});

// ---------------------------------------------------------------- IBAN

const IBANS: readonly [string, string, string, string][] = [
  ['GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432', 'valid', 'GB** **** **** **** **54 32'],
  ['DE89 3704 0044 0532 0130 00', 'DE89370400440532013000', 'valid', 'DE** **** **** **** **30 00'],
  ['FR14 2004 1010 0505 0001 3M02 606', 'FR1420041010050500013M02606', 'valid', 'FR** **** **** **** **** ***2 606'],
  ['DE89370400440532013000', 'DE89370400440532013000', 'valid', 'DE** **** **** **** **30 00'],
  ['nl91 abna 0417 1643 00', 'NL91ABNA0417164300', 'valid', 'NL** **** **** **43 00'],
  ['GB82 WEST 1234 5698 7654 33', 'GB82WEST12345698765433', 'invalid', 'GB** **** **** **** **54 33'],
  ['DE89 3704 0044 0532 0130 01', 'DE89370400440532013001', 'invalid', 'DE** **** **** **** **30 01'],
];

for (const [text, value, validation, redacted] of IBANS) {
  test(`iban: ${text} → ${validation}`, () => {
    const ms = ibanRecognizer.find(ocrLines([`Pay to ${text} please`]));
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.value, value);
    assert.equal(m.validation, validation);
    assert.equal(m.redacted, redacted);
    assert.equal(m.details.country, value.slice(0, 2));
    assertNoLeak(m, [value, value.slice(4)]);
  });
}

/** Check digits for a made-up country, so the mod-97 fallback has something to pass. */
function withCheckDigits(cc: string, bban: string): string {
  const num = (bban + cc + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const check = 98n - (BigInt(num) % 97n);
  return cc + String(check).padStart(2, '0') + bban;
}

test('iban: a country outside the registry is unknown when mod-97 passes', () => {
  const fake = withCheckDigits('QZ', '12345678901234');
  assert.ok(mod97(fake));
  const ms = ibanRecognizer.find(ocrLines([`IBAN ${fake}`]));
  assert.equal(ms.length, 1);
  assert.equal(ms[0]!.validation, 'unknown');
});

test('iban: boxes cover only the IBAN words, context is noted', () => {
  const lines = ocrLines(['IBAN: DE89 3704 0044 0532 0130 00 BIC: COBADEFFXXX']);
  const [m] = ibanRecognizer.find(lines);
  assert.ok(m);
  assert.deepEqual(m.boxes, boxesOf(lines, 0, [1, 2, 3, 4, 5, 6]));
  assert.ok((m.details.context as string[]).includes('iban'));
});

test('iban: too short or not an IBAN yields nothing', () => {
  for (const t of ['DE89 3704', 'AB12 hello world', 'ISO 9001 2015 certified', 'GB82WEST12345698765433X1']) {
    assert.deepEqual(ibanRecognizer.find(ocrLines([t])), [], t);
  }
});

// ---------------------------------------------------------------- registry

test('registry: every entity type has a recognizer', () => {
  assert.deepEqual(
    new Set(RECOGNIZERS.map((r) => r.entity)),
    new Set(['payment_card_number', 'us_ssn', 'mrz', 'iban', 'date_of_birth', 'date_of_expiry']),
  );
});

test('registry: a card image gives the PAN and its expiry, best first', () => {
  const ms = findEntities(ocrLines(['VISA', '4111 1111 1111 1111', 'VALID THRU 12/28', 'J SMITH']));
  assert.deepEqual(ms.map((m) => m.entity).sort(), ['date_of_expiry', 'payment_card_number']);
  assert.equal(ms[0]!.entity, 'payment_card_number');
  for (let i = 1; i < ms.length; i++) assert.ok(ms[i - 1]!.score >= ms[i]!.score);
});

test('registry: an MRZ document number is not also reported as an SSN', () => {
  const TD1 = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
  const lines = ocrLines(['SSN', ...TD1]);
  assert.equal(ssnRecognizer.find(lines).length, 1, 'on its own the SSN recognizer does see a 9-digit number with context');
  const ms = findEntities(lines);
  assert.deepEqual(ms.map((m) => m.entity), ['mrz']);
  assert.deepEqual(ms[0]!.boxes, boxesOfLines(lines, [1, 2, 3]));
});

test('registry: IBANs are not also reported as card numbers or SSNs', () => {
  for (const [text, , validation] of IBANS) {
    const ms = findEntities(ocrLines([`IBAN ${text}`]));
    assert.deepEqual(ms.map((m) => [m.entity, m.validation]), [['iban', validation]], text);
  }
});

test('registry: only runs the asked-for entities', () => {
  const lines = ocrLines(['SSN 123-45-6789', '4111 1111 1111 1111']);
  assert.deepEqual(findEntities(lines, { only: ['us_ssn'] }).map((m) => m.entity), ['us_ssn']);
  assert.deepEqual(findEntities(lines).map((m) => m.entity).sort(), ['payment_card_number', 'us_ssn']);
});

const fake = (over: Partial<Match>): Match => ({
  recognizer: 'x',
  entity: 'us_ssn',
  value: 'v',
  validation: 'valid',
  score: 0.5,
  explanation: '',
  details: {},
  redacted: '',
  boxes: [{ x: 0, y: 0, w: 10, h: 10 }],
  ...over,
});

test('registry: dedupe prefers valid over invalid/unknown for the same words, keeps disjoint ones', () => {
  const a = fake({ validation: 'invalid', score: 0.9 });
  const b = fake({ validation: 'valid', score: 0.4, entity: 'payment_card_number' });
  const c = fake({ validation: 'unknown', score: 0.8 });
  const d = fake({ boxes: [{ x: 50, y: 0, w: 10, h: 10 }], validation: 'invalid' });
  const kept = dedupe([a, b, c, d]);
  assert.deepEqual(kept, [b, d]);
  // Same validation: the higher score wins.
  const e = fake({ score: 0.7 });
  assert.deepEqual(dedupe([fake({ score: 0.6 }), e]), [e]);
});

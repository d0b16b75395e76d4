import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDigit, createMrzRecognizer, normaliseMrzLine } from '../src/recognizers/mrz.js';
import type { Match } from '../src/recognizers/types.js';
import { assertNoLeak, boxesOfLines, ocrLines } from './helpers/ocr-lines.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const mrz = createMrzRecognizer({ now: () => NOW });
const find = (...texts: string[]): Match[] => mrz.find(ocrLines(texts));

// ICAO Doc 9303 specimens (Part 4 TD3, Part 5 TD1, Part 6 TD2), as quoted in the brief; all check digits verified.
const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'] as const;
const TD1 = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'] as const;
const TD2 = ['I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<', 'D231458907UTO7408122F1204159<<<<<<<6'] as const;

/** What must never appear in explanation/details/redacted: numbers, dates, the name. */
const SPECIMEN_SECRETS = ['L898902C3', 'D23145890', '740812', '120415', 'ERIKSSON', 'ZE184226B'];

test('check digit arithmetic (7-3-1, < = 0, A = 10)', () => {
  assert.equal(checkDigit('L898902C3'), 6);
  assert.equal(checkDigit('740812'), 2);
  assert.equal(checkDigit('120415'), 9);
  assert.equal(checkDigit('ZE184226B<<<<<'), 1);
  assert.equal(checkDigit('D23145890'), 7);
  assert.equal(checkDigit('<<<'), 0);
  assert.equal(checkDigit('ab'), -1);
});

const SPECIMENS: readonly [string, readonly string[], number, string][] = [
  ['TD3', TD3, 5, 'P'],
  ['TD1', TD1, 4, 'I'],
  ['TD2', TD2, 4, 'I'],
];

for (const [format, lines, total, docType] of SPECIMENS) {
  test(`ICAO specimen ${format} is valid with all ${total} check digits`, () => {
    const fixture = ocrLines(['UTOPIA', ...lines, 'specimen']);
    const ms = mrz.find(fixture);
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.entity, 'mrz');
    assert.equal(m.validation, 'valid');
    // the hashed identity: format, document code and the check-digit-protected fields, never the names
    const identity: Record<string, string> = { TD3: 'TD3|P|L898902C3|740812|120415', TD1: 'TD1|I|D23145890|740812|120415', TD2: 'TD2|I|D23145890|740812|120415' };
    assert.equal(m.value, identity[format]);
    assert.deepEqual(m.details, {
      format,
      docType,
      issuer: 'UTO',
      nationality: 'UTO',
      checks: { passed: total, total, failed: [] },
      repaired: 0,
      expired: true,
    });
    assert.equal(m.explanation, `MRZ valid (${format}, issuer UTO, check digits ${total}/${total})`);
    assert.equal(m.redacted, format === 'TD3' ? 'TD3 UTO doc no. •••••02C3' : `${format} UTO doc no. •••••5890`);
    assert.deepEqual(m.boxes, boxesOfLines(fixture, lines.map((_, i) => i + 1)));
    assertNoLeak(m, SPECIMEN_SECRETS);
  });
}

/** OCR-damaged readings that must still validate, with the repairs they need. */
const REPAIRABLE: readonly [string, readonly string[], string, number][] = [
  ['TD3 with spaces inserted', ['P<UTO ERIKSSON<<ANNA<MARIA <<<<<<<<<<<<<<<<<<<', 'L898902C36 UTO7408122F 1204159ZE184226B<<<<< 10'], 'TD3', 0],
  ['TD3 with < read as K in the filler', ['P<UTOERIKSSON<<ANNA<MARIAKKKKKKKKKKKKKKKKKKK', 'L898902C36UTO7408122F1204159ZE184226BKKKKK10'], 'TD3', 24],
  ['TD3 with « and ( for <', ['P<UTOERIKSSON<<ANNA<MARIA«««««««««««««««««««', 'L898902C36UTO7408122F1204159ZE184226B((((<10'], 'TD3', 23],
  ['TD3 with O/0 swaps in state, date and document number', [TD3[0], 'L8989O2C36UT07408122F12O4159ZE184226B<<<<<10'], 'TD3', 3],
  ['TD3 with I/1 and S/5 swaps', ['P<UT0ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO74O8I22F12O4I59ZE184226B<<<<<1O'], 'TD3', 6],
  ['TD3 with the filler runs shortened', ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<10'], 'TD3', 0],
  ['TD3 with a filler run lengthened', [TD3[0] + '<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<<<10'], 'TD3', 0],
  ['TD1 with dropped fillers and spaces', ['I<UTOD231458907 <<<<<<<<<<<', '7408122F1204159UTO <<<<<<<6', 'ERIKSSON<<ANNA<MARIA'], 'TD1', 0],
  ['TD1 with 0 read as O in the document number', ['I<UTOD2314589O7<<<<<<<<<<<<<<<', TD1[1], TD1[2]], 'TD1', 1],
  // seen from tesseract on a rendered specimen page: Z of the personal number read as 7
  ['TD3 with Z read as 7 in the personal number', [TD3[0], 'L898902C36UTO7408122F12041597E184226B<<<<<10'], 'TD3', 1],
  ['TD2 with K for < and a lowercase c', ['I<UTOERIKSSON<<ANNA<MARIAKKKKKKKKKKK', 'D231458907UTO7408122F1204159<<c<<<<6'], 'TD2', 12],
];

for (const [name, lines, format, repaired] of REPAIRABLE) {
  test(`damaged but repairable: ${name}`, () => {
    const ms = find(...lines);
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.validation, 'valid', m.explanation);
    assert.equal(m.details.format, format);
    assert.equal(m.details.issuer, 'UTO');
    assert.equal(m.details.repaired, repaired);
    const clean = format === 'TD3' ? TD3 : format === 'TD1' ? TD1 : TD2;
    // The repaired reading identifies the specimen (names, which no check digit protects, are not part of it).
    const ref = find(...clean)[0]!;
    assert.equal(m.value, ref.value);
    if (repaired) assert.match(m.explanation, new RegExp(`${repaired} OCR repairs?\\)`));
    assertNoLeak(m, SPECIMEN_SECRETS);
  });
}

/** Near misses: a format is recognised, a check digit fails. */
const NEAR_MISSES: readonly [string, readonly string[], string, string[]][] = [
  ['TD3 with the expiry date misread', [TD3[0], 'L898902C36UTO7408122F1204158ZE184226B<<<<<10'], 'TD3', ['expiry date', 'composite']],
  ['TD3 with a wrong composite', [TD3[0], 'L898902C36UTO7408122F1204159ZE184226B<<<<<14'], 'TD3', ['composite']],
  ['TD3 with a digit of the document number wrong', [TD3[0], 'L898903C36UTO7408122F1204159ZE184226B<<<<<10'], 'TD3', ['document number', 'composite']],
  ['TD1 with the birth date misread', [TD1[0], '7408132F1204159UTO<<<<<<<<<<<6', TD1[2]], 'TD1', ['birth date', 'composite']],
  // Documented limit: digit→letter is never tried in a document number (one check digit can't verify it).
  ['TD1 with D read as 0 in the document number', ['I<UTO0231458907<<<<<<<<<<<<<<<', TD1[1], TD1[2]], 'TD1', ['document number', 'composite']],
  ['TD2 with a wrong document check digit', [TD2[0], 'D231458908UTO7408122F1204159<<<<<<<6'], 'TD2', ['document number', 'composite']],
];

for (const [name, lines, format, failed] of NEAR_MISSES) {
  test(`near miss: ${name} → invalid`, () => {
    const ms = find(...lines);
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.validation, 'invalid');
    assert.equal(m.details.format, format);
    const checks = m.details.checks as { passed: number; total: number; failed: string[] };
    assert.deepEqual(checks.failed, failed);
    assert.equal(checks.passed, checks.total - failed.length);
    assert.ok(m.score < 0.5);
    assert.match(m.explanation, /^MRZ invalid/);
    assertNoLeak(m, ['L898902C3', 'L898903C3', 'D23145890', '740812', '740813', '120415', '120415', 'ERIKSSON']);
  });
}

test('text that is not an MRZ yields nothing', () => {
  assert.deepEqual(find('PASSPORT PASSEPORT', 'Surname / Nom', 'ERIKSSON', 'Given names ANNA MARIA'), []);
  assert.deepEqual(find('THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG AGAIN', 'AND AGAIN AND AGAIN AND AGAIN AND AGAIN AND AG'), []);
  assert.deepEqual(find('L898902C36UTO7408122F1204159ZE184226B<<<<<10'), [], 'one line is not an MRZ');
});

/** A TD1 with a 12-character document number (ICAO 9303-5: '<' in the check position, the rest in the optional data). */
function td1Long(): string[] {
  const principal = 'AB1234567';
  const rest = '890';
  const docCheck = String(checkDigit(principal + rest));
  const l1 = ('I<UTO' + principal + '<' + rest + docCheck).padEnd(30, '<');
  const birth = '900101';
  const expiry = '351231';
  const l2head = birth + checkDigit(birth) + 'M' + expiry + checkDigit(expiry) + 'UTO' + '<'.repeat(11);
  const composite = checkDigit(l1.slice(5, 30) + l2head.slice(0, 7) + l2head.slice(8, 15) + l2head.slice(18, 29));
  return [l1, l2head + composite, 'DOE<<JOHN'.padEnd(30, '<')];
}

test('TD1 long document number continues in the optional data', () => {
  const lines = td1Long();
  const ms = find(...lines);
  assert.equal(ms.length, 1);
  const m = ms[0]!;
  assert.equal(m.validation, 'valid', m.explanation);
  assert.equal(m.redacted, 'TD1 UTO doc no. ••••••••7890');
  assert.equal(m.details.expired, false);
  assertNoLeak(m, ['AB1234567890', 'AB1234567', '900101', '351231']);
});

test('MRV-A visa: TD3 size, three check digits, no composite', () => {
  const doc = 'X12345678';
  const birth = '850315';
  const expiry = '300101';
  const l2 = doc + checkDigit(doc) + 'UTO' + birth + checkDigit(birth) + 'F' + expiry + checkDigit(expiry) + '<'.repeat(16);
  const ms = find('V<UTODOE<<JANE'.padEnd(44, '<'), l2);
  assert.equal(ms.length, 1);
  assert.equal(ms[0]!.validation, 'valid');
  assert.equal(ms[0]!.details.format, 'MRV-A');
  assert.deepEqual(ms[0]!.details.checks, { passed: 3, total: 3, failed: [] });
});

test('TD3 personal-number check digit may be < when the field is empty', () => {
  const doc = 'C01X00T47';
  const birth = '740812';
  const expiry = '310415';
  const head = doc + checkDigit(doc) + 'D<<' + birth + checkDigit(birth) + 'F' + expiry + checkDigit(expiry) + '<'.repeat(14) + '<';
  const composite = checkDigit(head.slice(0, 10) + head.slice(13, 20) + head.slice(21, 43));
  const ms = find('P<D<<MUSTERMANN<<ERIKA'.padEnd(44, '<'), head + composite);
  assert.equal(ms.length, 1);
  const m = ms[0]!;
  assert.equal(m.validation, 'valid', m.explanation);
  assert.equal(m.details.issuer, 'D');
  assert.equal(m.details.nationality, 'D');
  assert.equal(m.details.expired, false);
  assert.equal(m.redacted, 'TD3 D doc no. •••••0T47');
});

test('two MRZs in one image are both found', () => {
  const ms = find(...TD3, 'some text between', ...TD1);
  assert.deepEqual(ms.map((m) => m.details.format), ['TD3', 'TD1']);
});

test('normaliseMrzLine keeps K in names but turns filler K into <', () => {
  assert.equal(normaliseMrzLine('P<FINKIKKONEN<<URHO<KALEVAKKKK').text, 'P<FINKIKKONEN<<URHO<KALEVA<<<<');
  assert.equal(normaliseMrzLine('ERIK<<ANNA<K<<').text, 'ERIK<<ANNA<<<<');
  assert.equal(normaliseMrzLine('P<UTO ERIKSSON « ANNA').text, 'P<UTOERIKSSON<ANNA');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPan, luhn, panRecognizer } from '../src/recognizers/pan.js';
import type { Match } from '../src/recognizers/types.js';
import { assertNoLeak, boxesOf, ocrLines } from './helpers/ocr-lines.js';

/** Append the digit that makes `body` Luhn-valid. */
function complete(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhn(body + d)) return body + d;
  throw new Error('unreachable');
}

const find = (...texts: string[]): Match[] => panRecognizer.find(ocrLines(texts));

/** Published processor test numbers (Stripe, Adyen, PayPal/Braintree docs). */
const TEST_CARDS: readonly [string, string][] = [
  ['4242424242424242', 'Visa'],
  ['4111111111111111', 'Visa'],
  ['4000056655665556', 'Visa'],
  ['5555555555554444', 'Mastercard'],
  ['2223003122003222', 'Mastercard'],
  ['5200828282828210', 'Mastercard'],
  ['378282246310005', 'Amex'],
  ['371449635398431', 'Amex'],
  ['6011111111111117', 'Discover'],
  ['6445644564456445', 'Discover'],
  ['3566002020360505', 'JCB'],
  ['30569309025904', 'Diners Club'],
  ['36227206271667', 'Diners Club'],
  ['3056930009020004', 'Diners Club'],
  ['6200000000000005', 'UnionPay'],
  ['6250941006528599', 'UnionPay'],
  ['6759649826438453', 'Maestro'],
  ['6304000000000000', 'Maestro'],
  ['2201382000000013', 'Mir'],
];

for (const [pan, issuer] of TEST_CARDS) {
  test(`test card ${issuer} ${pan.length} digits is valid, redacted to the last 4`, () => {
    const ms = find(pan);
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.entity, 'payment_card_number');
    assert.equal(m.validation, 'valid');
    assert.equal(m.value, pan);
    assert.deepEqual(m.details, { issuer, length: pan.length, luhn: true, context: [], repaired: 0 });
    assert.equal(m.explanation, `Luhn valid; ${issuer}; ${pan.length} digits`);
    assert.ok(m.redacted.endsWith(pan.slice(-4)));
    assert.equal(m.redacted.replace(/[* ]/g, ''), pan.slice(-4), 'never more than the last 4 digits in clear');
    assertNoLeak(m, [pan, pan.slice(0, 6) + pan.slice(-4)]);
  });
}

const GROUPINGS: readonly [string, string, string][] = [
  ['4111 1111 1111 1111', '4111111111111111', '**** **** **** 1111'],
  ['4111-1111-1111-1111', '4111111111111111', '**** **** **** 1111'],
  ['4111.1111.1111.1111', '4111111111111111', '**** **** **** 1111'],
  ['4111 - 1111 - 1111 - 1111', '4111111111111111', '**** **** **** 1111'],
  ['378282246310005', '378282246310005', '*** **** **** 0005'],
  ['3782 822463 10005', '378282246310005', '*** **** **** 0005'],
  ['3056 930902 5904', '30569309025904', '** **** **** 5904'],
  ['6250 9410 0652 8599 ', '6250941006528599', '**** **** **** 8599'],
];

for (const [text, digits, redacted] of GROUPINGS) {
  test(`grouping ${JSON.stringify(text)} is one valid PAN`, () => {
    const ms = find(text);
    assert.equal(ms.length, 1);
    assert.equal(ms[0]!.value, digits);
    assert.equal(ms[0]!.validation, 'valid');
    assert.equal(ms[0]!.redacted, redacted);
    assertNoLeak(ms[0]!, [digits]);
  });
}

const NEAR_MISSES: readonly [string, string, { validation: string; issuer: string | null; luhn: boolean } | null][] = [
  ['one digit changed: Luhn fails', '4111 1111 1111 1112', { validation: 'invalid', issuer: 'Visa', luhn: false }],
  ['Amex with a digit changed', '3782 822463 10006', { validation: 'invalid', issuer: 'Amex', luhn: false }],
  ['Luhn passes, no IIN', '1234 5678 1234 5670', { validation: 'unknown', issuer: null, luhn: true }],
  ['Luhn passes, Visa IIN, 17 digits is not a Visa length', '41111111111111113', { validation: 'unknown', issuer: null, luhn: true }],
  ['too short (12 digits)', '4111 1111 1111', null],
  ['all zeros', '0000 0000 0000 0000', null],
  ['all the same digit', '4444444444444444', null],
  ['25 digits in a row', '4111111111111111111111111', null],
  ['20 digits in groups of 4 (a longer number, not a card plus extra)', '4111 1111 1111 1111 1111', null],
  ['24 digits in groups of 4', '4242 4242 4242 4242 4242 4242', null],
];

for (const [name, text, want] of NEAR_MISSES) {
  test(`near miss: ${name}`, () => {
    const ms = find(text);
    if (want === null) {
      assert.deepEqual(ms, []);
      return;
    }
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.validation, want.validation);
    assert.equal(m.details.issuer, want.issuer);
    assert.equal(m.details.luhn, want.luhn);
    assert.ok(m.score < 0.5, `near misses score low (${m.score})`);
    assertNoLeak(m, [m.value]);
  });
}

test('Luhn-valid window of a run with a trailing CVV or expiry fragment is found', () => {
  for (const text of ['4111 1111 1111 1111 123', '4111 1111 1111 1111 12/28', '1 4242 4242 4242 4242']) {
    const ms = find(text);
    assert.equal(ms.length, 1, text);
    assert.equal(ms[0]!.validation, 'valid', text);
    assert.equal(ms[0]!.value.length, 16, text);
  }
});

test('no card number is cut out of the digits of an IBAN', () => {
  assert.deepEqual(find('IBAN DE89 3704 0044 0532 0130 00'), []);
});

test('OCR look-alikes inside digit groups are repaired and counted', () => {
  const cases: [string, string, number][] = [
    ['4111 1111 1111 111l', '4111111111111111', 1],
    ['4242 4242 4242 424Z', '4242424242424242', 1],
    ['5555 5555 S555 4444', '5555555555554444', 1],
    ['6O11 1111 1111 1117', '6011111111111117', 1],
  ];
  for (const [text, digits, repaired] of cases) {
    const ms = find(text);
    assert.equal(ms.length, 1, text);
    assert.equal(ms[0]!.value, digits, text);
    assert.equal(ms[0]!.validation, 'valid', text);
    assert.equal(ms[0]!.details.repaired, repaired, text);
    assert.match(ms[0]!.explanation, /1 OCR repair/);
  }
});

test('a group made only of look-alikes is not turned into digits (conservative)', () => {
  assert.deepEqual(find('4111 llll 1111 1111'), []);
  assert.deepEqual(find('CODE SOLD 1234'), []);
});

test('context words raise the score and are listed', () => {
  const bare = find('4111 1111 1111 1111')[0]!;
  const withCtx = panRecognizer.find(ocrLines(['VISA DEBIT', '4111 1111 1111 1111', 'VALID THRU 12/28']))[0]!;
  assert.ok(withCtx.score > bare.score);
  assert.deepEqual(new Set(withCtx.details.context as string[]), new Set(['visa', 'debit', 'valid thru']));
  assert.match(withCtx.explanation, /context: /);
});

test('boxes are the boxes of the words the number came from', () => {
  const lines = ocrLines(['Card number: 4111 1111 1111 1111 exp 12/28', 'second line 5555555555554444']);
  const ms = panRecognizer.find(lines);
  assert.equal(ms.length, 2);
  assert.deepEqual(ms[0]!.boxes, boxesOf(lines, 0, [2, 3, 4, 5]));
  assert.deepEqual(ms[1]!.boxes, boxesOf(lines, 1, [2]));
});

test('low OCR confidence lowers the score', () => {
  const hi = panRecognizer.find(ocrLines(['4111 1111 1111 1111'], 95))[0]!;
  const lo = panRecognizer.find(ocrLines(['4111 1111 1111 1111'], 30))[0]!;
  assert.ok(lo.score < hi.score);
});

test('checkPan picks the most specific IIN', () => {
  assert.equal(checkPan('6011111111111117').issuer, 'Discover'); // not Maestro's 6x
  assert.equal(checkPan(complete('622126000000000')).issuer, 'Discover');
  assert.equal(checkPan(complete('622925999999999')).issuer, 'Discover');
  assert.equal(checkPan(complete('622125999999999')).issuer, 'UnionPay');
  assert.equal(checkPan(complete('622926000000000')).issuer, 'UnionPay');
  assert.equal(checkPan(complete('272099999999999')).issuer, 'Mastercard');
  assert.equal(checkPan(complete('272100000000000')).issuer, null);
  assert.equal(checkPan('6200000000000005').issuer, 'UnionPay');
  assert.equal(checkPan('2200000000000004').issuer, 'Mir');
  assert.equal(checkPan('5019717010103742').issuer, 'Maestro');
});

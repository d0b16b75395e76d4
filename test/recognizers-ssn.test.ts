import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSsn, ssnRecognizer } from '../src/recognizers/ssn.js';
import type { Match } from '../src/recognizers/types.js';
import { assertNoLeak, boxesOf, ocrLines } from './helpers/ocr-lines.js';

const find = (...texts: string[]): Match[] => ssnRecognizer.find(ocrLines(texts));

const DASHED: readonly [string, string, 'valid' | 'invalid', string?][] = [
  ['123-45-6789', '123456789', 'valid'],
  ['123 45 6789', '123456789', 'valid'],
  ['123 - 45 - 6789', '123456789', 'valid'],
  ['078-05-1121', '078051121', 'valid'],
  ['899-99-9999', '899999999', 'valid'],
  ['000-12-3456', '000123456', 'invalid', 'area 000'],
  ['666-12-3456', '666123456', 'invalid', 'area 666'],
  ['900-12-3456', '900123456', 'invalid', 'area 900-999'],
  ['950-12-3456', '950123456', 'invalid', 'area 900-999'],
  ['999-12-3456', '999123456', 'invalid', 'area 900-999'],
  ['123-00-4567', '123004567', 'invalid', 'group 00'],
  ['123-45-0000', '123450000', 'invalid', 'serial 0000'],
  ['078-05-1120', '078051120', 'invalid', 'known advertising number'],
  ['219-09-9999', '219099999', 'invalid', 'known advertising number'],
];

for (const [text, digits, validation, reason] of DASHED) {
  test(`dashed ${text} → ${validation}${reason ? ` (${reason})` : ''}`, () => {
    const ms = find(`Name JOHN DOE ${text}`);
    assert.equal(ms.length, 1);
    const m = ms[0]!;
    assert.equal(m.entity, 'us_ssn');
    assert.equal(m.value, digits);
    assert.equal(m.validation, validation);
    assert.equal(m.redacted, `***-**-${digits.slice(5)}`);
    if (reason) assert.equal(m.details.failed, reason);
    if (validation === 'invalid') assert.ok(m.score < 0.3);
    assertNoLeak(m, [digits, text]);
  });
}

const UNDASHED: readonly [string, string[], number][] = [
  ['no context: nothing', ['Order 123456789 shipped'], 0],
  ['account number is not SSN context', ['Account number 123456789'], 0],
  ['SSN on the same line', ['SSN 123456789'], 1],
  ['SSN# glued punctuation', ['SS# 123456789'], 1],
  ['social security on the line above', ['SOCIAL SECURITY', '123456789', 'JOHN DOE'], 1],
  ['social security administration below', ['123456789', 'SOCIAL SECURITY ADMINISTRATION'], 1],
  ['context two lines away does not count', ['SOCIAL SECURITY', 'THIS CARD', '123456789'], 0],
];

for (const [name, lines, n] of UNDASHED) {
  test(`undashed: ${name}`, () => {
    const ms = find(...lines);
    assert.equal(ms.length, n);
    if (n) {
      assert.equal(ms[0]!.validation, 'valid');
      assert.equal(ms[0]!.details.format, 'undashed');
      assert.ok((ms[0]!.details.context as string[]).length > 0);
      assertNoLeak(ms[0]!, ['123456789']);
    }
  });
}

test('undashed with context still applies the SSA rules', () => {
  const [m] = find('SSN 666123456');
  assert.equal(m?.validation, 'invalid');
});

test('context raises the score of a dashed SSN', () => {
  const bare = find('123-45-6789')[0]!;
  const ctx = find('Social Security Number', '123-45-6789')[0]!;
  assert.ok(ctx.score > bare.score);
});

test('nine-digit stretches of longer digit runs are not SSNs', () => {
  for (const text of [
    'SSN 4111 1111 1111 1111',
    'SSN 4111111111111111',
    'SSN 1234567890',
    'SSN 123-45-6789-1234',
    'SSN 12-123-45-6789',
    'SSN 123.45.6789',
  ]) {
    assert.deepEqual(find(text), [], text);
  }
});

test('a dashed SSN next to another number joined by a space is still found', () => {
  const ms = find('SSN 123-45-6789 2024');
  assert.equal(ms.length, 1);
  assert.equal(ms[0]!.value, '123456789');
});

test('OCR look-alikes inside the groups are repaired', () => {
  const ms = find('SSN 1Z3-45-67B9');
  assert.equal(ms.length, 1);
  assert.equal(ms[0]!.value, '123456789');
  assert.equal(ms[0]!.details.repaired, 2);
});

test('boxes are the boxes of the SSN words', () => {
  const lines = ocrLines(['SOCIAL SECURITY', 'JOHN Q PUBLIC', 'SSN: 123 45 6789 issued']);
  const ms = ssnRecognizer.find(lines);
  assert.equal(ms.length, 1);
  assert.deepEqual(ms[0]!.boxes, boxesOf(lines, 2, [1, 2, 3]));
});

test('checkSsn table', () => {
  assert.equal(checkSsn('123456789').validation, 'valid');
  assert.equal(checkSsn('665123456').validation, 'valid');
  assert.equal(checkSsn('667123456').validation, 'valid');
  assert.equal(checkSsn('12345678').validation, 'invalid');
});

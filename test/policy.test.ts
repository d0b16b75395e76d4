/**
 * The policy: file validation, its version, when OCR runs, and which findings an image gets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideFindings, ocrReason, type ClassificationLike, type Evidence, type OcrReport } from '../src/policy/decide.js';
import { parsePolicy, policyVersion } from '../src/policy/load.js';
import { DEFAULT_POLICY } from '../src/policy/schema.js';
import { UserError } from '../src/util/errors.js';

const THRESHOLDS = { passport: 0.835, id_card: 0.9, ssn_card: 0.538, payment_card: 0.725, screenshot: 0.844, other: 0.844 };

function cls(label: string, p: number, rest: Record<string, number> = {}, uncertain = p < 0.663): ClassificationLike {
  const scores: Record<string, number> = { passport: 0, id_card: 0, ssn_card: 0, payment_card: 0, screenshot: 0, other: 0, ...rest, [label]: p };
  return { label, scores, modelVersion: 'm@1', uncertain };
}

function ev(entity: Evidence['entity'], validation: Evidence['validation'] = 'valid', details: Record<string, unknown> = {}): Evidence {
  return {
    recognizer: entity,
    entity,
    validation,
    score: 0.9,
    explanation: `${entity} ${validation}`,
    details,
    redacted: '**** 1111',
    valueHash: `h-${entity}`,
    boxes: [{ x: 1, y: 2, w: 3, h: 4 }],
  };
}

const ocr = (...evidence: Evidence[]): OcrReport => ({ evidence, words: 12, ms: 300, passes: ['full'] });
const decide = (c: ClassificationLike, report?: OcrReport, policy = DEFAULT_POLICY) =>
  decideFindings(c, policy, { thresholds: THRESHOLDS, policyVersion: policyVersion(policy), ocr: report });
const brief = (fs: ReturnType<typeof decide>) => fs.map((f) => `${f.label}/${f.entityType || '-'}/${f.severity}/${f.explanation.reason}`);

test('an empty policy file is the default policy; its version changes when the content does', () => {
  assert.deepEqual(parsePolicy(''), DEFAULT_POLICY);
  assert.deepEqual(parsePolicy('{}'), DEFAULT_POLICY);
  assert.equal(policyVersion(parsePolicy('')), policyVersion(DEFAULT_POLICY));
  const edited = parsePolicy('ocr:\n  screenshots: true\n');
  assert.equal(edited.ocr.screenshots, true);
  assert.equal(edited.ocr.minScore, DEFAULT_POLICY.ocr.minScore, 'unset fields keep their defaults');
  assert.notEqual(policyVersion(edited), policyVersion(DEFAULT_POLICY), 'an edit without a version bump still changes the version');
  assert.match(policyVersion(DEFAULT_POLICY), /^default-2#[0-9a-f]{8}$/);
  // labels and entities merge key by key over the defaults; null removes a rule
  const merged = parsePolicy('labels:\n  id_card: null\n  screenshot: { severity: low }\nentities:\n  iban: { severity: high }\n');
  assert.deepEqual(Object.keys(merged.labels).sort(), ['passport', 'payment_card', 'screenshot', 'ssn_card']);
  assert.equal(merged.entities.iban?.severity, 'high');
  assert.equal(merged.entities.mrz?.severity, 'high', 'entities not named keep their defaults');
});

test('an invalid policy file is one clear line naming the field', () => {
  const cases: Array<[string, RegExp]> = [
    ['ocr:\n  minscore: 0.3\n', /invalid at ocr: .*minscore/i],
    ['labels:\n  passport: { severity: severe }\n', /invalid at labels\.passport\.severity/],
    ['ocr: { minScore: 1.5 }\n', /invalid at ocr\.minScore/],
    ['entities:\n  mrz: null\n', /labels\.passport\.supportedBy: entity mrz has no rule/],
    ['suspected: { action: keep }\n', /invalid at suspected\.action/],
    ['exclude: [a]\n', /invalid at exclude/],
    ['ocr: [unclosed\n', /not valid YAML/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parsePolicy(text, 'p.yaml'), (err: unknown) => {
      assert.ok(err instanceof UserError, text);
      assert.match(err.message, re, text);
      assert.ok(!err.message.includes('\n'), 'one line');
      assert.match(err.message, /^the policy file p\.yaml /);
      return true;
    });
  }
});

test('OCR runs for document classes, document-heavy and uncertain images, never for a confidently benign photo', () => {
  const P = DEFAULT_POLICY;
  assert.equal(ocrReason(cls('other', 0.95, { screenshot: 0.03 }, false), P), undefined, 'confident photo: no OCR');
  assert.equal(ocrReason(cls('screenshot', 0.9, { other: 0.08 }, false), P), undefined, 'screenshot text scanning is off by default');
  assert.match(ocrReason(cls('screenshot', 0.9, { other: 0.08 }, false), parsePolicy('ocr: { screenshots: true }'))!, /screenshot/);
  assert.match(ocrReason(cls('passport', 0.3), P)!, /top label passport/);
  assert.match(ocrReason(cls('payment_card', 0.97, {}, false), P)!, /top label payment_card/, 'a confident card is still read for its PAN');
  assert.match(ocrReason(cls('other', 0.7, { id_card: 0.15, passport: 0.12 }, false), P)!, /document classes together 0\.27/);
  assert.equal(ocrReason(cls('other', 0.6, { screenshot: 0.35 }), P), undefined, 'uncertain between photo and screenshot: no OCR by default');
  assert.match(ocrReason(cls('other', 0.6, { screenshot: 0.35 }), parsePolicy('ocr: { uncertain: true }'))!, /uncertain/);
  assert.equal(ocrReason(cls('passport', 0.99, {}, false), parsePolicy('ocr: { enabled: false }')), undefined);
});

test('a confident document label is a finding by itself; validated entities add their own findings', () => {
  assert.deepEqual(brief(decide(cls('passport', 0.95, {}, false))), ['passport/-/high/confident']);
  const fs = decide(cls('passport', 0.95, {}, false), ocr(ev('mrz', 'valid', { format: 'TD3' }), ev('date_of_birth')));
  assert.deepEqual(brief(fs), ['passport/-/high/confident', 'passport/mrz/high/entity']);
  assert.match(String(fs[0]!.explanation.summary), /^passport 0\.95; mrz valid; date_of_birth valid$/);
  assert.equal(fs[1]!.valueHash, 'h-mrz');
  assert.equal(fs[1]!.redactedValue, '**** 1111');
  assert.deepEqual(fs[1]!.boxes, [{ x: 1, y: 2, w: 3, h: 4 }]);
});

test('below its threshold a document label needs a fitting entity; otherwise it is suspected (low) or dropped', () => {
  const mid = cls('payment_card', 0.6, { other: 0.3 });
  assert.deepEqual(brief(decide(mid, ocr(ev('payment_card_number')))), ['payment_card/-/high/confirmed', 'payment_card/payment_card_number/high/entity']);
  assert.match(String(decide(mid, ocr(ev('payment_card_number')))[0]!.explanation.summary), /below 0\.725\), confirmed by payment_card_number valid/);
  // an entity that does not fit the class does not confirm it (an SSN does not make a payment card) but is still a finding
  assert.deepEqual(brief(decide(mid, ocr(ev('us_ssn')))), ['ssn_card/-/critical/implied', 'ssn_card/us_ssn/critical/entity']);
  assert.deepEqual(brief(decide(mid, ocr())), ['payment_card/-/low/suspected']);
  assert.deepEqual(brief(decide(mid, ocr(ev('payment_card_number', 'invalid')))), ['payment_card/-/low/suspected'], 'a Luhn-invalid number is no evidence');
  assert.deepEqual(brief(decide(mid, ocr(ev('date_of_expiry')))), ['payment_card/-/low/suspected'], 'evidence-only entities never confirm');
  assert.equal(DEFAULT_POLICY.entities.payment_card_number?.validOnly, true, 'the built-in rules carry their own defaults');
  assert.deepEqual(brief(decide(mid, ocr(ev('payment_card_number', 'unknown')))), ['payment_card/-/low/suspected'], 'Luhn without a known brand is not evidence by default');
  const drop = parsePolicy('suspected: { action: drop }');
  assert.deepEqual(brief(decide(mid, ocr(), drop)), []);
  assert.deepEqual(brief(decide(cls('payment_card', 0.4, { other: 0.35 }), ocr())), [], 'below suspected.minScore: nothing');
  const unknownOk = parsePolicy('entities: { payment_card_number: { severity: high, validOnly: false } }');
  assert.deepEqual(brief(decide(mid, ocr(ev('payment_card_number', 'unknown')), unknownOk)), ['payment_card/-/high/confirmed', 'payment_card/payment_card_number/high/entity']);
});

test('a validated entity raises the class the classifier missed; an MRZ picks passport or ID by its format', () => {
  assert.deepEqual(brief(decide(cls('other', 0.55, { screenshot: 0.3 }), ocr(ev('mrz', 'valid', { format: 'TD3', docType: 'P' })))), ['passport/-/high/implied', 'passport/mrz/high/entity']);
  assert.deepEqual(brief(decide(cls('other', 0.55, { screenshot: 0.3 }), ocr(ev('mrz', 'valid', { format: 'TD1', docType: 'ID' })))), ['id_card/-/high/implied', 'id_card/mrz/high/entity']);
  const f = decide(cls('screenshot', 0.7, { other: 0.2 }, false), ocr(ev('payment_card_number')));
  assert.deepEqual(brief(f), ['payment_card/-/high/implied', 'payment_card/payment_card_number/high/entity']);
  assert.match(String(f[0]!.explanation.summary), /^PAN implies payment_card \(classifier: screenshot 0\.70\)/);
  // an IBAN fits no document class: an entity finding under the image's own label
  assert.deepEqual(brief(decide(cls('screenshot', 0.7, { other: 0.2 }, false), ocr(ev('iban')))), ['screenshot/iban/medium/entity']);
  // an MRZ whose check digits fail is still a sign of a document: a low suspected finding, not an entity finding
  assert.deepEqual(brief(decide(cls('passport', 0.45, { other: 0.4 }), ocr(ev('mrz', 'invalid', { format: 'TD1', docType: 'I' })))), ['id_card/-/low/suspected']);
  assert.deepEqual(brief(decide(cls('other', 0.8, {}, false), ocr(ev('mrz', 'invalid', { format: 'TD3' })))), ['passport/-/low/suspected']);
  assert.deepEqual(brief(decide(cls('other', 0.8, {}, false), ocr(ev('mrz', 'invalid')), parsePolicy('suspected: { evidence: [] }'))), []);
  assert.deepEqual(brief(decide(cls('other', 0.8, {}, false), ocr(ev('payment_card_number', 'invalid')))), [], 'a Luhn-invalid number is no sign of a card');
  // a non-document label with nothing found: no finding
  assert.deepEqual(brief(decide(cls('other', 0.55, { screenshot: 0.3 }), ocr())), []);
});

test('explanations record the model, the policy version and what OCR did', () => {
  const [f] = decide(cls('id_card', 0.95, {}, false), ocr());
  assert.equal(f!.explanation.model, 'm@1');
  assert.equal(f!.explanation.policy, policyVersion(DEFAULT_POLICY));
  assert.deepEqual(f!.explanation.ocr, { ran: true, why: undefined, words: 12, ms: 300, passes: ['full'] });
  assert.deepEqual(decide(cls('id_card', 0.95, {}, false))[0]!.explanation.ocr, { ran: false });
});

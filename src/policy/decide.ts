/**
 * The policy's two decisions for one image:
 *   1. wantsOcr: is this image worth the OCR stage? (OCR costs 10–50 classifications: measured in npm run bench.)
 *   2. decideFindings: given the classification and the validated evidence OCR found, which
 *      findings does the image get, at what severity, and why?
 *
 * Default behaviour: a document label is a finding when the classifier is confident, or when OCR
 * validated an entity that fits the class (an MRZ for a passport). A validated entity whose class
 * the classifier missed (a Luhn-valid PAN in a photo called `other`) raises that class. A document
 * label in the middle band with no support is a low-severity "suspected" finding, or nothing.
 */
import type { Box } from '../ocr/types.js';
import type { EntityType, Validation } from '../recognizers/types.js';
import type { FindingRecord } from '../store/index.js';
import type { EntityRule, Policy, Severity } from './schema.js';

export interface ClassificationLike {
  label: string;
  scores: Record<string, number>;
  modelVersion: string;
  uncertain: boolean;
}

/** A recognizer match after redaction: the raw value is gone, only its keyed hash remains. */
export interface Evidence {
  recognizer: string;
  entity: EntityType;
  validation: Validation;
  score: number;
  explanation: string;
  details: Record<string, unknown>;
  redacted: string;
  valueHash: string;
  boxes: Box[];
}

/** What the OCR stage reports for one image. */
export interface OcrReport {
  evidence: Evidence[];
  words: number;
  ms: number;
  passes: string[];
}

/** Why OCR ran, or `undefined` when the policy says it is not worth it. */
export function ocrReason(cls: ClassificationLike, policy: Policy): string | undefined {
  const o = policy.ocr;
  if (!o.enabled) return undefined;
  const top = cls.scores[cls.label] ?? 0;
  if (o.labels.includes(cls.label) && top >= o.minScore) return `top label ${cls.label} ${top.toFixed(2)} ≥ ${o.minScore}`;
  const mass = o.labels.reduce((s, l) => s + (cls.scores[l] ?? 0), 0);
  if (mass >= o.minDocumentMass) return `document classes together ${mass.toFixed(2)} ≥ ${o.minDocumentMass}`;
  if (o.uncertain && cls.uncertain) return `classifier uncertain (${cls.label} ${top.toFixed(2)})`;
  if (o.screenshots && cls.label === 'screenshot') return 'screenshot text scanning is on';
  return undefined;
}

export const wantsOcr = (cls: ClassificationLike, policy: Policy): boolean => ocrReason(cls, policy) !== undefined;

export interface DecideContext {
  /** The model's per-class thresholds (precision-calibrated), used where the policy sets no minScore. */
  thresholds: Record<string, number>;
  policyVersion: string;
  /** OCR's report, or undefined when OCR did not run. */
  ocr?: OcrReport;
  ocrReason?: string;
}

const ENTITY_NAMES: Record<EntityType, string> = {
  payment_card_number: 'PAN',
  us_ssn: 'SSN',
  mrz: 'MRZ',
  iban: 'IBAN',
  date_of_birth: 'date of birth',
  date_of_expiry: 'date of expiry',
};

/** Evidence that counts under the policy: a rule exists, and the validator said valid (or unknown, when allowed). */
export function countedEvidence(evidence: readonly Evidence[], policy: Policy): Evidence[] {
  return evidence.filter((e) => {
    const rule: EntityRule | undefined = policy.entities[e.entity];
    return rule && (e.validation === 'valid' || (!rule.validOnly && e.validation === 'unknown'));
  });
}

export function decideFindings(cls: ClassificationLike, policy: Policy, ctx: DecideContext): FindingRecord[] {
  const counted = countedEvidence(ctx.ocr?.evidence ?? [], policy);
  const base = {
    model: cls.modelVersion,
    policy: ctx.policyVersion,
    classification: { label: cls.label, p: round(cls.scores[cls.label] ?? 0), uncertain: cls.uncertain },
    ocr: ctx.ocr
      ? { ran: true, why: ctx.ocrReason, words: ctx.ocr.words, ms: Math.round(ctx.ocr.ms), passes: ctx.ocr.passes }
      : { ran: false },
  };

  const labelFinding = decideLabel(cls, policy, ctx, counted, base);
  const out: FindingRecord[] = labelFinding ? [labelFinding] : [];
  for (const e of counted) {
    const rule = policy.entities[e.entity]!;
    if (rule.severity === 'evidence') continue;
    // Filed under the class the entity belongs to (an SSN under ssn_card even on a card photo), else the image's label.
    const findingLabel = impliedLabel(e, policy, cls) ?? labelFinding?.label ?? cls.label;
    const p = cls.scores[findingLabel] ?? 0;
    out.push({
      label: findingLabel,
      score: e.score,
      entityType: e.entity,
      valueHash: e.valueHash,
      redactedValue: e.redacted,
      boxes: e.boxes,
      severity: rule.severity,
      explanation: {
        ...base,
        summary: `${findingLabel} ${p.toFixed(2)}; ${e.explanation}`,
        reason: 'entity',
        entity: { recognizer: e.recognizer, validation: e.validation, explanation: e.explanation, details: e.details, score: round(e.score) },
      },
    });
  }
  return out;
}

function decideLabel(
  cls: ClassificationLike,
  policy: Policy,
  ctx: DecideContext,
  counted: Evidence[],
  base: Record<string, unknown>,
): FindingRecord | undefined {
  const make = (label: string, severity: Severity, reason: string, summary: string, support: Evidence[]): FindingRecord => ({
    label,
    score: cls.scores[label] ?? 0,
    entityType: '',
    valueHash: '',
    redactedValue: null,
    boxes: support.flatMap((e) => e.boxes),
    severity,
    explanation: {
      ...base,
      summary,
      reason,
      threshold: thresholdOf(label, policy, ctx),
      support: support.map((e) => ({ entity: e.entity, explanation: e.explanation })),
    },
  });
  const supportFor = (label: string) => {
    const rule = policy.labels[label];
    const direct = rule ? counted.filter((e) => rule.supportedBy.includes(e.entity)) : [];
    // Evidence-only entities (dates near "DOB") strengthen the explanation of a document label, never raise one alone.
    const extra = counted.filter((e) => policy.entities[e.entity]?.severity === 'evidence' && !direct.includes(e));
    return { direct, extra };
  };
  const describe = (es: Evidence[]) => es.map((e) => e.explanation).join('; ');

  // 1. The top label, confident or confirmed by a fitting entity.
  const rule = policy.labels[cls.label];
  const p = cls.scores[cls.label] ?? 0;
  if (rule) {
    const min = thresholdOf(cls.label, policy, ctx);
    const { direct, extra } = supportFor(cls.label);
    const tail = direct.length || extra.length ? `; ${describe([...direct, ...extra])}` : '';
    if (p >= min) return make(cls.label, rule.severity, 'confident', `${cls.label} ${p.toFixed(2)}${tail}`, [...direct, ...extra]);
    if (direct.length) {
      return make(cls.label, rule.severity, 'confirmed', `${cls.label} ${p.toFixed(2)} (below ${round(min)}), confirmed by ${describe(direct)}${extra.length ? `; ${describe(extra)}` : ''}`, [...direct, ...extra]);
    }
  }

  // 2. A validated entity that implies a class the classifier did not pick.
  for (const e of [...counted].sort((a, b) => b.score - a.score)) {
    const label = impliedLabel(e, policy, cls);
    if (!label || label === cls.label) continue;
    const r = policy.labels[label]!;
    return make(label, r.severity, 'implied', `${ENTITY_NAMES[e.entity]} implies ${label} (classifier: ${cls.label} ${p.toFixed(2)}); ${e.explanation}`, [e]);
  }

  if (policy.suspected.action !== 'low') return undefined;
  // 3. Suspected: a document label in the middle band with nothing to back it.
  if (rule && p >= policy.suspected.minScore) {
    const why = ctx.ocr ? 'OCR found no supporting entity' : ctx.ocrReason ? 'OCR did not finish' : 'OCR did not run';
    return make(cls.label, 'low', 'suspected', `suspected ${cls.label} ${p.toFixed(2)} (below ${round(thresholdOf(cls.label, policy, ctx))}); ${why}`, []);
  }
  // 4. Suspected: document-shaped text (an MRZ whose check digits fail) whatever the score.
  const sign = (ctx.ocr?.evidence ?? []).filter((e) => policy.suspected.evidence.includes(e.entity)).sort((a, b) => b.score - a.score)[0];
  if (sign) {
    const label = impliedLabel(sign, policy, cls) ?? (rule ? cls.label : undefined);
    if (label) {
      return make(label, 'low', 'suspected', `suspected ${label}: ${sign.explanation} (classifier: ${cls.label} ${p.toFixed(2)})`, [sign]);
    }
  }
  return undefined;
}

/** The label an entity points at: the labels it supports, an MRZ's document type choosing between passport and ID. */
function impliedLabel(e: Evidence, policy: Policy, cls: ClassificationLike): string | undefined {
  const candidates = Object.entries(policy.labels)
    .filter(([, r]) => r.supportedBy.includes(e.entity))
    .map(([l]) => l);
  if (!candidates.length) return undefined;
  if (e.entity === 'mrz') {
    const docType = String(e.details.docType ?? '');
    const passportLike = e.details.format === 'TD3' || docType.startsWith('P');
    const pick = passportLike ? 'passport' : 'id_card';
    if (candidates.includes(pick)) return pick;
  }
  return candidates.sort((a, b) => (cls.scores[b] ?? 0) - (cls.scores[a] ?? 0))[0];
}

function thresholdOf(label: string, policy: Policy, ctx: DecideContext): number {
  return policy.labels[label]?.minScore ?? ctx.thresholds[label] ?? 0.5;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

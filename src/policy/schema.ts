/**
 * The policy file: which labels and entities make a violation (and how severe), when the OCR
 * stage runs, and which sources or paths are left out. Validated with zod; every field has a
 * default, so an empty file is the default policy, and a file names only what it changes.
 *
 * The split of work it encodes: the classifier is the high-recall gate, validated entities
 * (an MRZ whose check digits pass, a Luhn-valid PAN, an SSN inside the issued ranges) are the
 * high-precision evidence.
 */
import { z } from 'zod';
import type { EntityType } from '../recognizers/types.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ENTITY_TYPES = ['payment_card_number', 'us_ssn', 'mrz', 'iban', 'date_of_birth', 'date_of_expiry'] as const satisfies readonly EntityType[];

const severity = z.enum(SEVERITIES);
const entityType = z.enum(ENTITY_TYPES);
const score = z.number().min(0).max(1);

const labelRule = z
  .object({
    severity,
    /** Score the label alone needs for a finding; default: the model manifest's per-class threshold. */
    minScore: score.optional(),
    /** Validated entities that confirm this label below its threshold (an MRZ for a passport). */
    supportedBy: z.array(entityType).default([]),
  })
  .strict();

const entityRule = z
  .object({
    /** `evidence`: supports a label and shows in its explanation, but is never a finding of its own. */
    severity: z.union([severity, z.literal('evidence')]),
    /** Count only matches whose validator said `valid` (the default); `unknown` ones too when false. */
    validOnly: z.boolean().default(true),
  })
  .strict();

const DEFAULT_LABELS = {
  passport: { severity: 'high', supportedBy: ['mrz'] },
  id_card: { severity: 'high', supportedBy: ['mrz'] },
  ssn_card: { severity: 'critical', supportedBy: ['us_ssn'] },
  payment_card: { severity: 'high', supportedBy: ['payment_card_number'] },
} as const;

const DEFAULT_ENTITIES = {
  payment_card_number: { severity: 'high' },
  us_ssn: { severity: 'critical' },
  mrz: { severity: 'high' },
  iban: { severity: 'medium' },
  date_of_birth: { severity: 'evidence' },
  date_of_expiry: { severity: 'evidence' },
} as const;

/**
 * `labels` and `entities` in a file are merged key by key over the defaults, so a file that
 * changes one entity keeps the others; a key set to null removes that rule.
 */
function mergeRules(raw: unknown): unknown {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = { ...(raw as Record<string, unknown>) };
  for (const [key, defaults] of [['labels', DEFAULT_LABELS], ['entities', DEFAULT_ENTITIES]] as const) {
    // Absent: the defaults, still run through the schema below (so every rule gets its own defaults, e.g. validOnly).
    const given = r[key] === undefined ? {} : r[key];
    if (given === null || typeof given !== 'object' || Array.isArray(given)) continue;
    const merged: Record<string, unknown> = structuredClone(defaults) as Record<string, unknown>;
    for (const [k, v] of Object.entries(given)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    r[key] = merged;
  }
  return r;
}

const policyObject = z
  .object({
    /** Recorded with every item and finding; changing it makes every item stale, so the next scan re-checks all. */
    version: z.string().min(1).max(100).default('default-2'),
    labels: z.record(z.string().min(1), labelRule).default(() => structuredClone(DEFAULT_LABELS) as never),
    entities: z.partialRecord(entityType, entityRule).default(() => structuredClone(DEFAULT_ENTITIES) as never),
    ocr: z
      .object({
        enabled: z.boolean().default(true),
        /** Document classes worth OCR. */
        labels: z.array(z.string().min(1)).default(['passport', 'id_card', 'ssn_card', 'payment_card']),
        /** OCR when the top label is one of `labels` with at least this probability. */
        minScore: score.default(0.2),
        /** ... or when the document classes together hold at least this much probability. */
        minDocumentMass: score.default(0.25),
        /**
         * ... or, when true, whenever the classifier is in its uncertain band (top probability below the band's top).
         * Off by default: uncertain between `other` and `screenshot` says nothing about documents (minDocumentMass
         * covers "a document is a live possibility"), and on real photos it mostly sent the costliest images to OCR
         * (textures and test charts: 14 of 48 real photos in `npm run bench`, 2.5 s of OCR each) without finding anything.
         */
        uncertain: z.boolean().default(false),
        /** ... or, when true, for every image classified as a screenshot (text scanning of screenshots). */
        screenshots: z.boolean().default(false),
      })
      .strict()
      .default(() => ({ enabled: true, labels: ['passport', 'id_card', 'ssn_card', 'payment_card'], minScore: 0.2, minDocumentMass: 0.25, uncertain: false, screenshots: false })),
    /**
     * A document label between `minScore` here and its finding threshold, with no supporting entity:
     * `low` records a low-severity "suspected" finding, `drop` records nothing.
     */
    suspected: z
      .object({
        action: z.enum(['low', 'drop']).default('low'),
        minScore: score.default(0.5),
        /**
         * Entities whose readings count as signs of a document even when their validator said
         * invalid: an MRZ-shaped block (a layout fitted, check digits partly failing) does not occur
         * by chance in a photo, so it makes a suspected finding whatever the classifier's score.
         */
        evidence: z.array(entityType).default(['mrz']),
      })
      .strict()
      .default(() => ({ action: 'low' as const, minScore: 0.5, evidence: ['mrz' as const] })),
    /** Left out of scans: recorded as skipped:excluded without being downloaded. */
    exclude: z
      .object({
        /** Source URIs (as `casb scan` shows them) or globs over them, e.g. `s3://logs-*`. */
        sources: z.array(z.string().min(1)).default([]),
        /** Globs over item paths within a source, e.g. `** /thumbnails/**`, `*.ico`. */
        paths: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default(() => ({ sources: [], paths: [] })),
    /** casb remediate. Not part of the policy version: changing it does not make items stale. */
    remediation: z
      .object({
        /** The most items one `casb remediate` may touch without --force. */
        maxItems: z.number().int().min(1).max(1_000_000).default(25),
        /**
         * Quarantine location per source: keys are source URIs or globs over them (`s3://photos-*`), or a
         * connector kind (`s3`, `gdrive`, `onedrive`, `local`); values as QuarantineTarget.to
         * (`s3://quarantine-bucket/prefix`, a folder name, a local folder outside the scanned tree).
         */
        quarantine: z
          .record(z.string(), z.string().trim().min(1))
          .superRefine((q, ctx) => {
            for (const k of Object.keys(q)) {
              if (!['s3', 'gdrive', 'onedrive', 'local'].includes(k) && !k.includes('://')) {
                ctx.addIssue({ code: 'custom', path: [k], message: 'a key is a connector kind (s3, gdrive, onedrive, local) or a source URI or glob such as s3://photos-*' });
              }
            }
          })
          .default({}),
      })
      .strict()
      .default(() => ({ maxItems: 25, quarantine: {} })),
  })
  .strict();

export const policySchema = z.preprocess(mergeRules, policyObject).superRefine((p, ctx) => {
    for (const [label, rule] of Object.entries(p.labels)) {
      for (const e of rule.supportedBy) {
        if (!p.entities[e]) ctx.addIssue({ code: 'custom', path: ['labels', label, 'supportedBy'], message: `entity ${e} has no rule under entities` });
      }
    }
  });

export type Policy = z.output<typeof policyObject>;
export type PolicyInput = z.input<typeof policyObject>;
export type LabelRule = z.output<typeof labelRule>;
export type EntityRule = z.output<typeof entityRule>;

export const DEFAULT_POLICY: Policy = policySchema.parse({});

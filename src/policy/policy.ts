/**
 * Policy: which classifications become findings, and when the OCR stage should run.
 * This is the built-in default; the configuration file (a later issue) overrides it.
 */
import type { FindingRecord } from '../store/index.js';

export interface ClassificationLike {
  label: string;
  scores: Record<string, number>;
  modelVersion: string;
  uncertain: boolean;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Policy {
  version: string;
  /** Labels that raise a finding, with their severity. */
  labels: Record<string, { severity: Severity }>;
  /** Per-label score a finding needs; the model manifest's thresholds fill gaps. */
  minScore?: Record<string, number>;
}

export const DEFAULT_POLICY: Policy = {
  version: 'default-1',
  labels: {
    passport: { severity: 'high' },
    id_card: { severity: 'high' },
    ssn_card: { severity: 'critical' },
    payment_card: { severity: 'high' },
  },
};

/** A class added to a model with `casb model add-class` (the manifest's `customLabels`). */
export interface CustomLabelRule {
  sensitive: boolean;
  severity: Severity;
}

/**
 * The policy for a model with user-added classes: each sensitive custom label makes a finding at
 * its severity; a non-sensitive one makes none. Rules the policy already has for a label win.
 */
export function withCustomLabels(policy: Policy, custom: Record<string, CustomLabelRule> | undefined): Policy {
  const extra = Object.entries(custom ?? {}).filter(([label, r]) => r.sensitive && !policy.labels[label]);
  if (!extra.length) return policy;
  return {
    ...policy,
    version: `${policy.version}+custom`,
    labels: { ...policy.labels, ...Object.fromEntries(extra.map(([label, r]) => [label, { severity: r.severity }])) },
  };
}

/** Label findings for one classified image (entity findings come from the OCR stage). */
export function labelFindings(cls: ClassificationLike, policy: Policy, modelThresholds: Record<string, number>): FindingRecord[] {
  const rule = policy.labels[cls.label];
  if (!rule) return [];
  const score = cls.scores[cls.label] ?? 0;
  const min = policy.minScore?.[cls.label] ?? modelThresholds[cls.label] ?? 0.5;
  if (score < min) return [];
  return [
    {
      label: cls.label,
      score,
      entityType: '',
      valueHash: '',
      redactedValue: null,
      boxes: [],
      explanation: {
        reason: `classified as ${cls.label} with p=${score.toFixed(3)} (threshold ${min.toFixed(2)})`,
        model: cls.modelVersion,
        uncertain: cls.uncertain,
        policy: policy.version,
      },
      severity: rule.severity,
    },
  ];
}

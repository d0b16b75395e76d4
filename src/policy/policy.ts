/**
 * Policy entry point: the schema (schema.ts), reading a file (load.ts), and the decisions
 * (decide.ts). Custom classes from `casb model add-class` join the policy here.
 */
import type { Policy, Severity } from './schema.js';

export { DEFAULT_POLICY, type Policy, type Severity } from './schema.js';
export { loadPolicy, parsePolicy, policyVersion, policyYaml } from './load.js';
export { decideFindings, ocrReason, wantsOcr, type ClassificationLike, type Evidence, type OcrReport } from './decide.js';

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
    labels: { ...policy.labels, ...Object.fromEntries(extra.map(([label, r]) => [label, { severity: r.severity, supportedBy: [] }])) },
  };
}

/**
 * Reading the policy file (YAML or JSON; YAML is a superset). A bad file is a configuration
 * error: one line naming the file, the field and what is wrong.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { UserError, errorMessage } from '../util/errors.js';
import { DEFAULT_POLICY, policySchema, type Policy } from './schema.js';

/** The default policy, or the one in `file` (unset fields take their defaults). */
export async function loadPolicy(file?: string): Promise<Policy> {
  if (!file) return DEFAULT_POLICY;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the policy file ${file}: ${errorMessage(err)}. Check the path given to --policy / CASB_POLICY.`, 2, { cause: err });
  }
  return parsePolicy(text, file);
}

export function parsePolicy(text: string, file = 'policy'): Policy {
  let raw: unknown;
  try {
    raw = YAML.parse(text) ?? {};
  } catch (err) {
    throw new UserError(`the policy file ${file} is not valid YAML/JSON: ${errorMessage(err).split('\n')[0]}`, 2, { cause: err });
  }
  const r = policySchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new UserError(`the policy file ${file} is invalid at ${where}: ${issue.message}. See "Policy" in the README for the fields.`, 2);
  }
  return r.data;
}

/**
 * The version recorded with items and findings: the file's own `version` plus a hash of the
 * effective policy, so an edited file makes items stale even if nobody bumped `version`.
 */
export function policyVersion(p: Policy): string {
  // remediation settings do not change what a scan finds
  const { remediation: _remediation, ...scanning } = p;
  const h = createHash('sha256').update(canonical(scanning)).digest('hex').slice(0, 8);
  return `${p.version}#${h}`;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The effective policy as YAML (for `casb policy show`). */
export function policyYaml(p: Policy): string {
  return YAML.stringify(p);
}

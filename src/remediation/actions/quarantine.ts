/**
 * quarantine: move the object out of reach into the quarantine location (S3: copy, verify,
 * delete; Drive/OneDrive: move to a quarantine folder and drop its sharing; local: move).
 * The before-snapshot (location and grants) is what `casb restore` puts back.
 */
import { z } from 'zod';
import type { ExposureLevel } from '../../../connectors/contract.js';
import { grantsAt } from '../exposure.js';
import type { ActionDef, Step } from '../types.js';

const WIDE: readonly ExposureLevel[] = ['public', 'anyone_with_link', 'domain', 'external'];

const params = z
  .object({
    /** Quarantine location for this run (default: policy remediation.quarantine, else the connector's default). */
    to: z.string().min(1).optional(),
  })
  .strict();

export const quarantine: ActionDef<z.infer<typeof params>> = {
  name: 'quarantine',
  description: 'move the file to the quarantine location and drop its sharing (S3: copy, verify, then delete the original)',
  schema: params,
  // addGrants too where the object has grants to give back on restore (checked by restore)
  needs: ['inspect', 'quarantine', 'release'],
  closes: true,
  async prepare({ connector, sourceUri, params: p, quarantineTo, checkQuarantineTo }) {
    const to = p.to ?? quarantineTo;
    await checkQuarantineTo?.(sourceUri, to);
    await connector.checkQuarantine?.(to);
  },
  plan({ before, params: p, quarantineTo }) {
    if (!before.exists) return { kind: 'blocked', reason: 'gone', why: `${before.location} is not there any more (deleted or moved since the scan); scan the source again` };
    const to = p.to ?? quarantineTo ?? "the connector's default quarantine location";
    const steps: Step[] = [{ op: 'move', from: before.location, to }];
    for (const grant of before.grants) if (grant.revocable && grant.level !== 'private') steps.push({ op: 'remove-grant', grant });
    return { kind: 'steps', steps };
  },
  async apply({ connector, target, params: p, quarantineTo }) {
    const to = p.to ?? quarantineTo;
    return connector.quarantine!(target.ref, { findingId: target.findingId, ...(to ? { to } : {}) });
  },
  verify({ target }, after, origin) {
    if (!after.exists) return `the quarantined object is not at ${after.location}`;
    if (origin?.exists) return `the original is still at ${origin.location}`;
    const open = grantsAt(after.grants, WIDE).filter((g) => g.revocable);
    if (open.length) return `the quarantined object is still shared: ${open.map((g) => g.who).join(', ')}`;
    void target;
    return undefined;
  },
};

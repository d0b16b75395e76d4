/**
 * revoke-public and revoke-external: remove the grants that expose an object beyond the
 * organisation. Grants the object-level API cannot remove (an S3 bucket policy, an inherited
 * Drive/OneDrive permission, the owner) are reported with what to do instead, never forced.
 */
import { z } from 'zod';
import type { ExposureLevel, Grant } from '../../../connectors/contract.js';
import { grantsAt } from '../exposure.js';
import type { ActionDef, Step } from '../types.js';

const PUBLIC: readonly ExposureLevel[] = ['public', 'anyone_with_link'];

const externalParams = z
  .object({
    /** Also remove organisation-wide links and domain grants of the tenant's own domain. */
    organization: z.boolean().default(false),
  })
  .strict();

function revoke<P>(name: string, description: string, schema: z.ZodType<P>, levels: (p: P) => readonly ExposureLevel[]): ActionDef<P> {
  const what = (p: P) => levels(p).join('/');
  return {
    name,
    description,
    schema,
    needs: ['inspect', 'removeGrants', 'addGrants'],
    closes: (after, p) => grantsAt(after.grants, levels(p)).length === 0,
    plan({ before, params }) {
      if (!before.exists) return { kind: 'blocked', reason: 'gone', why: `${before.location} is not there any more (deleted or moved since the scan); scan the source again` };
      const exposed = grantsAt(before.grants, levels(params));
      if (!exposed.length) return { kind: 'noop', why: `no ${what(params)} grants on ${before.location}` };
      const revocable = exposed.filter((g) => g.revocable);
      const fixed = exposed.filter((g) => !g.revocable).map((g) => `${g.who}: ${g.note ?? 'cannot be removed on the object'}`);
      if (!revocable.length) return { kind: 'blocked', reason: 'not_revocable', why: fixed.join('; ') };
      const steps: Step[] = revocable.map((grant) => ({ op: 'remove-grant', grant }));
      return { kind: 'steps', steps, ...(fixed.length ? { notes: fixed } : {}) };
    },
    async apply({ connector, target, steps }) {
      const grants = steps.flatMap((s) => (s.op === 'remove-grant' ? [s.grant] : []));
      await connector.removeGrants!(target.ref, grants);
      return target.ref;
    },
    verify({ steps }, after) {
      const still = stillThere(steps, after.grants);
      return still.length ? `still granted after removal: ${still.map((g) => g.who).join(', ')}` : undefined;
    },
  };
}

/** Planned removals that the re-read state still shows (same id). */
function stillThere(steps: Step[], now: Grant[]): Grant[] {
  const ids = new Set(now.map((g) => g.id));
  return steps.flatMap((s) => (s.op === 'remove-grant' && ids.has(s.grant.id) ? [s.grant] : []));
}

export const revokePublic = revoke(
  'revoke-public',
  'remove public and anyone-with-the-link access (S3 AllUsers/AuthenticatedUsers ACL grants, Drive `anyone` permissions, OneDrive anonymous links)',
  z.object({}).strict(),
  () => PUBLIC,
);

export const revokeExternal = revoke(
  'revoke-external',
  "remove grants to users and domains outside the organisation's domains (param organization=true: organisation-wide links too)",
  externalParams,
  (p) => (p.organization ? ['external', 'domain'] : ['external']),
);

/** tag: mark the object (S3 object tags, Drive appProperties, OneDrive description) so its owner can see why. */
import { z } from 'zod';
import type { ActionDef } from '../types.js';

const params = z
  .object({
    /** Extra tags; casb-finding and casb-label are always set. Keys must start with `casb-`. */
    tags: z.record(z.string().regex(/^casb-[A-Za-z0-9_.-]{1,40}$/, 'tag keys start with casb-'), z.string().max(200)).default({}),
  })
  .strict();

function wanted(findingId: string, label: string, extra: Record<string, string>): Record<string, string> {
  return { 'casb-finding': findingId, 'casb-label': label, ...extra };
}

export const tag: ActionDef<z.infer<typeof params>> = {
  name: 'tag',
  description: 'tag the object with the finding id and label (S3 object tags, Drive appProperties, OneDrive description)',
  schema: params,
  needs: ['inspect', 'tag'],
  closes: false,
  plan({ before, target, params: p }) {
    if (!before.exists) return { kind: 'blocked', reason: 'gone', why: `${before.location} is not there any more; scan the source again` };
    const tags = wanted(target.findingId, target.label, p.tags);
    const missing = Object.fromEntries(Object.entries(tags).filter(([k, v]) => before.tags?.[k] !== v));
    if (!Object.keys(missing).length) return { kind: 'noop', why: `already tagged (${Object.keys(tags).join(', ')})` };
    return { kind: 'steps', steps: [{ op: 'tag', tags: missing }] };
  },
  async apply({ connector, target, steps }) {
    for (const s of steps) if (s.op === 'tag') await connector.tag!(target.ref, s.tags);
    return target.ref;
  },
  verify({ steps }, after) {
    const off = steps.flatMap((s) => (s.op === 'tag' ? Object.entries(s.tags).filter(([k, v]) => after.tags?.[k] !== v).map(([k]) => k) : []));
    return off.length ? `tags not set after tagging: ${off.join(', ')}` : undefined;
  },
};

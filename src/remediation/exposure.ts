/** Exposure from live grants: the widest level any grant gives; no grants beyond the owner is private. */
import type { Exposure, ExposureLevel, Grant } from '../../connectors/contract.js';

const RANK: Record<ExposureLevel, number> = { public: 6, anyone_with_link: 5, domain: 4, external: 3, internal: 2, private: 1, unknown: 0 };

export function exposureOfGrants(grants: Grant[]): Exposure {
  let level: ExposureLevel = 'private';
  for (const g of grants) if (RANK[g.level] > RANK[level]) level = g.level;
  // a grant that could not be read (an ACL we may not see) may be wider than anything known
  if (RANK[level] <= RANK.internal && grants.some((g) => g.level === 'unknown')) level = 'unknown';
  return { level, details: grants.filter((g) => g.level !== 'private').map((g) => g.who) };
}

/** Grants whose level is one of `levels`. */
export function grantsAt(grants: Grant[], levels: readonly ExposureLevel[]): Grant[] {
  return grants.filter((g) => levels.includes(g.level));
}

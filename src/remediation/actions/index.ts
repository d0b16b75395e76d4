/** The action registry: name → definition. */
import type { ActionDef } from '../types.js';
import { quarantine } from './quarantine.js';
import { revokeExternal, revokePublic } from './revoke.js';
import { tag } from './tag.js';

export const ACTIONS: Record<string, ActionDef<never>> = Object.fromEntries(
  [quarantine, revokePublic, revokeExternal, tag].map((a) => [a.name, a as unknown as ActionDef<never>]),
);

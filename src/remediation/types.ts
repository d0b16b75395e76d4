/**
 * The remediation model, after Cloud Custodian actions: each action declares a parameter schema
 * and the connector capabilities it needs, plans from the object's live state (so something
 * already in the wanted state is a no-op, not an error), and says how to check, after applying,
 * that the live state is what the plan promised. The runner (runner.ts) does everything else:
 * dry-run, the cap, applying, re-reading, the audit row.
 */
import type { z } from 'zod';
import type { Capability, Connector, Grant, LiveState, ObjectRef } from '../../connectors/contract.js';

/** What an action is taken on: one stored item (with the finding that motivated it). */
export interface ActionTarget {
  findingId: string;
  itemId: string;
  sourceUri: string;
  label: string;
  /** The item as last listed, rebuilt from the store. */
  ref: ObjectRef;
}

/** One change the plan makes, for people and for the audit row. */
export type Step =
  | { op: 'remove-grant'; grant: Grant }
  | { op: 'add-grant'; grant: Grant }
  | { op: 'move'; from: string; to: string }
  | { op: 'tag'; tags: Record<string, string> };

export interface PlanContext<P> {
  target: ActionTarget;
  before: LiveState;
  params: P;
  /** Where quarantine puts things for this source (policy `remediation.quarantine`, else the connector's default). */
  quarantineTo?: string;
}

/** The plan, or why there is nothing to do / nothing that may be done. */
export type PlanResult =
  | { kind: 'steps'; steps: Step[]; notes?: string[] }
  | { kind: 'noop'; why: string }
  | { kind: 'blocked'; reason: string; why: string };

export interface ApplyContext<P> extends PlanContext<P> {
  connector: Connector;
  steps: Step[];
}

/** Once per source, before any of its items: checks that need the connector but no item. */
export interface PrepareContext<P> {
  connector: Connector;
  sourceUri: string;
  params: P;
  quarantineTo?: string;
  /** The caller's own check of a quarantine location (the CLI: not inside any scanned local folder). */
  checkQuarantineTo?: (sourceUri: string, to: string | undefined) => Promise<void>;
}

export interface ActionDef<P = Record<string, unknown>> {
  name: string;
  description: string;
  /** The action's parameters (`--param key=value` on the command line), validated before anything runs. */
  schema: z.ZodType<P>;
  /** Connector capabilities it cannot run without (it is `blocked:unsupported` where one is missing). */
  needs: Capability[];
  /** Refuses the whole run (UserError) when it cannot work for this source at all, e.g. an unusable quarantine location. */
  prepare?(ctx: PrepareContext<P>): Promise<void>;
  plan(ctx: PlanContext<P>): PlanResult;
  /** Carries out the steps; returns the object where it is now (quarantine moves it). */
  apply(ctx: ApplyContext<P>): Promise<ObjectRef>;
  /** Compares the re-read state with the plan: undefined when it matches, else what differs. */
  verify(ctx: ApplyContext<P>, after: LiveState, origin: LiveState | undefined): string | undefined;
  /**
   * Whether, once applied, the finding is `remediated` (quarantine; a revoke that left no grant at
   * its levels — a bucket policy that still makes the object public keeps the finding open).
   */
  closes: boolean | ((after: LiveState, params: P) => boolean);
}

/** The outcome of one action on one item (the audit row's status). */
export type ActionStatus = 'applied' | 'noop' | 'planned' | `blocked:${string}` | `failed:${string}`;

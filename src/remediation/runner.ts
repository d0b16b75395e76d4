/**
 * Runs remediation actions on stored findings: pick the targets (one per item, the most severe
 * finding), refuse a bulk request above the cap unless forced, read the live state, plan, and —
 * unless this is a dry run — apply, re-read, and record. Every target ends with one status:
 * `applied`, `noop`, `blocked:<reason>` or `failed:<reason>` (`planned` in a dry run).
 *
 * Safety rules, in order of appearance:
 *  - a dry run reads the live state and returns the plan; it writes nothing, not even the audit;
 *  - the audit row is written `running`, with the before-snapshot, *before* the platform is
 *    touched, so a crash mid-way leaves a trace and the snapshot `casb restore` needs;
 *  - `applied` only when the re-read state matches the plan (else `failed:verify`);
 *  - a platform refusal (access denied) is `blocked:<reason>` with the platform's words and
 *    leaves the finding open; any other error is `failed:<reason>` and also leaves it open.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Connector, Grant, LiveState, ObjectRef } from '../../connectors/contract.js';
import { hasCapability } from '../../connectors/contract.js';
import type { ActionRow, Store, TargetRow } from '../store/index.js';
import { UserError, errorMessage } from '../util/errors.js';
import { ACTIONS } from './actions/index.js';
import { exposureOfGrants } from './exposure.js';
import type { ActionDef, ActionStatus, ActionTarget, PlanResult, Step } from './types.js';

/** Connectors by source URI (the CLI opens them with the named source's options). */
export type ConnectorFor = (sourceUri: string) => Promise<Connector>;

export interface RemediateRequest {
  action: string;
  params?: Record<string, unknown>;
  /** These findings, or (when absent) every finding matching `filter`. */
  findingIds?: string[];
  filter?: { label?: string; exposure?: string; source?: string; status?: string };
  dryRun: boolean;
  /** Refuse more than this many items unless `force`. */
  cap: number;
  force?: boolean;
  actor?: string;
  /** Quarantine location per source (policy `remediation.quarantine`), if configured. */
  quarantineTo?: (sourceUri: string) => string | undefined;
  /** The caller's check of a quarantine location, once per source (the CLI: not inside any scanned local folder). */
  checkQuarantineTo?: (sourceUri: string, to: string | undefined) => Promise<void>;
  /** Stop before the next item once aborted (Ctrl-C): the item in hand is finished, never cut in half. */
  signal?: AbortSignal;
}

export interface ActionResult {
  findingId: string;
  itemId: string;
  source: string;
  path: string;
  action: string;
  status: ActionStatus;
  /** One line for people: why noop/blocked/failed, or what was done. */
  detail: string;
  steps: Step[];
  notes?: string[];
  /** The audit row (absent in a dry run). */
  actionId?: string;
}

export interface RemediateReport {
  requestId: string;
  dryRun: boolean;
  results: ActionResult[];
  /** Items selected but not started because the run was interrupted. */
  notStarted: number;
}

export const SEVERITY_RANK: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1 };

export function defaultActor(): string {
  if (process.env.CASB_ACTOR) return process.env.CASB_ACTOR;
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): the host name still says where it came from
  }
  return `${user}@${os.hostname()}`;
}

/** The action by name, its parameters validated — before anything is read or touched. */
export function resolveAction(name: string, params: Record<string, unknown> = {}): { def: ActionDef<never>; params: never } {
  const def = ACTIONS[name];
  if (!def) throw new UserError(`unknown action "${name}": use one of ${Object.keys(ACTIONS).join(', ')} (see casb remediate --help).`);
  const r = (def.schema as import('zod').ZodType).safeParse(params);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`bad parameter for ${name}${issue.path.length ? ` (${issue.path.join('.')})` : ''}: ${issue.message}.`);
  }
  return { def, params: r.data as never };
}

/** One target per item: the most severe (then highest-scoring) finding stands for the item. */
export function targetsOf(rows: TargetRow[]): TargetRow[] {
  const byItem = new Map<string, TargetRow>();
  for (const r of rows) {
    const cur = byItem.get(r.item_id);
    const better = !cur || (SEVERITY_RANK[r.severity] ?? 0) > (SEVERITY_RANK[cur.severity] ?? 0) || ((SEVERITY_RANK[r.severity] ?? 0) === (SEVERITY_RANK[cur.severity] ?? 0) && r.score > cur.score);
    if (better) byItem.set(r.item_id, r);
  }
  return [...byItem.values()];
}

function refOf(row: { external_id: string; path: string; size: number | null; etag: string | null; ref_extra: Record<string, unknown> | null }): ObjectRef {
  return { externalId: row.external_id, path: row.path, size: row.size ?? 0, etag: row.etag ?? '', ...(row.ref_extra ? { extra: row.ref_extra } : {}) };
}

export async function remediate(store: Store, connectorFor: ConnectorFor, req: RemediateRequest): Promise<RemediateReport> {
  const { def, params } = resolveAction(req.action, req.params);
  const requestId = randomUUID();
  const actor = req.actor ?? defaultActor();
  let rows: TargetRow[];
  if (req.findingIds?.length) {
    const bad = req.findingIds.find((id) => !/^\d{1,18}$/.test(id));
    if (bad) throw new UserError(`"${bad.slice(0, 40)}" is not a finding id: use the ids in the ID column of casb findings.`);
    rows = await store.remediationTargets({ findingIds: req.findingIds });
    const found = new Set(rows.map((r) => r.finding_id));
    const missing = req.findingIds.filter((id) => !found.has(String(BigInt(id))));
    if (missing.length) {
      const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : '');
      throw new UserError(`no finding ${shown} in this database: check the ids with casb findings.`);
    }
  } else {
    rows = await store.remediationTargets({ status: 'open', ...req.filter });
  }
  const targets = targetsOf(rows);
  if (targets.length > req.cap && !req.force && !req.dryRun) {
    throw new UserError(`${targets.length} items match, above the cap of ${req.cap} items per run: narrow the selection, raise remediation.maxItems in the policy, or add --force.`);
  }
  const results: ActionResult[] = [];
  const connectors = new Map<string, Promise<Connector>>();
  const connectorOf = (uri: string) => {
    let c = connectors.get(uri);
    if (!c) connectors.set(uri, (c = connectorFor(uri)));
    return c;
  };
  try {
    // Whole-run refusals (a quarantine folder that cannot be used) come before any item, dry run or not.
    for (const uri of new Set(targets.map((r) => r.source))) {
      const quarantineTo = req.quarantineTo?.(uri);
      await def.prepare?.({ connector: await connectorOf(uri), sourceUri: uri, params, ...(quarantineTo ? { quarantineTo } : {}), ...(req.checkQuarantineTo ? { checkQuarantineTo: req.checkQuarantineTo } : {}) });
    }
    for (const row of targets) {
      if (req.signal?.aborted) break;
      results.push(await runOne(store, await connectorOf(row.source), def, params, row, { ...req, actor, requestId }));
    }
  } finally {
    for (const c of connectors.values()) await (await c.catch(() => undefined))?.close?.();
  }
  return { requestId, dryRun: req.dryRun, results, notStarted: targets.length - results.length };
}

async function runOne(
  store: Store,
  connector: Connector,
  def: ActionDef<never>,
  params: never,
  row: TargetRow,
  req: RemediateRequest & { actor: string; requestId: string },
): Promise<ActionResult> {
  let ref = refOf(row);
  const base = { findingId: row.finding_id, itemId: row.item_id, source: row.source, path: row.path, action: def.name, steps: [] as Step[] };
  const record = async (status: ActionStatus, detail: string, extra: { steps?: Step[]; before?: LiveState } = {}): Promise<ActionResult> => {
    const result: ActionResult = { ...base, status, detail, steps: extra.steps ?? [] };
    if (req.dryRun) return result;
    result.actionId = await store.insertAction({
      findingId: row.finding_id, itemId: row.item_id, action: def.name, params: params as Record<string, unknown>, actor: req.actor,
      requestId: req.requestId, status, detail, steps: extra.steps ?? [], before: extra.before,
    });
    await store.finishAction(result.actionId, status, detail, undefined);
    return result;
  };

  const missing = def.needs.filter((cap) => !hasCapability(connector, cap));
  if (missing.length) return record('blocked:unsupported', `${connector.kind} sources cannot ${def.name} (missing ${missing.join(', ')})`);

  // A quarantined item lives at its quarantine place now; act there (quarantining it again is a no-op).
  const q = await store.activeQuarantine(row.item_id);
  if (q) {
    const qref = (q.after?.ref as ObjectRef | undefined) ?? undefined;
    if (def.name === 'quarantine') return record('noop', `already quarantined${q.after?.location ? ` at ${String(q.after.location)}` : ''} (action ${q.id})`);
    if (qref) ref = qref;
  }
  const target: ActionTarget = { findingId: row.finding_id, itemId: row.item_id, sourceUri: row.source, label: row.label, ref };
  const quarantineTo = req.quarantineTo?.(row.source);

  let before: LiveState;
  try {
    before = await connector.inspect!(ref);
  } catch (err) {
    return record(statusOf(connector, err), `cannot read the live state of ${row.path}: ${oneLine(err)}`);
  }
  // An earlier run of this action that died part-way (a quarantine moved the file, then the process
  // stopped before recording it) is finished now: the connector's quarantine completes what is done.
  const unfinished = await store.unfinishedActions(row.item_id);
  const resumed = def.name === 'quarantine' && !before.exists ? unfinished.find((a) => a.action === 'quarantine' && a.before) : undefined;
  const resume = Boolean(resumed);
  // the snapshot that restore needs is the one taken before the file first moved
  if (resumed) before = resumed.before as unknown as LiveState;
  const to = (params as { to?: string }).to ?? quarantineTo ?? "the connector's default quarantine location";
  const plan: PlanResult = resume
    ? { kind: 'steps', steps: [{ op: 'move', from: before.location, to }], notes: [`finishing the quarantine that did not complete (action ${resumed!.id})`] }
    : def.plan({ target, before, params, ...(quarantineTo ? { quarantineTo } : {}) });
  if (plan.kind === 'noop') return record('noop', plan.why, { before });
  if (plan.kind === 'blocked') return record(`blocked:${plan.reason}`, plan.why, { before });
  if (req.dryRun) {
    return { ...base, status: 'planned', detail: describeSteps(plan.steps), steps: plan.steps, ...(plan.notes ? { notes: plan.notes } : {}) };
  }

  const actionId = await store.insertAction({
    findingId: row.finding_id, itemId: row.item_id, action: def.name, params: params as Record<string, unknown>, actor: req.actor,
    requestId: req.requestId, status: 'running', steps: plan.steps, before,
  });
  for (const u of unfinished) {
    await store.finishAction(u.id, 'failed:interrupted', `did not finish (the process stopped); ${resume ? 'completed' : 'superseded'} by action ${actionId}`, undefined);
  }
  const done = async (status: ActionStatus, detail: string, after?: unknown): Promise<ActionResult> => {
    await store.finishAction(actionId, status, detail, after);
    return { ...base, status, detail, steps: plan.steps, actionId, ...(plan.notes ? { notes: plan.notes } : {}) };
  };
  const ctx = { target, before, params, connector, steps: plan.steps, ...(quarantineTo ? { quarantineTo } : {}) };
  let now: ObjectRef;
  try {
    now = await def.apply(ctx);
  } catch (err) {
    return done(statusOf(connector, err), `${def.name} of ${row.path} did not complete: ${oneLine(err)}`);
  }
  // Verify against the platform, not against what apply said.
  let after: LiveState;
  let origin: LiveState | undefined;
  try {
    after = await connector.inspect!(now);
    if (now.externalId !== ref.externalId) origin = await connector.inspect!(ref);
  } catch (err) {
    return done('failed:verify', `applied, but the state after could not be read back: ${oneLine(err)}`, { ref: now });
  }
  const mismatch = def.verify(ctx, after, origin);
  const snapshot = { ...after, ref: now };
  if (mismatch) return done('failed:verify', mismatch, snapshot);
  const closes = typeof def.closes === 'function' ? def.closes(after, params) : def.closes;
  if (closes) await store.setFindingStatus(row.item_id, 'open', 'remediated');
  const exposure = exposureOfGrants(after.grants);
  await store.setItemExposure(row.item_id, exposure.level, exposure.details ?? []);
  return done('applied', describeSteps(plan.steps), snapshot);
}

export interface RestoreRequest {
  dryRun: boolean;
  actor?: string;
}

/**
 * Undoes an applied quarantine or revoke from its before-snapshot: the object goes back where it
 * was and the grants the action removed are created again. Recorded as a `restore` row.
 */
export async function restoreAction(store: Store, connectorFor: ConnectorFor, actionId: string, req: RestoreRequest): Promise<ActionResult> {
  if (!/^\d{1,18}$/.test(actionId)) throw new UserError(`"${actionId.slice(0, 40)}" is not an action id: use the ids casb actions prints.`);
  const row = await store.getAction(actionId);
  if (!row) throw new UserError(`no action ${actionId} in this database: check the id with casb actions.`);
  if (row.action === 'restore') throw new UserError(`action ${actionId} is a restore; to undo it, run the original action again.`);
  const base = { findingId: row.finding_id ?? '', itemId: row.item_id, source: row.source, path: row.path, action: 'restore', steps: [] as Step[] };
  if (row.restored_by) return { ...base, status: 'noop', detail: `action ${actionId} was already restored by action ${row.restored_by}` };
  if (row.status === 'running' || row.status === 'failed:interrupted') {
    throw new UserError(`action ${actionId} did not finish (the process stopped part-way): run the same casb remediate again to complete it, then restore the action that completes it.`);
  }
  if (row.status !== 'applied' && row.status !== 'failed:verify') {
    throw new UserError(`action ${actionId} is ${row.status}, not applied: there is nothing to restore.`);
  }
  const before = row.before as unknown as LiveState | null;
  if (!before) throw new UserError(`action ${actionId} has no before-snapshot to restore from.`);
  const requestId = randomUUID();
  const actor = req.actor ?? defaultActor();
  const connector = await connectorFor(row.source);
  try {
    const itemRef = refOf({ external_id: row.external_id!, path: row.path, size: row.size ?? null, etag: row.etag ?? null, ref_extra: row.ref_extra ?? null });
    const movedRef = (row.after?.ref as ObjectRef | undefined) ?? itemRef;
    const removed = (row.steps as Step[]).flatMap((s) => (s.op === 'remove-grant' ? [s.grant] : []));
    // a tag action is undone by setting each key it wrote back to its value before ('' removes a key that was not there)
    const retag = Object.fromEntries((row.steps as Step[]).flatMap((s) => (s.op === 'tag' ? Object.keys(s.tags) : [])).map((k) => [k, before.tags?.[k] ?? '']));
    const steps: Step[] = [];
    if (row.action === 'quarantine') steps.push({ op: 'move', from: String(row.after?.location ?? movedRef.path), to: before.location });
    for (const grant of removed) steps.push({ op: 'add-grant', grant });
    if (Object.keys(retag).length) steps.push({ op: 'tag', tags: retag });
    const needs = [
      ...(row.action === 'quarantine' ? (['release'] as const) : []),
      ...(removed.length ? (['addGrants'] as const) : []),
      ...(Object.keys(retag).length ? (['tag'] as const) : []),
      'inspect' as const,
    ];
    const missing = needs.filter((c) => !hasCapability(connector, c));
    if (missing.length) throw new UserError(`${connector.kind} sources cannot restore (missing ${missing.join(', ')}).`);
    const current = await connector.inspect!(movedRef);
    if (row.action === 'quarantine' && !current.exists) {
      // back already (a restore that stopped after the move) is fine; anything else is not ours to move
      const atOrigin = await connector.inspect!(itemRef);
      if (!(atOrigin.exists && atOrigin.etag === before.etag)) {
        return { ...base, status: 'blocked:gone', detail: `the quarantined copy is not at ${current.location} any more, and the file at ${before.location} is not it; nothing to move back` };
      }
    }
    if (req.dryRun) return { ...base, status: 'planned', detail: describeSteps(steps), steps };

    const restoreId = await store.insertAction({
      findingId: row.finding_id, itemId: row.item_id, action: 'restore', params: { of: actionId }, actor, requestId,
      status: 'running', steps, before: current, restores: actionId,
    });
    const done = async (status: ActionStatus, detail: string, after?: unknown): Promise<ActionResult> => {
      await store.finishAction(restoreId, status, detail, after);
      return { ...base, status, detail, steps, actionId: restoreId };
    };
    let ref: ObjectRef = movedRef;
    try {
      if (row.action === 'quarantine') ref = await connector.release!(movedRef, before);
      const live = row.action === 'quarantine' ? await connector.inspect!(ref) : current;
      const toAdd = removed.filter((g) => !live.grants.some((h) => sameGrant(g, h)));
      if (toAdd.length) await connector.addGrants!(ref, toAdd);
      if (Object.keys(retag).length) await connector.tag!(ref, retag);
    } catch (err) {
      return done(statusOf(connector, err), `restore of ${row.path} did not complete: ${oneLine(err)}`);
    }
    const after = await connector.inspect!(ref);
    const problems: string[] = [];
    if (!after.exists) problems.push(`nothing at ${after.location}`);
    if (row.action === 'quarantine' && after.location !== before.location) problems.push(`it is at ${after.location}, not ${before.location}`);
    const absent = removed.filter((g) => !after.grants.some((h) => sameGrant(g, h)));
    if (absent.length) problems.push(`not granted again: ${absent.map((g) => g.who).join(', ')}`);
    const offTags = Object.keys(retag).filter((k) => (after.tags?.[k] ?? '') !== retag[k]);
    if (offTags.length) problems.push(`tags not back as they were: ${offTags.join(', ')}`);
    if (problems.length) return done('failed:verify', problems.join('; '), { ...after, ref });
    await store.markRestored(actionId, restoreId);
    // a tag never closed the finding, so undoing it does not reopen one
    if (row.action !== 'tag') await store.setFindingStatus(row.item_id, 'remediated', 'open');
    const exposure = exposureOfGrants(after.grants);
    await store.setItemExposure(row.item_id, exposure.level, exposure.details ?? []);
    return done('applied', describeSteps(steps), { ...after, ref });
  } finally {
    await connector.close?.();
  }
}

/** Re-created grants get new ids on some platforms (a OneDrive link); who and role identify them. */
function sameGrant(a: Grant, b: Grant): boolean {
  return a.id === b.id || (a.who === b.who && a.role === b.role);
}

export function describeSteps(steps: Step[]): string {
  if (!steps.length) return 'nothing to change';
  return steps
    .map((s) => {
      switch (s.op) {
        case 'remove-grant':
          return `remove ${s.grant.who}`;
        case 'add-grant':
          return `grant ${s.grant.who} again`;
        case 'move':
          return `move to ${s.to}`;
        case 'tag':
          return `tag ${Object.entries(s.tags).map(([k, v]) => (v === '' ? `-${k}` : `${k}=${v}`)).join(' ')}`;
      }
    })
    .join('; ');
}

/** A platform refusal is `blocked` (the finding stays open, the admin must act); anything else `failed`. */
function statusOf(connector: Connector, err: unknown): ActionStatus {
  if (err instanceof UserError) return 'failed:config'; // e.g. a quarantine location that cannot be used
  const reason = (err as { reason?: unknown })?.reason;
  const named = typeof reason === 'string' ? reason : connector.errorReason?.(err);
  if (named === 'access_denied' || named === 'forbidden') return `blocked:${named}`;
  if (named) return `failed:${named}`;
  const cls = connector.classifyError(err);
  return cls.kind === 'notFound' ? 'failed:not_found' : cls.kind === 'throttled' ? 'failed:throttled' : cls.kind === 'retryable' ? 'failed:network' : 'failed:error';
}

function oneLine(err: unknown): string {
  return errorMessage(err).split('\n')[0]!.slice(0, 300);
}

export type { ActionRow };

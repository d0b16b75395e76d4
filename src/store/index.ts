/**
 * The scanner's store: sources, scan runs, items, findings and cursors, on PGlite or PostgreSQL.
 */
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from './db.js';
import { migrate } from './migrate.js';
import { SQL } from './queries.js';

export interface StoreOptions {
  /** PostgreSQL URL; default: embedded PGlite in dataDir. */
  db?: string;
  /** Folder for the embedded database (and the hash key). */
  dataDir?: string;
  /** PostgreSQL only: isolate everything in this schema (tests). */
  schema?: string;
}

/** Where embedded data lives unless told otherwise. */
export function defaultDataDir(): string {
  return process.env.CASB_DATA_DIR ?? path.resolve('.casb');
}

export interface KnownItem {
  external_id: string;
  etag: string | null;
  model_version: string | null;
  policy_version: string | null;
  outcome: string;
}

export interface ItemRecord {
  externalId: string;
  path: string;
  size: number | null;
  etag: string | null;
  modifiedAt: Date | null;
  contentType: string | null;
  contentSha256: string | null;
  modelVersion: string | null;
  /** Policy the findings were decided under (policyVersion(): file version + content hash). */
  policyVersion: string | null;
  outcome: string;
  outcomeDetail: string | null;
  label: string | null;
  score: number | null;
  scores: Record<string, number> | null;
  exposure: string | null;
  exposureDetails: string[] | null;
  /** The listed ref's connector extras (ObjectRef.extra), so remediation can address the object. */
  refExtra?: Record<string, unknown> | null;
  /** Set on complete analyses only: model version, policy version and OCR on/off (see cachedVerdict). */
  verdictKey?: string | null;
}

export interface FindingRecord {
  label: string;
  score: number;
  entityType: string; // '' for label-only
  valueHash: string; // '' when no value
  redactedValue: string | null;
  boxes: unknown[];
  explanation: Record<string, unknown>;
  severity: string;
}

export interface RunInfo {
  id: string;
  status: string;
  mode: 'full' | 'changes';
  heartbeatAt: Date;
  host: string | null;
  pid: number | null;
  cursor: string | null;
}

export interface RunTotals {
  listed: number;
  scanned: number;
  skipped: number;
  failed: number;
  downloaded: number;
  findings: number;
  /** Items marked gone (deleted at the source). */
  deleted?: number;
  counts: Record<string, number>;
  timings: Record<string, number>;
}

export interface FindingRow {
  id: string;
  label: string;
  score: number;
  entity_type: string;
  redacted_value: string | null;
  value_hash: string;
  boxes: unknown[];
  severity: string;
  status: string;
  model_version: string;
  first_seen_at: string;
  last_seen_at: string;
  explanation: Record<string, unknown>;
  path: string;
  external_id: string;
  exposure: string | null;
  source: string;
}

export class Store {
  private constructor(readonly db: Db) {}

  static async open(opts: StoreOptions = {}): Promise<Store> {
    const url = opts.db ?? process.env.DATABASE_URL ?? undefined;
    const db = await openDb({
      url: url || undefined,
      dataDir: url ? undefined : path.join(opts.dataDir ?? defaultDataDir(), 'db'),
      schema: opts.schema,
    });
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return new Store(db);
  }

  get driver() {
    return this.db.driver;
  }

  async upsertSource(uri: string, kind: string): Promise<string> {
    const r = await this.db.query<{ id: string }>(SQL.upsertSource, [uri, kind]);
    return String(r.rows[0]!.id);
  }

  async lastRun(sourceId: string): Promise<RunInfo | undefined> {
    const r = await this.db.query<{ id: string; status: string; mode: string; heartbeat_at: Date; host: string | null; pid: number | null; cursor: string | null }>(
      SQL.lastRun, [sourceId],
    );
    const row = r.rows[0];
    return row && {
      id: String(row.id), status: row.status, mode: row.mode === 'changes' ? 'changes' : 'full',
      heartbeatAt: new Date(row.heartbeat_at), host: row.host, pid: row.pid, cursor: row.cursor,
    };
  }

  async startRun(sourceId: string, trigger: string, modelVersion: string, resumedFrom?: string, policyVersion?: string, mode: 'full' | 'changes' = 'full'): Promise<string> {
    await this.db.query(SQL.markInterrupted, [sourceId]);
    const r = await this.db.query<{ id: string }>(SQL.startRun, [
      sourceId, trigger, modelVersion, resumedFrom ?? null, os.hostname(), process.pid, policyVersion ?? null, mode,
    ]);
    return String(r.rows[0]!.id);
  }

  async setRunMode(runId: string, mode: 'full' | 'changes'): Promise<void> {
    await this.db.query(SQL.setRunMode, [runId, mode]);
  }

  async heartbeat(runId: string): Promise<void> {
    await this.db.query(SQL.heartbeat, [runId]);
  }

  async finishRun(runId: string, status: 'completed' | 'failed' | 'interrupted', t: RunTotals, error?: string): Promise<void> {
    await this.db.query(SQL.finishRun, [
      runId, status, t.listed, t.scanned, t.skipped, t.failed, t.downloaded, t.findings,
      JSON.stringify(t.counts), JSON.stringify(t.timings), error ?? null, t.deleted ?? 0,
    ]);
  }

  async saveCursor(sourceId: string, kind: string, cursor: string, runId: string): Promise<void> {
    await this.db.query(SQL.saveCursor, [sourceId, kind, cursor, runId]);
  }

  async clearCursor(sourceId: string, kind: string): Promise<void> {
    await this.db.query(SQL.clearCursor, [sourceId, kind]);
  }

  async getCursor(sourceId: string, kind: string): Promise<string | undefined> {
    const r = await this.db.query<{ cursor: string }>(SQL.getCursor, [sourceId, kind]);
    return r.rows[0]?.cursor;
  }

  /**
   * Marks items gone: the ids a change feed reported deleted, or (`ids` = 'unlisted') every item a
   * complete full listing did not list. Their open findings are resolved. Returns how many.
   */
  async markGone(sourceId: string, runId: string, ids: string[] | 'unlisted'): Promise<number> {
    if (Array.isArray(ids) && !ids.length) return 0;
    return this.db.transaction(async (tx) => {
      const r = ids === 'unlisted'
        ? await tx.query<{ id: string }>(SQL.markUnlistedGone, [sourceId, runId])
        : await tx.query<{ id: string }>(SQL.markGone, [sourceId, ids, runId]);
      if (r.rows.length) await tx.query(SQL.resolveFindingsOf, [r.rows.map((x) => x.id)]);
      return r.rows.length;
    });
  }

  async knownItems(sourceId: string, externalIds: string[]): Promise<Map<string, KnownItem>> {
    if (!externalIds.length) return new Map();
    const r = await this.db.query<KnownItem>(SQL.knownItems, [sourceId, externalIds]);
    return new Map(r.rows.map((row) => [row.external_id, row]));
  }

  /** An unchanged item seen again: its path and exposure (level and grants) are refreshed; no exposure given keeps the old. */
  async touchItem(sourceId: string, externalId: string, runId: string, itemPath: string, exposure: string | null, exposureDetails: string[] | null = null, refExtra: Record<string, unknown> | null = null): Promise<void> {
    await this.db.query(SQL.touchItem, [sourceId, externalId, runId, itemPath, exposure, exposureDetails ? JSON.stringify(exposureDetails) : null, refExtra ? JSON.stringify(refExtra) : null]);
  }

  /**
   * Writes an item's outcome and its findings in one transaction. Open findings this scan did not
   * produce again are resolved, unless `keepOtherFindings` (an analysis that stopped part-way,
   * e.g. OCR timed out, must not resolve the entity findings an earlier complete scan made).
   */
  async recordItem(sourceId: string, runId: string, item: ItemRecord, findings: FindingRecord[], opts: { keepOtherFindings?: boolean } = {}): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.query<{ id: string }>(SQL.upsertItem, [
        sourceId, item.externalId, item.path, item.size, item.etag, item.modifiedAt, item.contentType, item.contentSha256,
        item.modelVersion, item.outcome, item.outcomeDetail, item.label, item.score,
        item.scores ? JSON.stringify(item.scores) : null, item.exposure,
        item.exposureDetails ? JSON.stringify(item.exposureDetails) : null, runId, item.policyVersion,
        item.refExtra ? JSON.stringify(item.refExtra) : null, item.verdictKey ?? null,
      ]);
      const itemId = r.rows[0]!.id;
      for (const f of findings) {
        await tx.query(SQL.upsertFinding, [
          itemId, f.label, f.score, f.entityType, f.valueHash, f.redactedValue, JSON.stringify(f.boxes),
          JSON.stringify(f.explanation), f.severity, item.modelVersion, runId,
        ]);
      }
      if (!opts.keepOtherFindings) await tx.query(SQL.resolveStaleFindings, [itemId, runId]);
    });
  }

  /** A stored verdict for these bytes under `verdictKey`, with the findings it produced; undefined when there is none. */
  async cachedVerdict(contentSha256: string, verdictKey: string): Promise<{ itemId: string; label: string; score: number | null; scores: Record<string, number>; findings: FindingRecord[] } | undefined> {
    const r = await this.db.query<{ id: string; label: string; score: number | null; scores: Record<string, number>; scanned_run_id: string | null }>(SQL.cachedVerdict, [contentSha256, verdictKey]);
    const v = r.rows[0];
    if (!v) return undefined;
    const f = await this.db.query<{ label: string; score: number; entity_type: string; value_hash: string; redacted_value: string | null; boxes: unknown[]; explanation: Record<string, unknown>; severity: string }>(
      SQL.verdictFindings, [v.id, v.scanned_run_id],
    );
    return {
      itemId: String(v.id), label: v.label, score: v.score === null ? null : Number(v.score), scores: v.scores,
      findings: f.rows.map((x) => ({ label: x.label, score: Number(x.score), entityType: x.entity_type, valueHash: x.value_hash, redactedValue: x.redacted_value, boxes: x.boxes, explanation: x.explanation, severity: x.severity })),
    };
  }

  async listFindings(filter: { label?: string; source?: string; status?: string; entity?: string; limit?: number }): Promise<FindingRow[]> {
    const r = await this.db.query<FindingRow>(SQL.listFindings, [
      filter.label ?? null, filter.source ?? null, filter.status ?? null, filter.limit ?? 1000, filter.entity ?? null,
    ]);
    return r.rows.map((row) => ({ ...row, id: String(row.id) }));
  }

  async itemOutcomes(sourceUri: string): Promise<Array<{ externalId: string; outcome: string; etag: string; label: string | null; contentSha256: string | null }>> {
    const r = await this.db.query<{ external_id: string; outcome: string; etag: string; label: string | null; content_sha256: string | null }>(
      SQL.itemOutcomes, [sourceUri],
    );
    return r.rows.map((x) => ({ externalId: x.external_id, outcome: x.outcome, etag: x.etag, label: x.label, contentSha256: x.content_sha256 }));
  }

  async failedItems(runId: string, limit = 20): Promise<Array<{ path: string; outcome: string; detail: string | null }>> {
    const r = await this.db.query<{ path: string; outcome: string; outcome_detail: string | null }>(SQL.failedItems, [runId, limit]);
    return r.rows.map((x) => ({ path: x.path, outcome: x.outcome, detail: x.outcome_detail }));
  }

  // ---- remediation ------------------------------------------------------------------------

  async remediationTargets(filter: { findingIds?: string[]; label?: string; exposure?: string; source?: string; status?: string }): Promise<TargetRow[]> {
    const r = await this.db.query<TargetRow>(SQL.remediationTargets, [
      filter.findingIds ?? null, filter.label ?? null, filter.exposure ?? null, filter.source ?? null, filter.status ?? null,
    ]);
    return r.rows.map((x) => ({ ...x, finding_id: String(x.finding_id), item_id: String(x.item_id), size: x.size === null ? null : Number(x.size) }));
  }

  async activeQuarantine(itemId: string): Promise<{ id: string; after: Record<string, unknown> | null } | undefined> {
    const r = await this.db.query<{ id: string; after: Record<string, unknown> | null }>(SQL.activeQuarantine, [itemId]);
    const row = r.rows[0];
    return row ? { id: String(row.id), after: row.after } : undefined;
  }

  async insertAction(a: NewAction): Promise<string> {
    const r = await this.db.query<{ id: string }>(SQL.insertAction, [
      a.findingId, a.itemId, a.action, JSON.stringify(a.params), a.actor, a.requestId, a.status, a.detail ?? null,
      JSON.stringify(a.steps), a.before ? JSON.stringify(a.before) : null, a.restores ?? null,
    ]);
    return String(r.rows[0]!.id);
  }

  async finishAction(id: string, status: string, detail: string | null, after: unknown): Promise<void> {
    await this.db.query(SQL.finishAction, [id, status, detail, after === undefined ? null : JSON.stringify(after)]);
  }

  async markRestored(id: string, by: string): Promise<void> {
    await this.db.query(SQL.markRestored, [id, by]);
  }

  async getAction(id: string): Promise<ActionRow | undefined> {
    const r = await this.db.query<ActionRow>(SQL.getAction, [id]);
    const row = r.rows[0];
    return row ? normaliseAction(row) : undefined;
  }

  async listActions(filter: { findingId?: string; itemId?: string; limit?: number }): Promise<ActionRow[]> {
    const r = await this.db.query<ActionRow>(SQL.listActions, [filter.findingId ?? null, filter.itemId ?? null, filter.limit ?? 200]);
    return r.rows.map(normaliseAction);
  }

  async setFindingStatus(itemId: string, from: string, to: string): Promise<void> {
    await this.db.query(SQL.setFindingStatus, [itemId, from, to]);
  }

  async sourcesOfKind(kind: string): Promise<string[]> {
    return (await this.db.query<{ uri: string }>(SQL.sourcesOfKind, [kind])).rows.map((r) => r.uri);
  }

  async unfinishedActions(itemId: string): Promise<Array<{ id: string; action: string; before: Record<string, unknown> | null }>> {
    const r = await this.db.query<{ id: string; action: string; before: Record<string, unknown> | null }>(SQL.unfinishedActions, [itemId]);
    return r.rows.map((x) => ({ id: String(x.id), action: x.action, before: x.before }));
  }

  async setItemExposure(itemId: string, level: string, details: string[]): Promise<void> {
    await this.db.query(SQL.setItemExposure, [itemId, level, JSON.stringify(details)]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** A finding an action may be taken for (SQL.remediationTargets). */
export interface TargetRow {
  finding_id: string;
  label: string;
  status: string;
  severity: string;
  score: number;
  item_id: string;
  external_id: string;
  path: string;
  size: number | null;
  etag: string | null;
  ref_extra: Record<string, unknown> | null;
  exposure: string | null;
  deleted_at: string | null;
  source: string;
}

export interface NewAction {
  findingId: string | null;
  itemId: string;
  action: string;
  params: Record<string, unknown>;
  actor: string;
  requestId: string;
  status: string;
  detail?: string | null;
  steps: unknown[];
  before?: unknown;
  restores?: string | null;
}

/** An audit row (SQL.getAction / SQL.listActions). */
export interface ActionRow {
  id: string;
  finding_id: string | null;
  item_id: string;
  action: string;
  params: Record<string, unknown>;
  actor: string;
  request_id: string;
  status: string;
  detail: string | null;
  steps: unknown[];
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  restores: string | null;
  restored_by: string | null;
  started_at: string;
  finished_at: string | null;
  path: string;
  source: string;
  external_id?: string;
  size?: number | null;
  etag?: string | null;
  ref_extra?: Record<string, unknown> | null;
  label?: string | null;
}

function normaliseAction(row: ActionRow): ActionRow {
  const id = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    ...row,
    id: String(row.id), finding_id: id(row.finding_id), item_id: String(row.item_id), restores: id(row.restores), restored_by: id(row.restored_by),
    ...(row.size !== undefined ? { size: row.size === null ? null : Number(row.size) } : {}),
  };
}

export async function openStore(opts: StoreOptions = {}): Promise<Store> {
  return Store.open(opts);
}

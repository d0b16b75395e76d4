/**
 * Every SQL statement the scanner runs, by name. Read these as SQL; the store only binds
 * parameters. Upserts use the natural keys from migrations/0001_init.sql.
 */
export const SQL = {
  upsertSource: `
    INSERT INTO sources (uri, kind) VALUES ($1, $2)
    ON CONFLICT (uri) DO UPDATE SET kind = EXCLUDED.kind
    RETURNING id`,

  /** The newest run of a source, with the listing checkpoint it left (if it did not complete). */
  lastRun: `
    SELECT r.id, r.status, r.mode, r.heartbeat_at, r.host, r.pid, c.cursor
      FROM scan_runs r
      LEFT JOIN cursors c ON c.source_id = r.source_id AND c.kind = 'list' AND c.run_id = r.id
     WHERE r.source_id = $1
     ORDER BY r.id DESC LIMIT 1`,

  markInterrupted: `UPDATE scan_runs SET status = 'interrupted', finished_at = now() WHERE source_id = $1 AND status = 'running'`,

  startRun: `
    INSERT INTO scan_runs (source_id, trigger, status, model_version, resumed_from, host, pid, policy_version, mode)
    VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8)
    RETURNING id`,

  heartbeat: `UPDATE scan_runs SET heartbeat_at = now() WHERE id = $1`,

  setRunMode: `UPDATE scan_runs SET mode = $2 WHERE id = $1`,

  finishRun: `
    UPDATE scan_runs
       SET status = $2, finished_at = now(), heartbeat_at = now(),
           listed = $3, scanned = $4, skipped = $5, failed = $6, downloaded = $7, findings = $8,
           counts = $9, timings = $10, error = $11, deleted = $12
     WHERE id = $1`,

  saveCursor: `
    INSERT INTO cursors (source_id, kind, cursor, run_id, updated_at) VALUES ($1, $2, $3, $4, now())
    ON CONFLICT (source_id, kind) DO UPDATE SET cursor = EXCLUDED.cursor, run_id = EXCLUDED.run_id, updated_at = now()`,

  clearCursor: `DELETE FROM cursors WHERE source_id = $1 AND kind = $2`,

  getCursor: `SELECT cursor FROM cursors WHERE source_id = $1 AND kind = $2`,

  /**
   * Items the source no longer has: their outcome becomes skipped:gone and their open findings are
   * resolved (the exposure went with the file). $2: the ids a change feed reported deleted.
   */
  markGone: `
    UPDATE items SET outcome = 'skipped:gone', outcome_detail = 'deleted at the source', deleted_at = now(), last_run_id = $3
     WHERE source_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL
    RETURNING id`,

  /** After a complete full listing from the start: every item that run did not list is gone. */
  markUnlistedGone: `
    UPDATE items SET outcome = 'skipped:gone', outcome_detail = 'no longer listed by the source', deleted_at = now()
     WHERE source_id = $1 AND last_run_id IS DISTINCT FROM $2 AND deleted_at IS NULL
    RETURNING id`,

  resolveFindingsOf: `UPDATE findings SET status = 'resolved' WHERE item_id = ANY($1::bigint[]) AND status = 'open'`,

  /** What we knew about a page of items, to skip the unchanged ones without downloading. */
  knownItems: `
    SELECT external_id, etag, model_version, policy_version, outcome
      FROM items
     WHERE source_id = $1 AND external_id = ANY($2::text[])`,

  /** Seen again, content unchanged: only the sighting is updated; outcome and findings stay. */
  touchItem: `
    UPDATE items SET last_seen_at = now(), last_run_id = $3, path = $4, deleted_at = NULL, ref_extra = $7,
           exposure = COALESCE($5, exposure),
           exposure_details = CASE WHEN $5::text IS NULL THEN exposure_details ELSE $6::jsonb END
     WHERE source_id = $1 AND external_id = $2`,

  upsertItem: `
    INSERT INTO items (source_id, external_id, path, size, etag, modified_at, content_type, content_sha256,
                       model_version, outcome, outcome_detail, label, score, scores, exposure, exposure_details,
                       last_run_id, scanned_run_id, policy_version, ref_extra, verdict_key)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20)
    ON CONFLICT (source_id, external_id) DO UPDATE SET
      path = EXCLUDED.path, size = EXCLUDED.size, etag = EXCLUDED.etag, modified_at = EXCLUDED.modified_at,
      content_type = EXCLUDED.content_type, content_sha256 = EXCLUDED.content_sha256,
      model_version = EXCLUDED.model_version, outcome = EXCLUDED.outcome, outcome_detail = EXCLUDED.outcome_detail,
      label = EXCLUDED.label, score = EXCLUDED.score, scores = EXCLUDED.scores,
      exposure = EXCLUDED.exposure, exposure_details = EXCLUDED.exposure_details,
      last_seen_at = now(), last_run_id = EXCLUDED.last_run_id, scanned_run_id = EXCLUDED.scanned_run_id,
      policy_version = EXCLUDED.policy_version, deleted_at = NULL, ref_extra = EXCLUDED.ref_extra,
      verdict_key = EXCLUDED.verdict_key
    RETURNING id`,

  /** The newest complete analysis of these bytes under this verdict key (model, policy, OCR), from any source. */
  cachedVerdict: `
    SELECT id, label, score, scores, scanned_run_id
      FROM items
     WHERE content_sha256 = $1 AND verdict_key = $2
     ORDER BY id DESC
     LIMIT 1`,

  /** The findings that analysis produced (not older ones an OCR-less run left open). */
  verdictFindings: `
    SELECT label, score, entity_type, value_hash, redacted_value, boxes, explanation, severity
      FROM findings
     WHERE item_id = $1 AND last_run_id IS NOT DISTINCT FROM $2
     ORDER BY id`,

  upsertFinding: `
    INSERT INTO findings (item_id, label, score, entity_type, value_hash, redacted_value, boxes, explanation,
                          severity, status, model_version, last_run_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11)
    ON CONFLICT (item_id, label, entity_type, value_hash) DO UPDATE SET
      score = EXCLUDED.score, redacted_value = EXCLUDED.redacted_value, boxes = EXCLUDED.boxes,
      explanation = EXCLUDED.explanation, severity = EXCLUDED.severity, model_version = EXCLUDED.model_version,
      last_seen_at = now(), last_run_id = EXCLUDED.last_run_id,
      -- a finding that had been resolved by an earlier rescan opens again; dismissed/remediated stay as the admin left them
      status = CASE WHEN findings.status = 'resolved' THEN 'open' ELSE findings.status END`,

  /** After a rescan of an item, open findings it no longer produces are resolved. */
  resolveStaleFindings: `
    UPDATE findings SET status = 'resolved'
     WHERE item_id = $1 AND status = 'open' AND (last_run_id IS DISTINCT FROM $2)`,

  listFindings: `
    SELECT f.id, f.label, f.score, f.entity_type, f.redacted_value, f.value_hash, f.boxes, f.severity, f.status, f.model_version,
           f.first_seen_at, f.last_seen_at, f.explanation, i.path, i.external_id, i.exposure, s.uri AS source
      FROM findings f
      JOIN items i ON i.id = f.item_id
      JOIN sources s ON s.id = i.source_id
     WHERE ($1::text IS NULL OR f.label = $1)
       AND ($2::text IS NULL OR s.uri = $2)
       AND ($3::text IS NULL OR f.status = $3)
       AND ($5::text IS NULL OR f.entity_type = $5)
     ORDER BY f.last_seen_at DESC, f.id DESC
     LIMIT $4`,

  /** Items a run failed on, for the one-line-per-item report after a scan. */
  failedItems: `
    SELECT path, outcome, outcome_detail
      FROM items
     WHERE scanned_run_id = $1 AND outcome LIKE 'failed:%'
     ORDER BY path
     LIMIT $2`,

  // ---- remediation (src/remediation/) -------------------------------------------------------

  /** Findings an action may be taken for, with the item and source they belong to. $1: ids, or null for the filter. */
  remediationTargets: `
    SELECT f.id AS finding_id, f.label, f.status, f.severity, f.score,
           i.id AS item_id, i.external_id, i.path, i.size, i.etag, i.ref_extra, i.exposure, i.deleted_at, s.uri AS source
      FROM findings f
      JOIN items i ON i.id = f.item_id
      JOIN sources s ON s.id = i.source_id
     WHERE ($1::bigint[] IS NULL OR f.id = ANY($1::bigint[]))
       AND ($2::text IS NULL OR f.label = $2)
       AND ($3::text IS NULL OR i.exposure = $3)
       AND ($4::text IS NULL OR s.uri = $4)
       AND ($5::text IS NULL OR f.status = $5)
     ORDER BY i.id, f.id`,

  /** The item's quarantine that is in force (applied and not restored), if any. */
  activeQuarantine: `
    SELECT id, after FROM remediation_actions
     WHERE item_id = $1 AND action = 'quarantine' AND status = 'applied' AND restored_by IS NULL
     ORDER BY id DESC LIMIT 1`,

  /** An action starts as `running` with its before-snapshot, so a crash mid-way leaves a trace. */
  insertAction: `
    INSERT INTO remediation_actions (finding_id, item_id, action, params, actor, request_id, status, detail, steps, before, restores)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    RETURNING id`,

  finishAction: `
    UPDATE remediation_actions SET status = $2, detail = $3, after = $4, finished_at = now() WHERE id = $1`,

  markRestored: `UPDATE remediation_actions SET restored_by = $2 WHERE id = $1`,

  getAction: `
    SELECT a.*, i.external_id, i.path, i.size, i.etag, i.ref_extra, s.uri AS source, f.label
      FROM remediation_actions a
      JOIN items i ON i.id = a.item_id
      JOIN sources s ON s.id = i.source_id
      LEFT JOIN findings f ON f.id = a.finding_id
     WHERE a.id = $1`,

  /** The audit trail, newest first; $1 a finding id or null, $2 an item id or null. */
  listActions: `
    SELECT a.id, a.finding_id, a.item_id, a.action, a.params, a.actor, a.request_id, a.status, a.detail, a.steps, a.before, a.after,
           a.restores, a.restored_by, a.started_at, a.finished_at, i.path, s.uri AS source
      FROM remediation_actions a
      JOIN items i ON i.id = a.item_id
      JOIN sources s ON s.id = i.source_id
     WHERE ($1::bigint IS NULL OR a.finding_id = $1 OR a.item_id = (SELECT item_id FROM findings WHERE id = $1))
       AND ($2::bigint IS NULL OR a.item_id = $2)
     ORDER BY a.id DESC
     LIMIT $3`,

  /** Moves an item's findings between statuses (open → remediated when an action closes them, back on restore). */
  setFindingStatus: `UPDATE findings SET status = $3 WHERE item_id = $1 AND status = $2`,

  setItemExposure: `UPDATE items SET exposure = $2, exposure_details = $3 WHERE id = $1`,

  sourcesOfKind: `SELECT uri FROM sources WHERE kind = $1 ORDER BY uri`,

  /** Actions on an item that never finished (the process died or was killed mid-way). */
  unfinishedActions: `SELECT id, action, before FROM remediation_actions WHERE item_id = $1 AND status = 'running' ORDER BY id`,

  itemOutcomes: `
    SELECT i.external_id, i.outcome, i.etag, i.label, i.content_sha256
      FROM items i JOIN sources s ON s.id = i.source_id
     WHERE s.uri = $1
     ORDER BY i.external_id`,
} as const;

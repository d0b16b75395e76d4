-- Version 4: remediation (src/remediation/).
-- The connector extras of an item's listed ref (S3 version id, Drive user, OneDrive drive and item id), so an
-- action can address the object without listing the source again. Never secrets, never download URLs.
ALTER TABLE items ADD COLUMN ref_extra jsonb;

-- The audit trail: one row per action applied to one item (dry runs change nothing and are not recorded).
CREATE TABLE remediation_actions (
  id           bigserial PRIMARY KEY,
  finding_id   bigint REFERENCES findings(id) ON DELETE SET NULL,   -- the finding it was taken for
  item_id      bigint NOT NULL REFERENCES items(id),
  action       text NOT NULL,                 -- quarantine | revoke-public | revoke-external | tag | restore
  params       jsonb NOT NULL DEFAULT '{}',
  actor        text NOT NULL,                 -- who asked (--actor, $CASB_ACTOR, else user@host)
  request_id   text NOT NULL,                 -- one per `casb remediate` / `casb restore` invocation
  status       text NOT NULL,                 -- running | applied | noop | blocked:<reason> | failed:<reason>
  detail       text,                          -- one line for people (the platform's reason when blocked)
  steps        jsonb NOT NULL DEFAULT '[]',   -- the plan that was applied
  before       jsonb,                         -- live state read before: location, grants, tags (the restore snapshot)
  after        jsonb,                         -- live state re-read after, and where the object is now
  restores     bigint REFERENCES remediation_actions(id),  -- on a restore row: the action it undid
  restored_by  bigint REFERENCES remediation_actions(id),  -- set on the undone action
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX remediation_actions_item ON remediation_actions (item_id, id);
CREATE INDEX remediation_actions_finding ON remediation_actions (finding_id);

-- Version 2: the policy joins the model in deciding whether an item is unchanged.
-- An item scanned under another policy (or before policies were recorded) is stale and is scanned again.
ALTER TABLE items ADD COLUMN policy_version text;
ALTER TABLE scan_runs ADD COLUMN policy_version text;
-- Findings by entity (casb findings --entity, scan summaries).
CREATE INDEX findings_entity ON findings (entity_type, status) WHERE entity_type <> '';

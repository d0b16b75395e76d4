-- Version 3: incremental scans from a source's change feed.
-- A run is a full listing or a change-feed run; an interrupted run resumes in its own mode.
ALTER TABLE scan_runs ADD COLUMN mode text NOT NULL DEFAULT 'full';   -- full | changes
ALTER TABLE scan_runs ADD COLUMN deleted integer NOT NULL DEFAULT 0;  -- items marked gone by this run
-- Set when the source reports the item deleted (change feed) or a complete full listing no longer
-- shows it; cleared when it is listed again.
ALTER TABLE items ADD COLUMN deleted_at timestamptz;

-- casb-scan schema, version 1. Forward-only; applied in order by src/store/migrate.ts.
-- Every write the scanner makes is an upsert on a natural key, so a re-scan updates rows instead of duplicating them.

CREATE TABLE sources (
  id          bigserial PRIMARY KEY,
  uri         text NOT NULL UNIQUE,          -- canonical source URI: s3://bucket/prefix, file:///abs/dir
  kind        text NOT NULL,                 -- connector name
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scan_runs (
  id             bigserial PRIMARY KEY,
  source_id      bigint NOT NULL REFERENCES sources(id),
  trigger        text NOT NULL,              -- cli | schedule | webhook
  status         text NOT NULL,              -- running | completed | failed | interrupted
  model_version  text NOT NULL,
  resumed_from   bigint REFERENCES scan_runs(id),
  host           text,                       -- where the run's process lives, to tell a dead run from a live one
  pid            integer,
  started_at     timestamptz NOT NULL DEFAULT now(),
  heartbeat_at   timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  listed         integer NOT NULL DEFAULT 0,
  scanned        integer NOT NULL DEFAULT 0,
  skipped        integer NOT NULL DEFAULT 0,
  failed         integer NOT NULL DEFAULT 0,
  downloaded     integer NOT NULL DEFAULT 0,
  findings       integer NOT NULL DEFAULT 0,
  counts         jsonb NOT NULL DEFAULT '{}',  -- outcome reason -> count
  timings        jsonb NOT NULL DEFAULT '{}',  -- stage -> milliseconds
  error          text
);
CREATE INDEX scan_runs_source_status ON scan_runs (source_id, status);

-- Resumable positions per source: the listing checkpoint (low-water mark of a running scan) and,
-- later, change-feed tokens. A cursor is written only after every item before it is committed.
CREATE TABLE cursors (
  source_id   bigint NOT NULL REFERENCES sources(id),
  kind        text NOT NULL,                 -- list | changes
  cursor      text NOT NULL,
  run_id      bigint REFERENCES scan_runs(id),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, kind)
);

CREATE TABLE items (
  id              bigserial PRIMARY KEY,
  source_id       bigint NOT NULL REFERENCES sources(id),
  external_id     text NOT NULL,
  path            text NOT NULL,
  size            bigint,
  etag            text,
  modified_at     timestamptz,
  content_type    text,                      -- sniffed from magic bytes, not the name
  content_sha256  text,
  model_version   text,                      -- model the content outcome was produced with
  outcome         text NOT NULL,             -- scanned | skipped:<reason> | failed:<reason>
  outcome_detail  text,                      -- one line for people; never a sensitive value
  label           text,
  score           real,
  scores          jsonb,
  exposure        text,
  exposure_details jsonb,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  last_run_id     bigint REFERENCES scan_runs(id),  -- last run that listed the item
  scanned_run_id  bigint REFERENCES scan_runs(id),  -- last run that produced `outcome`
  UNIQUE (source_id, external_id)
);

CREATE TABLE findings (
  id              bigserial PRIMARY KEY,
  item_id         bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  label           text NOT NULL,
  score           real NOT NULL,
  entity_type     text NOT NULL DEFAULT '',   -- '' for a finding raised by the label alone
  value_hash      text NOT NULL DEFAULT '',   -- keyed HMAC-SHA256 of the normalised value; '' when no value
  redacted_value  text,                       -- e.g. '**** **** **** 1111'; never the raw value
  boxes           jsonb NOT NULL DEFAULT '[]',
  explanation     jsonb NOT NULL DEFAULT '{}',
  severity        text NOT NULL,
  status          text NOT NULL DEFAULT 'open',  -- open | resolved | remediated | dismissed
  model_version   text NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  last_run_id     bigint REFERENCES scan_runs(id),
  UNIQUE (item_id, label, entity_type, value_hash)
);
CREATE INDEX findings_label ON findings (label, status);

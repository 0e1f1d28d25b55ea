// Schema changes, applied in order; `PRAGMA user_version` records how many have run.
// Never edit a shipped migration: add a new one.

export const MIGRATIONS: string[] = [
  `
  CREATE TABLE packs (
    name               TEXT PRIMARY KEY,
    -- The highest version by semver precedence, denormalised so lists need no per-pack version scan.
    latest_version_id  INTEGER NOT NULL,
    latest_version     TEXT NOT NULL,
    display_name       TEXT NOT NULL,
    layer              TEXT NOT NULL,
    addon_type         TEXT,
    cloud_types        TEXT NOT NULL,   -- JSON array
    has_logo           INTEGER NOT NULL,
    updated_at         TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE versions (
    id                  INTEGER PRIMARY KEY,
    pack                TEXT NOT NULL,
    version             TEXT NOT NULL,   -- as written in pack.json
    normalized_version  TEXT NOT NULL,   -- semver form: ordering, uniqueness, parent tags
    grp                 TEXT,            -- pack.json group, trimmed; NULL when blank
    content_digest      TEXT NOT NULL,
    archive_digest      TEXT NOT NULL,
    size                INTEGER NOT NULL,
    pushed_at           TEXT NOT NULL,
    pushed_by           TEXT NOT NULL,
    message             TEXT,
    root_prefix         TEXT NOT NULL,
    manifest            TEXT NOT NULL,   -- pack.json as JSON
    files               TEXT NOT NULL,   -- JSON [{path,size,sha256}]
    UNIQUE (pack, normalized_version)
  );
  CREATE INDEX versions_by_archive ON versions (archive_digest);
  CREATE INDEX versions_by_content ON versions (pack, content_digest);

  CREATE TABLE tags (
    pack        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('version', 'user', 'parent')),
    PRIMARY KEY (pack, tag)
  ) WITHOUT ROWID;
  CREATE INDEX tags_by_version ON tags (version_id);

  CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    pack      TEXT NOT NULL,
    at        TEXT NOT NULL,
    user      TEXT NOT NULL,
    action    TEXT NOT NULL,
    version   TEXT,
    tag       TEXT,
    digest    TEXT,
    message   TEXT
  );
  CREATE INDEX events_by_pack ON events (pack, id);
  `,
  // What a push reads beside pack.json: presets.yaml, schema.yaml and the charts' Chart.yaml facts, as JSON
  // {presets, schema, charts}. NULL for versions pushed before: the registry did not read them then.
  `
  ALTER TABLE versions ADD COLUMN details TEXT;
  `,
  // The change feed, the webhook outbox and the download statistics (issue 17). Kept apart from the tables
  // reindex rebuilds (packs, versions, tags, events): reindex copies them into the rebuilt index, so a
  // feed cursor and a pending delivery survive it. `feed_state.epoch` names this feed: an index made anew
  // (lost, or never there) gets a new one, and a cursor of the old feed is refused as expired.
  // AUTOINCREMENT: a feed id is never given twice, even after the newest rows were pruned.
  `
  CREATE TABLE feed_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO feed_state (key, value) VALUES ('epoch', lower(hex(randomblob(8))));
  -- Every id at or below it may have been pruned: a cursor below it is expired.
  INSERT INTO feed_state (key, value) VALUES ('pruned_through', '0');

  CREATE TABLE feed (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    action   TEXT NOT NULL,
    pack     TEXT NOT NULL,
    version  TEXT,
    tag      TEXT,
    digest   TEXT,
    user     TEXT NOT NULL,
    message  TEXT
  );
  CREATE INDEX feed_by_time ON feed (at);

  -- One row per (endpoint, event) still to deliver, or given up on (state 'dead'). It carries the body it
  -- sends, so pruning the feed never takes a delivery's content away.
  CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    endpoint       TEXT NOT NULL,
    event_id       INTEGER NOT NULL,
    delivery_id    TEXT NOT NULL,
    body           TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'dead')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_attempt   INTEGER NOT NULL,     -- epoch milliseconds
    last_error     TEXT,
    created_at     TEXT NOT NULL,
    dead_at        TEXT,
    UNIQUE (endpoint, event_id)
  );
  CREATE INDEX outbox_queue ON outbox (endpoint, state, event_id);

  CREATE TABLE downloads (
    pack                TEXT NOT NULL,
    normalized_version  TEXT NOT NULL,
    count               INTEGER NOT NULL,
    last_pulled_at      TEXT NOT NULL,
    PRIMARY KEY (pack, normalized_version)
  ) WITHOUT ROWID;
  `,
];

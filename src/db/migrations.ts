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
];

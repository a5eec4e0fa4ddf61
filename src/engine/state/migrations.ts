/**
 * The database's history, oldest first. A migration is never edited once released: a
 * change is a new entry. `PRAGMA user_version` records how many have run.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE images (
    id TEXT PRIMARY KEY,                 -- the config digest: the image ID users see
    manifest_digest TEXT NOT NULL UNIQUE,
    manifest_media_type TEXT NOT NULL,
    index_digest TEXT,                   -- the multi-platform index it was chosen from
    platform TEXT NOT NULL,              -- os/architecture[/variant]
    size INTEGER NOT NULL,               -- config plus layers, as stored
    created TEXT,                        -- from the image config
    added_at TEXT NOT NULL
  );
  CREATE TABLE image_refs (
    name TEXT PRIMARY KEY,               -- normalised: docker.io/library/busybox:latest
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX image_refs_by_image ON image_refs(image_id);
  CREATE TABLE repo_digests (
    repository TEXT NOT NULL,            -- docker.io/library/busybox
    digest TEXT NOT NULL,                -- what the registry calls it: manifest or index digest
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    PRIMARY KEY (repository, digest)
  );
  CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,              -- short directory name: base 36 of this
    chain_id TEXT NOT NULL UNIQUE,
    parent TEXT,
    diff_id TEXT NOT NULL,
    size INTEGER,
    state TEXT NOT NULL CHECK (state IN ('extracting', 'ready')),
    created_at TEXT NOT NULL
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    type TEXT NOT NULL,                  -- image, container, network, volume
    action TEXT NOT NULL,                -- pull, tag, untag, delete, create, start, die…
    subject TEXT NOT NULL,
    project TEXT,
    data TEXT                            -- JSON
  );
  `,
];

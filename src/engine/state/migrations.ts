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
  `
  CREATE TABLE containers (
    id TEXT PRIMARY KEY,                 -- 64 hex characters
    name TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    service TEXT,                        -- null for containers outside a compose service
    number INTEGER NOT NULL DEFAULT 1,   -- the replica, as com.docker.compose.container-number
    oneoff INTEGER NOT NULL DEFAULT 0,   -- \`run\` containers
    image_id TEXT NOT NULL,              -- config digest: images in use are not removed
    image_ref TEXT,                      -- the name it was created from
    config_hash TEXT,                    -- the service's canonical hash: recreate when it changes
    spec TEXT NOT NULL,                  -- JSON: the engine's ContainerSpec
    labels TEXT NOT NULL,                -- JSON
    state TEXT NOT NULL CHECK (state IN ('created', 'running', 'paused', 'exited')),
    pid INTEGER,                         -- the init process, on the host
    conmon_pid INTEGER,
    exit_code INTEGER,
    oom_killed INTEGER NOT NULL DEFAULT 0,
    health TEXT,                         -- starting, healthy, unhealthy; null without a check
    restart_count INTEGER NOT NULL DEFAULT 0,
    stopped_by_user INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX containers_by_project ON containers(project, service, number);
  `,
  `
  -- How the stack supervises the container (restart policy, healthcheck): JSON the engine
  -- stores for the keeper and does not read.
  ALTER TABLE containers ADD COLUMN supervision TEXT;
  `,
  `
  CREATE TABLE volumes (
    name TEXT PRIMARY KEY,               -- as Docker names it: <project>_<key>, or \`name:\`
    project TEXT,                        -- null for volumes made outside a project
    labels TEXT NOT NULL,                -- JSON
    initialized INTEGER NOT NULL DEFAULT 0, -- the image's content was copied in (first use)
    created_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE networks (
    name TEXT PRIMARY KEY,               -- as Docker names it: <project>_<key>, or \`name:\`
    project TEXT,                        -- null for networks made outside a project
    bridge TEXT NOT NULL UNIQUE,         -- the Linux bridge: at most 15 characters
    subnet TEXT NOT NULL,                -- IPv4 CIDR; overlaps are refused by the engine
    gateway TEXT NOT NULL,               -- the bridge's own address
    ip_range TEXT,                       -- dynamic leases only from here
    internal INTEGER NOT NULL DEFAULT 0, -- no route out, no NAT
    mtu INTEGER,
    labels TEXT NOT NULL,                -- JSON
    options TEXT NOT NULL,               -- JSON: driver_opts as given
    created_at TEXT NOT NULL
  );
  CREATE INDEX networks_by_project ON networks(project);
  CREATE TABLE ip_leases (
    network TEXT NOT NULL REFERENCES networks(name),
    container_id TEXT NOT NULL,
    ip TEXT NOT NULL,
    mac TEXT NOT NULL,
    ifname TEXT NOT NULL,                -- inside the container: eth0, eth1…
    host_ifname TEXT NOT NULL,           -- the veth's host end, on the bridge
    created_at TEXT NOT NULL,
    PRIMARY KEY (network, ip),
    UNIQUE (network, container_id)
  );
  CREATE INDEX ip_leases_by_container ON ip_leases(container_id);
  `,
  `
  -- The host ports the keeper's proxies hold for the container, as JSON, for ps and port.
  ALTER TABLE containers ADD COLUMN ports TEXT;
  `,
  `
  -- The local driver's driver_opts (type, device, o), as JSON: a volume with them is a
  -- mount on its directory while containers use it.
  ALTER TABLE volumes ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
  `,
  `
  -- IPv6 beside IPv4 on a network with enable_ipv6; null on IPv4-only networks and leases.
  ALTER TABLE networks ADD COLUMN subnet6 TEXT;      -- IPv6 CIDR, RFC 5952 text
  ALTER TABLE networks ADD COLUMN gateway6 TEXT;     -- the bridge's own IPv6 address
  ALTER TABLE networks ADD COLUMN ip_range6 TEXT;    -- dynamic IPv6 leases only from here
  ALTER TABLE ip_leases ADD COLUMN ip6 TEXT;
  CREATE UNIQUE INDEX ip_leases_by_ip6 ON ip_leases(network, ip6); -- NULLs never collide
  -- Host settings the engine changed (net.ipv6.conf.all.forwarding) and their values
  -- before, put back when no network of the engine needs them any more.
  CREATE TABLE host_settings (
    name TEXT PRIMARY KEY,
    original TEXT NOT NULL,
    changed_at TEXT NOT NULL
  );
  `,
];

import { ConflictError, NotFoundError } from '../../errors.js';
import { now, type Db } from '../state/db.js';
import type { ContainerSpec } from '../runtime/types.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'exited';
export type Health = 'starting' | 'healthy' | 'unhealthy';

export interface ContainerRecord {
  id: string;
  name: string;
  project: string;
  service: string | null;
  number: number;
  oneoff: boolean;
  imageId: string;
  imageRef: string | null;
  configHash: string | null;
  spec: ContainerSpec;
  labels: Record<string, string>;
  /** What the stack asked for its supervision; opaque to the engine. */
  supervision: Record<string, unknown> | null;
  /** The host ports published for it right now (the keeper's proxies). */
  ports: PublishedPort[];
  state: ContainerStatus;
  pid: number | null;
  conmonPid: number | null;
  exitCode: number | null;
  oomKilled: boolean;
  health: Health | null;
  restartCount: number;
  stoppedByUser: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  project: string;
  service: string | null;
  number: number;
  oneoff: number;
  image_id: string;
  image_ref: string | null;
  config_hash: string | null;
  spec: string;
  labels: string;
  supervision: string | null;
  ports: string | null;
  state: ContainerStatus;
  pid: number | null;
  conmon_pid: number | null;
  exit_code: number | null;
  oom_killed: number;
  health: Health | null;
  restart_count: number;
  stopped_by_user: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  target: number;
  protocol: 'tcp' | 'udp';
}

export interface NewContainer {
  spec: ContainerSpec;
  service?: string;
  number?: number;
  oneoff?: boolean;
  imageRef?: string;
  configHash?: string;
  supervision?: Record<string, unknown>;
}

/** What changes as a container lives; each update is one statement, so it is atomic. */
export type ContainerUpdate = Partial<
  Pick<
    ContainerRecord,
    | 'state'
    | 'pid'
    | 'conmonPid'
    | 'exitCode'
    | 'oomKilled'
    | 'health'
    | 'restartCount'
    | 'stoppedByUser'
    | 'startedAt'
    | 'finishedAt'
    | 'ports'
  >
>;

const COLUMNS: Record<keyof ContainerUpdate, string> = {
  state: 'state',
  pid: 'pid',
  conmonPid: 'conmon_pid',
  exitCode: 'exit_code',
  oomKilled: 'oom_killed',
  health: 'health',
  restartCount: 'restart_count',
  stoppedByUser: 'stopped_by_user',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  ports: 'ports',
};

/** The containers table: what the engine created, and what it last knew of each. */
export class ContainerRecords {
  constructor(private readonly db: Db) {}

  insert(container: NewContainer): ContainerRecord {
    const { spec } = container;
    const taken = this.db.prepare('SELECT id FROM containers WHERE name = ?').get(spec.name) as
      { id: string } | undefined;
    if (taken) {
      throw new ConflictError(
        `the container name "${spec.name}" is already in use by container ${taken.id.slice(0, 12)}`,
        { hint: 'remove that container (tscompose down), or choose another container_name' },
      );
    }
    this.db
      .prepare(
        `INSERT INTO containers (id, name, project, service, number, oneoff, image_id, image_ref,
           config_hash, spec, labels, supervision, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?)`,
      )
      .run(
        spec.id,
        spec.name,
        spec.project,
        container.service ?? null,
        container.number ?? 1,
        container.oneoff ? 1 : 0,
        spec.image,
        container.imageRef ?? null,
        container.configHash ?? null,
        JSON.stringify(spec),
        JSON.stringify(spec.labels),
        container.supervision ? JSON.stringify(container.supervision) : null,
        now(),
      );
    return this.get(spec.id);
  }

  update(id: string, changes: ContainerUpdate): ContainerRecord {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    if (entries.length > 0) {
      const sets = entries.map(([key]) => `${COLUMNS[key as keyof ContainerUpdate]} = ?`);
      const values = entries.map(([, value]) => column(value));
      this.db.prepare(`UPDATE containers SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
    }
    return this.get(id);
  }

  /**
   * Applies `changes` only while the container is in one of `from`: of two processes that
   * notice the same exit, one makes the change (and tells of it), the other gets undefined.
   */
  transition(
    id: string,
    from: ContainerStatus[],
    changes: ContainerUpdate,
  ): ContainerRecord | undefined {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    const sets = entries.map(([key]) => `${COLUMNS[key as keyof ContainerUpdate]} = ?`);
    const values = entries.map(([, value]) => column(value));
    const result = this.db
      .prepare(
        `UPDATE containers SET ${sets.join(', ')} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
      )
      .run(...values, id, ...from);
    return result.changes > 0 ? this.get(id) : undefined;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  find(id: string): ContainerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Row | undefined;
    return row && fromRow(row);
  }

  get(id: string): ContainerRecord {
    const record = this.find(id);
    if (!record) throw new NotFoundError(`no such container: ${id.slice(0, 12)}`);
    return record;
  }

  /** By name, full ID or a unique ID prefix, as Docker resolves them. */
  resolve(nameOrId: string): ContainerRecord {
    const byName = this.db.prepare('SELECT * FROM containers WHERE name = ?').get(nameOrId) as
      Row | undefined;
    if (byName) return fromRow(byName);
    if (/^[0-9a-f]{1,64}$/.test(nameOrId)) {
      const rows = this.db
        .prepare('SELECT * FROM containers WHERE id LIKE ? LIMIT 2')
        .all(`${nameOrId}%`) as Row[];
      if (rows.length === 1) return fromRow(rows[0]!);
      if (rows.length > 1) {
        throw new ConflictError(`the container ID prefix ${nameOrId} is ambiguous`, {
          hint: 'give more characters of the ID, or the name',
        });
      }
    }
    throw new NotFoundError(`no such container: ${nameOrId}`, {
      hint: 'tscompose ps -a lists the containers',
    });
  }

  /** A project's containers, by service and replica number. */
  byProject(project: string, options: { oneoff?: boolean } = {}): ContainerRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM containers WHERE project = ? ORDER BY service, number, created_at')
      .all(project) as Row[];
    return rows
      .map(fromRow)
      .filter((record) => options.oneoff === undefined || record.oneoff === options.oneoff);
  }

  all(): ContainerRecord[] {
    const rows = this.db.prepare('SELECT * FROM containers ORDER BY project, name').all() as Row[];
    return rows.map(fromRow);
  }

  projects(): string[] {
    const rows = this.db.prepare('SELECT DISTINCT project FROM containers ORDER BY project').all();
    return (rows as { project: string }[]).map((row) => row.project);
  }
}

/** A value as SQLite stores it: booleans as 0 or 1, lists as JSON. */
function column(value: unknown): string | number | null {
  if (typeof value === 'boolean') return Number(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return value as string | number | null;
}

function fromRow(row: Row): ContainerRecord {
  return {
    id: row.id,
    name: row.name,
    project: row.project,
    service: row.service,
    number: row.number,
    oneoff: row.oneoff === 1,
    imageId: row.image_id,
    imageRef: row.image_ref,
    configHash: row.config_hash,
    spec: JSON.parse(row.spec) as ContainerSpec,
    labels: JSON.parse(row.labels) as Record<string, string>,
    supervision: row.supervision ? (JSON.parse(row.supervision) as Record<string, unknown>) : null,
    ports: row.ports ? (JSON.parse(row.ports) as PublishedPort[]) : [],
    state: row.state,
    pid: row.pid,
    conmonPid: row.conmon_pid,
    exitCode: row.exit_code,
    oomKilled: row.oom_killed === 1,
    health: row.health,
    restartCount: row.restart_count,
    stoppedByUser: row.stopped_by_user === 1,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidError, NotFoundError } from '../../errors.js';
import type { Engine } from '../engine.js';
import { now } from '../state/db.js';
import { recordEvent } from '../state/events.js';
import { mountBacking, unmountBacking, type DriverOptions } from './backing.js';

export interface VolumeRecord {
  name: string;
  project: string | null;
  labels: Record<string, string>;
  initialized: boolean;
  /** The local driver's `driver_opts` (type, device, o): a mount while in use; or none. */
  options: DriverOptions;
  createdAt: string;
  /** The directory containers see: `<root>/volumes/<name>/_data`, as Docker lays it out. */
  mountpoint: string;
}

interface Row {
  name: string;
  project: string | null;
  labels: string;
  initialized: number;
  options: string;
  created_at: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Named volumes of the `local` driver: a directory each, kept until removed. A volume with
 * driver options is a mount on that directory (a tmpfs, a bind of another directory) made
 * when a container starts with it and let go of when no container is left to use it.
 */
export class VolumeStore {
  constructor(private readonly engine: Engine) {}

  /** The volume, created on first use (with `created` true then). */
  ensure(
    name: string,
    options: { project?: string; labels?: Record<string, string>; driverOpts?: DriverOptions } = {},
  ): { volume: VolumeRecord; created: boolean } {
    checkName(name);
    const existing = this.find(name);
    if (existing) return { volume: existing, created: false };
    const labels = options.labels ?? {};
    const db = this.engine.db;
    const inserted = db
      .prepare(
        'INSERT OR IGNORE INTO volumes (name, project, labels, options, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        name,
        options.project ?? null,
        JSON.stringify(labels),
        JSON.stringify(options.driverOpts ?? {}),
        now(),
      );
    const volume = this.find(name)!;
    mkdirSync(volume.mountpoint, { recursive: true, mode: 0o755 });
    if (inserted.changes > 0) {
      recordEvent(db, {
        type: 'volume',
        action: 'create',
        subject: name,
        project: options.project ?? null,
        data: {},
      });
    }
    return { volume, created: inserted.changes > 0 };
  }

  find(name: string): VolumeRecord | undefined {
    const row = this.engine.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as
      Row | undefined;
    return row && this.fromRow(row);
  }

  /** An `external: true` volume must exist already: another project or the user made it. */
  external(name: string, where: string): VolumeRecord {
    const volume = this.find(name);
    if (!volume) {
      throw new NotFoundError(`external volume "${name}" not found`, {
        path: where,
        hint: `create it first (by the project that owns it), or drop external: true`,
      });
    }
    return volume;
  }

  list(project?: string): VolumeRecord[] {
    const rows = (
      project === undefined
        ? this.engine.db.prepare('SELECT * FROM volumes ORDER BY name').all()
        : this.engine.db
            .prepare('SELECT * FROM volumes WHERE project = ? ORDER BY name')
            .all(project)
    ) as Row[];
    return rows.map((row) => this.fromRow(row));
  }

  /** Makes the volume's backing mount, if it has one and it is not there yet. */
  activate(name: string): void {
    const volume = this.find(name);
    if (volume) mountBacking(volume.mountpoint, volume.options);
  }

  /** Lets go of the backing mount: no container uses the volume any more. */
  release(name: string): void {
    const volume = this.find(name);
    if (volume) unmountBacking(volume.mountpoint);
  }

  markInitialized(name: string): void {
    this.engine.db.prepare('UPDATE volumes SET initialized = 1 WHERE name = ?').run(name);
  }

  /** Removes the volume and its data; refused while a container still uses it. */
  remove(name: string, usedBy: string[] = []): void {
    const volume = this.find(name);
    if (!volume) throw new NotFoundError(`no such volume: ${name}`);
    if (usedBy.length > 0) {
      throw new ConflictError(`volume ${name} is in use by ${usedBy.join(', ')}`, {
        hint: 'remove those containers first (tscompose down)',
      });
    }
    unmountBacking(volume.mountpoint);
    this.engine.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
    rmSync(path.dirname(volume.mountpoint), { recursive: true, force: true });
    recordEvent(this.engine.db, {
      type: 'volume',
      action: 'destroy',
      subject: name,
      project: volume.project,
      data: {},
    });
  }

  private fromRow(row: Row): VolumeRecord {
    return {
      name: row.name,
      project: row.project,
      labels: JSON.parse(row.labels) as Record<string, string>,
      initialized: row.initialized === 1,
      options: JSON.parse(row.options ?? '{}') as DriverOptions,
      createdAt: row.created_at,
      mountpoint: path.join(this.engine.paths.volumes, row.name, '_data'),
    };
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new InvalidError(`"${name}" is not a valid volume name`, {
      hint: 'use letters, digits and _ . - (and start with a letter or digit)',
    });
  }
}

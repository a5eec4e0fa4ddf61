import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/*
 * Where snapshots live under the engine's `snapshots` directory:
 *
 *   <short>/fs                          the unpacked layer, an overlay lower directory
 *   <short>/.unpack-<pid>-<start>-<r>   a layer being unpacked by process <pid>
 *   .trash-<r>                          something on its way out
 *
 * <short> is the base 36 of the snapshot's row id: a 120-layer image must fit its lower
 * directories into one page of mount options. Renames are what make a change visible, and
 * each happens inside the database transaction that records it; deleting the bulk of a
 * tree happens afterwards, from the trash, outside any transaction.
 */

const UNPACK_PREFIX = '.unpack-';
const TRASH_PREFIX = '.trash-';

/**
 * A process, told apart from a later one that reuses its pid by its start time (clock
 * ticks after boot, from /proc): a crashed unpacker's pid may belong to anything by now.
 */
export interface Owner {
  pid: number;
  start: string;
}

export class SnapshotLayout {
  constructor(
    readonly root: string,
    private readonly isAlive: (owner: Owner) => boolean = ownerIsAlive,
  ) {}

  /** The short name of snapshot `id`, relative to the root: what overlay options carry. */
  name(id: number): string {
    return id.toString(36);
  }

  base(id: number): string {
    return path.join(this.root, this.name(id));
  }

  tree(id: number): string {
    return path.join(this.base(id), 'fs');
  }

  /** A fresh directory for `owner` to unpack into; the tree goes in its `fs`. */
  makeUnpackDir(id: number, owner: Owner): string {
    const name = `${UNPACK_PREFIX}${owner.pid}-${owner.start}-${randomBytes(4).toString('hex')}`;
    const dir = path.join(this.base(id), name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Processes unpacking into `id` right now (not the ones that crashed). */
  liveUnpackers(id: number): Owner[] {
    return this.unpackDirs(id)
      .map((dir) => dir.owner)
      .filter((owner) => this.isAlive(owner));
  }

  /** Moves aside what crashed processes left half-unpacked in `id`. */
  trashStaleUnpacks(id: number): string[] {
    return this.unpackDirs(id)
      .filter((dir) => !this.isAlive(dir.owner))
      .map((dir) => this.trash(dir.path));
  }

  /** Renames `file` out of the way, atomically, and returns where it went. */
  trash(file: string): string {
    const target = path.join(this.root, `${TRASH_PREFIX}${randomBytes(6).toString('hex')}`);
    renameSync(file, target);
    return target;
  }

  trashIfExists(file: string): string | undefined {
    return existsSync(file) ? this.trash(file) : undefined;
  }

  /** Directory names that are snapshots (base 36 ids), and leftover trash. */
  entries(): { ids: Map<number, string>; trash: string[] } {
    const ids = new Map<number, string>();
    const trash: string[] = [];
    for (const name of readdirSync(this.root)) {
      if (name.startsWith(TRASH_PREFIX)) trash.push(path.join(this.root, name));
      else if (/^[0-9a-z]+$/.test(name)) ids.set(parseInt(name, 36), path.join(this.root, name));
    }
    return { ids, trash };
  }

  private unpackDirs(id: number): { path: string; owner: Owner }[] {
    let names: string[];
    try {
      names = readdirSync(this.base(id));
    } catch {
      return [];
    }
    return names
      .filter((name) => name.startsWith(UNPACK_PREFIX))
      .map((name) => {
        const [pid, start] = name.slice(UNPACK_PREFIX.length).split('-');
        return { path: path.join(this.base(id), name), owner: { pid: Number(pid), start: start! } };
      });
  }
}

/** Removes trees already moved to the trash; one that another process removes first is fine. */
export function removeAll(dirs: readonly (string | undefined)[]): void {
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

export function currentOwner(): Owner {
  return { pid: process.pid, start: startTimeOf(process.pid) ?? '0' };
}

/** Whether the process still runs and is the same one (not a new one with its pid). */
export function ownerIsAlive(owner: Owner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  const start = startTimeOf(owner.pid);
  return start !== undefined && start === owner.start;
}

/** Field 22 of /proc/<pid>/stat, counted after the command name, which may hold spaces. */
function startTimeOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .at(22 - 3);
}

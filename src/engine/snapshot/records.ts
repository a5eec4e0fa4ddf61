import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, RuntimeError } from '../../errors.js';
import { now, type Db } from '../state/db.js';
import { currentOwner, removeAll, type Owner, type SnapshotLayout } from './layout.js';

/*
 * The `snapshots` table and the directories it names, changed together. Every change runs
 * in an IMMEDIATE transaction: only one process at a time looks at a chain's row and its
 * unpack directories, so two processes never unpack the same chain, and one that crashed
 * mid-unpack (its row left `extracting`, its directory named for a process that is gone)
 * is taken over by the next one that asks.
 */

export interface Row {
  id: number;
  chain_id: string;
  parent: string | null;
  diff_id: string;
  size: number | null;
  state: 'extracting' | 'ready';
  created_at: string;
}

export interface Wanted {
  chainId: string;
  parent: string | undefined;
  diffId: string;
}

/** What a process should do about a chain: use it, unpack it, or wait for another to. */
export type Claim =
  | { kind: 'ready'; id: number; trash: Trash }
  | { kind: 'unpack'; id: number; dir: string; trash: Trash }
  | { kind: 'wait'; id: number; trash: Trash };

/** Paths renamed out of the way, to remove after the transaction. */
type Trash = (string | undefined)[];

export class SnapshotRecords {
  constructor(
    private readonly db: Db,
    readonly layout: SnapshotLayout,
    private readonly owner: Owner = currentOwner(),
  ) {}

  byChain(chainId: string): Row | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE chain_id = ?').get(chainId) as
      Row | undefined;
  }

  all(): Row[] {
    return this.db.prepare('SELECT * FROM snapshots ORDER BY id').all() as Row[];
  }

  /** The caller removes `trash` once the transaction is over, whatever the kind. */
  claim(wanted: Wanted): Claim {
    return this.db.transaction(() => this.claimLocked(wanted)).immediate();
  }

  /** Makes an unpacked tree the chain's snapshot: one rename and one update, together. */
  commit(id: number, chainId: string, dir: string, size: number): void {
    try {
      this.db
        .transaction(() => {
          const row = this.byId(id);
          if (row?.chain_id !== chainId || row.state !== 'extracting') {
            throw new RuntimeError(`snapshot ${chainId} was removed while it was being unpacked`, {
              hint: 'something else changed the engine state; run the command again',
            });
          }
          renameSync(path.join(dir, 'fs'), this.layout.tree(id));
          this.db
            .prepare("UPDATE snapshots SET state = 'ready', size = ? WHERE id = ?")
            .run(size, id);
        })
        .immediate();
    } finally {
      removeAll([dir]);
    }
  }

  /** After a failed unpack: nothing of it stays, unless another process is unpacking it too. */
  abandon(id: number, dir: string): void {
    const trash: Trash = [];
    this.db
      .transaction(() => {
        trash.push(this.layout.trashIfExists(dir));
        const row = this.byId(id);
        if (row?.state !== 'extracting' || this.layout.liveUnpackers(id).length > 0) return;
        this.delete(row, trash);
      })
      .immediate();
    removeAll(trash);
  }

  /**
   * Removes every snapshot whose chain is not in `used`, except those a live process is
   * unpacking; then directories without a row and leftover trash. `used` is computed
   * inside the transaction, so an image recorded before it started keeps its snapshots.
   */
  collect(used: () => Set<string>): { removed: string[]; reclaimed: number } {
    const trash: Trash = [];
    const removed: string[] = [];
    let reclaimed = 0;
    this.db
      .transaction(() => {
        const keep = used();
        const rows = this.all();
        for (const row of rows) {
          if (keep.has(row.chain_id) || this.busy(row)) continue;
          this.delete(row, trash);
          removed.push(row.chain_id);
          reclaimed += row.size ?? 0;
        }
        const known = new Set(rows.map((row) => row.id));
        const { ids, trash: leftovers } = this.layout.entries();
        for (const [id, dir] of ids) if (!known.has(id)) trash.push(this.layout.trash(dir));
        trash.push(...leftovers);
      })
      .immediate();
    removeAll(trash);
    return { removed, reclaimed };
  }

  /** Removes one snapshot; `usedBy` names what still needs it (an image), if anything. */
  remove(chainId: string, usedBy: () => string | undefined): boolean {
    const trash: Trash = [];
    const done = this.db
      .transaction(() => {
        const row = this.byChain(chainId);
        if (!row) return false;
        const user = usedBy() ?? (this.busy(row) ? 'a process that is unpacking it' : undefined);
        if (user) {
          throw new ConflictError(`snapshot ${chainId} is in use by ${user}`, {
            hint: 'remove the image first, or let the unpack finish',
          });
        }
        this.delete(row, trash);
        return true;
      })
      .immediate();
    removeAll(trash);
    return done;
  }

  private claimLocked(wanted: Wanted): Claim {
    const trash: Trash = [];
    let row = this.byChain(wanted.chainId);
    if (row?.state === 'ready') {
      if (existsSync(this.layout.tree(row.id))) return { kind: 'ready', id: row.id, trash };
      // Its tree is gone (removed by hand, or a disk restored without it): unpack it again.
      this.delete(row, trash);
      row = undefined;
    }
    if (!row) {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO snapshots (chain_id, parent, diff_id, state, created_at)
             VALUES (?, ?, ?, 'extracting', ?)`,
          )
          .run(wanted.chainId, wanted.parent ?? null, wanted.diffId, now()).lastInsertRowid,
      );
      // Row ids are reused once the highest is deleted; its directory may still be there.
      trash.push(this.layout.trashIfExists(this.layout.base(id)));
      return { kind: 'unpack', id, dir: this.layout.makeUnpackDir(id, this.owner), trash };
    }
    if (this.busy(row)) return { kind: 'wait', id: row.id, trash };
    // Whoever was unpacking it died: take over, without what it left behind.
    trash.push(...this.layout.trashStaleUnpacks(row.id));
    trash.push(this.layout.trashIfExists(this.layout.tree(row.id)));
    return {
      kind: 'unpack',
      id: row.id,
      dir: this.layout.makeUnpackDir(row.id, this.owner),
      trash,
    };
  }

  private busy(row: Row): boolean {
    return row.state === 'extracting' && this.layout.liveUnpackers(row.id).length > 0;
  }

  private delete(row: Row, trash: Trash): void {
    this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(row.id);
    trash.push(this.layout.trashIfExists(this.layout.base(row.id)));
  }

  private byId(id: number): Row | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE id = ?').get(id) as Row | undefined;
  }
}

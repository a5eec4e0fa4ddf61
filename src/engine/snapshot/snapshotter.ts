import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidError, NotFoundError, UnsupportedError } from '../../errors.js';
import type { ImageRecord } from '../image/repository.js';
import {
  isIndexMediaType,
  layerCompression,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from '../image/types.js';
import type { Db } from '../state/db.js';
import type { ContentStore } from '../store/content.js';
import { chainIds } from './chain.js';
import { currentOwner, ownerIsAlive, removeAll, SnapshotLayout, type Owner } from './layout.js';
import { SnapshotRecords, type Wanted } from './records.js';
import { runTool } from './tools.js';
import { unpackLayer } from './unpack.js';

export interface SnapshotterOptions {
  /** Layers unpacked at once: each is its own directory, so they do not wait for each other. */
  concurrency?: number;
  /** How often to look again while another process unpacks a layer this one needs. */
  pollMs?: number;
  /** For tests: who this process is, and how to tell whether another one still runs. */
  owner?: Owner;
  isAlive?: (owner: Owner) => boolean;
}

export interface Snapshot {
  chainId: string;
  diffId: string;
  /** The layer blob it was unpacked from. */
  layer: string;
  /** The unpacked tree: an overlay lower directory. */
  dir: string;
  /** `dir` relative to the snapshots root (`1a/fs`): short, for overlay's mount options. */
  name: string;
  /** Whether this call unpacked it (false: it was there, or another process unpacked it). */
  unpacked: boolean;
}

export interface PreparedImage {
  /** The snapshots root, which `name` is relative to. */
  root: string;
  /** Top layer first, as overlay's `lowerdir` lists them. */
  lowerDirs: string[];
  /** Top layer first. */
  snapshots: Snapshot[];
}

export interface SnapshotInfo {
  chainId: string;
  parent: string | null;
  diffId: string;
  /** Bytes of the uncompressed layer tar; null while it unpacks. */
  size: number | null;
  state: 'extracting' | 'ready';
}

interface Planned extends Wanted {
  layer: Descriptor;
}

const READ_CHUNK = 1 << 20;

/**
 * Layers unpacked once per chain ID into short-named snapshot directories that overlay
 * stacks into a root file system (DESIGN.md, "Images").
 */
export class Snapshotter {
  readonly root: string;
  private readonly records: SnapshotRecords;
  private readonly concurrency: number;
  private readonly pollMs: number;

  constructor(
    private readonly engine: { db: Db; store: ContentStore; paths: { snapshots: string } },
    options: SnapshotterOptions = {},
  ) {
    this.root = engine.paths.snapshots;
    const layout = new SnapshotLayout(this.root, options.isAlive ?? ownerIsAlive);
    this.records = new SnapshotRecords(engine.db, layout, options.owner ?? currentOwner());
    this.concurrency = options.concurrency ?? Math.min(4, availableParallelism());
    this.pollMs = options.pollMs ?? 100;
  }

  /**
   * Makes sure every layer of an image is unpacked, checking each against the config's
   * `rootfs.diff_ids`, and returns the lower directories for its overlay.
   */
  async prepare(image: string | ImageRecord): Promise<PreparedImage> {
    const manifestDigest = typeof image === 'string' ? image : image.manifestDigest;
    const planned = this.plan(manifestDigest);
    const snapshots = await inParallel(planned, this.concurrency, (item) => this.ensure(item));
    snapshots.reverse();
    return { root: this.root, lowerDirs: snapshots.map((s) => s.dir), snapshots };
  }

  /**
   * Removes the snapshots no recorded image uses (nor `keep`: chain IDs a caller still
   * mounts, such as a build in progress), and what crashed processes left behind.
   */
  collectGarbage(keep: Iterable<string> = []): { removed: string[]; reclaimed: number } {
    return this.records.collect(() => {
      const used = this.chainsInUse();
      for (const chainId of keep) used.add(chainId);
      return used;
    });
  }

  /** Removes one snapshot; refused while a recorded image uses it. False if there was none. */
  remove(chainId: string): boolean {
    return this.records.remove(chainId, () => {
      const row = this.engine.db.prepare('SELECT id FROM images').all() as { id: string }[];
      const user = row.find((image) => this.chainsOf(image.id).includes(chainId));
      return user ? `image ${user.id}` : undefined;
    });
  }

  /** Every snapshot the database knows, bottom layers first. */
  list(): SnapshotInfo[] {
    return this.records.all().map((row) => ({
      chainId: row.chain_id,
      parent: row.parent,
      diffId: row.diff_id,
      size: row.size,
      state: row.state,
    }));
  }

  private plan(manifestDigest: string): Planned[] {
    const { store } = this.engine;
    const manifest = store.readJson<ImageManifest>(manifestDigest);
    if (isIndexMediaType(manifest.mediaType) || !Array.isArray(manifest.layers)) {
      throw new InvalidError(`${manifestDigest} is not an image manifest`, {
        hint: 'choose the manifest for one platform of an index first',
      });
    }
    const diffIds = store.readJson<ImageConfig>(manifest.config.digest).rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidError(
        `image ${manifestDigest} has ${manifest.layers.length} layers but its config lists ${diffIds.length} diff IDs`,
        { hint: 'the image is malformed: pull, load or build it again' },
      );
    }
    const chain = chainIds(diffIds);
    return manifest.layers.map((layer, i) => {
      if (layerCompression(layer.mediaType) === undefined) {
        throw new UnsupportedError(`layer ${layer.digest} has media type ${layer.mediaType}`, {
          hint: 'only tar layers (plain, gzip or zstd) can be unpacked',
        });
      }
      return { layer, diffId: diffIds[i]!, chainId: chain[i]!, parent: chain[i - 1] };
    });
  }

  private async ensure(item: Planned): Promise<Snapshot> {
    for (;;) {
      const claim = this.records.claim(item);
      removeAll(claim.trash);
      if (claim.kind === 'ready') return this.snapshot(item, claim.id, false);
      if (claim.kind === 'unpack') {
        await this.unpack(item, claim.id, claim.dir);
        return this.snapshot(item, claim.id, true);
      }
      await sleep(this.pollMs);
    }
  }

  private async unpack(item: Planned, id: number, dir: string): Promise<void> {
    const tree = path.join(dir, 'fs');
    let size: number;
    try {
      const { store } = this.engine;
      if (!store.has(item.layer.digest)) {
        throw new NotFoundError(`layer ${item.layer.digest} is not in the store`, {
          hint: 'the image is incomplete: pull or load it again',
        });
      }
      const input = createReadStream(store.blobPath(item.layer.digest), {
        highWaterMark: READ_CHUNK,
      });
      ({ size } = await unpackLayer(input, tree, {
        layer: item.layer.digest,
        diffId: item.diffId,
      }));
      // One syncfs per layer: a snapshot marked ready must survive a power cut whole.
      await runTool('sync', ['-f', tree], { package: 'coreutils' });
    } catch (error) {
      this.records.abandon(id, dir);
      throw error;
    }
    this.records.commit(id, item.chainId, dir, size);
  }

  private snapshot(item: Planned, id: number, unpacked: boolean): Snapshot {
    const { layout } = this.records;
    return {
      chainId: item.chainId,
      diffId: item.diffId,
      layer: item.layer.digest,
      dir: layout.tree(id),
      name: path.relative(this.root, layout.tree(id)),
      unpacked,
    };
  }

  private chainsInUse(): Set<string> {
    const used = new Set<string>();
    const images = this.engine.db.prepare('SELECT id FROM images').all() as { id: string }[];
    for (const image of images) for (const chainId of this.chainsOf(image.id)) used.add(chainId);
    return used;
  }

  /** An image's chain IDs from its config (the image ID); none when the config is missing. */
  private chainsOf(configDigest: string): string[] {
    if (!this.engine.store.has(configDigest)) return [];
    return chainIds(this.engine.store.readJson<ImageConfig>(configDigest).rootfs?.diff_ids ?? []);
  }
}

/**
 * Runs `work` on every item, at most `limit` at once, results in the items' order. After a
 * failure no new item starts; the ones running finish, and the first error is thrown.
 */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (failures.length === 0 && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.length > 0) throw failures[0];
  return results;
}

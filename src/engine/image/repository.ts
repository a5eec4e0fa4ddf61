import { statSync } from 'node:fs';
import { ConflictError, InvalidError, NotFoundError } from '../../errors.js';
import type { Db } from '../state/db.js';
import { recordEvent } from '../state/events.js';
import { now } from '../state/db.js';
import type { ContentStore } from '../store/content.js';
import {
  familiarName,
  formatReference,
  parseReference,
  repositoryName,
  type Reference,
} from './reference.js';
import {
  isIndexMediaType,
  MEDIA,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './types.js';

export interface ImageRecord {
  id: string;
  manifestDigest: string;
  manifestMediaType: string;
  indexDigest: string | null;
  platform: string;
  size: number;
  created: string | null;
  addedAt: string;
}

export interface ImageSummary extends ImageRecord {
  /** Normalised names: `docker.io/library/busybox:latest`. */
  refs: string[];
  repoDigests: string[];
}

/** Blobs younger than this are never collected: a pull may be writing them right now. */
const GC_GRACE_MS = 10 * 60 * 1000;

interface Row {
  id: string;
  manifest_digest: string;
  manifest_media_type: string;
  index_digest: string | null;
  platform: string;
  size: number;
  created: string | null;
  added_at: string;
}

/**
 * Images and their names. The database is the truth; `index.json` in the store is
 * rewritten from it after every change so that skopeo and umoci see the same tags.
 */
export class ImageRepository {
  constructor(
    private readonly db: Db,
    private readonly store: ContentStore,
  ) {}

  /** Records a manifest already in the store (with its config and layers) as an image. */
  record(
    manifestDigest: string,
    options: { indexDigest?: string; repository?: string } = {},
  ): ImageRecord {
    const manifest = this.store.readJson<ImageManifest>(manifestDigest);
    if (isIndexMediaType(manifest.mediaType)) {
      throw new InvalidError(`${manifestDigest} is an index, not an image manifest`, {
        hint: 'choose the manifest for one platform first',
      });
    }
    const config = this.store.readJson<ImageConfig>(manifest.config.digest);
    for (const layer of manifest.layers) {
      if (!this.store.has(layer.digest)) {
        throw new NotFoundError(`layer ${layer.digest} of ${manifestDigest} is not in the store`, {
          hint: 'the image is incomplete: pull or load it again',
        });
      }
    }
    const size =
      manifest.config.size + manifest.layers.reduce((total, layer) => total + layer.size, 0);
    const platform = [config.os, config.architecture, config.variant].filter(Boolean).join('/');
    const record: ImageRecord = {
      id: manifest.config.digest,
      manifestDigest,
      manifestMediaType: manifest.mediaType ?? MEDIA.ociManifest,
      indexDigest: options.indexDigest ?? null,
      platform,
      size,
      created: config.created ?? null,
      addedAt: now(),
    };
    const write = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO images (id, manifest_digest, manifest_media_type, index_digest, platform, size, created, added_at)
           VALUES (@id, @manifestDigest, @manifestMediaType, @indexDigest, @platform, @size, @created, @addedAt)
           ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest,
             manifest_media_type = excluded.manifest_media_type,
             index_digest = COALESCE(excluded.index_digest, images.index_digest)`,
        )
        .run(record);
      if (options.repository) {
        this.db
          .prepare(
            'INSERT OR REPLACE INTO repo_digests (repository, digest, image_id) VALUES (?, ?, ?)',
          )
          .run(options.repository, options.indexDigest ?? manifestDigest, record.id);
      }
    });
    write.immediate();
    return this.get(record.id)!;
  }

  get(id: string): ImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Names `ref` (a tag, not a digest) for an image; a name already used moves. */
  tag(ref: Reference, imageId: string): void {
    if (!ref.tag || ref.digest) {
      throw new InvalidError(`cannot tag with "${formatReference(ref)}"`, {
        hint: 'a tag is NAME:TAG, without @digest',
      });
    }
    if (!this.get(imageId)) throw new NotFoundError(`no such image: ${imageId}`);
    this.db
      .prepare('INSERT OR REPLACE INTO image_refs (name, image_id, updated_at) VALUES (?, ?, ?)')
      .run(formatReference(ref), imageId, now());
    this.event('tag', formatReference(ref), { image: imageId });
    this.writeIndex();
  }

  untag(ref: Reference): boolean {
    const result = this.db
      .prepare('DELETE FROM image_refs WHERE name = ?')
      .run(formatReference(ref));
    if (result.changes > 0) {
      this.event('untag', formatReference(ref), {});
      this.writeIndex();
    }
    return result.changes > 0;
  }

  /**
   * Finds an image by name (`busybox`, `busybox:1.36`), by repo digest
   * (`busybox@sha256:…`), or by ID or a unique prefix of it (`sha256:4a1b…`, `4a1b`).
   */
  resolve(text: string): ImageRecord {
    const byId = this.byIdPrefix(text);
    if (byId) return byId;
    let ref: Reference;
    try {
      ref = parseReference(text);
    } catch {
      throw notFound(text);
    }
    if (ref.digest) {
      const row = this.db
        .prepare(
          `SELECT images.* FROM images LEFT JOIN repo_digests ON repo_digests.image_id = images.id
           WHERE (repo_digests.repository = ? AND repo_digests.digest = ?) OR images.manifest_digest = ?`,
        )
        .get(repositoryName(ref), ref.digest, ref.digest) as Row | undefined;
      if (row) return fromRow(row);
      throw notFound(text);
    }
    const row = this.db
      .prepare(
        'SELECT images.* FROM image_refs JOIN images ON images.id = image_refs.image_id WHERE name = ?',
      )
      .get(formatReference(ref)) as Row | undefined;
    if (!row) throw notFound(text);
    return fromRow(row);
  }

  list(): ImageSummary[] {
    const rows = this.db.prepare('SELECT * FROM images ORDER BY added_at DESC').all() as Row[];
    const refs = this.db.prepare('SELECT name, image_id FROM image_refs ORDER BY name').all() as {
      name: string;
      image_id: string;
    }[];
    const digests = this.db
      .prepare('SELECT repository, digest, image_id FROM repo_digests ORDER BY repository')
      .all() as { repository: string; digest: string; image_id: string }[];
    return rows.map((row) => ({
      ...fromRow(row),
      refs: refs.filter((r) => r.image_id === row.id).map((r) => r.name),
      repoDigests: digests
        .filter((d) => d.image_id === row.id)
        .map((d) => `${d.repository}@${d.digest}`),
    }));
  }

  refsOf(imageId: string): string[] {
    return (
      this.db
        .prepare('SELECT name FROM image_refs WHERE image_id = ? ORDER BY name')
        .all(imageId) as {
        name: string;
      }[]
    ).map((row) => row.name);
  }

  /**
   * `image rm`: a name removes that name, and the image with its last name; an ID removes
   * the image, which needs `force` while several names point at it (as in Docker).
   */
  remove(text: string, { force = false } = {}): { untagged: string[]; deleted: string[] } {
    const image = this.resolve(text);
    const refs = this.refsOf(image.id);
    const byName = !this.byIdPrefix(text) && !text.includes('@');
    if (byName) {
      const ref = parseReference(text);
      this.untag(ref);
      if (refs.length > 1) return { untagged: [formatReference(ref)], deleted: [] };
      this.deleteImage(image.id);
      return { untagged: [formatReference(ref)], deleted: [image.id] };
    }
    if (refs.length > 1 && !force) {
      throw new ConflictError(
        `image ${shortId(image.id)} is named ${refs.map((r) => familiarName(parseReference(r))).join(', ')}`,
        { hint: 'remove it by name, or pass --force to remove every name and the image' },
      );
    }
    for (const ref of refs) this.untag(parseReference(ref));
    this.deleteImage(image.id);
    return { untagged: refs, deleted: [image.id] };
  }

  /** Images without a name ("dangling"), or with `all` every image; then unreferenced blobs. */
  prune({ all = false } = {}): { deleted: string[]; reclaimed: number } {
    const deleted: string[] = [];
    for (const image of this.list()) {
      if (image.refs.length === 0 || all) {
        for (const ref of image.refs) this.untag(parseReference(ref));
        this.deleteImage(image.id, { collect: false });
        deleted.push(image.id);
      }
    }
    return { deleted, reclaimed: this.collectGarbage() };
  }

  /**
   * Deletes blobs no remaining image refers to. Blobs written in the last minutes are
   * kept: a pull in another process may not have recorded its image yet.
   */
  collectGarbage(nowMs = Date.now()): number {
    const keep = new Set<string>();
    for (const image of this.list()) {
      keep.add(image.manifestDigest);
      keep.add(image.id);
      if (image.indexDigest) keep.add(image.indexDigest);
      const manifest = this.store.readJson<ImageManifest>(image.manifestDigest);
      for (const layer of manifest.layers) keep.add(layer.digest);
    }
    let reclaimed = 0;
    for (const digest of this.store.list()) {
      if (keep.has(digest)) continue;
      const stat = statSync(this.store.blobPath(digest));
      if (nowMs - stat.mtimeMs < GC_GRACE_MS) continue;
      reclaimed += stat.size;
      this.store.delete(digest);
    }
    return reclaimed;
  }

  /** Rewrites `index.json` from the database: one entry per name. */
  writeIndex(): void {
    const rows = this.db
      .prepare(
        `SELECT image_refs.name, images.manifest_digest, images.manifest_media_type, images.platform
         FROM image_refs JOIN images ON images.id = image_refs.image_id ORDER BY image_refs.name`,
      )
      .all() as {
      name: string;
      manifest_digest: string;
      manifest_media_type: string;
      platform: string;
    }[];
    const manifests: Descriptor[] = rows.map((row) => {
      const [os, architecture, variant] = row.platform.split('/');
      return {
        mediaType: row.manifest_media_type,
        digest: row.manifest_digest,
        size: this.store.size(row.manifest_digest) ?? 0,
        annotations: {
          'org.opencontainers.image.ref.name': row.name,
          'io.containerd.image.name': row.name,
        },
        platform: { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) },
      };
    });
    this.store.writeIndex(manifests);
  }

  private deleteImage(id: string, { collect = true } = {}): void {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
    this.event('delete', id, {});
    this.writeIndex();
    if (collect) this.collectGarbage(Number.POSITIVE_INFINITY);
  }

  private byIdPrefix(text: string): ImageRecord | undefined {
    const hex = text.startsWith('sha256:') ? text.slice(7) : text;
    if (!/^[a-f0-9]{4,64}$/.test(hex)) return undefined;
    const rows = this.db
      .prepare('SELECT * FROM images WHERE id LIKE ? LIMIT 2')
      .all(`sha256:${hex}%`) as Row[];
    if (rows.length > 1) {
      throw new ConflictError(`image ID prefix "${text}" matches several images`, {
        hint: 'give more characters of the ID',
      });
    }
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  private event(action: string, subject: string, data: Record<string, unknown>): void {
    recordEvent(this.db, { type: 'image', action, subject, project: null, data });
  }
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function notFound(text: string): NotFoundError {
  return new NotFoundError(`no such image: ${text}`, {
    hint: 'see tscompose image ls; pull it, load it, or make one with tscompose image bootstrap',
  });
}

function fromRow(row: Row): ImageRecord {
  return {
    id: row.id,
    manifestDigest: row.manifest_digest,
    manifestMediaType: row.manifest_media_type,
    indexDigest: row.index_digest,
    platform: row.platform,
    size: row.size,
    created: row.created,
    addedAt: row.added_at,
  };
}

/** Picks the manifest for a platform out of an index; attestation entries never match. */
export function chooseManifest(
  index: ImageIndex,
  want: { os: string; architecture: string; variant?: string },
): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (m) =>
      m.platform &&
      m.platform.os === want.os &&
      m.platform.architecture === want.architecture &&
      m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  if (!want.variant) return candidates.find((m) => !m.platform?.variant) ?? candidates[0];
  return (
    candidates.find((m) => m.platform?.variant === want.variant) ??
    candidates.find((m) => !m.platform?.variant)
  );
}

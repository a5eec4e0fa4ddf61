import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Engine } from '../../engine.js';
import { newHash } from '../../store/digest.js';
import { formatReference, type Reference } from '../reference.js';
import { ImageRepository } from '../repository.js';
import {
  MEDIA,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  type ImageRunConfig,
  type Platform,
} from '../types.js';

/** OCI image-spec media types, or Docker's schema 2 (what `docker push` sends). */
export type ManifestFormat = 'oci' | 'docker';

export interface StoredLayer {
  /** The compressed blob in the store. */
  digest: string;
  size: number;
  /** The digest of the uncompressed tar: what the config's rootfs.diff_ids names. */
  diffId: string;
}

const MEDIA_OF = {
  oci: { manifest: MEDIA.ociManifest, config: MEDIA.ociConfig, layer: MEDIA.ociLayerGzip },
  docker: {
    manifest: MEDIA.dockerManifest,
    config: MEDIA.dockerConfig,
    layer: MEDIA.dockerLayerGzip,
  },
} as const;

/**
 * Puts a plain (uncompressed) tar into the store as a gzip-compressed layer, hashing the
 * tar on the way for its diff ID. Nothing is kept if reading or writing fails.
 */
export async function storeLayer(engine: Engine, tar: Readable | string): Promise<StoredLayer> {
  const hash = newHash();
  const source = typeof tar === 'string' ? createReadStream(tar) : tar;
  const written = await engine.store.putStream(gzipped(source, hash));
  return { ...written, diffId: `sha256:${hash.digest('hex')}` };
}

async function* gzipped(source: Readable, hash: ReturnType<typeof newHash>) {
  const gzip = createGzip({ chunkSize: 256 * 1024 });
  const feeding = pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    gzip,
  );
  // A failure upstream ends the gzip stream early; `feeding` then says why.
  feeding.catch(() => undefined);
  for await (const chunk of gzip) yield chunk as Buffer;
  await feeding;
}

export interface NewImage {
  layers: StoredLayer[];
  platform: Platform;
  runConfig: ImageRunConfig;
  created: Date;
  /** The history entry's comment, as `docker import --message` sets it. */
  comment?: string;
  createdBy?: string;
  format?: ManifestFormat;
  /** The name to tag; none leaves the image unnamed. */
  ref?: Reference;
}

export interface CommittedImage {
  /** The image ID: its config's digest. */
  id: string;
  manifestDigest: string;
  /** The normalised name it was tagged with: docker.io/library/busybox:latest. */
  ref?: string;
}

/** Writes the config and manifest for stored layers, records the image and tags it. */
export function commitImage(engine: Engine, image: NewImage): CommittedImage {
  const media = MEDIA_OF[image.format ?? 'oci'];
  const created = image.created.toISOString();
  const config: ImageConfig = {
    architecture: image.platform.architecture,
    os: image.platform.os,
    ...(image.platform.variant ? { variant: image.platform.variant } : {}),
    created,
    config: image.runConfig,
    rootfs: { type: 'layers', diff_ids: image.layers.map((layer) => layer.diffId) },
    history: image.layers.map(() => ({
      created,
      ...(image.createdBy ? { created_by: image.createdBy } : {}),
      ...(image.comment ? { comment: image.comment } : {}),
    })),
  };
  const configBlob = engine.store.putJson(config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: media.manifest,
    config: { mediaType: media.config, ...configBlob },
    layers: image.layers.map((layer): Descriptor => ({
      mediaType: media.layer,
      digest: layer.digest,
      size: layer.size,
    })),
  };
  const manifestBlob = engine.store.putJson(manifest);
  const repository = new ImageRepository(engine.db, engine.store);
  const record = repository.record(manifestBlob.digest);
  if (image.ref) repository.tag(image.ref, record.id);
  return {
    id: record.id,
    manifestDigest: manifestBlob.digest,
    ...(image.ref ? { ref: formatReference(image.ref) } : {}),
  };
}

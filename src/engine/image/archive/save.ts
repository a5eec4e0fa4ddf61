import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Pack } from 'tar-stream';
import {
  InvalidError,
  NotFoundError,
  PermissionError,
  RuntimeError,
  TsComposeError,
} from '../../../errors.js';
import type { Engine } from '../../engine.js';
import { tempPathFor } from '../../store/atomic.js';
import { parseReference, formatReference, repositoryName, type Reference } from '../reference.js';
import { ImageRepository, type ImageRecord } from '../repository.js';
import type { Descriptor, ImageManifest, Platform } from '../types.js';
import type { ArchiveFormat } from './detect.js';
import { blobPath, dockerArchiveMetadata } from './docker-archive.js';
import { indexEntry, ociIndex } from './oci-archive.js';
import type { ByteProgress } from './tar.js';

export interface SaveOptions {
  /** docker-archive (what `docker save` writes, the default) or oci-archive. */
  format?: ArchiveFormat;
  /** Bytes of blobs written so far, out of all of them. */
  onProgress?: ByteProgress;
}

interface SavedImage {
  record: ImageRecord;
  manifest: ImageManifest;
  names: Reference[];
}

/** Entries get the epoch as their time, as `docker save` gives them: the same images, the same bytes. */
const EPOCH = new Date(0);
const LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/**
 * `docker save`: writes images to `file` as a tar. Both formats are an OCI image layout
 * holding the blobs exactly as stored, so digests survive a save and a load; the
 * docker-archive adds `manifest.json` and `repositories` as Docker 25+ and containerd
 * write them (a compressed layer there is read by `docker load` and skopeo alike). The
 * file appears whole or not at all.
 */
export async function saveArchive(
  engine: Engine,
  names: string[],
  file: string,
  options: SaveOptions = {},
): Promise<void> {
  if (names.length === 0) {
    throw new InvalidError('image save needs at least one image', {
      hint: 'name images as NAME[:TAG] or by ID',
    });
  }
  const images = chooseImages(new ImageRepository(engine.db, engine.store), names).map(
    (image): SavedImage => ({
      ...image,
      manifest: engine.store.readJson<ImageManifest>(image.record.manifestDigest),
    }),
  );
  const blobs = blobsOf(images);
  for (const digest of blobs) {
    if (!engine.store.has(digest)) {
      throw new NotFoundError(`blob ${digest} of an image to save is not in the store`, {
        hint: 'the image is incomplete: pull or load it again',
      });
    }
  }

  const temp = tempPathFor(file);
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(temp, { mode: 0o644 }));
  try {
    await writeEntries(engine, pack, images, blobs, options);
    pack.finalize();
    await writing;
    renameSync(temp, file);
  } catch (error) {
    pack.destroy();
    await writing.catch(() => undefined);
    rmSync(temp, { force: true });
    throw writeError(error, file);
  }
}

/**
 * The images `names` pick, each once. A name with a tag adds that name to the archive;
 * a repository without a tag adds every tag of it, and an ID adds none (as in Docker).
 */
function chooseImages(
  repository: ImageRepository,
  names: string[],
): Omit<SavedImage, 'manifest'>[] {
  const chosen = new Map<string, Omit<SavedImage, 'manifest'>>();
  const add = (record: ImageRecord, name?: Reference) => {
    const image = chosen.get(record.id) ?? { record, names: [] };
    const known = image.names.map(formatReference);
    if (name && !known.includes(formatReference(name))) image.names.push(name);
    chosen.set(record.id, image);
  };
  for (const text of names) {
    const ref = tryParse(text);
    if (ref && !ref.tag && !ref.digest) {
      const tagged = repository
        .list()
        .flatMap((image) => image.refs.map((name) => ({ image, name: parseReference(name) })))
        .filter(({ name }) => repositoryName(name) === repositoryName(ref));
      for (const { image, name } of tagged) add(image, name);
      if (tagged.length > 0) continue;
    }
    const record = repository.resolve(text);
    const tag = ref?.tag ? { ...ref, tag: ref.tag } : undefined;
    const named = tag && repository.refsOf(record.id).includes(formatReference(tag));
    add(record, named ? tag : undefined);
  }
  return [...chosen.values()];
}

function tryParse(text: string): Reference | undefined {
  try {
    return parseReference(text, { defaultTag: false });
  } catch {
    return undefined;
  }
}

function blobsOf(images: SavedImage[]): string[] {
  const digests = new Set<string>();
  for (const { record, manifest } of images) {
    digests.add(record.manifestDigest);
    digests.add(manifest.config.digest);
    for (const layer of manifest.layers) digests.add(layer.digest);
  }
  return [...digests].sort();
}

async function writeEntries(
  engine: Engine,
  pack: Pack,
  images: SavedImage[],
  blobs: string[],
  options: SaveOptions,
): Promise<void> {
  const format = options.format ?? 'docker-archive';
  const total = blobs.reduce((sum, digest) => sum + (engine.store.size(digest) ?? 0), 0);
  let done = 0;
  const counter = () =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        done += chunk.length;
        options.onProgress?.(done, total);
        callback(null, chunk);
      },
    });

  for (const dir of ['blobs/', 'blobs/sha256/'])
    pack.entry({ name: dir, type: 'directory', mode: 0o755, mtime: EPOCH });
  for (const digest of blobs) {
    const size = engine.store.size(digest)!;
    const entry = pack.entry({ name: blobPath(digest), size, mode: 0o644, mtime: EPOCH });
    await pipeline(engine.store.open(digest), counter(), entry);
  }

  const refName = format === 'oci-archive' ? 'name' : 'tag';
  const entries = images.flatMap(({ record, names }) => {
    const manifest = descriptorOf(engine, record);
    return names.length ? names.map((name) => indexEntry(manifest, name, refName)) : [manifest];
  });
  addJson(pack, 'index.json', ociIndex(entries));
  if (format === 'docker-archive') {
    const { manifest, repositories } = dockerArchiveMetadata(
      images.map(({ manifest, names }) => ({
        config: manifest.config.digest,
        layers: manifest.layers.map((layer) => layer.digest),
        names,
      })),
    );
    addJson(pack, 'manifest.json', manifest);
    addFile(pack, 'oci-layout', LAYOUT);
    if (Object.keys(repositories).length > 0) addJson(pack, 'repositories', repositories);
    return;
  }
  addFile(pack, 'oci-layout', LAYOUT);
}

function descriptorOf(engine: Engine, record: ImageRecord): Descriptor {
  const [os, architecture, variant] = record.platform.split('/');
  const platform: Platform = {
    os: os!,
    architecture: architecture!,
    ...(variant ? { variant } : {}),
  };
  return {
    mediaType: record.manifestMediaType,
    digest: record.manifestDigest,
    size: engine.store.size(record.manifestDigest)!,
    platform,
  };
}

function addJson(pack: Pack, name: string, value: unknown): void {
  addFile(pack, name, `${JSON.stringify(value)}\n`);
}

function addFile(pack: Pack, name: string, text: string): void {
  pack.entry({ name, mode: 0o644, mtime: EPOCH }, Buffer.from(text));
}

function writeError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new NotFoundError(`cannot write ${file}: its directory does not exist`, {
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionError(`cannot write ${file}: permission denied`, { cause: error });
  }
  if (error instanceof Error && !(error instanceof TsComposeError)) {
    return new RuntimeError(`cannot write ${file}: ${error.message}`, { cause: error });
  }
  return error;
}

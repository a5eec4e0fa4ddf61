import { createReadStream } from 'node:fs';
import { InvalidError } from '../../errors.js';
import type { Engine } from '../engine.js';
import { applyChanges } from './archive/changes.js';
import { readableOf, uncompressed } from './archive/compression.js';
import { commitImage, storeLayer, type ManifestFormat, type StoredLayer } from './archive/layer.js';
import { parseTagged } from './archive/plan.js';
import { entryPath, readTar, statFile } from './archive/tar.js';
import { packTree } from './archive/tree.js';
import { hostPlatform } from './platform.js';
import type { Platform } from './types.js';

export interface ImportOptions {
  /** Dockerfile instructions for the config, as `docker import --change` takes them. */
  changes?: string[];
  /** The history comment, as `docker import --message`; default "Imported from SOURCE". */
  message?: string;
  /** The platform the image says it is for: the host's by default. */
  platform?: Platform;
  /** OCI media types (the default) or Docker's schema 2. */
  format?: ManifestFormat;
  /** The image's creation time: now by default; fix it for a reproducible image ID. */
  created?: Date;
}

export interface ImportResult {
  /** The image ID (its config's digest). */
  id: string;
  manifestDigest: string;
  /** The name it got, normalised (docker.io/library/app:latest); none when `ref` was. */
  ref?: string;
}

/**
 * `docker import`: a root file system becomes a one-layer image. `source` is a tar file
 * (plain, gzip or zstd), kept byte for byte as the layer's content, or a directory,
 * packed as a tar that is the same bytes for the same tree (owners, modes, symbolic
 * and hard links, and devices kept). `ref` (NAME[:TAG]) names the image; without it
 * the image has only its ID. A bad name, change or tar stores nothing.
 */
export async function importRootfs(
  engine: Engine,
  source: string,
  ref: string | undefined,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const name = ref === undefined ? undefined : parseTagged(ref, 'image import: the name');
  const runConfig = applyChanges(options.changes ?? []);
  const { isDirectory } = statFile(source);

  const layer = isDirectory
    ? await storeLayer(engine, packTree(source))
    : await tarLayer(engine, source);
  return commitImage(engine, {
    layers: [layer],
    platform: options.platform ?? hostPlatform(),
    runConfig,
    created: options.created ?? new Date(),
    comment: options.message ?? `Imported from ${source}`,
    ...(options.format ? { format: options.format } : {}),
    ...(name ? { ref: name } : {}),
  });
}

/**
 * Reads the tar once to check it (a truncated file, or a name that would land outside
 * the root, stores nothing), then again into the store.
 */
async function tarLayer(engine: Engine, file: string): Promise<StoredLayer> {
  const compression = await readTar(file, { what: 'image import' }, async ({ header }) => {
    const escapes = entryPath(header.name) === undefined;
    const linkEscapes = header.type === 'link' && entryPath(header.linkname ?? '') === undefined;
    if (escapes || linkEscapes) {
      throw new InvalidError(
        `${file}: entry ${header.name}${linkEscapes ? ` (a hard link to ${header.linkname})` : ''} leaves the root file system`,
        { hint: 'a root file system tar names its files relative to /, without ..' },
      );
    }
  });
  return storeLayer(engine, readableOf(uncompressed(createReadStream(file), compression, file)));
}

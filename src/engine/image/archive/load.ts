import { InvalidError } from '../../../errors.js';
import type { Engine } from '../../engine.js';
import { hostPlatform } from '../platform.js';
import { formatReference } from '../reference.js';
import { ImageRepository } from '../repository.js';
import type { Platform } from '../types.js';
import { detectFormat, type ArchiveFormat } from './detect.js';
import { planDockerArchive } from './docker-archive.js';
import { planOciArchive } from './oci-archive.js';
import type { PlannedImage } from './plan.js';
import { StagedArchive } from './stage.js';
import type { ByteProgress } from './tar.js';

export interface LoadOptions {
  /** The platform chosen from a multi-platform image: the host's by default. */
  platform?: Platform;
  /** Bytes of the archive read so far. */
  onProgress?: ByteProgress;
}

export interface LoadResult {
  format: ArchiveFormat;
  /** Each image once, with the names it got (normalised: docker.io/library/busybox:latest). */
  images: { id: string; refs: string[] }[];
}

/**
 * `docker load`: reads a docker-archive or an oci-archive, plain or gzip-compressed. The
 * whole archive is read and checked before the store changes, so a bad archive leaves
 * no blob and no image behind.
 */
export async function loadArchive(
  engine: Engine,
  file: string,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const staged = await StagedArchive.read(file, engine.paths.tmp, {
    what: 'image load',
    onProgress: options.onProgress,
  });
  try {
    const format = detectFormat(file, staged.names());
    const plans =
      format === 'docker-archive'
        ? await planDockerArchive(staged)
        : await planOciArchive(staged, options.platform ?? hostPlatform());
    if (plans.length === 0) {
      throw new InvalidError(`${file} holds no image`, {
        hint: 'its index lists nothing: save the images again',
      });
    }
    return { format, images: commit(engine, plans) };
  } finally {
    staged.dispose();
  }
}

function commit(engine: Engine, plans: PlannedImage[]): LoadResult['images'] {
  const repository = new ImageRepository(engine.db, engine.store);
  const images = new Map<string, Set<string>>();
  for (const plan of plans) {
    for (const [digest, file] of plan.files) engine.store.adopt(file.path, digest);
    for (const document of plan.documents) engine.store.put(document);
    const record = repository.record(plan.manifestDigest, {
      ...(plan.indexDigest ? { indexDigest: plan.indexDigest } : {}),
    });
    const refs = images.get(record.id) ?? new Set<string>();
    for (const name of plan.names) {
      repository.tag(name, record.id);
      refs.add(formatReference(name));
    }
    images.set(record.id, refs);
  }
  return [...images].map(([id, refs]) => ({ id, refs: [...refs] }));
}

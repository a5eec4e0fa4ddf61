import { InvalidError } from '../../errors.js';
import type { Engine } from '../engine.js';
import { formatReference, parseReference, repositoryName } from '../image/reference.js';
import { ImageRepository } from '../image/repository.js';
import type { Descriptor, ImageManifest } from '../image/types.js';
import { RegistryClient } from './client.js';
import { registryError } from './errors.js';
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_CHUNK_THRESHOLD,
  DEFAULT_CONCURRENCY,
  type PushOptions,
} from './options.js';
import { eachLimit } from './pool.js';
import type { BlobRole } from './progress.js';
import { uploadBlob } from './upload.js';

export interface PushResult {
  /** The manifest's digest, as the registry reported it (and checked against ours). */
  digest: string;
  /** The manifest's size in bytes. */
  size: number;
  ref: string;
}

/**
 * `push`: sends a local image (by name or ID) to `target`, default its own name. Blobs
 * go first, those the registry has are skipped and those another of its repositories has
 * are mounted; the manifest goes last, by tag, so the tag never names an incomplete image.
 */
export async function pushImage(
  engine: Engine,
  source: string,
  target?: string,
  options: PushOptions = {},
): Promise<PushResult> {
  const images = new ImageRepository(engine.db, engine.store);
  const image = images.resolve(source);
  if (
    target === undefined &&
    image.id.replace('sha256:', '').startsWith(source.replace('sha256:', ''))
  ) {
    throw new InvalidError(`cannot push image ${source} without a name`, {
      hint: 'say where to: push ID REGISTRY/REPOSITORY:TAG',
    });
  }
  const ref = parseReference(target ?? source);
  if (ref.digest) {
    throw new InvalidError(`cannot push to a digest: ${formatReference(ref)}`, {
      hint: 'push to a tag; the registry computes the digest',
    });
  }
  const name = formatReference(ref);
  const emit = options.onProgress ?? (() => undefined);
  const client = new RegistryClient(ref.domain, {
    credentials: options.credentials && (() => options.credentials!.get(ref.domain)),
    insecureRegistries: options.insecureRegistries,
    signal: options.signal,
    clock: options.clock,
    attempts: options.attempts,
  });
  const scope = [`repository:${ref.path}:pull,push`];
  const bytes = engine.store.read(image.manifestDigest);
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  const origins = knownOrigins(images, engine, ref.domain, ref.path);

  let transferred = 0;
  await eachLimit(
    blobsOf(manifest),
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async ({ blob, role }) => {
      const report = (phase: 'exists' | 'mounted' | 'uploading' | 'done', current: number) =>
        emit({ type: 'blob', digest: blob.digest, role, phase, current, total: blob.size });
      const outcome = await uploadBlob({
        client,
        store: engine.store,
        repository: ref.path,
        descriptor: blob,
        scope,
        origins: origins.get(blob.digest) ?? [],
        chunkThreshold: options.chunkThreshold ?? DEFAULT_CHUNK_THRESHOLD,
        chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
        onBytes: (current) => report('uploading', current),
      });
      if (outcome === 'uploaded') transferred += blob.size;
      report(outcome === 'uploaded' ? 'done' : outcome, blob.size);
    },
  );

  const what = `manifest ${name}`;
  const response = await client.request(`/v2/${ref.path}/manifests/${ref.tag}`, {
    method: 'PUT',
    scope,
    what,
    headers: { 'content-type': manifest.mediaType ?? image.manifestMediaType },
    body: bytes,
  });
  if (response.status !== 201) throw await registryError(response, what);
  await response.body?.cancel();
  const digest = response.headers.get('docker-content-digest') ?? image.manifestDigest;
  if (digest !== image.manifestDigest) {
    throw new InvalidError(
      `${what}: the registry stored ${digest}, we sent ${image.manifestDigest}`,
      {
        hint: 'the registry rewrote the manifest; it may not support this media type',
      },
    );
  }
  // As Docker does after a push: the image now has a digest in that repository.
  images.record(image.manifestDigest, { repository: repositoryName(ref) });
  emit({ type: 'done', ref: name, digest, transferred });
  return { digest, size: bytes.length, ref: name };
}

function blobsOf(manifest: ImageManifest): { blob: Descriptor; role: BlobRole }[] {
  const seen = new Set<string>();
  return [
    { blob: manifest.config, role: 'config' as const },
    ...manifest.layers.map((blob) => ({ blob, role: 'layer' as const })),
  ].filter(({ blob }) => !seen.has(blob.digest) && seen.add(blob.digest));
}

/**
 * Which other repositories of this registry hold each blob, from the repo digests of the
 * images we pulled from or pushed to it: those blobs can be mounted instead of sent.
 */
function knownOrigins(
  images: ImageRepository,
  engine: Engine,
  domain: string,
  path: string,
): Map<string, string[]> {
  const origins = new Map<string, string[]>();
  for (const summary of images.list()) {
    for (const repoDigest of summary.repoDigests) {
      const repository = repoDigest.slice(0, repoDigest.indexOf('@'));
      if (!repository.startsWith(`${domain}/`)) continue;
      const from = repository.slice(domain.length + 1);
      if (from === path) continue;
      const manifest = engine.store.readJson<ImageManifest>(summary.manifestDigest);
      for (const blob of [manifest.config, ...manifest.layers]) {
        const list = origins.get(blob.digest) ?? [];
        if (!list.includes(from)) list.push(from);
        origins.set(blob.digest, list);
      }
    }
  }
  return origins;
}

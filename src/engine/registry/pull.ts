import { InvalidError, NotFoundError } from '../../errors.js';
import type { Engine } from '../engine.js';
import { formatPlatform, hostPlatform } from '../image/platform.js';
import { formatReference, parseReference, repositoryName } from '../image/reference.js';
import { ImageRepository, type ImageRecord } from '../image/repository.js';
import type { Descriptor, ImageConfig } from '../image/types.js';
import { downloadBlob } from './blob.js';
import { RegistryClient } from './client.js';
import { platformMismatch, resolveManifest } from './manifest.js';
import { DEFAULT_CONCURRENCY, DEFAULT_RETRIES, type PullOptions } from './options.js';
import { eachLimit } from './pool.js';
import type { BlobRole } from './progress.js';

export interface PullResult {
  image: ImageRecord;
  /** The normalised reference: `127.0.0.1:5000/team/app:dev`. */
  ref: string;
  /** What the reference names in the registry: the index's digest when there is one. */
  digest: string;
}

/** Downloads in flight in this process, by blob path: two pulls share one download. */
const inflight = new Map<string, Promise<unknown>>();

/**
 * `pull`: resolves the reference to one platform's manifest, downloads the config and the
 * layers the store lacks (in parallel, each digest checked), then records the image and
 * its tag. The manifest (and index) are stored last, so a pull that fails leaves no
 * image behind, only blobs that a later pull reuses.
 */
export async function pullImage(
  engine: Engine,
  reference: string,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const platform = options.platform ?? hostPlatform();
  const emit = options.onProgress ?? (() => undefined);
  const client = new RegistryClient(ref.domain, {
    credentials: options.credentials && (() => options.credentials!.get(ref.domain)),
    insecureRegistries: options.insecureRegistries,
    signal: options.signal,
    clock: options.clock,
    attempts: options.attempts,
  });
  const scope = [`repository:${ref.path}:pull`];
  const target = { client, store: engine.store, repository: ref.path, scope, name };

  const { index, manifest } = await resolveManifest(target, ref.digest ?? ref.tag!, platform);
  const digest = index?.digest ?? manifest.digest;
  emit({ type: 'resolved', ref: name, digest, manifestDigest: manifest.digest });

  const blobs = uniqueBlobs(manifest.parsed.config, manifest.parsed.layers);
  let transferred = 0;
  await eachLimit(blobs, options.concurrency ?? DEFAULT_CONCURRENCY, async ({ blob, role }) => {
    const progress = (phase: 'exists' | 'downloading' | 'done', current: number, from?: number) =>
      emit({
        type: 'blob',
        digest: blob.digest,
        role,
        phase,
        current,
        total: blob.size,
        ...(from ? { resumedFrom: from } : {}),
      });
    if (engine.store.has(blob.digest)) {
      progress('exists', blob.size);
      return;
    }
    const key = engine.store.blobPath(blob.digest);
    let download = inflight.get(key);
    if (!download) {
      download = downloadBlob({
        client,
        store: engine.store,
        repository: ref.path,
        descriptor: blob,
        scope,
        retries: options.retries ?? DEFAULT_RETRIES,
        onBytes: (current, from) => progress('downloading', current, from),
      })
        .then((done) => (transferred += done.transferred))
        .finally(() => inflight.delete(key));
      inflight.set(key, download);
    }
    await download;
    progress('done', blob.size);
  });

  const config = engine.store.readJson<ImageConfig>(manifest.parsed.config.digest);
  checkConfig(config, manifest.parsed.layers.length, name, options.platform && platform);
  engine.store.put(manifest.bytes, { digest: manifest.digest });
  if (index) engine.store.put(index.bytes, { digest: index.digest });

  const images = new ImageRepository(engine.db, engine.store);
  const image = images.record(manifest.digest, {
    ...(index ? { indexDigest: index.digest } : {}),
    repository: repositoryName(ref),
  });
  // Docker ignores the tag of `name:tag@digest`: the digest is what was asked for.
  if (ref.tag && !ref.digest)
    images.tag({ domain: ref.domain, path: ref.path, tag: ref.tag }, image.id);
  emit({ type: 'done', ref: name, digest, transferred });
  return { image, ref: name, digest };
}

function uniqueBlobs(config: Descriptor, layers: Descriptor[]) {
  const seen = new Set<string>();
  const blobs: { blob: Descriptor; role: BlobRole }[] = [];
  for (const [blob, role] of [[config, 'config'], ...layers.map((l) => [l, 'layer'])] as [
    Descriptor,
    BlobRole,
  ][]) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    blobs.push({ blob, role });
  }
  return blobs;
}

/** The config must describe the layers the manifest lists, and the platform asked for. */
function checkConfig(
  config: ImageConfig,
  layers: number,
  name: string,
  wanted: PullOptions['platform'],
): void {
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== layers) {
    throw new InvalidError(
      `${name}: the config lists ${diffIds?.length ?? 0} layers, the manifest ${layers}`,
      { hint: 'the image is corrupt in the registry; push it again' },
    );
  }
  if (wanted && platformMismatch(config, wanted)) {
    const has = formatPlatform({
      os: config.os,
      architecture: config.architecture,
      variant: config.variant,
    });
    throw new NotFoundError(`${name} has no image for ${formatPlatform(wanted)}`, {
      hint: `it has ${has} only; leave out --platform to pull it`,
    });
  }
}

import { InvalidError, NotFoundError, UnsupportedError } from '../../errors.js';
import { formatPlatform } from '../image/platform.js';
import { chooseManifest } from '../image/repository.js';
import {
  isIndexMediaType,
  isManifestMediaType,
  layerCompression,
  MEDIA,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../image/types.js';
import type { ContentStore } from '../store/content.js';
import { digestOf, isDigest } from '../store/digest.js';
import type { RegistryClient } from './client.js';
import { registryError } from './errors.js';

/** Everything we can read, best first: both indexes, then both image manifests. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.dockerManifestList,
  MEDIA.ociManifest,
  MEDIA.dockerManifest,
].join(', ');

/** The distribution spec lets registries refuse manifests over 4 MiB; so do we. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/;

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface ManifestTarget {
  client: RegistryClient;
  store: ContentStore;
  repository: string;
  scope: readonly string[];
  /** The reference in the user's words, for messages. */
  name: string;
}

/**
 * A manifest by tag or digest. One already in the store is read from there: a HEAD tells
 * the digest a tag names now, so pulling an image we have downloads nothing.
 */
export async function fetchManifest(
  target: ManifestTarget,
  reference: string,
): Promise<FetchedManifest> {
  const path = `/v2/${target.repository}/manifests/${reference}`;
  const what = `manifest ${target.name}`;
  const request = { scope: target.scope, what, headers: { accept: MANIFEST_ACCEPT } };
  let known = isDigest(reference) ? reference : undefined;
  if (!known) {
    const head = await target.client.request(path, { ...request, method: 'HEAD' });
    const digest = head.headers.get('docker-content-digest');
    if (head.ok && digest && isDigest(digest)) known = digest;
    if (head.status === 404) throw await registryError(head, what);
  }
  if (known && target.store.has(known)) {
    const bytes = target.store.read(known);
    return { digest: known, mediaType: mediaTypeOf(bytes, undefined), bytes };
  }
  const response = await target.client.request(path, request);
  if (!response.ok) throw await registryError(response, what);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new InvalidError(`${what} is ${bytes.length} bytes, more than the 4 MiB allowed`);
  }
  const digest = digestOf(bytes);
  const announced = isDigest(reference) ? reference : response.headers.get('docker-content-digest');
  if (announced && announced !== digest) {
    throw new InvalidError(`digest mismatch for ${what}: expected ${announced}, got ${digest}`, {
      hint: 'the data is corrupt or was changed in transit; nothing was stored',
    });
  }
  const header = response.headers.get('content-type')?.split(';')[0]?.trim();
  return { digest, mediaType: mediaTypeOf(bytes, header), bytes };
}

/** The body's own `mediaType` wins over Content-Type; an OCI manifest may carry neither. */
function mediaTypeOf(bytes: Buffer, header: string | undefined): string {
  let body: { mediaType?: unknown; manifests?: unknown; config?: unknown; schemaVersion?: unknown };
  try {
    body = JSON.parse(bytes.toString('utf8')) as typeof body;
  } catch {
    return header ?? 'application/octet-stream';
  }
  if (typeof body.mediaType === 'string') return body.mediaType;
  if (header && header !== 'application/json' && header !== 'text/plain') return header;
  if (body.schemaVersion === 1) return 'application/vnd.docker.distribution.manifest.v1+json';
  if (Array.isArray(body.manifests)) return MEDIA.ociIndex;
  if (body.config) return MEDIA.ociManifest;
  return header ?? 'application/octet-stream';
}

export interface Resolved {
  index?: FetchedManifest;
  manifest: FetchedManifest & { parsed: ImageManifest };
}

/**
 * The image manifest a reference names for a platform: an index (OCI or Docker manifest
 * list) is narrowed to the platform's entry, attestations skipped. A single image is
 * returned whatever its platform: only its config says which, see `platformMismatch`.
 */
export async function resolveManifest(
  target: ManifestTarget,
  reference: string,
  platform: Platform,
): Promise<Resolved> {
  const top = await fetchManifest(target, reference);
  refuseUnknown(top, target.name);
  if (!isIndexMediaType(top.mediaType)) {
    return { manifest: { ...top, parsed: checkImage(top, target.name) } };
  }
  const index = JSON.parse(top.bytes.toString('utf8')) as ImageIndex;
  const chosen = chooseManifest(index, platform);
  if (!chosen) {
    const offered = [...new Set(index.manifests.filter(isImageEntry).map(platformOf))];
    throw new NotFoundError(`${target.name} has no image for ${formatPlatform(platform)}`, {
      hint: offered.length
        ? `it has ${offered.join(', ')}; choose one with --platform`
        : 'its index lists no platform images',
    });
  }
  const child = await fetchManifest(target, chosen.digest);
  refuseUnknown(child, target.name);
  if (isIndexMediaType(child.mediaType)) {
    throw new UnsupportedError(`${target.name}: an index inside an index is not supported`);
  }
  const parsed = checkImage(child, target.name);
  return { index: top, manifest: { ...child, parsed } };
}

/** Compares a single-platform image's config with the platform the user asked for. */
export function platformMismatch(
  config: { os: string; architecture: string; variant?: string },
  want: Platform,
): boolean {
  if (config.os !== want.os || config.architecture !== want.architecture) return true;
  return Boolean(want.variant && config.variant && config.variant !== want.variant);
}

function refuseUnknown(manifest: FetchedManifest, name: string): void {
  if (isIndexMediaType(manifest.mediaType) || isManifestMediaType(manifest.mediaType)) return;
  if (SCHEMA1.test(manifest.mediaType)) {
    throw new UnsupportedError(`${name} uses a Docker schema 1 manifest, which is not supported`, {
      hint: 'schema 1 is deprecated: push the image again with a current Docker or skopeo',
    });
  }
  throw new UnsupportedError(`${name} has an unsupported media type "${manifest.mediaType}"`, {
    hint: 'tscompose reads OCI and Docker schema 2 images and indexes',
  });
}

/** An image manifest, with a container config and layers we can unpack. */
function checkImage(manifest: FetchedManifest, name: string): ImageManifest {
  const parsed = JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest;
  const config = parsed.config?.mediaType;
  if (config !== MEDIA.ociConfig && config !== MEDIA.dockerConfig) {
    throw new UnsupportedError(`${name} is not a container image: its config is "${config}"`, {
      hint: 'it may be an artifact (a Helm chart, a signature) stored in a registry',
    });
  }
  for (const layer of parsed.layers ?? []) {
    if (layerCompression(layer.mediaType) === undefined) {
      throw new UnsupportedError(
        `${name} has a layer of unsupported media type "${layer.mediaType}"`,
        {
          hint: 'tscompose reads tar layers, plain, gzip or zstd compressed',
        },
      );
    }
  }
  for (const blob of [parsed.config, ...(parsed.layers ?? [])]) {
    if (!isDigest(blob.digest) || !Number.isSafeInteger(blob.size) || blob.size < 0) {
      throw new InvalidError(`${name}: the manifest lists a blob with a bad digest or size`);
    }
  }
  return parsed;
}

function isImageEntry(entry: ImageIndex['manifests'][number]): boolean {
  return (
    entry.platform !== undefined &&
    entry.platform.os !== 'unknown' &&
    entry.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest'
  );
}

function platformOf(entry: ImageIndex['manifests'][number]): string {
  return formatPlatform(entry.platform!);
}

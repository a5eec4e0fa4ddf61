import { InvalidError, UnsupportedError } from '../../../errors.js';
import { formatPlatform } from '../platform.js';
import { formatReference, type Reference } from '../reference.js';
import { chooseManifest } from '../repository.js';
import {
  isIndexMediaType,
  isManifestMediaType,
  layerCompression,
  MEDIA,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../types.js';
import { compressionOf, uncompressedDigest } from './compression.js';
import { SNIFF_BYTES } from './detect.js';
import {
  checkConfig,
  IMAGE_NAME,
  nameFromAnnotations,
  REF_NAME,
  type PlannedImage,
} from './plan.js';
import { readHead } from './tar.js';
import type { StagedArchive, StagedFile } from './stage.js';

const ATTESTATION = 'attestation-manifest';
const CONFIG_MEDIA: readonly string[] = [MEDIA.ociConfig, MEDIA.dockerConfig];

/**
 * Reads each image an OCI image layout's `index.json` names (image-spec, image-layout.md).
 * An entry that is itself an index (a multi-platform image) yields the manifest for
 * `platform`, as a pull would.
 */
export async function planOciArchive(
  staged: StagedArchive,
  platform: Platform,
): Promise<PlannedImage[]> {
  const layout = staged.readJson<{ imageLayoutVersion?: unknown }>(
    staged.need('oci-layout', 'its layout marker'),
    'oci-layout',
  );
  if (typeof layout.imageLayoutVersion !== 'string') {
    throw new InvalidError(`${staged.file}: oci-layout has no imageLayoutVersion`, {
      hint: 'the archive is corrupt or not an OCI image layout',
    });
  }
  const index = staged.readJson<ImageIndex>(staged.need('index.json', 'its index'), 'index.json');
  if (!Array.isArray(index.manifests)) {
    throw new InvalidError(`${staged.file}: index.json has no manifests list`, {
      hint: 'the archive is corrupt or not an OCI image layout',
    });
  }
  const plans: PlannedImage[] = [];
  for (const [i, entry] of index.manifests.entries()) {
    if (entry.annotations?.['vnd.docker.reference.type'] === ATTESTATION) continue;
    const where = `index.json manifests[${i}]`;
    const names = nameFromAnnotations(entry.annotations, `${staged.file}: ${where}`);
    if (isManifestMediaType(entry.mediaType)) {
      plans.push(await planManifest(staged, entry, names));
    } else if (isIndexMediaType(entry.mediaType)) {
      const file = staged.blob(entry.digest, 'the image index', entry.size);
      const nested = staged.readJson<ImageIndex>(file, entry.digest);
      const chosen = Array.isArray(nested.manifests) && chooseManifest(nested, platform);
      if (!chosen) {
        throw new UnsupportedError(
          `${staged.file}: ${where} has no image for ${formatPlatform(platform)}`,
          { hint: 'save the image for this platform, or load it on a machine of its platform' },
        );
      }
      const plan = await planManifest(staged, chosen, names);
      plan.files.set(file.digest, file);
      plans.push({ ...plan, indexDigest: file.digest });
    } else {
      throw new InvalidError(
        `${staged.file}: ${where} has media type ${String(entry.mediaType)}, which is not an image`,
        { hint: 'tscompose loads OCI and Docker image manifests and indexes' },
      );
    }
  }
  return plans;
}

async function planManifest(
  staged: StagedArchive,
  entry: Descriptor,
  name: Reference | undefined,
): Promise<PlannedImage> {
  const where = `${staged.file}: manifest ${entry.digest}`;
  const manifestFile = staged.blob(entry.digest, 'the manifest', entry.size);
  const manifest = staged.readJson<ImageManifest>(manifestFile, entry.digest);
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) {
    throw new InvalidError(`${where} has no config or layers`, {
      hint: 'the archive is corrupt; nothing was stored',
    });
  }
  if (manifest.mediaType !== undefined && manifest.mediaType !== entry.mediaType) {
    throw unknownMedia(where, 'says its media type is', manifest.mediaType);
  }
  if (!CONFIG_MEDIA.includes(manifest.config.mediaType)) {
    throw unknownMedia(where, 'has a config of media type', manifest.config.mediaType);
  }
  const configFile = staged.blob(manifest.config.digest, 'the image config', manifest.config.size);
  const config = checkConfig(
    staged.readJson<unknown>(configFile, manifest.config.digest),
    manifest.layers.length,
    `${where}: config ${manifest.config.digest}`,
  );
  const files = new Map<string, StagedFile>([
    [manifestFile.digest, manifestFile],
    [configFile.digest, configFile],
  ]);
  for (const [i, layer] of manifest.layers.entries()) {
    if (!layerCompression(layer.mediaType)) {
      throw unknownMedia(where, `has a layer ${layer.digest} of media type`, layer.mediaType);
    }
    const file = staged.blob(layer.digest, 'the layer', layer.size);
    // The bytes decide how a layer is compressed, as containerd decides: labels lie.
    const compression = compressionOf(readHead(file.path, SNIFF_BYTES));
    const what = `${staged.file}: layer ${layer.digest}`;
    const diffId = await uncompressedDigest(staged.open(file), compression, what);
    if (diffId !== config.rootfs.diff_ids[i]) {
      throw new InvalidError(
        `${what} does not match its image config: its content hashes to ${diffId}, the config names ${config.rootfs.diff_ids[i]}`,
        { hint: 'the archive is corrupt; nothing was stored' },
      );
    }
    files.set(file.digest, file);
  }
  return { files, documents: [], manifestDigest: manifestFile.digest, names: name ? [name] : [] };
}

function unknownMedia(where: string, what: string, mediaType: unknown): InvalidError {
  return new InvalidError(`${where} ${what} ${String(mediaType)}, which tscompose does not know`, {
    hint: 'layers are tar, tar+gzip or tar+zstd; configs are OCI or Docker image configs',
  });
}

/**
 * An `index.json` entry for a saved image. The OCI `ref.name` is the whole name, as skopeo
 * and podman write it in an oci-archive, so that `oci-archive:FILE:NAME` finds it; the
 * docker-archive's layout follows Docker 25+ instead and gives only the tag there.
 */
export function indexEntry(
  manifest: Descriptor,
  name: Reference | undefined,
  refName: 'name' | 'tag',
): Descriptor {
  if (!name) return manifest;
  const full = formatReference(name);
  return {
    ...manifest,
    annotations: { [IMAGE_NAME]: full, [REF_NAME]: refName === 'name' ? full : name.tag! },
  };
}

export function ociIndex(manifests: Descriptor[]): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests };
}

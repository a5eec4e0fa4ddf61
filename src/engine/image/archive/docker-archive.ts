import { InvalidError } from '../../../errors.js';
import { digestOf } from '../../store/digest.js';
import { familiarName, type Reference } from '../reference.js';
import {
  isManifestMediaType,
  layerCompression,
  MEDIA,
  type Compression,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from '../types.js';
import { compressionOf, uncompressedDigest } from './compression.js';
import { SNIFF_BYTES } from './detect.js';
import { checkConfig, parseTagged, type PlannedImage } from './plan.js';
import type { StagedArchive, StagedFile } from './stage.js';
import { readHead } from './tar.js';

const LAYER_MEDIA: Record<Compression, string> = {
  none: MEDIA.ociLayer,
  gzip: MEDIA.ociLayerGzip,
  zstd: MEDIA.ociLayerZstd,
};

const CONFIG_MEDIA: readonly string[] = [MEDIA.ociConfig, MEDIA.dockerConfig];

/** One entry of `manifest.json`, as `docker save` has written it since Docker 1.10. */
export interface DockerManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, Descriptor>;
  Parent?: string;
}

/**
 * Reads each image of a docker-archive. Three layouts reach here: Docker before 25
 * (`<id>/layer.tar`, config `<hex>.json`), skopeo's (`<hex>.tar` with `<id>/layer.tar`
 * symlinks) and Docker 25+ (`blobs/sha256/<hex>`, with an OCI layout beside it). Layers
 * may be compressed (`docker load` decompresses what it finds); each must hash, once
 * uncompressed, to the diff ID its config names, as `docker load` checks.
 */
export async function planDockerArchive(staged: StagedArchive): Promise<PlannedImage[]> {
  const items = staged.readJson<unknown>(
    staged.need('manifest.json', 'its index'),
    'manifest.json',
  );
  if (!Array.isArray(items)) throw badManifest(staged, 'it is not a list of images');
  const stored = storedManifests(staged);
  const plans: PlannedImage[] = [];
  for (const [i, item] of items.entries()) plans.push(await planItem(staged, item, i, stored));
  return plans;
}

async function planItem(
  staged: StagedArchive,
  item: unknown,
  index: number,
  stored: StoredManifest[],
): Promise<PlannedImage> {
  const where = `manifest.json[${index}]`;
  if (!isItem(item)) throw badManifest(staged, `${where} needs Config and Layers`);
  const names = (item.RepoTags ?? []).map((tag) => parseTagged(tag, `${where}.RepoTags`));

  const configFile = staged.need(item.Config, 'the image config');
  checkNamedDigest(staged, item.Config, configFile, 'the image config');
  const config = checkConfig(
    staged.readJson<unknown>(configFile, item.Config),
    item.Layers.length,
    `${staged.file}: ${where}: ${item.Config}`,
  );
  const diffIds = config.rootfs.diff_ids;

  const files = new Map<string, StagedFile>([[configFile.digest, configFile]]);
  const layers: Descriptor[] = [];
  for (const [i, name] of item.Layers.entries()) {
    const file = staged.need(name, 'the layer');
    checkNamedDigest(staged, name, file, 'the layer');
    const compression = compressionOf(readHead(file.path, SNIFF_BYTES));
    const diffId = await uncompressedDigest(
      staged.open(file),
      compression,
      `${staged.file}: layer ${name}`,
    );
    if (diffId !== diffIds[i]) {
      throw new InvalidError(
        `${staged.file}: layer ${name} does not match its image config: its content hashes to ${diffId}, the config names ${diffIds[i]}`,
        { hint: 'the archive is corrupt; nothing was stored' },
      );
    }
    files.set(file.digest, file);
    layers.push({ mediaType: LAYER_MEDIA[compression], digest: file.digest, size: file.size });
  }

  const configDescriptor = {
    mediaType: MEDIA.ociConfig,
    digest: configFile.digest,
    size: configFile.size,
  };
  const same = stored.find((m) => sameImage(m.manifest, configDescriptor, layers));
  if (same) {
    files.set(same.file.digest, same.file);
    return { files, documents: [], manifestDigest: same.file.digest, names };
  }
  // Before Docker 25 an archive holds no manifest: make the one `docker load` would make.
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: configDescriptor,
    layers,
  };
  const document = Buffer.from(JSON.stringify(manifest));
  return { files, documents: [document], manifestDigest: digestOf(document), names };
}

/** `docker save` (Docker 25+) as the object its `manifest.json` and `repositories` hold. */
export function dockerArchiveMetadata(
  images: { config: string; layers: string[]; names: Reference[] }[],
): { manifest: DockerManifestItem[]; repositories: Record<string, Record<string, string>> } {
  const repositories: Record<string, Record<string, string>> = {};
  const manifest = images.map((image) => {
    const top = image.layers.at(-1);
    for (const name of top ? image.names : []) {
      const repository = familiarName({ ...name, tag: undefined });
      repositories[repository] ??= {};
      repositories[repository][name.tag!] = top!.slice('sha256:'.length);
    }
    return {
      Config: blobPath(image.config),
      RepoTags: image.names.map(familiarName),
      Layers: image.layers.map(blobPath),
    };
  });
  return { manifest, repositories };
}

export function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

interface StoredManifest {
  file: StagedFile;
  manifest: ImageManifest;
}

/**
 * The manifests a Docker 25+ archive keeps in its OCI layout. Reusing one keeps the
 * image's manifest digest through save and load; a damaged one is only not reused.
 */
function storedManifests(staged: StagedArchive): StoredManifest[] {
  const indexFile = staged.find('index.json');
  if (!indexFile) return [];
  const index = staged.readJson<ImageIndex>(indexFile, 'index.json');
  const found: StoredManifest[] = [];
  for (const entry of Array.isArray(index.manifests) ? index.manifests : []) {
    if (!isManifestMediaType(entry.mediaType)) continue;
    const file = staged.find(blobPath(entry.digest));
    if (file?.digest !== entry.digest) continue;
    found.push({ file, manifest: staged.readJson<ImageManifest>(file, blobPath(entry.digest)) });
  }
  return found;
}

function sameImage(manifest: ImageManifest, config: Descriptor, layers: Descriptor[]): boolean {
  return (
    isManifestMediaType(manifest.mediaType) &&
    CONFIG_MEDIA.includes(manifest.config?.mediaType) &&
    manifest.config?.digest === config.digest &&
    Array.isArray(manifest.layers) &&
    manifest.layers.length === layers.length &&
    manifest.layers.every(
      (layer, i) =>
        layer.digest === layers[i]!.digest &&
        layerCompression(layer.mediaType) === layerCompression(layers[i]!.mediaType),
    )
  );
}

function isItem(item: unknown): item is DockerManifestItem {
  const value = item as Partial<DockerManifestItem> | null;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.Config === 'string' &&
    Array.isArray(value.Layers) &&
    value.Layers.every((layer) => typeof layer === 'string') &&
    (value.RepoTags == null ||
      (Array.isArray(value.RepoTags) && value.RepoTags.every((tag) => typeof tag === 'string')))
  );
}

function badManifest(staged: StagedArchive, why: string): InvalidError {
  return new InvalidError(`${staged.file}: manifest.json is not a docker save manifest: ${why}`, {
    hint: 'the archive is corrupt or was not written by docker save',
  });
}

/** Names that carry a digest (`blobs/sha256/<hex>`, `<hex>.json`) must match it. */
function checkNamedDigest(staged: StagedArchive, name: string, file: StagedFile, what: string) {
  const named = /(?:^|\/)(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json)?$/.exec(name);
  if (!named || file.digest === `sha256:${named[1]}`) return;
  throw new InvalidError(
    `${staged.file}: ${what} ${name} does not match its digest: its content hashes to ${file.digest}`,
    { hint: 'the archive is corrupt; nothing was stored' },
  );
}

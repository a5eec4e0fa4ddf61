import { InvalidError } from '../../../errors.js';
import { isDigest } from '../../store/digest.js';
import { parseReference, type Reference } from '../reference.js';
import type { ImageConfig } from '../types.js';
import type { StagedFile } from './stage.js';

/** One image read from an archive and fully checked, before anything reaches the store. */
export interface PlannedImage {
  /** Files of the archive that become blobs, by digest: configs, layers, stored manifests. */
  files: Map<string, StagedFile>;
  /** Blobs made while reading: the manifest a docker-archive of the legacy layout lacks. */
  documents: Buffer[];
  manifestDigest: string;
  indexDigest?: string;
  names: Reference[];
}

/** The keys containerd and Docker 25+ write on index entries, and the OCI one. */
export const IMAGE_NAME = 'io.containerd.image.name';
export const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * A tag (`name:tag`) the archive gives an image. `what` says where it came from, for the
 * message if it is not one.
 */
export function parseTagged(text: string, what: string): Reference {
  let ref: Reference;
  try {
    ref = parseReference(text);
  } catch (cause) {
    throw new InvalidError(`${what} "${text}" is not an image name`, {
      cause,
      hint: 'names in an archive are NAME:TAG, for example busybox:latest',
    });
  }
  if (ref.digest) {
    throw new InvalidError(`${what} "${text}" names a digest, not a tag`, {
      hint: 'names in an archive are NAME:TAG, for example busybox:latest',
    });
  }
  return ref;
}

/**
 * The name an OCI index entry gives its image. containerd and Docker 25+ put the full name
 * in `io.containerd.image.name` and only the tag (`latest`) in the OCI `ref.name`;
 * skopeo and podman put a whole name in `ref.name`. A bare `ref.name` is a tag of no
 * repository: that image is loaded without a name, as containerd does.
 */
export function nameFromAnnotations(
  annotations: Record<string, string> | undefined,
  where: string,
): Reference | undefined {
  const full = annotations?.[IMAGE_NAME];
  if (full) return parseTagged(full, `${where}: ${IMAGE_NAME}`);
  const ref = annotations?.[REF_NAME];
  if (ref && /[:/]/.test(ref)) return parseTagged(ref, `${where}: ${REF_NAME}`);
  return undefined;
}

/**
 * Refuses an image config the engine could not run from: it must name its platform and
 * one diff ID per layer. `where` names the file and the entry, for the message.
 */
export function checkConfig(config: unknown, layers: number, where: string): ImageConfig {
  const value = config as Partial<ImageConfig> | null;
  const bad = (why: string) =>
    new InvalidError(`${where}: the image config ${why}`, {
      hint: 'the archive is corrupt; nothing was stored',
    });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('is not a JSON object');
  if (typeof value.os !== 'string' || typeof value.architecture !== 'string')
    throw bad('does not name its os and architecture');
  const diffIds = value.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((id) => typeof id === 'string' && isDigest(id)))
    throw bad('has no list of sha256 diff IDs (rootfs.diff_ids)');
  if (diffIds.length !== layers) throw bad(`names ${diffIds.length} diff IDs for ${layers} layers`);
  return value as ImageConfig;
}

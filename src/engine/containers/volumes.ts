import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Engine } from '../engine.js';
import type { Mount } from '../runtime/types.js';
import { resolveInRoot } from '../snapshot/safe-path.js';
import { runTool } from '../snapshot/tools.js';
import { VolumeStore } from '../volumes/store.js';
import type { ContainerRecord } from './records.js';

/**
 * The container's volumes, ready before it starts: a backing mount made (a tmpfs volume),
 * and a named volume used for the first time gets what the image has at its path, as
 * Docker does (unless `nocopy`); an empty path in the image leaves it empty.
 */
export async function readyVolumes(
  engine: Engine,
  record: ContainerRecord,
  rootfs: string,
): Promise<void> {
  const volumes = new VolumeStore(engine);
  for (const mount of record.spec.mounts) {
    if (mount.kind !== 'bind' || !mount.volume) continue;
    volumes.activate(mount.volume.name);
    const volume = volumes.find(mount.volume.name);
    if (!volume || volume.initialized) continue;
    if (!mount.volume.noCopy && readdirSync(volume.mountpoint).length === 0) {
      const from = resolveInRoot(rootfs, mount.target);
      if (existsSync(from) && statSync(from).isDirectory() && readdirSync(from).length > 0) {
        await runTool('cp', ['-a', '--', `${from}/.`, volume.mountpoint], {
          package: 'coreutils',
        });
      }
    }
    volumes.markInitialized(volume.name);
  }
}

/**
 * After a container is removed: the backing mounts of its volumes that no container left
 * (`others`, the records that remain) uses. Synchronous after the record's removal, so
 * that of two containers removed at once the second always sees the first gone.
 */
export function releaseVolumes(
  engine: Engine,
  record: ContainerRecord,
  others: readonly ContainerRecord[],
): void {
  const names = volumeNames(record.spec.mounts);
  if (names.length === 0) return;
  const used = new Set(others.flatMap((other) => volumeNames(other.spec.mounts)));
  const volumes = new VolumeStore(engine);
  for (const name of names) if (!used.has(name)) volumes.release(name);
}

function volumeNames(mounts: readonly Mount[]): string[] {
  return mounts.flatMap((mount) =>
    mount.kind === 'bind' && mount.volume ? [mount.volume.name] : [],
  );
}

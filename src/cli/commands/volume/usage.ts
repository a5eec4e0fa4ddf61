import { ContainerManager } from '../../../engine/containers/manager.js';
import type { Engine } from '../../../engine/engine.js';
import { VolumeStore, type VolumeRecord } from '../../../engine/volumes/store.js';

/** The names of the containers that mount each volume, whatever their state. */
export function volumeUsers(engine: Engine): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const container of new ContainerManager(engine).records.all()) {
    for (const mount of container.spec.mounts) {
      if (mount.kind !== 'bind' || !mount.volume) continue;
      users.set(mount.volume.name, [...(users.get(mount.volume.name) ?? []), container.name]);
    }
  }
  return users;
}

export function volumesOf(engine: Engine): VolumeRecord[] {
  return new VolumeStore(engine).list();
}

/** `docker volume inspect`'s fields. */
export function volumeJson(volume: VolumeRecord) {
  return {
    CreatedAt: volume.createdAt,
    Driver: 'local',
    Labels: volume.labels,
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: Object.keys(volume.options).length > 0 ? volume.options : null,
    Scope: 'local',
  };
}

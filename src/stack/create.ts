import { randomBytes } from 'node:crypto';
import type { ContainerRecord } from '../engine/containers/records.js';
import type { ImageConfig } from '../engine/image/types.js';
import { NetworkManager } from '../engine/network/index.js';
import { VolumeStore } from '../engine/volumes/store.js';
import type { Project, Service } from '../planner/model.js';
import type { StackDeps } from './events.js';
import { hostsEntries, nameIndex } from './discovery.js';
import { prepareNetwork, usesStackNetworks } from './networks.js';
import { supervisionOf } from './restart.js';
import { containerName, translateService, type Peers } from './translate.js';

/**
 * A new container of the service, for `up` and for `run` alike: its networks first, then
 * the engine's record. A one-off gets Docker Compose's name, `<project>-<service>-run-<id>`.
 */
export async function createServiceContainer(
  deps: StackDeps,
  project: Project,
  service: Service,
  number: number,
  imageId: string,
  options: { oneoff?: boolean } = {},
): Promise<ContainerRecord> {
  const id = randomBytes(32).toString('hex');
  const name =
    options.oneoff && !service.container_name
      ? `${project.name}-${service.name}-run-${id.slice(0, 12)}`
      : containerName(project, service, number);
  const network = usesStackNetworks(service)
    ? await prepareNetwork(deps, project, service, id, name)
    : undefined;
  try {
    const translated = translateService({
      project,
      service,
      number,
      id,
      imageId,
      network: network?.mode,
      peers: peersOf(deps, project),
      initPath: deps.initPath,
      volumeDir: volumeDirs(deps, project),
      oneoff: options.oneoff,
      imageVolumes: Object.keys(
        deps.engine.store.readJson<ImageConfig>(imageId).config?.Volumes ?? {},
      ),
    });
    const { etc } = translated;
    const created = await deps.manager.create({
      spec: { ...translated.spec, name },
      service: service.name,
      number,
      oneoff: options.oneoff,
      imageRef: service.image,
      configHash: translated.configHash,
      files: translated.files,
      etc: {
        ...etc,
        hosts: [...(network?.hosts ?? []), ...etc.hosts],
        dns: etc.dns?.length ? etc.dns : network?.dns,
      },
      supervision: {
        ...supervisionOf(service),
        discovery: network?.discovery,
        ports: service.ports,
      },
    });
    // The names of what runs already, from the start: the keeper keeps them current after.
    if (network) {
      const index = nameIndex([...deps.manager.list(), created]);
      deps.manager.updateHosts(id, hostsEntries(index, network.discovery));
    }
    return created;
  } catch (error) {
    if (network) await new NetworkManager(deps.engine).deleteNamespace(id);
    throw error;
  }
}

/** The directory of a volume the project uses: created on first use, or an external one. */
export function volumeDirs(deps: StackDeps, project: Project) {
  return (
    name: string,
    options: { external: boolean; where: string; driverOpts?: Record<string, string> },
  ) => {
    const volumes = new VolumeStore(deps.engine);
    if (options.external) return volumes.external(name, options.where).mountpoint;
    const labels = { 'com.docker.compose.project': project.name };
    const made = volumes.ensure(name, {
      project: project.name,
      labels,
      driverOpts: options.driverOpts,
    });
    return made.volume.mountpoint;
  };
}

/**
 * The containers another one draws on: running ones whose namespaces it may join
 * (`network_mode: service:db`), and any whose mounts it shares (`volumes_from`).
 */
export function peersOf(deps: StackDeps, project: Project): Peers {
  const running = () => deps.manager.list(project.name).filter((c) => c.state === 'running');
  const firstOf = (service: string) =>
    deps.manager
      .list(project.name)
      .filter((c) => c.service === service && !c.oneoff)
      .sort((a, b) => a.number - b.number)[0];
  return {
    pidOf: (service) => running().find((c) => c.service === service && !c.oneoff)?.pid ?? undefined,
    pidOfContainer: (name) =>
      deps.manager.list().find((c) => c.name === name && c.state === 'running')?.pid ?? undefined,
    mountsOf: (service) => firstOf(service)?.spec.mounts,
    mountsOfContainer: (name) => deps.manager.list().find((c) => c.name === name)?.spec.mounts,
  };
}

import type { ContainerRecord } from '../engine/containers/records.js';
import { stopOrder, type ServiceGraph } from '../planner/graph.js';
import type { Project } from '../planner/model.js';
import { VolumeStore } from '../engine/volumes/store.js';
import { narrator, type StackDeps } from './events.js';
import { stopContainer } from './hooks.js';
import { removeNetworks } from './networks.js';

export interface DownOptions {
  removeOrphans?: boolean;
  /** `-t`: the grace period for every container, over each service's `stop_grace_period`. */
  timeoutMs?: number;
  /** `-v`: also the project's named and anonymous volumes (never external ones). */
  volumes?: boolean;
}

/**
 * Stops and removes the project's containers: dependents stopped first, each level in
 * parallel, then what the project left in the engine (its cgroup parent). Containers of
 * services no longer in the files go too with `removeOrphans`; otherwise they are named.
 */
export async function down(
  deps: StackDeps,
  project: Project,
  graph: ServiceGraph,
  options: DownOptions = {},
): Promise<ContainerRecord[]> {
  const { manager } = deps;
  const all = manager.list(project.name);
  const known = new Set([...graph.nodes, ...Object.keys(project.disabledServices)]);
  const orphans = all.filter((c) => c.service === null || !known.has(c.service));
  if (orphans.length > 0 && !options.removeOrphans) {
    deps.onEvent({
      kind: 'warning',
      message: `Found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project. Run down with --remove-orphans to remove them too.`,
    });
  }
  const levels = [
    ...(options.removeOrphans ? [orphans.map((c) => c.service ?? c.name)] : []),
    ...stopOrder(graph),
    Object.keys(project.disabledServices),
  ];
  const removed: ContainerRecord[] = [];
  const done = new Set<string>();
  // A level waits for the one before to have stopped, not to have been removed: the
  // removals go on while the next level stops.
  const removals: Promise<void>[] = [];
  for (const level of levels) {
    const batch = all.filter(
      (c) =>
        !done.has(c.id) &&
        level.includes(c.service ?? c.name) &&
        (known.has(c.service ?? '') || options.removeOrphans),
    );
    await Promise.all(
      batch.map(async (container) => {
        done.add(container.id);
        await stopOne(deps, project, container, options);
        const removal = removeOne(deps, container).then(() => void removed.push(container));
        removal.catch(() => undefined);
        removals.push(removal);
      }),
    );
  }
  await Promise.all(removals);
  if (manager.list(project.name).length === 0) {
    await manager.removeProjectCgroup(project.name);
    for (const name of await removeNetworks(deps, project)) {
      deps.onEvent({ kind: 'network', name, action: 'Removed', done: true });
    }
  }
  if (options.volumes) removeVolumes(deps, project);
  return removed;
}

/** The project's volumes that no container (of any project) still mounts. */
function removeVolumes(deps: StackDeps, project: Project): void {
  const store = new VolumeStore(deps.engine);
  const external = new Set(
    Object.values(project.volumes)
      .filter((v) => v.external)
      .map((v) => v.name),
  );
  const containers = deps.manager.list();
  for (const volume of store.list(project.name)) {
    if (external.has(volume.name)) continue;
    const users = containers
      .filter((c) => c.spec.mounts.some((m) => m.kind === 'bind' && m.volume?.name === volume.name))
      .map((c) => c.name);
    store.remove(volume.name, users);
    deps.onEvent({ kind: 'volume', name: volume.name, action: 'Removed', done: true });
  }
}

async function stopOne(
  deps: StackDeps,
  project: Project,
  container: ContainerRecord,
  options: DownOptions,
): Promise<void> {
  if (container.state !== 'running' && container.state !== 'paused') return;
  const say = narrator(deps, container);
  const service = container.service ? project.services[container.service] : undefined;
  say('Stopping', false);
  await stopContainer(deps, service, container, { timeoutMs: options.timeoutMs, byUser: true });
  say('Stopped', true);
}

async function removeOne(deps: StackDeps, container: ContainerRecord): Promise<void> {
  const say = narrator(deps, container);
  say('Removing', false);
  await deps.manager.remove(container.id, { force: true });
  say('Removed', true);
}

import type { ContainerRecord } from '../engine/containers/records.js';
import { NotFoundError } from '../errors.js';
import { stopOrder, type ServiceGraph } from '../planner/graph.js';
import type { Project } from '../planner/model.js';
import { narrator, type StackDeps } from './events.js';
import { startContainer, stopContainer } from './hooks.js';

/** The project's existing containers of the named services (all when none are named). */
export function containersOf(
  deps: StackDeps,
  project: Project,
  services: string[],
  options: { oneoff?: boolean } = {},
): ContainerRecord[] {
  for (const name of services) {
    if (!(name in project.services) && !(name in project.disabledServices)) {
      throw new NotFoundError(`no such service: ${name}`, {
        hint: `the project's services: ${Object.keys(project.services).sort().join(', ')}`,
      });
    }
  }
  return deps.manager
    .list(project.name)
    .filter((c) => services.length === 0 || services.includes(c.service ?? ''))
    .filter((c) => options.oneoff === undefined || c.oneoff === options.oneoff);
}

/** `stop`: dependents first, each level in parallel; the user's stop is remembered. */
export async function stopServices(
  deps: StackDeps,
  project: Project,
  graph: ServiceGraph,
  services: string[],
  timeoutMs?: number,
): Promise<ContainerRecord[]> {
  const containers = containersOf(deps, project, services);
  const stopped: ContainerRecord[] = [];
  for (const level of [...stopOrder(graph), Object.keys(project.disabledServices)]) {
    const batch = containers.filter((c) => level.includes(c.service ?? ''));
    await Promise.all(
      batch.map(async (container) => {
        const service = project.services[container.service ?? ''];
        const say = narrator(deps, container);
        if (container.state !== 'running' && container.state !== 'paused') return;
        say('Stopping', false);
        stopped.push(await stopContainer(deps, service, container, { timeoutMs, byUser: true }));
        say('Stopped', true);
      }),
    );
  }
  return stopped;
}

/** `start`: existing containers only, what they depend on first. */
export async function startServices(
  deps: StackDeps,
  project: Project,
  graph: ServiceGraph,
  services: string[],
): Promise<ContainerRecord[]> {
  const containers = containersOf(deps, project, services, { oneoff: false });
  if (containers.length === 0) {
    throw new NotFoundError('no containers to start', { hint: 'tscompose up creates them' });
  }
  const started: ContainerRecord[] = [];
  for (const level of graph.levels) {
    const batch = containers.filter((c) => level.includes(c.service ?? ''));
    await Promise.all(
      batch.map(async (container) => {
        if (container.state === 'running') return;
        const say = narrator(deps, container);
        say('Starting', false);
        started.push(
          await startContainer(deps, project.services[container.service ?? ''], container),
        );
        say('Started', true);
      }),
    );
  }
  return started;
}

/**
 * The services to restart for `restart NAMES`: those named, and every service that
 * depends on one of them with `restart: true`, transitively, as Docker Compose does.
 */
export function withRestartDependents(graph: ServiceGraph, services: string[]): string[] {
  if (services.length === 0) return [];
  const chosen = new Set(services);
  let grew = true;
  while (grew) {
    grew = false;
    for (const edge of graph.edges) {
      if (edge.restart && chosen.has(edge.to) && !chosen.has(edge.from)) {
        chosen.add(edge.from);
        grew = true;
      }
    }
  }
  return graph.levels.flat().filter((name) => chosen.has(name));
}

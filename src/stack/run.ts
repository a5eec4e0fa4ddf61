import type { ContainerRecord } from '../engine/containers/records.js';
import type { ServiceGraph } from '../planner/graph.js';
import type { Project, Service } from '../planner/model.js';
import type { StackDeps } from './events.js';
import { resolveImages } from './images.js';
import { createServiceContainer } from './create.js';
import { up } from './up.js';

export interface RunOptions {
  service: string;
  /** Replaces the service's command when given. */
  command?: string[];
  /** Replaces the entrypoint (`--entrypoint`); `[]` clears it. */
  entrypoint?: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  name?: string;
  /** Start what the service depends on first (the default, as in Docker Compose). */
  withDependencies?: boolean;
  /**
   * Start it under conmon (the default, for `run -d`); false leaves it created, for the
   * caller to run attached (`ContainerManager.attach`).
   */
  start?: boolean;
}

/**
 * A one-off container of a service (`tscompose run`): its config with the command line's
 * changes, labelled as a one-off so that `up` leaves it alone and `down` removes it. It
 * never restarts and publishes no ports.
 */
export async function runOneOff(
  deps: StackDeps,
  project: Project,
  graph: ServiceGraph,
  options: RunOptions,
): Promise<ContainerRecord> {
  const base = project.services[options.service]!;
  const needs = Object.keys(base.depends_on ?? {});
  if (options.withDependencies !== false && needs.length > 0) {
    const started = await up(deps, project, graph, { services: needs });
    await started.health.stop();
  }
  const service: Service = {
    ...base,
    command: options.command && options.command.length > 0 ? options.command : base.command,
    entrypoint: options.entrypoint ?? base.entrypoint,
    environment: { ...base.environment, ...options.env },
    user: options.user ?? base.user,
    working_dir: options.workingDir ?? base.working_dir,
    container_name: options.name,
    restart: 'no',
    ports: [],
  };
  const imageIds = await resolveImages(deps, project, [options.service]);
  const record = await createServiceContainer(
    deps,
    project,
    service,
    1,
    imageIds.get(options.service)!,
    { oneoff: true },
  );
  return options.start === false ? record : deps.manager.start(record.id);
}

import { randomBytes } from 'node:crypto';
import type { ContainerRecord } from '../engine/containers/records.js';
import type { ServiceGraph } from '../planner/graph.js';
import type { Project, Service } from '../planner/model.js';
import type { StackDeps } from './events.js';
import { resolveImages } from './images.js';
import { translateService } from './translate.js';
import { peersOf, up, volumeDirs } from './up.js';

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
  const id = randomBytes(32).toString('hex');
  const translated = translateService({
    project,
    service,
    number: 1,
    id,
    imageId: imageIds.get(options.service)!,
    peers: peersOf(deps, project),
    initPath: deps.initPath,
    oneoff: true,
    volumeDir: volumeDirs(deps, project),
  });
  // Docker Compose's one-off name: <project>-<service>-run-<12 hex>.
  if (!options.name) translated.spec.name = `${project.name}-${base.name}-run-${id.slice(0, 12)}`;
  const record = await deps.manager.create({
    spec: translated.spec,
    service: base.name,
    number: 1,
    oneoff: true,
    imageRef: base.image,
    configHash: translated.configHash,
    etc: translated.etc,
  });
  return deps.manager.start(record.id);
}

import { RuntimeError } from '../errors.js';
import type { ContainerRecord } from '../engine/containers/records.js';
import type { ImageConfig } from '../engine/image/types.js';
import type { ServiceGraph } from '../planner/graph.js';
import { serviceConfigHash } from '../planner/hash.js';
import type { Project, Service } from '../planner/model.js';
import { narrator, type StackDeps } from './events.js';
import { startContainer, stopContainer } from './hooks.js';
import { notAppliedYet } from './applied.js';
import { healthPlan, monitorHealth } from './health.js';
import { resolveImages, type PullPolicy } from './images.js';
import { HealthBoard } from './board.js';
import { selectServices } from './select.js';
import { createServiceContainer } from './create.js';
import { containerName } from './translate.js';
import { checkPortsFree } from './ports.js';

export interface UpOptions {
  services?: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  pull?: PullPolicy;
  /** Stop timeout for containers that are recreated. */
  timeoutMs?: number;
}

export interface UpResult {
  /** The services brought up, in the order they started. */
  services: string[];
  containers: ContainerRecord[];
  /** Healthchecks keep running until this is stopped (the foreground `up` and the keeper). */
  health: HealthBoard;
}

/**
 * Brings the project to what its files describe: containers whose config hash or image
 * changed are recreated, the rest are left running. Every service starts as soon as its
 * `depends_on` conditions hold, so independent branches of the graph start in parallel.
 */
export async function up(
  deps: StackDeps,
  project: Project,
  graph: ServiceGraph,
  options: UpOptions = {},
): Promise<UpResult> {
  const names = selectServices(project, graph, options.services ?? [], !options.noDeps);
  const imageIds = await resolveImages(deps, project, names, options.pull);
  await handleOrphans(deps, project, Boolean(options.removeOrphans));
  await checkPortsFree(project, names, deps.manager);
  warnNotApplied(deps, project, names);

  const health = new HealthBoard(deps.manager);
  const started = new Map<string, Promise<ContainerRecord[]>>();
  const recreated = new Set<string>();
  const order: string[] = [];
  const converge = (name: string): Promise<ContainerRecord[]> => {
    let promise = started.get(name);
    if (!promise) {
      promise = (async () => {
        const service = project.services[name]!;
        await waitForDependencies(deps, project, service, names, converge, health);
        // `depends_on: {db: {restart: true}}`: a db recreated now restarts this service too.
        const dependencyRecreated = Object.entries(service.depends_on ?? {}).some(
          ([dependency, how]) => how.restart && recreated.has(dependency),
        );
        const containers = await convergeService(
          deps,
          project,
          service,
          imageIds.get(name)!,
          options,
          (replaced) => replaced && recreated.add(name),
          dependencyRecreated,
        );
        order.push(name);
        for (const container of containers) startHealth(deps, project, service, container, health);
        return containers;
      })();
      started.set(name, promise);
    }
    return promise;
  };
  try {
    const results = await Promise.all(names.map(converge));
    return { services: order, containers: results.flat(), health };
  } catch (error) {
    // The first failure wins; the others are already under way and end on their own.
    await Promise.allSettled(started.values());
    await health.stop();
    throw error;
  }
}

/** Waits for every dependency's condition: started, healthy, or completed successfully. */
async function waitForDependencies(
  deps: StackDeps,
  project: Project,
  service: Service,
  selected: string[],
  converge: (name: string) => Promise<ContainerRecord[]>,
  health: HealthBoard,
): Promise<void> {
  const waits = Object.entries(service.depends_on ?? {}).map(async ([name, dependency]) => {
    if (!selected.includes(name)) {
      const running = deps.manager
        .list(project.name)
        .some((c) => c.service === name && c.state === 'running');
      if (running || !dependency.required) return;
      throw new RuntimeError(`service ${service.name} depends on ${name}, which is not running`, {
        path: `services.${service.name}.depends_on.${name}`,
        hint: `start it too (tscompose up ${name}), or drop --no-deps`,
      });
    }
    try {
      const containers = await converge(name);
      if (dependency.condition === 'service_healthy') {
        for (const container of containers) {
          const say = (action: string, done: boolean) =>
            deps.onEvent({ kind: 'container', name: container.name, service: name, action, done });
          say('Waiting', false);
          await health.waitHealthy(container, name);
          say('Healthy', true);
        }
      } else if (dependency.condition === 'service_completed_successfully') {
        for (const container of containers) {
          deps.onEvent({
            kind: 'container',
            name: container.name,
            service: name,
            action: 'Waiting',
            done: false,
          });
          const code = await deps.manager.wait(container.id);
          if (code !== 0) {
            throw new RuntimeError(`service "${name}" didn't complete successfully: exit ${code}`, {
              path: `services.${service.name}.depends_on.${name}`,
              hint: `tscompose logs ${name} shows why`,
            });
          }
          deps.onEvent({
            kind: 'container',
            name: container.name,
            service: name,
            action: 'Exited',
            done: true,
          });
        }
      }
    } catch (error) {
      if (dependency.required) throw error;
      const why = error instanceof Error ? error.message : String(error);
      deps.onEvent({
        kind: 'warning',
        message: `optional dependency ${name} of ${service.name} failed: ${why}`,
      });
    }
  });
  await Promise.all(waits);
}

/** One service's replicas made to match: created, recreated, started or left alone. */
async function convergeService(
  deps: StackDeps,
  project: Project,
  service: Service,
  imageId: string,
  options: UpOptions,
  onRecreate: (replaced: boolean) => void,
  restartRunning: boolean,
): Promise<ContainerRecord[]> {
  const { manager } = deps;
  const replicas = service.scale ?? service.deploy?.replicas ?? 1;
  const existing = manager
    .list(project.name)
    .filter((c) => c.service === service.name && !c.oneoff);
  const hash = serviceConfigHash(service);
  const say = (record: { name: string }, action: string, done: boolean) =>
    deps.onEvent({ kind: 'container', name: record.name, service: service.name, action, done });

  for (const extra of existing.filter((c) => c.number > replicas)) {
    say(extra, 'Stopping', false);
    await stopContainer(deps, service, extra, { timeoutMs: options.timeoutMs });
    await manager.remove(extra.id, { force: true });
    say(extra, 'Removed', true);
  }
  const results: ContainerRecord[] = [];
  for (let number = 1; number <= replicas; number += 1) {
    let current = existing.find((c) => c.number === number);
    const changed = current && (current.configHash !== hash || current.imageId !== imageId);
    if (current && (options.forceRecreate || (changed && !options.noRecreate))) {
      say(current, 'Recreate', false);
      await stopContainer(deps, service, current, { timeoutMs: options.timeoutMs });
      await manager.remove(current.id, { force: true });
      current = undefined;
    } else if (current && restartRunning && current.state === 'running') {
      say(current, 'Restarting', false);
      current = await stopContainer(deps, service, current, { timeoutMs: options.timeoutMs });
    }
    onRecreate(!current);
    if (!current) {
      say({ name: containerName(project, service, number) }, 'Creating', false);
      current = await createServiceContainer(deps, project, service, number, imageId);
      say(current, 'Created', true);
    }
    if (current.state === 'running' || current.state === 'paused') {
      say(current, 'Running', true);
      results.push(current);
      continue;
    }
    say(current, 'Starting', false);
    current = await startContainer(deps, service, current);
    say(current, 'Started', true);
    results.push(current);
  }
  return results;
}

function startHealth(
  deps: StackDeps,
  project: Project,
  service: Service,
  container: ContainerRecord,
  health: HealthBoard,
): void {
  const image = deps.engine.store.readJson<ImageConfig>(container.imageId).config?.Healthcheck;
  const plan = healthPlan(service.healthcheck, image);
  if (!plan || container.state !== 'running') return;
  health.watch(container, (signal, onChange) =>
    monitorHealth(deps.manager, container.id, plan, signal, onChange),
  );
}

async function handleOrphans(deps: StackDeps, project: Project, remove: boolean): Promise<void> {
  const orphans = deps.manager
    .list(project.name)
    .filter(
      (c) =>
        !c.oneoff &&
        c.service !== null &&
        !(c.service in project.services) &&
        !(c.service in project.disabledServices),
    );
  if (orphans.length === 0) return;
  if (remove) {
    for (const orphan of orphans) {
      const say = narrator(deps, orphan);
      say('Removing', false);
      await deps.manager.remove(orphan.id, { force: true });
      say('Removed', true);
    }
    return;
  }
  deps.onEvent({
    kind: 'warning',
    message: `Found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
  });
}

/** What of the services does not run as the files say, and why: one line per key and service. */
function warnNotApplied(deps: StackDeps, project: Project, names: string[]): void {
  for (const name of names) {
    for (const { key, reason } of notAppliedYet(project.services[name]!)) {
      deps.onEvent({ kind: 'warning', message: `services.${name}.${key}: ${reason}` });
    }
  }
}

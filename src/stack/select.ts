import { NotFoundError } from '../errors.js';
import type { ServiceGraph } from '../planner/graph.js';
import type { Project } from '../planner/model.js';

/**
 * The services a command acts on: those named (all when none are), plus what they depend
 * on when `withDependencies`. Names come back in the graph's order.
 */
export function selectServices(
  project: Project,
  graph: ServiceGraph,
  names: string[],
  withDependencies: boolean,
): string[] {
  for (const name of names) {
    if (!(name in project.services)) {
      throw new NotFoundError(`no such service: ${name}`, {
        hint: `the project's services: ${Object.keys(project.services).sort().join(', ')}`,
      });
    }
  }
  if (names.length === 0) return graph.levels.flat();
  const chosen = new Set(names);
  if (withDependencies) {
    const queue = [...names];
    while (queue.length > 0) {
      const name = queue.pop()!;
      for (const edge of graph.edges) {
        if (edge.from === name && !chosen.has(edge.to)) {
          chosen.add(edge.to);
          queue.push(edge.to);
        }
      }
    }
  }
  return graph.levels.flat().filter((name) => chosen.has(name));
}

/** The image a service runs: its `image`, else the name Docker Compose gives a build. */
export function serviceImage(project: Project, service: string): string {
  return project.services[service]!.image ?? `${project.name}-${service}`;
}

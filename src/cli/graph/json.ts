import { byCodePoint, serviceNames, sortedEdges } from './order.js';
import type { ServiceGraph } from './types.js';

/**
 * The graph for scripts. Conditions keep their compose spelling (`service_healthy`) so a
 * script can match them against the compose file without a translation table.
 */
export function renderJson(graph: ServiceGraph): string {
  const document = {
    services: serviceNames(graph),
    edges: sortedEdges(graph).map(({ from, to, kind, required, restart }) => ({
      from,
      to,
      condition: kind,
      required,
      restart,
    })),
    levels: graph.levels.map((level) => [...level].sort(byCodePoint)),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

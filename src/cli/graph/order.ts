import type { GraphEdge, ServiceGraph } from './types.js';

// Code-point order rather than localeCompare: the output must not depend on the user's locale.
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every service, sorted, including any an edge names that `nodes` forgot. */
export function serviceNames(graph: ServiceGraph): string[] {
  const names = new Set(graph.nodes);
  for (const edge of graph.edges) names.add(edge.from).add(edge.to);
  return [...names].sort(byCodePoint);
}

/** Edges in one order whatever order the planner listed them in, so output never churns. */
export function sortedEdges(graph: ServiceGraph): GraphEdge[] {
  return [...graph.edges].sort(
    (a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to) || byCodePoint(a.kind, b.kind),
  );
}

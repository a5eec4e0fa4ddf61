import { shortCondition } from './labels.js';
import { serviceNames, sortedEdges } from './order.js';
import type { GraphEdge, ServiceGraph } from './types.js';

/** Graphviz source: `tscompose graph --format dot | dot -Tsvg > stack.svg`. */
export function renderDot(graph: ServiceGraph): string {
  const lines = [
    'digraph services {',
    '  rankdir=TB;',
    '  node [shape=box];',
    ...serviceNames(graph).map((name) => `  ${quote(name)};`),
    ...sortedEdges(graph).map((edge) => `  ${dotEdge(edge)};`),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function dotEdge(edge: GraphEdge): string {
  const attributes = [`label=${quote(shortCondition(edge.kind))}`];
  if (!edge.required) attributes.push('style=dashed');
  return `${quote(edge.from)} -> ${quote(edge.to)} [${attributes.join(', ')}]`;
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

import { shortCondition } from './labels.js';
import { serviceNames, sortedEdges } from './order.js';
import type { GraphEdge, ServiceGraph } from './types.js';

/** A mermaid flowchart, for pasting into a README or an issue. */
export function renderMermaid(graph: ServiceGraph): string {
  const ids = mermaidIds(serviceNames(graph));
  const lines = [
    'flowchart TD',
    ...[...ids].map(([name, id]) => `  ${id}["${escapeLabel(name)}"]`),
    ...sortedEdges(graph).map((edge) => `  ${mermaidEdge(edge, ids)}`),
  ];
  return `${lines.join('\n')}\n`;
}

function mermaidEdge(edge: GraphEdge, ids: Map<string, string>): string {
  const arrow = edge.required ? '-->' : '-.->';
  return `${ids.get(edge.from)} ${arrow}|${shortCondition(edge.kind)}| ${ids.get(edge.to)}`;
}

/**
 * Compose allows `.` and `-` in service names, mermaid ids do not, and bare ids such as
 * `end` or ones starting with `o` or `x` change how mermaid parses an edge. A fixed prefix
 * avoids all of those; a counter keeps `a.b` and `a_b` apart.
 */
function mermaidIds(names: string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of names) {
    const base = `svc_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    ids.set(name, id);
  }
  return ids;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;');
}

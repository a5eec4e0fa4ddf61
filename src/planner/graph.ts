import { InvalidError } from '../errors.js';
import type { DependencyCondition, Service } from './model.js';

export type EdgeKind =
  DependencyCondition | 'network_mode' | 'volumes_from' | 'links' | 'ipc' | 'pid';

/** `from` needs `to`: `to` starts first and stops last. */
export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  required: boolean;
  restart: boolean;
}

export interface ServiceGraph {
  nodes: string[];
  edges: GraphEdge[];
  /** `levels[0]` needs nothing; every service's dependencies sit on lower levels. */
  levels: string[][];
}

/**
 * The service graph with an edge for every way one service needs another. Services that
 * share a level have no dependency between them and can start (or stop) in parallel.
 */
export function buildGraph(services: Record<string, Service>): ServiceGraph {
  const nodes = Object.keys(services).sort();
  const edges = nodes.flatMap((name) => edgesOf(name, services[name]!, services));
  const cycle = findCycle(nodes, edges);
  if (cycle) {
    throw new InvalidError(`dependency cycle: ${cycle.join(' → ')}`, {
      path: `services.${cycle[0]}`,
      hint: 'remove one of these dependencies (depends_on, links, volumes_from, network_mode)',
    });
  }
  return { nodes, edges, levels: levelsOf(nodes, edges) };
}

/** Levels in the order services stop: dependents before what they depend on. */
export function stopOrder(graph: ServiceGraph): string[][] {
  return [...graph.levels].reverse();
}

function edgesOf(name: string, service: Service, services: Record<string, Service>): GraphEdge[] {
  const edges = new Map<string, GraphEdge>();
  const add = (to: string, kind: EdgeKind, required = true, restart = false): void => {
    if (!edges.has(to) && to in services)
      edges.set(to, { from: name, to, kind, required, restart });
  };

  for (const [to, dep] of Object.entries(service.depends_on ?? {})) {
    add(to, dep.condition, dep.required, dep.restart);
  }
  const viaService = (value: string | undefined): string | undefined =>
    value?.startsWith('service:') ? value.slice('service:'.length) : undefined;
  const networkPeer = viaService(service.network_mode);
  if (networkPeer) add(networkPeer, 'network_mode');
  for (const entry of service.volumes_from ?? []) {
    if (!entry.startsWith('container:')) add(entry.split(':')[0]!, 'volumes_from');
  }
  for (const link of service.links ?? []) add(link.split(':')[0]!, 'links');
  const ipcPeer = viaService(service.ipc);
  if (ipcPeer) add(ipcPeer, 'ipc');
  const pidPeer = viaService(service.pid);
  if (pidPeer) add(pidPeer, 'pid');

  return [...edges.values()].sort((a, b) => a.to.localeCompare(b.to));
}

/** A depth-first search over sorted names, so the same file always reports the same loop. */
function findCycle(nodes: string[], edges: GraphEdge[]): string[] | undefined {
  const next = adjacency(nodes, edges);
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];

  const visit = (node: string): string[] | undefined => {
    state.set(node, 'active');
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      if (state.get(to) === 'active') return [...stack.slice(stack.indexOf(to)), to];
      if (!state.has(to)) {
        const found = visit(to);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };

  for (const node of nodes) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

function levelsOf(nodes: string[], edges: GraphEdge[]): string[][] {
  const next = adjacency(nodes, edges);
  const level = new Map<string, number>();
  const depth = (node: string): number => {
    const known = level.get(node);
    if (known !== undefined) return known;
    const deps = next.get(node) ?? [];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    level.set(node, value);
    return value;
  };
  const levels: string[][] = [];
  for (const node of nodes) (levels[depth(node)] ??= []).push(node);
  return levels.map((names) => names.sort());
}

function adjacency(nodes: string[], edges: GraphEdge[]): Map<string, string[]> {
  const next = new Map<string, string[]>(nodes.map((node) => [node, []]));
  for (const edge of edges) next.get(edge.from)?.push(edge.to);
  return next;
}

import { InvalidError } from '../../errors.js';
import { newLayoutGraph, runLayout } from './dagre.js';
import type { LayoutGraph, Point } from './dagre.js';
import { shortCondition } from './labels.js';
import { serviceNames, sortedEdges } from './order.js';
import type { GraphEdge, ServiceGraph } from './types.js';

/** Horizontal room, in character cells, between neighbours on a rank. */
export interface Spacing {
  nodesep: number;
  edgesep: number;
}

/** A service's box. Ranks are dagre's: edge labels get ranks of their own between boxes. */
export interface Box {
  name: string;
  rank: number;
  left: number;
  width: number;
}

/** One line of the drawing: every edge between the same two services, under one label. */
export interface Route {
  edges: GraphEdge[];
  label: string;
  /** The rank of the dependent; the dependency sits `columns.length - 1` ranks lower. */
  firstRank: number;
  /** The column the line crosses each rank at, from the dependent down to the dependency. */
  columns: number[];
  labelRank: number;
}

export interface Layout {
  boxes: Box[];
  routes: Route[];
  rankCount: number;
}

/**
 * Dependents go above what they depend on, so the drawing reads the way a compose file does
 * ("web depends on db": web on top, an arrow down to db) and the services that start first
 * sit at the bottom. Dagre works in character cells here: a box is its name plus borders and
 * padding, a label is its text, one row high. Only dagre's ranks and columns are kept; rows
 * are laid out later, once it is known how many horizontal tracks each gap between ranks needs.
 */
export function layoutGraph(graph: ServiceGraph, spacing: Spacing): Layout {
  const g = newLayoutGraph();
  g.setGraph({ rankdir: 'TB', ranksep: 2, ...spacing });
  for (const name of serviceNames(graph)) g.setNode(name, { width: boxWidth(name), height: 3 });
  const groups = groupByPair(sortedEdges(graph));
  // Dagre breaks ties between equally good orders against the order edges were added in
  // (seen, not documented): adding them in reverse makes ties read alphabetically.
  for (const edges of [...groups].reverse()) {
    // An odd width keeps a label centred on its line once positions are rounded to cells.
    const width = routeLabel(edges).length | 1;
    g.setEdge(edges[0]!.from, edges[0]!.to, { width, height: 1, labelpos: 'c' });
  }
  runLayout(g);

  const rankOf = rankIndex(g, groups);
  const boxes = g.nodes().map((name): Box => {
    const { x = 0, y = 0, width } = g.node(name);
    return { name, rank: rankOf(y), left: Math.round(x) - (width - 1) / 2, width };
  });
  const routes = groups.map((edges) => toRoute(g, edges, rankOf));
  return shiftToZero({ boxes, routes, rankCount: rankOf.count });
}

/** Wide enough for `│ name │`, and odd, so that a line can leave from the exact middle. */
export function boxWidth(name: string): number {
  return (name.length + 4) | 1;
}

/** Where a route's label starts: centred on the line, any `?` sticking out to the right. */
export function labelStart(route: Route): number {
  const column = route.columns[route.labelRank - route.firstRank]!;
  return column - Math.floor((route.label.length - 1) / 2);
}

export function lastRank(route: Route): number {
  return route.firstRank + route.columns.length - 1;
}

function groupByPair(edges: GraphEdge[]): GraphEdge[][] {
  const groups = new Map<string, GraphEdge[]>();
  for (const edge of edges) {
    const key = JSON.stringify([edge.from, edge.to]);
    groups.set(key, [...(groups.get(key) ?? []), edge]);
  }
  return [...groups.values()];
}

function routeLabel(edges: GraphEdge[]): string {
  return edges.map((edge) => shortCondition(edge.kind) + (edge.required ? '' : '?')).join(', ');
}

type RankOf = ((y: number) => number) & { count: number };

/** Dagre gives every node of a rank the same y, so the distinct ys, sorted, are the ranks. */
function rankIndex(g: LayoutGraph, groups: GraphEdge[][]): RankOf {
  const ys = new Set<number>();
  for (const name of g.nodes()) ys.add(centre(g, name).y);
  for (const [edge] of groups) for (const point of interiorPoints(g, edge!)) ys.add(point.y);
  const sorted = [...ys].sort((a, b) => a - b);
  const index = new Map(sorted.map((y, i) => [y, i]));
  return Object.assign((y: number) => index.get(y) ?? 0, { count: sorted.length });
}

function toRoute(g: LayoutGraph, edges: GraphEdge[], rankOf: RankOf): Route {
  const { from, to } = edges[0]!;
  const source = centre(g, from);
  const target = centre(g, to);
  const firstRank = rankOf(source.y);
  if (rankOf(target.y) <= firstRank) {
    throw new InvalidError(`cannot draw a dependency cycle: ${from} → ${to} is part of one`, {
      hint: 'the planner rejects cycles, so this graph did not come from it',
    });
  }
  const columns = [source, ...interiorPoints(g, edges[0]!), target].map((p) => Math.round(p.x));
  const labelRank = rankOf(g.edge(from, to).y ?? source.y);
  return { edges, label: routeLabel(edges), firstRank, columns, labelRank };
}

/** Where dagre routes an edge between its two boxes: one point per rank crossed. */
function interiorPoints(g: LayoutGraph, { from, to }: GraphEdge): Point[] {
  return (g.edge(from, to).points ?? []).slice(1, -1);
}

function centre(g: LayoutGraph, name: string): Point {
  const { x = 0, y = 0 } = g.node(name);
  return { x, y };
}

/** Rounding and centred labels move the drawing off column 0, either way: move it back. */
function shiftToZero(layout: Layout): Layout {
  const shift = -Math.min(
    ...layout.boxes.map((box) => box.left),
    ...layout.routes.map(labelStart),
    ...layout.routes.flatMap((route) => route.columns),
  );
  if (shift === 0) return layout;
  return {
    ...layout,
    boxes: layout.boxes.map((box) => ({ ...box, left: box.left + shift })),
    routes: layout.routes.map((route) => ({
      ...route,
      columns: route.columns.map((column) => column + shift),
    })),
  };
}

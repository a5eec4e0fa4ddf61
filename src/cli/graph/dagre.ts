import { Graph, layout } from '@dagrejs/dagre';

// @dagrejs/dagre 3 ships declarations whose relative imports have no file extension. Under
// NodeNext resolution TypeScript cannot follow them, so everything it exports types as `any`.
// This is the slice of its API the drawing uses, typed by hand.

export interface Point {
  x: number;
  y: number;
}

export interface LayoutNode {
  width: number;
  height: number;
  x?: number;
  y?: number;
}

export interface LayoutEdge {
  width: number;
  height: number;
  labelpos: 'c';
  /** Set by the layout: where the line crosses each rank, from source box to target box. */
  points?: Point[];
  /** Set by the layout: the centre of the label. */
  y?: number;
}

export interface LayoutGraph {
  setGraph(label: { rankdir: 'TB'; ranksep: number; nodesep: number; edgesep: number }): void;
  setNode(name: string, label: LayoutNode): void;
  setEdge(v: string, w: string, label: LayoutEdge): void;
  nodes(): string[];
  node(name: string): LayoutNode;
  edge(v: string, w: string): LayoutEdge;
}

export function newLayoutGraph(): LayoutGraph {
  return new Graph() as LayoutGraph;
}

export function runLayout(graph: LayoutGraph): void {
  layout(graph);
}

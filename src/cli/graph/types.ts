export type { EdgeKind, GraphEdge, ServiceGraph } from '../../planner/graph.js';

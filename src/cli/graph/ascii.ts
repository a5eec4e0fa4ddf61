import { Canvas } from './canvas.js';
import type { Look, Position } from './canvas.js';
import { routeChannels } from './channels.js';
import type { Channel } from './channels.js';
import { labelStart, lastRank, layoutGraph } from './layout.js';
import type { Layout, Route, Spacing } from './layout.js';
import { layOutRows } from './rows.js';
import type { Rows } from './rows.js';
import type { ServiceGraph } from './types.js';

export interface AsciiOptions {
  /** ANSI colours: names bold, `service_healthy` lines green, optional ones dim. */
  color?: boolean;
  /** The terminal's width: a drawing wider than this is packed tighter, never cut. */
  width?: number;
}

const BOLD = '1';
const DIM = '2';
const GREEN = '32';

const ROOMY: Spacing = { nodesep: 4, edgesep: 3 };
const TIGHT: Spacing = { nodesep: 2, edgesep: 2 };

/**
 * The service graph drawn with box-drawing characters: dependents above, an arrow down to
 * each service they need, the condition written across the line. Optional dependencies end
 * in `?` and run dashed.
 */
export function renderAscii(graph: ServiceGraph, options: AsciiOptions = {}): string {
  if (graph.nodes.length === 0 && graph.edges.length === 0) return '';
  const color = options.color ?? false;
  const roomy = draw(layoutGraph(graph, ROOMY), color);
  if (options.width === undefined || widthOf(roomy) <= options.width) return roomy;
  const tight = draw(layoutGraph(graph, TIGHT), color);
  return widthOf(tight) < widthOf(roomy) ? tight : roomy;
}

function draw(layout: Layout, color: boolean): string {
  const channels = routeChannels(layout.routes, layout.rankCount);
  const rows = layOutRows(layout, channels);
  const looks = layout.routes.map(lookOf);
  const canvas = new Canvas();

  for (const box of layout.boxes) {
    const top = rows.rankTop[box.rank]!;
    canvas.box(box.left, top, box.width, 3);
    canvas.text({ column: box.left + 2, row: top + 1 }, box.name, BOLD);
  }
  layout.routes.forEach((route, index) => {
    drawRoute(canvas, route, index, rows, channels);
    const { labelRank } = route;
    const row = rows.rankTop[labelRank]! + Math.floor(rows.rankHeight[labelRank]! / 2);
    canvas.text({ column: labelStart(route), row }, route.label, looks[index]!.sgr);
  });

  return `${canvas.render((owner) => looks[owner]!, color)}\n`;
}

/**
 * From the middle of the dependent's bottom border, down through each gap (turning on the
 * route's track there, if it has one) to an arrow head above the dependency's box.
 */
function drawRoute(canvas: Canvas, route: Route, owner: number, rows: Rows, channels: Channel[]) {
  const start = { column: route.columns[0]!, row: rows.rankTop[route.firstRank]! + 2 };
  const lastGap = lastRank(route) - 1;
  const end = {
    column: route.columns.at(-1)!,
    row: rows.gapTop[lastGap]! + rows.gapHeight[lastGap]! - 1,
  };

  const points: Position[] = [start];
  for (let step = 0; step < route.columns.length - 1; step++) {
    const gap = route.firstRank + step;
    const track = channels[gap]!.trackOf.get(owner);
    if (track === undefined) continue;
    const row = rows.gapTop[gap]! + track;
    points.push({ column: route.columns[step]!, row }, { column: route.columns[step + 1]!, row });
  }
  points.push(end);

  points.slice(1).forEach((point, i) => canvas.line(points[i]!, point, owner));
  canvas.glyph(end, '▼', owner);
}

function lookOf(route: Route): Look {
  const healthy = route.edges.every((edge) => edge.kind === 'service_healthy');
  const optional = route.edges.every((edge) => !edge.required);
  const sgr = [optional ? DIM : '', healthy ? GREEN : ''].filter(Boolean).join(';');
  return { sgr, dashed: optional };
}

function widthOf(drawing: string): number {
  const plain = drawing.replace(/\x1b\[[0-9;]*m/g, '');
  return Math.max(...plain.split('\n').map((line) => line.length));
}

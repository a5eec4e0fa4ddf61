import type { Route } from './layout.js';

/**
 * The space between two ranks. A line that changes column there runs horizontally on a
 * track: one row of the gap. Lines that share an end (all the edges leaving one service, or
 * all those arriving at one) share a track and fork from it; the rest never share a row.
 */
export interface Channel {
  tracks: number;
  /** The track of each route (by index) that turns in this gap; straight routes have none. */
  trackOf: Map<number, number>;
}

interface Net {
  routes: number[];
  tops: Set<number>;
  bottoms: Set<number>;
  left: number;
  right: number;
  /** Nets that must take a higher track than this one. */
  above: Set<Net>;
  /** Nets that had better take a higher track: fewer lines cross that way. */
  ratherAbove: Set<Net>;
}

export function routeChannels(routes: Route[], rankCount: number): Channel[] {
  return Array.from({ length: Math.max(0, rankCount - 1) }, (_, gap) => {
    const nets = netsInGap(routes, gap).filter((net) => !isStraight(net));
    orderVertically(nets);
    const tracks = assignTracks(nets);
    const trackOf = new Map<number, number>();
    nets.forEach((net) => net.routes.forEach((route) => trackOf.set(route, tracks.get(net)!)));
    return { tracks: new Set(tracks.values()).size, trackOf };
  });
}

/** Route pieces crossing the gap, joined into nets where they leave or reach the same cell. */
function netsInGap(routes: Route[], gap: number): Net[] {
  const netAt = new Map<string, Net>();
  for (const [index, route] of routes.entries()) {
    const step = gap - route.firstRank;
    if (step < 0 || step >= route.columns.length - 1) continue;
    const top = route.columns[step]!;
    const bottom = route.columns[step + 1]!;
    const net = merge(netAt.get(`top ${top}`), netAt.get(`bottom ${bottom}`), netAt);
    net.routes.push(index);
    net.tops.add(top);
    net.bottoms.add(bottom);
    net.left = Math.min(net.left, top, bottom);
    net.right = Math.max(net.right, top, bottom);
    netAt.set(`top ${top}`, net).set(`bottom ${bottom}`, net);
  }
  return [...new Set(netAt.values())];
}

function merge(a: Net | undefined, b: Net | undefined, netAt: Map<string, Net>): Net {
  if (a && b && a !== b) {
    a.routes.push(...b.routes);
    b.tops.forEach((column) => a.tops.add(column));
    b.bottoms.forEach((column) => a.bottoms.add(column));
    a.left = Math.min(a.left, b.left);
    a.right = Math.max(a.right, b.right);
    for (const [key, net] of netAt) if (net === b) netAt.set(key, a);
  }
  return a ?? b ?? emptyNet();
}

function isStraight(net: Net): boolean {
  return net.left === net.right;
}

/**
 * Which of two overlapping nets takes the higher track. A net's drops from the top cross every
 * track above its own, and its rises to the bottom every track below; the order with fewer
 * crossings wins. Where one net drops at the very column another rises at, there is no choice:
 * the dropping one must turn first, or the two vertical pieces would run into each other.
 */
function orderVertically(nets: Net[]): void {
  nets.forEach((a, i) => {
    for (const b of nets.slice(i + 1)) {
      if (a.left > b.right + 1 || b.left > a.right + 1) continue;
      const aHigher = crossingsWhenHigher(a, b);
      const bHigher = crossingsWhenHigher(b, a);
      if (aHigher === Infinity) b.above.add(a);
      if (bHigher === Infinity) a.above.add(b);
      if (aHigher < bHigher) b.ratherAbove.add(a);
      if (bHigher < aHigher) a.ratherAbove.add(b);
    }
  });
}

function crossingsWhenHigher(higher: Net, lower: Net): number {
  const within = (net: Net) => (column: number) => column >= net.left && column <= net.right;
  if ([...lower.tops].some((column) => higher.bottoms.has(column))) return Infinity;
  return (
    [...lower.tops].filter(within(higher)).length + [...higher.bottoms].filter(within(lower)).length
  );
}

/**
 * The left-edge algorithm of channel routing: fill each track from left to right with the
 * nets that fit, taking only nets whose `ratherAbove` are placed already. Preferences can go
 * round in a loop; then only `above` counts. If even those loop, one is broken and two vertical
 * pieces overlap: not seen in random graphs of up to fifty services, and readable around it.
 */
function assignTracks(nets: Net[]): Map<Net, number> {
  const pending = [...nets].sort((a, b) => a.left - b.left || a.right - b.right);
  const tracks = new Map<Net, number>();
  const placed = (others: Set<Net>): boolean => [...others].every((other) => tracks.has(other));
  for (let track = 0; pending.length > 0; track++) {
    const preferred = pending.filter((net) => placed(net.ratherAbove));
    const allowed = preferred.length > 0 ? preferred : pending.filter((net) => placed(net.above));
    let reach = -Infinity;
    for (const net of allowed.length > 0 ? allowed : pending.slice(0, 1)) {
      // Two columns past the previous net, so that separate lines never touch.
      if (net.left < reach + 2) continue;
      tracks.set(net, track);
      reach = net.right;
      pending.splice(pending.indexOf(net), 1);
    }
  }
  return tracks;
}

function emptyNet(): Net {
  return {
    routes: [],
    tops: new Set<number>(),
    bottoms: new Set<number>(),
    left: Infinity,
    right: -Infinity,
    above: new Set<Net>(),
    ratherAbove: new Set<Net>(),
  };
}

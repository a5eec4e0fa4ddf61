import type { Channel } from './channels.js';
import { lastRank } from './layout.js';
import type { Layout } from './layout.js';

/** Where each rank and each gap between ranks starts, top to bottom. */
export interface Rows {
  rankTop: number[];
  rankHeight: number[];
  gapTop: number[];
  gapHeight: number[];
}

/**
 * A rank with a box is three rows high; a rank of labels and passing lines is one. A gap is
 * its tracks, then a row for the arrow heads if a line ends below it, and never less than one
 * row, so that every label has a piece of line above and below it.
 */
export function layOutRows(layout: Layout, channels: Channel[]): Rows {
  const boxRanks = new Set(layout.boxes.map((box) => box.rank));
  const arrowGaps = new Set(layout.routes.map((route) => lastRank(route) - 1));
  const rows: Rows = { rankTop: [], rankHeight: [], gapTop: [], gapHeight: [] };
  let row = 0;
  for (let rank = 0; rank < layout.rankCount; rank++) {
    rows.rankTop.push(row);
    rows.rankHeight.push(boxRanks.has(rank) ? 3 : 1);
    row += rows.rankHeight[rank]!;
    const channel = channels[rank];
    if (!channel) continue;
    rows.gapTop.push(row);
    rows.gapHeight.push(Math.max(1, channel.tracks + (arrowGaps.has(rank) ? 1 : 0)));
    row += rows.gapHeight[rank]!;
  }
  return rows;
}

/** Which way lines leave a cell; the glyph follows from the set, so junctions draw themselves. */
const UP = 1;
const DOWN = 2;
const LEFT = 4;
const RIGHT = 8;

const SOLID: Record<number, string> = {
  [UP]: '│',
  [DOWN]: '│',
  [UP | DOWN]: '│',
  [LEFT]: '─',
  [RIGHT]: '─',
  [LEFT | RIGHT]: '─',
  [DOWN | RIGHT]: '┌',
  [DOWN | LEFT]: '┐',
  [UP | RIGHT]: '└',
  [UP | LEFT]: '┘',
  [UP | DOWN | RIGHT]: '├',
  [UP | DOWN | LEFT]: '┤',
  [DOWN | LEFT | RIGHT]: '┬',
  [UP | LEFT | RIGHT]: '┴',
  [UP | DOWN | LEFT | RIGHT]: '┼',
};

const DASHED: Record<number, string> = { [UP | DOWN]: '┆', [LEFT | RIGHT]: '╌' };

/** How the lines of one owner look: an SGR code such as `32` (may be empty), and dashes. */
export interface Look {
  sgr: string;
  dashed: boolean;
}

/** Box borders belong to no route, and are never coloured or dashed. */
const BOX = -1;

interface Cell {
  directions: number;
  owners: Set<number>;
  /** Text, or a glyph such as an arrow head, drawn over whatever lines reach the cell. */
  char?: string;
  /** Only for text: its own look, whatever lines run under it. */
  sgr?: string;
}

export interface Position {
  column: number;
  row: number;
}

/** A grid of character cells that grows as it is drawn on. */
export class Canvas {
  private readonly rows: Cell[][] = [];

  /** A horizontal or vertical line; diagonal requests are drawn as a corner, vertical first. */
  line(from: Position, to: Position, owner: number): void {
    if (from.column !== to.column && from.row !== to.row) {
      const corner = { column: from.column, row: to.row };
      this.line(from, corner, owner);
      this.line(corner, to, owner);
      return;
    }
    const step = { column: Math.sign(to.column - from.column), row: Math.sign(to.row - from.row) };
    const forward = step.row > 0 ? DOWN : step.row < 0 ? UP : step.column > 0 ? RIGHT : LEFT;
    const backward = step.row > 0 ? UP : step.row < 0 ? DOWN : step.column > 0 ? LEFT : RIGHT;
    let at = from;
    while (at.column !== to.column || at.row !== to.row) {
      this.mark(at, forward, owner);
      at = { column: at.column + step.column, row: at.row + step.row };
      this.mark(at, backward, owner);
    }
  }

  box(left: number, top: number, width: number, height: number): void {
    const right = left + width - 1;
    const bottom = top + height - 1;
    this.line({ column: left, row: top }, { column: right, row: top }, BOX);
    this.line({ column: right, row: top }, { column: right, row: bottom }, BOX);
    this.line({ column: right, row: bottom }, { column: left, row: bottom }, BOX);
    this.line({ column: left, row: bottom }, { column: left, row: top }, BOX);
  }

  text(at: Position, text: string, sgr = ''): void {
    [...text].forEach((char, i) => {
      const cell = this.cell({ column: at.column + i, row: at.row });
      cell.char = char;
      cell.sgr = sgr;
    });
  }

  glyph(at: Position, char: string, owner: number): void {
    const cell = this.cell(at);
    cell.char = char;
    cell.owners.add(owner);
  }

  /** The drawing as lines without trailing blanks; `looks` colours and dashes route lines. */
  render(looks: (owner: number) => Look, color: boolean): string {
    const lines = this.rows.map((row) => {
      const cells = [...row].map((cell) => this.paint(cell, looks));
      while (cells.length > 0 && cells.at(-1)!.char === ' ') cells.pop();
      return color ? withSgr(cells) : cells.map((cell) => cell.char).join('');
    });
    return lines.join('\n');
  }

  private paint(cell: Cell | undefined, looks: (owner: number) => Look): Painted {
    if (!cell) return { char: ' ', sgr: '' };
    if (cell.sgr !== undefined) return { char: cell.char!, sgr: cell.sgr };
    const look = sharedLook(
      [...cell.owners].map((owner) => (owner === BOX ? undefined : looks(owner))),
    );
    const dashed = look?.dashed ? DASHED[cell.directions] : undefined;
    return { char: cell.char ?? dashed ?? SOLID[cell.directions] ?? ' ', sgr: look?.sgr ?? '' };
  }

  private mark(at: Position, direction: number, owner: number): void {
    const cell = this.cell(at);
    cell.directions |= direction;
    cell.owners.add(owner);
  }

  private cell({ column, row }: Position): Cell {
    while (this.rows.length <= row) this.rows.push([]);
    const cells = this.rows[row]!;
    return (cells[column] ??= { directions: 0, owners: new Set() });
  }
}

interface Painted {
  char: string;
  sgr: string;
}

/** A cell shared by lines that look different (or by a box) is drawn plain. */
function sharedLook(looks: (Look | undefined)[]): Look | undefined {
  const [first] = looks;
  if (!first) return undefined;
  const same = looks.every((look) => look?.sgr === first.sgr && look.dashed === first.dashed);
  return same ? first : undefined;
}

function withSgr(cells: Painted[]): string {
  let out = '';
  let open = '';
  for (const { char, sgr } of cells) {
    if (sgr !== open) {
      if (open) out += '\x1b[0m';
      if (sgr) out += `\x1b[${sgr}m`;
      open = sgr;
    }
    out += char;
  }
  return open ? `${out}\x1b[0m` : out;
}

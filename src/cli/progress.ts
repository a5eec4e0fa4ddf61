import type { ProgressEvent } from '../engine/registry/index.js';
import type { Output } from './output.js';
import { humanSize } from './format.js';

/**
 * Draws a pull or a push as Docker does: a line per layer. On a terminal the lines are
 * redrawn in place with a bar; elsewhere (CI, a pipe) each layer gets a line when its
 * state changes, never one per chunk of bytes.
 */
export class TransferDisplay {
  private readonly rows = new Map<string, { text: string; phase: string }>();
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    private readonly out: Output,
    private readonly verb: 'pull' | 'push',
  ) {}

  readonly listener = (event: ProgressEvent): void => this.show('', event);

  /** A listener whose lines start with `prefix`: several transfers share one display. */
  listen(prefix: string): (event: ProgressEvent) => void {
    return (event) => this.show(prefix, event);
  }

  private show(prefix: string, event: ProgressEvent): void {
    if (event.type !== 'blob' || event.role === 'config') return;
    const key = `${prefix}${event.digest.replace(/^sha256:/, '').slice(0, 12)}`;
    const text = `${key}: ${this.describe(event)}`;
    const previous = this.rows.get(key);
    this.rows.set(key, { text, phase: event.phase });
    if (this.out.tty) {
      const now = Date.now();
      if (previous?.phase === event.phase && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.redraw();
    } else if (previous?.phase !== event.phase) {
      this.out.stderr.write(`${text}\n`);
    }
  }

  /** A line of its own, above the layers on a terminal. */
  note(text: string): void {
    if (this.out.tty) {
      this.rows.set(`note:${this.rows.size}`, { text, phase: 'note' });
      this.redraw();
    } else {
      this.out.stderr.write(`${text}\n`);
    }
  }

  /** Leaves the last state of every line on the screen. */
  finish(): void {
    if (this.out.tty) this.redraw();
  }

  private redraw(): void {
    const lines = [...this.rows.values()].map((row) => `\u001b[2K${row.text}`);
    const up = this.drawn > 0 ? `\u001b[${this.drawn}A\r` : '';
    this.out.stderr.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  private describe(event: Extract<ProgressEvent, { type: 'blob' }>): string {
    const pulling = this.verb === 'pull';
    switch (event.phase) {
      case 'exists':
        return pulling ? 'Already exists' : 'Layer already exists';
      case 'waiting':
        return 'Waiting';
      case 'mounted':
        return `Mounted from another repository`;
      case 'done':
        return pulling ? 'Pull complete' : 'Pushed';
      case 'downloading':
      case 'uploading': {
        const verb = pulling ? 'Downloading' : 'Pushing';
        const resumed = event.resumedFrom ? ' (resumed)' : '';
        return `${verb} ${bar(event.current, event.total)} ${humanSize(event.current)}/${humanSize(event.total)}${resumed}`;
      }
    }
  }
}

function bar(current: number, total: number, width = 40): string {
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const head = filled < width && filled > 0 ? '>' : '';
  return `[${'='.repeat(Math.max(0, filled - head.length))}${head}${' '.repeat(width - filled)}]`;
}

import type { TsComposeError } from '../errors.js';
import { formatPath } from './path.js';
import type { Warning } from './warnings.js';
import { parseYaml, type Position } from './yaml.js';

interface FilePositions {
  file: string;
  positions: Map<string, Position>;
}

/**
 * Remembers where every node of every parsed file was written, so that errors raised
 * after merging, normalising or checking — which only know a path — can still name the
 * file and line the user has to edit. Later files win: they override earlier ones.
 */
export class PositionIndex {
  private readonly files: FilePositions[] = [];

  parse(text: string, file: string): unknown[] {
    const parsed = parseYaml(text, file);
    this.files.push({ file, positions: parsed.positions });
    return parsed.documents;
  }

  /** Fills in file, line and column on an error that has a path but no place yet. */
  locate(error: TsComposeError): void {
    if (error.line !== undefined || !error.path) return;
    const found = this.find(error.path, error.file);
    if (!found) return;
    error.file = found.file;
    error.line = found.line;
    error.column = found.column;
  }

  placeAll(warnings: Warning[]): Warning[] {
    return warnings.map((warning) => {
      const path =
        typeof warning.path === 'string' || warning.path === undefined
          ? warning.path
          : formatPath(warning.path);
      if (warning.line !== undefined || !path) return { ...warning, path };
      const found = this.find(path, warning.file);
      return found ? { ...warning, ...found, path } : { ...warning, path };
    });
  }

  /** The nearest written ancestor of the path: `services.web.ports[3]` may come from an alias. */
  private find(
    path: string,
    preferredFile?: string,
  ): { file: string; line: number; column: number } | undefined {
    const candidates = preferredFile
      ? this.files.filter((entry) => entry.file === preferredFile)
      : [...this.files].reverse();
    for (let prefix = path; prefix; prefix = parent(prefix)) {
      for (const entry of candidates) {
        const position = entry.positions.get(prefix);
        if (position) return { file: entry.file, line: position.line, column: position.column };
      }
    }
    return undefined;
  }
}

function parent(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut > 0 ? path.slice(0, cut) : '';
}

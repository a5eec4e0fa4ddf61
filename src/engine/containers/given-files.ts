import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BindMount } from '../runtime/types.js';

/**
 * A file given to the container (a secret or config from `environment` or `content`):
 * written under the container's own directory, owned and moded as asked, and mounted
 * read-only at `target`. Its content is not kept in the database.
 */
export interface GivenFile {
  target: string;
  content: string;
  /** 0o444 when absent. */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Where each file goes (`<dir>/<n>`), as the mounts that give them to the container. */
export function givenFileMounts(dir: string, files: readonly GivenFile[]): BindMount[] {
  return files.map((file, i) => ({
    kind: 'bind',
    source: path.join(dir, String(i)),
    target: file.target,
    readOnly: true,
  }));
}

/** Writes them: the directory only root can enter, each file as asked once complete. */
export function writeGivenFiles(dir: string, files: readonly GivenFile[]): void {
  if (files.length === 0) return;
  mkdirSync(dir, { mode: 0o700 });
  files.forEach((file, i) => {
    const at = path.join(dir, String(i));
    writeFileSync(at, file.content, { mode: 0o600 });
    chownSync(at, file.uid ?? 0, file.gid ?? 0);
    chmodSync(at, file.mode ?? 0o444);
  });
}

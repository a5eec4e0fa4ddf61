import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { InvalidError } from '../../../errors.js';
import { resolveInRoot } from '../../snapshot/safe-path.js';

/**
 * The image's /etc/passwd and /etc/group, read the way runc's libcontainer/user reads them:
 * one entry a line, fields split at `:`, numbers that do not parse read as 0, a missing
 * file read as no file (numeric ids still work then, names do not).
 */

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((fields) => ({
    name: fields[0] ?? '',
    uid: toId(fields[2]),
    gid: toId(fields[3]),
    home: fields[5] ?? '',
  }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((fields) => ({
    name: fields[0] ?? '',
    gid: toId(fields[2]),
    members: (fields[3] ?? '').split(',').filter((member) => member !== ''),
  }));
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

function toId(field: string | undefined): number {
  return field !== undefined && /^\d+$/.test(field) ? Number(field) : 0;
}

/**
 * A file of the root file system, or undefined when there is none. The path is resolved
 * inside `rootfs` (a symlink to /etc/shadow of the host stays in the image) and the last
 * component is opened without following links, so a link swapped in meanwhile fails.
 */
export function readRootfsFile(rootfs: string, name: string): string | undefined {
  const file = resolveInRoot(rootfs, name);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EISDIR') throw error;
    throw new InvalidError(`the image's ${name} is a directory, not a file`, {
      hint: 'the image is broken: rebuild it with a regular file there',
    });
  } finally {
    closeSync(fd);
  }
}

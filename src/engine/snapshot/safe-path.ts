import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { InvalidError } from '../../errors.js';

/**
 * Paths into a container's root file system, the one way they are made (STYLE.md,
 * habit 8). A root file system is data a stranger wrote: a name in it or a symlink in it
 * must never reach a file of the host.
 */

/** The most symlinks one lookup follows, as Linux's own path walk (ELOOP after 40). */
const MAX_LINKS = 40;

/**
 * Cleans a path lexically, as Go's `filepath.Clean` does for Docker: `.` and empty
 * components go, `..` removes the component before it. A rooted path (`/a/../../b`)
 * cannot climb above its root, so it is clamped; a relative one that climbs out returns
 * undefined. The result is relative to the root, without a leading `/`; the root itself
 * is `''`.
 */
export function cleanPath(name: string): string | undefined {
  const rooted = name.startsWith('/');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.length > 0) parts.pop();
    else if (!rooted) return undefined;
  }
  return parts.join('/');
}

/**
 * Where a symlink at `linkPath` (relative to the root) pointing to `target` leads, lexically,
 * or undefined when it climbs out of the root. An absolute target is resolved in the root,
 * as the container will see it.
 */
export function symlinkTarget(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return cleanPath(target);
  return cleanPath(path.posix.join(path.posix.dirname(linkPath), target));
}

/**
 * Joins `unsafePath` to `root` the way the container would resolve it with `root` as its
 * `/`: symlinks met on the way are followed inside the root (an absolute target restarts
 * at the root, `..` stops at it), so the result never leaves `root`. Components that do
 * not exist yet are joined lexically. The final component is followed too, unless
 * `followLast` is false (for callers that replace or lstat the entry itself).
 *
 * The answer is only as good as the moment it was computed: it is for trees no
 * container is writing to, or for callers that open the result with O_NOFOLLOW.
 */
export function resolveInRoot(root: string, unsafePath: string, followLast = true): string {
  const pending = unsafePath.split('/');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    const isLast = pending.every((rest) => rest === '' || rest === '.');
    const target = isLast && !followLast ? undefined : readSymlink(candidate);
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    links += 1;
    if (links > MAX_LINKS) {
      throw new InvalidError(`too many levels of symbolic links resolving ${unsafePath}`, {
        hint: `more than ${MAX_LINKS} symlinks on the way: the image likely has a symlink loop`,
      });
    }
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/'));
  }
  return path.join(root, ...resolved);
}

function readSymlink(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

import type { Stats } from 'node:fs';
import path from 'node:path';
import { runTool } from './tools.js';

/*
 * Layer tars mark deletions the AUFS way: `.wh.NAME` deletes NAME from the layers below,
 * and `.wh..wh..opq` in a directory hides everything below it. Overlayfs marks the same
 * things in its own way: a character device 0/0 named NAME, and the xattr
 * `trusted.overlay.opaque=y` on the directory. Unpacking converts the first into the second,
 * as Docker's overlay2 driver and containerd do; committing a layer converts back.
 */

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export type Whiteout =
  | { kind: 'opaque'; dir: string }
  | { kind: 'whiteout'; path: string }
  /** AUFS's own bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): never unpacked. */
  | { kind: 'meta' };

/** What a cleaned entry path means as a whiteout, or undefined for an ordinary entry. */
export function whiteoutOf(entryPath: string): Whiteout | undefined {
  if (entryPath.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  const base = path.posix.basename(entryPath);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = path.posix.dirname(entryPath);
  const parent = dir === '.' ? '' : dir;
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: parent };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  // Joined by hand: `.wh...` must stay a whiteout named `..`, which the caller refuses.
  return { kind: 'whiteout', path: parent === '' ? target : `${parent}/${target}` };
}

/** An overlay whiteout as lstat sees it: a character device with device number 0/0. */
export function isWhiteoutDevice(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

/**
 * Makes one whiteout device, owned by root with no permissions as Docker makes them. The
 * other whiteouts of a layer are hard links to it (overlayfs itself shares one whiteout
 * inode the same way), so a layer that deletes a thousand files spawns mknod once.
 */
export async function makeWhiteoutDevice(file: string): Promise<void> {
  await runTool('mknod', ['-m', '000', file, 'c', '0', '0'], { package: 'coreutils' });
}

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { RuntimeError } from '../../../errors.js';

/** Mount points at or under `dir`, deepest first, from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescapeMountPath)
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/**
 * Unmounts whatever is mounted under `dir` (a chroot's /proc, /sys, /dev binds), then
 * removes it. Removal waits until nothing is mounted there: deleting through a mount
 * of the host's /dev or /sys would reach the host.
 */
export function unmountAndRemove(dir: string): void {
  for (let round = 0; round < 3; round += 1) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const point of mounts) spawnSync('umount', round === 0 ? [point] : ['-l', point]);
  }
  const left = mountsUnder(dir);
  if (left.length > 0) {
    throw new RuntimeError(`cannot unmount ${left.join(', ')}; ${dir} was left in place`, {
      hint: `unmount them (umount -l PATH) and remove ${dir} by hand`,
    });
  }
  rmSync(dir, { recursive: true, force: true });
}

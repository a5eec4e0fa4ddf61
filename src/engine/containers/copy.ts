import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidError, NotFoundError } from '../../errors.js';
import { resolveInRoot } from '../snapshot/safe-path.js';
import { runTool } from '../snapshot/tools.js';
import type { Mount } from '../runtime/types.js';

/**
 * Where a path of the container is on the host: in the directory a bind mount or volume
 * comes from when the path is under its target, else in the container's root file
 * system. Each join is symlink-safe: a link in the container never leads out of it.
 */
export function hostPathOf(
  rootfs: string,
  mounts: readonly Mount[],
  containerPath: string,
): string {
  if (!containerPath.startsWith('/')) {
    throw new InvalidError(`"${containerPath}" is not an absolute path in the container`, {
      hint: 'paths in a container start with /',
    });
  }
  const normal = path.posix.normalize(containerPath);
  // The deepest mount wins, as in the container's own view.
  const binds = mounts
    .filter((m): m is Extract<Mount, { kind: 'bind' }> => m.kind === 'bind')
    .filter((m) => normal === m.target || normal.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const bind = binds[0];
  if (bind) return resolveInRoot(bind.source, path.posix.relative(bind.target, normal));
  return resolveInRoot(rootfs, normal);
}

/** `cp -a`, as `docker cp` copies: a directory with its content, owners and modes kept. */
export async function copyTree(from: string, to: string): Promise<void> {
  if (!existsSync(from)) {
    throw new NotFoundError(`no such file or directory: ${from}`, {
      hint: 'check the path; container paths are as the container sees them',
    });
  }
  mkdirSync(path.dirname(to), { recursive: true });
  await runTool('cp', ['-a', '--', from, to], { package: 'coreutils' });
}

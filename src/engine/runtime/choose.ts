import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../../errors.js';

export interface RuntimeBinary {
  name: 'runc' | 'crun';
  path: string;
}

/**
 * Where the binaries live besides $PATH: Debian puts runc in /usr/sbin, which a non-login
 * shell's PATH often lacks, and podman's packages put conmon under libexec.
 */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const CONMON_DIRS = ['/usr/libexec/podman', '/usr/local/libexec/podman', '/usr/lib/podman'];

/**
 * The OCI runtime to run containers with. An override (TSCOMPOSE_RUNTIME, read by the
 * caller) wins, as a name or a path. Otherwise crun on a pure cgroup v2 host (it is faster
 * and refuses hybrid hierarchies anyway), runc everywhere else; on a pure v2 host without
 * crun, runc, which handles v2 as well.
 */
export function chooseRuntime(options: {
  override?: string;
  pureCgroupV2: boolean;
}): RuntimeBinary {
  const { override } = options;
  if (override !== undefined && override !== '') {
    const name = runtimeName(override);
    const found = override.includes('/') ? executable(override) : lookPath(override);
    if (found === undefined) throw missingRuntime(name, override);
    return { name, path: found };
  }
  const order: RuntimeBinary['name'][] = options.pureCgroupV2 ? ['crun', 'runc'] : ['runc'];
  for (const name of order) {
    const found = lookPath(name);
    if (found !== undefined) return { name, path: found };
  }
  throw missingRuntime(order[0]!, order[0]!);
}

/** The conmon binary: an explicit path, else $PATH, the sbin directories and libexec. */
export function findConmon(override?: string): string {
  if (override !== undefined && override !== '') {
    const found = override.includes('/') ? executable(override) : lookPath(override);
    if (found !== undefined) return found;
    throw new NotFoundError(`conmon was not found at ${override}`, {
      hint: 'apt-get install conmon, or point the setting at the conmon binary',
    });
  }
  const found = lookPath('conmon', CONMON_DIRS);
  if (found !== undefined) return found;
  throw new NotFoundError('conmon is not installed', { hint: 'apt-get install conmon' });
}

/** Whether the host mounts only cgroup v2 at /sys/fs/cgroup (no v1 controllers). */
export function isPureCgroupV2(root = '/sys/fs/cgroup'): boolean {
  return existsSync(path.join(root, 'cgroup.controllers'));
}

/** `crun`, `/opt/crun/bin/crun` and `crun-1.8` are crun; anything else is taken for runc. */
function runtimeName(override: string): RuntimeBinary['name'] {
  return path.basename(override).startsWith('crun') ? 'crun' : 'runc';
}

function missingRuntime(name: RuntimeBinary['name'], wanted: string): NotFoundError {
  const what = wanted === name ? `${name} is not installed` : `the runtime ${wanted} was not found`;
  return new NotFoundError(what, {
    hint: `apt-get install ${name}${wanted === name ? '' : ', or fix TSCOMPOSE_RUNTIME'}`,
  });
}

/** The first executable `name` in $PATH, then in the extra directories. */
function lookPath(name: string, more: readonly string[] = []): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter((dir) => dir !== '');
  for (const dir of [...dirs, ...EXTRA_DIRS, ...more]) {
    const found = executable(path.join(dir, name));
    if (found !== undefined) return found;
  }
  return undefined;
}

function executable(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return undefined;
    accessSync(file, constants.X_OK);
    return path.resolve(file);
  } catch {
    return undefined;
  }
}

import path from 'node:path';
import { InvalidError } from '../../errors.js';

/**
 * Every group tscompose creates lives under this one parent, in every hierarchy: `down`
 * and a clean-up after a crash find them there, and removal refuses anything outside it.
 */
export const CGROUP_PARENT = '/tscompose';

/** Compose project names, as the compose spec allows them. */
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Container ids and names: a single path segment, never `.` or `..`. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** NAME_MAX: a directory name in a cgroup file system is at most this many bytes. */
const NAME_MAX = 255;

/** The group that holds one project's containers: `/tscompose/<project>`. */
export function projectCgroupPath(project: string): string {
  checkSegment('project name', project, PROJECT_NAME, 'lowercase letters, digits, "-" and "_"');
  return `${CGROUP_PARENT}/${project}`;
}

/**
 * What goes into config.json's `linux.cgroupsPath`: an absolute path, which runc's
 * cgroupfs driver takes as relative to each hierarchy's mount (a `slice:prefix:name`
 * form would be the systemd driver's, which tscompose does not use).
 */
export function containerCgroupPath(project: string, containerId: string): string {
  checkSegment('container id', containerId, CONTAINER_ID, 'letters, digits, ".", "-" and "_"');
  return `${projectCgroupPath(project)}/${containerId}`;
}

/**
 * The directory of `cgroupPath` in the hierarchy mounted at `mount`. The path must be
 * absolute and already normal, so that no `..` can lead out of the hierarchy.
 */
export function groupDir(mount: string, cgroupPath: string): string {
  if (!cgroupPath.startsWith('/') || path.posix.normalize(cgroupPath) !== cgroupPath) {
    throw new InvalidError(`"${cgroupPath}" is not an absolute, normal cgroup path`, {
      hint: 'cgroup paths look like /tscompose/<project>/<container>',
    });
  }
  return path.join(mount, cgroupPath);
}

/**
 * Refuses a path outside `/tscompose/`: killing and removing act on whole subtrees, and a
 * mistake there could take down the host's own services. `/tscompose` itself is shared
 * by every project and is refused too.
 */
export function checkOwned(cgroupPath: string): void {
  const normal = path.posix.normalize(cgroupPath);
  if (normal !== cgroupPath || !cgroupPath.startsWith(`${CGROUP_PARENT}/`)) {
    throw new InvalidError(`refusing to act on the cgroup "${cgroupPath}"`, {
      hint: `tscompose only kills and removes groups under ${CGROUP_PARENT}/`,
    });
  }
}

function checkSegment(what: string, value: string, pattern: RegExp, allowed: string): void {
  if (!pattern.test(value) || Buffer.byteLength(value) > NAME_MAX) {
    throw new InvalidError(`"${value}" cannot be a cgroup ${what}`, {
      hint: `a ${what} is at most ${NAME_MAX} characters: ${allowed}, starting with a letter or digit`,
    });
  }
}

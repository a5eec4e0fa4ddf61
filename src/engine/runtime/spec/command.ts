import { InvalidError } from '../../../errors.js';
import type { ImageRunConfig } from '../../image/types.js';

/** Where Docker puts its init in the container; the init path given is bind-mounted there. */
export const INIT_PATH = '/sbin/docker-init';

/**
 * What the container runs, from the service's `entrypoint`/`command` over the image's
 * Entrypoint/Cmd, as Docker merges them: a non-empty entrypoint drops the image's Cmd (the
 * service's command, if any, follows it); an empty one drops only the image's Entrypoint;
 * `[""]` is no entrypoint at all. Absent (null) means the image's.
 */
export function commandLine(
  entrypoint: readonly string[] | null,
  command: readonly string[] | null,
  image: ImageRunConfig,
): string[] {
  let entry = entrypoint ?? null;
  let cmd = command ?? [];
  if (entry === null || entry.length === 0) {
    if (cmd.length === 0) cmd = image.Cmd ?? [];
    if (entry === null) entry = image.Entrypoint ?? [];
  }
  if (entry.length === 1 && entry[0] === '') entry = [];

  const args = [...entry, ...cmd];
  if (args.length === 0) {
    throw new InvalidError('no command specified', {
      hint: 'the image has neither Entrypoint nor Cmd: set command: or entrypoint: for the service',
    });
  }
  return args;
}

/** The init as PID 1 in front of `args`, as `docker run --init` does. */
export function withInit(args: readonly string[]): string[] {
  return [INIT_PATH, '--', ...args];
}

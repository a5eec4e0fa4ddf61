import { execFileSync } from 'node:child_process';
import { InvalidError, RuntimeError } from '../../errors.js';
import { isMounted } from '../snapshot/overlay.js';

/**
 * The `local` driver's options, as Docker's takes them: `type`, `device` and `o` are the
 * arguments of one `mount -t TYPE -o O DEVICE <volume>/_data`, made while a container
 * uses the volume. None at all is a plain directory.
 */
export type DriverOptions = Record<string, string>;

const KEYS = new Set(['type', 'device', 'o']);

/** Whether the volume is backed by a mount rather than its own directory. */
export function hasBacking(options: DriverOptions): boolean {
  return Object.keys(options).length > 0;
}

/** Refuses keys the local driver does not know, as Docker does, naming the key. */
export function checkDriverOptions(options: DriverOptions, where: string): void {
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw new InvalidError(`the local volume driver has no option "${key}"`, {
        path: `${where}.driver_opts.${key}`,
        hint: 'use type, device and o, as for mount -t TYPE -o O DEVICE',
      });
    }
  }
}

/** Mounts the backing on the volume's directory, unless it is there already. */
export function mountBacking(mountpoint: string, options: DriverOptions): void {
  if (!hasBacking(options) || isMounted(mountpoint)) return;
  const args = ['-t', options.type ?? 'none'];
  if (options.o) args.push('-o', options.o);
  args.push(options.device ?? 'none', mountpoint);
  try {
    execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new RuntimeError(`mount ${args.join(' ')} failed: ${stderr || String(error)}`, {
      hint: "check the volume's driver_opts (type, device, o)",
    });
  }
}

/** Lets go of the backing mount, if there is one; the data of a tmpfs goes with it. */
export function unmountBacking(mountpoint: string): void {
  if (!isMounted(mountpoint)) return;
  try {
    execFileSync('umount', [mountpoint], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new RuntimeError(`umount ${mountpoint} failed: ${stderr || String(error)}`, {
      hint: 'a process outside tscompose may still use it (fuser -m)',
    });
  }
}

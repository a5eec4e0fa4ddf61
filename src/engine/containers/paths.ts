import path from 'node:path';
import type { EnginePaths } from '../engine.js';

/**
 * Where one container's files live. What must survive a reboot (its writable layer, its
 * log, the files it was given) is under the root; the bundle, the mount point and the
 * runtime's state are under the run directory, which a reboot empties, as the
 * containers it described are gone too.
 */
export function containerPaths(paths: EnginePaths, id: string) {
  const dir = path.join(paths.containers, id);
  const bundle = path.join(paths.run, 'containers', id);
  return {
    dir,
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    persist: path.join(dir, 'persist'),
    log: path.join(dir, 'ctr.log'),
    hosts: path.join(dir, 'hosts'),
    hostname: path.join(dir, 'hostname'),
    resolvConf: path.join(dir, 'resolv.conf'),
    /** Files the container is given (secrets, configs): one per mount, by number. */
    files: path.join(dir, 'files'),
    bundle,
    rootfs: path.join(bundle, 'rootfs'),
    config: path.join(bundle, 'config.json'),
    pidFile: path.join(bundle, 'init.pid'),
    conmonPidFile: path.join(bundle, 'conmon.pid'),
    /** The runtime's own log of an attached run (`ContainerManager.attach`). */
    attachLog: path.join(bundle, 'attach.log'),
    exitDir: path.join(paths.run, 'exits'),
    runtimeRoot: path.join(paths.run, 'runtime'),
  };
}

export type ContainerPaths = ReturnType<typeof containerPaths>;

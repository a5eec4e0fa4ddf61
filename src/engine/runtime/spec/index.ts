import type { ImageRunConfig } from '../../image/types.js';
import type { ContainerSpec } from '../types.js';
import { commandLine, withInit } from './command.js';
import { hostFacts } from './host.js';
import type { HostFacts } from './host.js';
import { linuxSection } from './linux.js';
import { containerMounts } from './mounts.js';
import { OCI_VERSION } from './oci.js';
import type { OciConfig } from './oci.js';
import { processSection } from './process.js';
import { readUserDatabase, resolveUser } from './user.js';

/**
 * The OCI runtime config (config.json) of one container, with Docker's defaults: what
 * `docker run` hands to runc through containerd. One module a section; this one only
 * puts them together.
 */

export { ociConfigJson, ociProcessJson, parseOciProcess } from './json.js';
export { INIT_PATH } from './command.js';
export type { HostFacts } from './host.js';
export type * from './oci.js';

export interface OciSpecInput {
  spec: ContainerSpec;
  /** The image's runtime defaults (its config's `config`); `{}` for none. */
  image: ImageRunConfig;
  /** The mounted root file system: its /etc/passwd and /etc/group name the users. */
  rootfs: string;
  /** Written as `linux.cgroupsPath`, as is. */
  cgroupsPath: string;
  /** What is read from the host by default (its name, cgroup mode, capabilities, devices). */
  host?: Partial<HostFacts>;
}

export interface OciSpecResult {
  config: OciConfig;
  /** What runs: entrypoint+cmd after image defaults, for messages like "exec: foo: not found". */
  args: string[];
  user: { uid: number; gid: number; additionalGids: number[] };
  /** The image's StopSignal, if any. */
  stopSignal?: string;
}

export function buildOciSpec(input: OciSpecInput): OciSpecResult {
  const { spec, image } = input;
  const host = hostFacts(input.host);

  const args = commandLine(spec.entrypoint, spec.command, image);
  // As Docker: an init only in a PID namespace of the container's own; another's has one.
  const init = spec.init !== undefined && spec.pid.kind === 'private';
  const user = resolveUser(
    spec.user || image.User || '',
    spec.groupAdd ?? [],
    readUserDatabase(input.rootfs),
  );
  const hostname =
    spec.hostname || (spec.network.kind === 'host' ? host.hostname : spec.id.slice(0, 12));

  const { mounts, rootfsPropagation } = containerMounts(spec, init);
  const linux = linuxSection(spec, input.cgroupsPath, host);
  if (rootfsPropagation) linux.rootfsPropagation = rootfsPropagation;

  const config: OciConfig = {
    ociVersion: OCI_VERSION,
    process: processSection({
      spec,
      image,
      args: init ? withInit(args) : args,
      user,
      hostname,
      capabilities: host.capabilities,
    }),
    root: spec.readOnly ? { path: input.rootfs, readonly: true } : { path: input.rootfs },
    hostname,
    mounts,
    linux,
  };
  if (Object.keys(spec.labels).length > 0) config.annotations = { ...spec.labels };

  const result: OciSpecResult = {
    config,
    args,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
  };
  if (image.StopSignal) result.stopSignal = image.StopSignal;
  return result;
}

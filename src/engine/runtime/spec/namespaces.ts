import { InvalidError } from '../../../errors.js';
import type { ContainerSpec, NamespaceMode } from '../types.js';
import type { OciNamespace } from './oci.js';

/**
 * The namespaces as Docker sets them (mount, network, uts, pid, ipc, in its order): the
 * host's means no entry; another container's is joined through its init's /proc entry;
 * a network made beforehand is joined by its path, and `none` is a new, empty one. UTS is
 * always new (the engine has no `uts: host`), also on the host network, where the container
 * is named after the host. A cgroup namespace comes where the host is pure cgroup v2, as
 * Docker's default `cgroupns: private` there.
 */
export function containerNamespaces(spec: ContainerSpec, unifiedCgroup: boolean): OciNamespace[] {
  const namespaces: OciNamespace[] = [{ type: 'mount' }];
  const { network } = spec;
  if (network.kind === 'none') namespaces.push({ type: 'network' });
  if (network.kind === 'path') namespaces.push({ type: 'network', path: checkPath(network.path) });
  namespaces.push({ type: 'uts' });
  namespaces.push(...shared('pid', spec.pid));
  namespaces.push(...shared('ipc', spec.ipc));
  if (unifiedCgroup) namespaces.push({ type: 'cgroup' });
  return namespaces;
}

function shared(type: 'pid' | 'ipc', mode: NamespaceMode): OciNamespace[] {
  if (mode.kind === 'host') return [];
  if (mode.kind === 'private') return [{ type }];
  if (!Number.isSafeInteger(mode.pid) || mode.pid <= 0) {
    throw new InvalidError(`cannot join the ${type} namespace of process ${mode.pid}`, {
      hint: `the container to share the ${type} namespace with is not running`,
    });
  }
  return [{ type, path: `/proc/${mode.pid}/ns/${type}` }];
}

function checkPath(nsPath: string): string {
  if (!nsPath.startsWith('/')) {
    throw new InvalidError(`the network namespace path ${nsPath} is not absolute`, {
      hint: 'give the path of the namespace, such as /run/netns/<name>',
    });
  }
  return nsPath;
}

/**
 * A service's `volumes:` in long syntax. The short syntax `SOURCE:TARGET[:OPTIONS]` is read
 * as compose-go's ParseVolume reads it: a source that starts with `.`, `/` or `~` is a bind
 * mount, anything else names a volume, and a lone path is an anonymous volume.
 */
import path from 'node:path';
import type { ServiceVolume } from '../model.js';
import type { Scope } from './scope.js';
import { byteSize, fileMode } from './units.js';
import { asMapping, compact, scalarString } from './values.js';

type Bind = NonNullable<ServiceVolume['bind']>;

const PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];
// Docker Desktop's file-sharing hints: accepted and ignored by compose-go, and so here.
const CONSISTENCIES = ['cached', 'delegated', 'consistent'];
const OPTIONS_HINT = `use ro, rw, z, Z, nocopy or a propagation mode (${PROPAGATIONS.join(', ')})`;
const SPEC_HINT = 'write SOURCE:TARGET[:OPTIONS] or a lone container path, or use the long syntax';

export function normalizeVolumes(value: unknown, scope: Scope): ServiceVolume[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry, index) =>
    typeof entry === 'string'
      ? parseVolumeSpec(entry, scope.at(index))
      : longSyntaxVolume(asMapping(entry), scope.at(index)),
  );
}

export function parseVolumeSpec(spec: string, scope: Scope): ServiceVolume {
  const fail = (reason: string, hint = SPEC_HINT) =>
    scope.invalid(`invalid volume ${JSON.stringify(spec)}: ${reason}`, hint);
  const parts = spec.split(':');
  if (parts.some((part) => part === '')) throw fail('empty section between colons');
  if (parts.length > 3) throw fail('too many colons');
  const [source, target, options] = parts as [string, string?, string?];
  if (target === undefined) return { type: 'volume', target: cleanTarget(source), volume: {} };

  // Short-syntax bind mounts create a missing host path, as docker-compose v1 did.
  const volume: ServiceVolume = isHostPath(source)
    ? {
        type: 'bind',
        source: scope.hostPath(source),
        target: cleanTarget(target),
        bind: { create_host_path: true },
      }
    : { type: 'volume', source, target: cleanTarget(target), volume: {} };
  for (const option of options?.split(',') ?? []) applyOption(volume, option, scope, fail);
  return volume;
}

function applyOption(
  volume: ServiceVolume,
  option: string,
  scope: Scope,
  fail: (reason: string, hint?: string) => Error,
): void {
  if (option === 'ro') volume.read_only = true;
  else if (option === 'rw') delete volume.read_only;
  else if (option === 'nocopy') setNoCopy(volume, scope);
  else if (option === 'z' || option === 'Z') volume.bind = { ...volume.bind, selinux: option };
  else if (PROPAGATIONS.includes(option)) volume.bind = { ...volume.bind, propagation: option };
  else if (!CONSISTENCIES.includes(option)) {
    throw fail(`unknown option ${JSON.stringify(option)}`, OPTIONS_HINT);
  }
}

function setNoCopy(volume: ServiceVolume, scope: Scope): void {
  if (volume.type === 'volume') volume.volume = { ...volume.volume, nocopy: true };
  else scope.warn('nocopy applies to named volumes; it is ignored on a bind mount');
}

function longSyntaxVolume(raw: Record<string, unknown>, scope: Scope): ServiceVolume {
  const type = scalarString(raw.type) as ServiceVolume['type'];
  if (!type) {
    throw scope.invalid('a volume in long syntax needs a type', 'add type: bind, volume or tmpfs');
  }
  const source = raw.source === undefined || raw.source === null ? '' : scalarString(raw.source);
  if (type === 'bind' && !source) {
    throw scope.invalid(
      'invalid mount config for type "bind": field Source must not be empty',
      'set source to the host path to mount',
    );
  }

  return compact({
    ...raw,
    type,
    source: type === 'bind' ? scope.hostPath(source) : source || undefined,
    target: cleanTarget(scalarString(raw.target)),
    bind: raw.bind === undefined ? undefined : bindOptions(asMapping(raw.bind)),
    tmpfs:
      raw.tmpfs === undefined ? undefined : tmpfsOptions(asMapping(raw.tmpfs), scope.at('tmpfs')),
  });
}

function bindOptions(raw: Record<string, unknown>): Bind {
  const selinux = raw.selinux === 'z' || raw.selinux === 'Z' ? raw.selinux : undefined;
  return compact({ ...raw, selinux } as Bind);
}

function tmpfsOptions(raw: Record<string, unknown>, scope: Scope): ServiceVolume['tmpfs'] {
  const size = raw.size === undefined ? undefined : byteSize(raw.size, scope.at('size'));
  if (size !== undefined && size < 0) {
    throw scope.at('size').invalid(`invalid tmpfs size ${size}`, 'a size is zero or more bytes');
  }
  const mode = raw.mode === undefined ? undefined : fileMode(raw.mode, scope.at('mode'));
  return compact({ ...raw, size, mode });
}

function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

/** Container paths are cleaned as Go's path.Clean does: no `.`/`..` parts, no trailing slash. */
export function cleanTarget(target: string): string {
  if (!target) return target;
  const clean = path.posix.normalize(target);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { InvalidError, NotFoundError, UnsupportedError } from '../errors.js';
import type { Mount } from '../engine/runtime/types.js';
import { checkDriverOptions } from '../engine/volumes/backing.js';
import { parseByteSizeText } from '../planner/normalize/units.js';
import type { TranslateInput } from './translate.js';

/**
 * A service's mounts, as the engine's: `volumes` (binds, tmpfs, named and anonymous
 * volumes), `tmpfs`, what `volumes_from` shares, and an anonymous volume for each of the
 * image's `VOLUME` paths that nothing else covers.
 */
export function mounts(input: TranslateInput, at: (key: string) => string): Mount[] {
  const { service, project } = input;
  const out: Mount[] = [];
  (service.volumes ?? []).forEach((volume, i) => {
    const where = `${at('volumes')}[${i}]`;
    if (volume.type === 'bind') {
      out.push({
        kind: 'bind',
        source: volume.source!,
        target: volume.target,
        readOnly: volume.read_only,
        propagation: volume.bind?.propagation as 'rprivate' | undefined,
      });
    } else if (volume.type === 'tmpfs') {
      out.push({
        kind: 'tmpfs',
        target: volume.target,
        size: volume.tmpfs?.size,
        mode: volume.tmpfs?.mode,
      });
    } else if (volume.type === 'volume' && input.volumeDir) {
      const declared = volume.source ? project.volumes[volume.source] : undefined;
      const driverOpts = declared?.external ? undefined : declared?.driver_opts;
      if (driverOpts) checkLocalDriver(driverOpts, `volumes.${volume.source}`);
      // An anonymous volume keeps one name per service and path, so a recreated
      // container gets its data back, as Docker Compose hands it over.
      const name = declared?.name ?? anonymousVolume(project.name, service.name, volume.target);
      const external = Boolean(declared?.external);
      const source = input.volumeDir(name, { external, where, driverOpts });
      out.push({
        kind: 'bind',
        source,
        target: volume.target,
        readOnly: volume.read_only,
        volume: { name, noCopy: volume.volume?.nocopy },
      });
    } else {
      throw new UnsupportedError(`volumes of type "${volume.type}" do not run yet`, {
        path: where,
        hint: 'use a bind mount, a named volume or tmpfs',
      });
    }
  });
  for (const entry of service.tmpfs ?? []) {
    const [target, options] = splitOnce(entry, ':');
    const size = (options ?? '').split(',').find((o) => o.startsWith('size='));
    out.push({ kind: 'tmpfs', target: target!, size: sizeOption(size, at('tmpfs')) });
  }
  const own = new Set(out.map((mount) => mount.target));
  const shared = sharedMounts(input, at).filter((mount) => !own.has(mount.target));
  const covered = new Set([...own, ...shared.map((mount) => mount.target)]);
  return [...out, ...shared, ...imageVolumeMounts(input, covered)];
}

/**
 * An anonymous volume for each `VOLUME` of the image that no mount of the service covers,
 * as Docker makes them, named as the service's own anonymous volumes are: a recreated
 * container gets the same data back, as Docker Compose hands it over.
 */
function imageVolumeMounts(input: TranslateInput, covered: Set<string>): Mount[] {
  const { project, service } = input;
  if (!input.volumeDir) return [];
  return (input.imageVolumes ?? [])
    .map((target) => normalizeTarget(target))
    .filter((target) => !covered.has(target))
    .map((target) => {
      const name = anonymousVolume(project.name, service.name, target);
      const where = `the image's VOLUME ${target}`;
      const source = input.volumeDir!(name, { external: false, where });
      return { kind: 'bind', source, target, volume: { name } } satisfies Mount;
    });
}

/** `/data/` and `/data` are one path, as Docker reads a VOLUME. */
function normalizeTarget(target: string): string {
  return target.length > 1 ? target.replace(/\/+$/, '') : target;
}

/**
 * `volumes_from`: the volumes and bind mounts of another container, at the same paths, as
 * Docker shares them: read-only where the source has them so, unless `:ro` or `:rw` says.
 * A tmpfs is the source's own memory and is not shared; the service's own mounts win on
 * the same path. The data is there already, so nothing is copied up from this image.
 */
function sharedMounts(input: TranslateInput, at: (key: string) => string): Mount[] {
  const out = new Map<string, Mount>();
  (input.service.volumes_from ?? []).forEach((entry, i) => {
    const where = `${at('volumes_from')}[${i}]`;
    const parts = entry.split(':');
    const byContainer = parts[0] === 'container';
    const name = byContainer ? parts[1] : parts[0];
    const mode = byContainer ? parts[2] : parts[1];
    if (!name || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      throw new InvalidError(`"${entry}" is not a volumes_from entry`, {
        path: where,
        hint: 'write SERVICE, SERVICE:ro, container:NAME or container:NAME:rw',
      });
    }
    const mounts = byContainer ? input.peers.mountsOfContainer(name) : input.peers.mountsOf(name);
    if (mounts === undefined) {
      throw new NotFoundError(
        `${byContainer ? 'container' : 'service'} ${name} has no container to share volumes from`,
        {
          path: where,
          hint: byContainer
            ? `create the container ${name} first`
            : `${name} is a dependency: tscompose up creates it first`,
        },
      );
    }
    for (const mount of mounts) {
      if (mount.kind !== 'bind') continue;
      const readOnly = mode === undefined ? mount.readOnly : mode === 'ro';
      const shared: Mount = { ...mount, readOnly };
      if (mount.volume) shared.volume = { name: mount.volume.name, noCopy: true };
      out.set(mount.target, shared);
    }
  });
  return [...out.values()];
}

/**
 * The `driver_opts` of a local volume that tscompose mounts, checked before anything is
 * made: `type: tmpfs` (a size in tmpfs's own units), or `o: bind` of an existing `device`
 * directory. Others (nfs, a block device…) are refused by name. The engine mounts them on
 * the volume's directory while containers use it, as Docker's local driver does.
 */
export function checkLocalDriver(opts: Record<string, string>, where: string): void {
  checkDriverOptions(opts, where);
  const options = (opts.o ?? '').split(',').map((o) => o.trim());
  if (opts.type === 'tmpfs') {
    const size = options.find((o) => o.startsWith('size='));
    if (size && !/^size=\d+[kmgKMG%]?$/.test(size)) {
      throw new InvalidError(`"${size}" is not a tmpfs size`, {
        path: `${where}.driver_opts.o`,
        hint: 'write it as tmpfs does: size=100m (k, m, g or %)',
      });
    }
    return;
  }
  if (options.includes('bind') || options.includes('rbind')) {
    const device = opts.device;
    if (!device || !device.startsWith('/')) {
      throw new InvalidError('a bind volume needs the absolute path of its directory as device', {
        path: `${where}.driver_opts.device`,
        hint: 'device: /srv/data, with o: bind and type: none',
      });
    }
    if (!existsSync(device)) {
      throw new NotFoundError(`the directory ${device} of the bind volume does not exist`, {
        path: `${where}.driver_opts.device`,
        hint: `create it first: mkdir -p ${device}`,
      });
    }
    return;
  }
  throw new UnsupportedError(`local volumes of type "${opts.type ?? '?'}" are not supported`, {
    path: `${where}.driver_opts`,
    hint: 'tscompose mounts type: tmpfs and o: bind volumes of the local driver',
  });
}

/** `<project>_<service>_<hash of the path>`: stable across recreates of the service. */
export function anonymousVolume(project: string, service: string, target: string): string {
  const hash = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return `${project}_${service}_anon_${hash}`;
}

/** `size=64k` as bytes, in Compose's units; undefined without one. */
function sizeOption(option: string | undefined, where: string): number | undefined {
  if (option === undefined) return undefined;
  const text = option.slice('size='.length);
  const bytes = parseByteSizeText(text);
  if (bytes === undefined) {
    throw new InvalidError(`"${text}" is not a size`, {
      path: where,
      hint: 'write it as size=100m',
    });
  }
  return bytes;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

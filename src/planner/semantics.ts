import { ConflictError, InvalidError } from '../errors.js';
import type { Port, Project, Service } from './model.js';

type Checked = Pick<
  Project,
  'services' | 'disabledServices' | 'networks' | 'volumes' | 'secrets' | 'configs'
>;

/**
 * Checks that need the whole normalised project: references between services and to
 * top-level resources. Each failure names the YAML path so the loader can point at the
 * file and line.
 */
export function checkProject(project: Checked): void {
  checkExternalResources(project);
  const known = (name: string): boolean =>
    name in project.services || name in project.disabledServices;
  for (const name of Object.keys(project.services).sort()) {
    const service = project.services[name]!;
    checkServiceReferences(name, service, known);
    checkResourceReferences(name, service, project);
    checkDeviceRequests(name, service);
  }
}

/** An external resource exists already: tscompose neither creates nor configures it. */
function checkExternalResources(project: Checked): void {
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [name, resource] of Object.entries(project[kind])) {
      if (!resource.external) continue;
      for (const key of ['driver', 'driver_opts', 'labels']) {
        if (resource[key] === undefined) continue;
        throw new InvalidError(
          `${kind}.${name}: conflicting parameters "external" and "${key}" specified`,
          {
            path: `${kind}.${name}.${key}`,
            hint: `an external ${kind.slice(0, -1)} is created elsewhere: remove ${key}, or external: true`,
          },
        );
      }
    }
  }
}

/** A device request names how many devices, or which ones: never both (as in Docker). */
function checkDeviceRequests(name: string, service: Service): void {
  const reservations = service.deploy?.resources?.reservations?.devices ?? [];
  for (const [i, device] of reservations.entries()) {
    const request = device as { count?: unknown; device_ids?: unknown };
    if (request.count !== undefined && request.device_ids !== undefined) {
      throw new InvalidError('"count" and "device_ids" attributes are exclusive', {
        path: `services.${name}.deploy.resources.reservations.devices[${i}]`,
        hint: 'keep count to take any N devices, or device_ids to name them',
      });
    }
  }
}

/**
 * Two services that want the same host port or container name. Docker Compose loads
 * such a file and only fails when it creates the second container, so `config` reports
 * these as warnings and `up` refuses them before it starts anything.
 */
export function findClashes(services: Record<string, Service>): ConflictError[] {
  return [...portClashes(services), ...containerNameClashes(services)];
}

function checkServiceReferences(
  name: string,
  service: Service,
  known: (name: string) => boolean,
): void {
  const missing = (target: string, path: string, what: string): InvalidError =>
    new InvalidError(`service "${name}" ${what} undefined service "${target}"`, {
      path: `services.${name}.${path}`,
      hint: `define a service named "${target}", or fix the name`,
    });

  for (const dep of Object.keys(service.depends_on ?? {})) {
    if (!known(dep)) throw missing(dep, `depends_on.${dep}`, 'depends on');
  }
  for (const [i, link] of (service.links ?? []).entries()) {
    const target = link.split(':')[0]!;
    if (!known(target)) throw missing(target, `links[${i}]`, 'links to');
  }
  for (const [i, entry] of (service.volumes_from ?? []).entries()) {
    if (entry.startsWith('container:')) continue;
    const target = entry.split(':')[0]!;
    if (!known(target)) throw missing(target, `volumes_from[${i}]`, 'mounts volumes from');
  }
  for (const key of ['network_mode', 'ipc', 'pid'] as const) {
    const value = service[key];
    if (typeof value === 'string' && value.startsWith('service:')) {
      const target = value.slice('service:'.length);
      if (!known(target)) throw missing(target, key, `uses ${key} of`);
    }
  }
  if (service.network_mode && service.networks && Object.keys(service.networks).length > 0) {
    throw new InvalidError(
      `service ${name} declares mutually exclusive \`network_mode\` and \`networks\``,
      {
        path: `services.${name}.network_mode`,
        hint: 'remove one of the two keys',
      },
    );
  }
}

function checkResourceReferences(
  name: string,
  service: Service,
  project: Pick<Project, 'networks' | 'volumes' | 'secrets' | 'configs'>,
): void {
  const undefinedRef = (kind: string, target: string, path: string): InvalidError =>
    new InvalidError(`service "${name}" refers to undefined ${kind} "${target}"`, {
      path: `services.${name}.${path}`,
      hint: `declare it under the top-level ${kind}s: key, or fix the name`,
    });

  for (const network of Object.keys(service.networks ?? {})) {
    if (!(network in project.networks))
      throw undefinedRef('network', network, `networks.${network}`);
  }
  for (const [i, volume] of (service.volumes ?? []).entries()) {
    if (volume.type === 'volume' && volume.source && !(volume.source in project.volumes)) {
      throw undefinedRef('volume', volume.source, `volumes[${i}]`);
    }
  }
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [i, ref] of (service[kind] ?? []).entries()) {
      if (!(ref.source in project[kind]))
        throw undefinedRef(kind.slice(0, -1), ref.source, `${kind}[${i}]`);
    }
  }
}

/** `0.0.0.0` (or no host ip) takes the port on every address, so it clashes with any ip. */
function portClashes(services: Record<string, Service>): ConflictError[] {
  const clashes: ConflictError[] = [];
  // Owners by port and protocol; a clash needs the same address, or 0.0.0.0 on either side.
  const owners = new Map<string, { service: string; ip: string }[]>();
  for (const name of Object.keys(services).sort()) {
    for (const [index, port] of (services[name]!.ports ?? []).entries()) {
      const ip = port.host_ip || '0.0.0.0';
      for (const published of publishedPorts(port)) {
        const key = `${published}/${port.protocol}`;
        const taken = owners.get(key) ?? [];
        const other = taken.find(
          (owner) =>
            owner.service !== name &&
            (owner.ip === ip || owner.ip === '0.0.0.0' || ip === '0.0.0.0'),
        );
        if (other) {
          clashes.push(
            new ConflictError(
              `services "${other.service}" and "${name}" both publish ${port.protocol} port ${published} on ${ip}`,
              {
                path: `services.${name}.ports[${index}]`,
                hint: 'publish one of them on another host port, or leave the host port out to get a free one',
              },
            ),
          );
          continue;
        }
        owners.set(key, [...taken, { service: name, ip }]);
      }
    }
  }
  return clashes;
}

function publishedPorts(port: Port): number[] {
  if (!port.published) return [];
  const [start, end] = port.published.split('-').map(Number);
  if (start === undefined || Number.isNaN(start)) return [];
  const last = end === undefined || Number.isNaN(end) ? start : end;
  return Array.from({ length: last - start + 1 }, (_, i) => start + i);
}

function containerNameClashes(services: Record<string, Service>): ConflictError[] {
  const clashes: ConflictError[] = [];
  const owners = new Map<string, string>();
  for (const name of Object.keys(services).sort()) {
    const containerName = services[name]!.container_name;
    if (!containerName) continue;
    const owner = owners.get(containerName);
    if (owner) {
      clashes.push(
        new ConflictError(
          `services "${owner}" and "${name}" both use container_name "${containerName}"`,
          {
            path: `services.${name}.container_name`,
            hint: 'container names must be unique: rename one',
          },
        ),
      );
      continue;
    }
    owners.set(containerName, name);
  }
  return clashes;
}

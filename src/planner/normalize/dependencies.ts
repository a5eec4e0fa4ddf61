/**
 * `depends_on` in long form, and the dependencies Docker Compose infers from references to
 * other services: links, `service:` namespaces and volumes_from.
 */
import type { Dependency, DependencyCondition, Service } from '../model.js';
import type { Scope } from './scope.js';
import { asMapping, scalarString } from './values.js';

const STARTED: DependencyCondition = 'service_started';

export function normalizeDependsOn(value: unknown, _scope: Scope): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (Array.isArray(value)) {
    for (const name of value)
      out[scalarString(name)] = { condition: STARTED, required: true, restart: false };
    return out;
  }
  for (const [name, entry] of Object.entries(asMapping(value))) {
    const raw = asMapping(entry);
    out[name] = {
      condition: (raw.condition as DependencyCondition | undefined) ?? STARTED,
      required: raw.required !== false,
      restart: raw.restart === true,
    };
  }
  return out;
}

/**
 * Adds what compose-go's normalisation adds, never overriding an explicit entry: a service
 * that shares another's namespace or is linked to it restarts with it; one that only
 * borrows its volumes does not.
 */
export function addImpliedDependencies(service: Service): void {
  const implied: [string, boolean][] = [];
  for (const link of service.links ?? []) implied.push([link.split(':')[0]!, true]);
  for (const namespace of [
    service.network_mode,
    service.ipc,
    service.pid,
    service.uts,
    service.cgroup,
  ]) {
    if (namespace?.startsWith('service:')) implied.push([namespace.slice('service:'.length), true]);
  }
  for (const source of service.volumes_from ?? []) {
    if (!source.startsWith('container:')) implied.push([source.split(':')[0]!, false]);
  }
  if (implied.length === 0) return;

  const dependsOn = { ...service.depends_on };
  for (const [name, restart] of implied) {
    dependsOn[name] ??= { condition: STARTED, required: true, restart };
  }
  service.depends_on = dependsOn;
}

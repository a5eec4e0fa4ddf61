import { InvalidError, NotFoundError } from '../errors.js';
import type { Service } from './model.js';

export interface ProfileSelection {
  /** `--profile` flags and `COMPOSE_PROFILES`, merged; `*` enables every profile. */
  profiles: string[];
  /** Services named on the command line: enabled with their dependencies, whatever their profiles. */
  services: string[];
}

export interface ProfileResult {
  enabled: Record<string, Service>;
  disabled: Record<string, Service>;
}

/**
 * Splits services into enabled and disabled as Docker Compose does: a service without
 * profiles is always on; one with profiles is on when one of them is enabled, or when it
 * is named on the command line or needed by a named service.
 */
export function applyProfiles(
  services: Record<string, Service>,
  selection: ProfileSelection,
): ProfileResult {
  const wanted = new Set(selection.profiles);
  const isActive = (service: Service): boolean =>
    !service.profiles?.length || wanted.has('*') || service.profiles.some((p) => wanted.has(p));

  for (const name of selection.services) {
    if (!(name in services)) {
      throw new NotFoundError(`no such service: ${name}`, {
        hint: `services in this project: ${Object.keys(services).sort().join(', ') || '(none)'}`,
      });
    }
  }

  const on = new Set(Object.keys(services).filter((name) => isActive(services[name]!)));
  for (const name of selection.services) enableWithDependencies(name, services, on);

  const enabled: Record<string, Service> = {};
  const disabled: Record<string, Service> = {};
  for (const [name, service] of Object.entries(services)) {
    if (on.has(name)) enabled[name] = service;
    else disabled[name] = service;
  }
  checkRequiredDependencies(enabled, disabled);
  return { enabled, disabled };
}

function enableWithDependencies(
  name: string,
  services: Record<string, Service>,
  on: Set<string>,
): void {
  const queue = [name];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const current = queue.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    on.add(current);
    for (const [dep, spec] of Object.entries(services[current]?.depends_on ?? {})) {
      if (spec.required && dep in services) queue.push(dep);
    }
  }
}

function checkRequiredDependencies(
  enabled: Record<string, Service>,
  disabled: Record<string, Service>,
): void {
  for (const name of Object.keys(enabled).sort()) {
    for (const dep of Object.keys(enabled[name]!.depends_on ?? {}).sort()) {
      const off = disabled[dep];
      // `required: false` means "if it is there": the dependency stays, and `up` skips it.
      if (!off || !enabled[name]!.depends_on![dep]!.required) continue;
      const profiles = off.profiles ?? [];
      throw new InvalidError(
        `service "${name}" depends on service "${dep}", which is disabled by profiles`,
        {
          path: `services.${name}.depends_on.${dep}`,
          hint:
            `enable one of its profiles: ${profiles.map((p) => `--profile ${p}`).join(' or ')}` +
            ` (or COMPOSE_PROFILES=${profiles[0] ?? ''}), or set required: false on the dependency`,
        },
      );
    }
  }
}

import type { Project, Service } from './model.js';

type Resources = Pick<Project, 'networks' | 'volumes' | 'secrets' | 'configs'>;

/**
 * Keeps only the networks, volumes, secrets and configs that an enabled service uses, as
 * Docker Compose does: a volume that only a disabled profile's service mounts is neither
 * printed by `config` nor created by `up`.
 */
export function withoutUnusedResources(
  services: Record<string, Service>,
  resources: Resources,
): Resources {
  const used = {
    networks: new Set<string>(),
    volumes: new Set<string>(),
    secrets: new Set<string>(),
    configs: new Set<string>(),
  };
  for (const service of Object.values(services)) {
    for (const network of Object.keys(service.networks ?? {})) used.networks.add(network);
    for (const volume of service.volumes ?? []) {
      if (volume.type === 'volume' && volume.source) used.volumes.add(volume.source);
    }
    for (const ref of service.secrets ?? []) used.secrets.add(ref.source);
    for (const ref of service.build?.secrets ?? []) used.secrets.add(ref.source);
    for (const ref of service.configs ?? []) used.configs.add(ref.source);
  }
  const keep = <T>(all: Record<string, T>, names: Set<string>): Record<string, T> =>
    Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name)));
  return {
    networks: keep(resources.networks, used.networks),
    volumes: keep(resources.volumes, used.volumes),
    secrets: keep(resources.secrets, used.secrets),
    configs: keep(resources.configs, used.configs),
  };
}

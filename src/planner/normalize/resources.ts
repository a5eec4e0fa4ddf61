/**
 * Top-level `networks`, `volumes`, `secrets` and `configs`. Each gets the name the engine
 * will use: its own `name`, else its key when external (it exists already, under that
 * name), else the key prefixed with the project (`myproj_data`), as compose-go names them.
 */
import type { FileObject, Network, Volume } from '../model.js';
import { isMapping } from '../tags.js';
import type { Scope } from './scope.js';
import { asMapping, compact, scalarString, stringMapping } from './values.js';

type Resource = { name: string; external?: boolean; [key: string]: unknown };

export function normalizeNetworks(
  value: unknown,
  usesDefault: boolean,
  scope: Scope,
): Record<string, Network> {
  const declared = asMapping(value);
  const all = usesDefault && !('default' in declared) ? { ...declared, default: null } : declared;
  return eachResource(all, scope, (raw) => ({
    ipam: raw.ipam === undefined ? undefined : ipam(asMapping(raw.ipam)),
  }));
}

export function normalizeVolumeResources(value: unknown, scope: Scope): Record<string, Volume> {
  return eachResource(asMapping(value), scope, (raw) => {
    const options = raw.driver_opts === undefined ? undefined : stringMapping(raw.driver_opts);
    // A local volume with `o: bind` is a bind mount in disguise: its device is a host path.
    if (raw.driver === 'local' && options?.o === 'bind' && options.device) {
      options.device = scope.hostPath(options.device);
    }
    return { driver_opts: options };
  });
}

export function normalizeFileObjects(value: unknown, scope: Scope): Record<string, FileObject> {
  return eachResource(asMapping(value), scope, (raw) => ({
    file: raw.file === undefined ? undefined : scope.hostPath(scalarString(raw.file)),
  }));
}

function eachResource<T extends Resource>(
  resources: Record<string, unknown>,
  scope: Scope,
  specific: (raw: Record<string, unknown>) => Partial<T>,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(resources)) {
    const at = scope.at(key);
    const raw = asMapping(value);
    const external = raw.external === true || isMapping(raw.external);
    const resource: Resource = {
      ...raw,
      name: resourceName(key, raw, external, at),
      external: external || undefined,
      labels: raw.labels === undefined ? undefined : stringMapping(raw.labels),
      driver_opts: raw.driver_opts === undefined ? undefined : stringMapping(raw.driver_opts),
      ...specific(raw),
    };
    out[key] = compact(resource) as T;
  }
  return out;
}

/** `external: {name: x}` is the old spelling of `name: x` with `external: true`. */
function resourceName(
  key: string,
  raw: Record<string, unknown>,
  external: boolean,
  scope: Scope,
): string {
  const legacy = asMapping(raw.external).name;
  if (legacy !== undefined && legacy !== null) {
    if (raw.name !== undefined && raw.name !== legacy) {
      throw scope.invalid('name and external.name conflict; only use name', 'remove external.name');
    }
    scope.warn(
      `external.name is deprecated: write name: ${scalarString(legacy)} and external: true`,
    );
    return scalarString(legacy);
  }
  if (raw.name !== undefined && raw.name !== null) return scalarString(raw.name);
  return external ? key : `${scope.ctx.projectName}_${key}`;
}

function ipam(raw: Record<string, unknown>): Network['ipam'] {
  return compact({
    ...raw,
    options: raw.options === undefined ? undefined : stringMapping(raw.options),
  });
}

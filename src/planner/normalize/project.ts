/**
 * The normalisation step of the planner: the merged, interpolated, schema-valid document
 * in, the typed Project out, every short form in its long form. It follows compose-go's
 * `transform` (short syntax) and `normalize` (defaults and implied values) steps, so that
 * `tscompose config` prints what `docker compose config` prints.
 */
import type { PlannerWarning, Project, Service } from '../model.js';
import { attachDefaultNetwork } from './networks.js';
import { normalizeFileObjects, normalizeNetworks, normalizeVolumeResources } from './resources.js';
import { Scope, type NormalizeContext } from './scope.js';
import { normalizeService } from './service.js';
import { asMapping, splitExtensions } from './values.js';

export type { NormalizeContext } from './scope.js';

export interface NormalizeResult {
  project: Omit<Project, 'files' | 'profiles' | 'disabledServices'>;
  warnings: PlannerWarning[];
}

export function normalizeProject(
  raw: Record<string, unknown>,
  ctx: NormalizeContext,
): NormalizeResult {
  const scope = new Scope(ctx);
  const { fields, extensions } = splitExtensions(raw);

  const services: Record<string, Service> = {};
  for (const [name, service] of Object.entries(asMapping(fields.services))) {
    services[name] = normalizeService(name, service, scope.at('services', name));
  }
  // The default network exists only when some service is on it, after services are settled.
  const usesDefault = attachDefaultNetwork(Object.values(services));

  const project = {
    name: ctx.projectName,
    workingDir: ctx.workingDir,
    services,
    networks: normalizeNetworks(fields.networks, usesDefault, scope.at('networks')),
    volumes: normalizeVolumeResources(fields.volumes, scope.at('volumes')),
    secrets: normalizeFileObjects(fields.secrets, scope.at('secrets')),
    configs: normalizeFileObjects(fields.configs, scope.at('configs')),
    extensions,
    environment: { ...ctx.environment },
  };
  return { project, warnings: scope.collectedWarnings() };
}

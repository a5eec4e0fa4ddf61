import { createHash } from 'node:crypto';
import type { Service } from './model.js';

/**
 * Keys that change how a service is built or ordered, not the container that runs: a
 * change to them alone must not recreate the container (as in Docker Compose, whose
 * config hash leaves out build, scale, depends_on and profiles too).
 */
const NOT_HASHED = new Set(['build', 'scale', 'depends_on', 'profiles', 'develop', 'pull_policy']);

/**
 * The canonical config hash the engine records on each container and compares on `up`:
 * sha256 over the normalised service with sorted keys. Replicas don't change a container
 * either, so `deploy.replicas` is left out as well.
 */
export function serviceConfigHash(service: Service): string {
  const hashed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(service)) {
    if (!NOT_HASHED.has(key) && value !== undefined) hashed[key] = value;
  }
  if (service.deploy) {
    const { replicas: _replicas, ...deploy } = service.deploy;
    hashed.deploy = deploy;
  }
  return createHash('sha256').update(canonicalJson(hashed)).digest('hex');
}

/** JSON with keys sorted at every level, so equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) out[key] = sortKeys(item);
  }
  return out;
}

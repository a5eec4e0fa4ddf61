import { isMapping, ResetTag, stripTags } from '../tags.js';
import { step, type At } from './at.js';
import { mismatch } from './mismatch.js';
import type { MergeMappings } from './rules.js';

/**
 * `networks.*.ipam.config`: the later file's pools are the network's pools, and a pool with
 * the subnet of an earlier one is merged into it (a new gateway or aux address keeps the rest).
 * This is what compose-go's mergeIPAMConfig does for one earlier pool; with several, its loop
 * merges pools of different subnets into each other, which this does not copy.
 */
export function mergeIpamConfig(
  base: unknown,
  override: unknown,
  at: At,
  mappings: MergeMappings,
): unknown {
  if (override === null) return base;
  if (!Array.isArray(base) || !Array.isArray(override)) throw mismatch(at, base, override);

  return override
    .filter((pool) => !(pool instanceof ResetTag))
    .map((pool, index) => {
      const earlier = isMapping(pool) ? base.find((old) => sameSubnet(old, pool)) : undefined;
      return isMapping(earlier) && isMapping(pool)
        ? mappings(earlier, pool, step(at, index))
        : stripTags(pool);
    });
}

function sameSubnet(earlier: unknown, pool: Record<string, unknown>): boolean {
  return isMapping(earlier) && earlier.subnet === stripTags(pool.subnet);
}

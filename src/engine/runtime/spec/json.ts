import { randomUUID } from 'node:crypto';
import type { OciConfig } from './oci.js';
import { UNLIMITED } from './rlimits.js';

/** RLIM_INFINITY as the runtime's JSON decoder reads it into a uint64. */
const RLIM_INFINITY = '18446744073709551615';

/**
 * `config` as the text of config.json. Use this rather than JSON.stringify: an unlimited
 * rlimit must be written as 2^64-1 exactly, which no JavaScript number is. (Plain
 * JSON.stringify writes -1, and the runtime refuses the file instead of misreading it.)
 */
export function ociConfigJson(config: OciConfig): string {
  const token = `rlim-infinity-${randomUUID()}`;
  const rlimits = config.process.rlimits?.map((limit) => ({
    ...limit,
    soft: limit.soft === UNLIMITED ? token : limit.soft,
    hard: limit.hard === UNLIMITED ? token : limit.hard,
  }));
  const text = JSON.stringify({ ...config, process: { ...config.process, rlimits } }, null, 2);
  return `${text.replaceAll(JSON.stringify(token), RLIM_INFINITY)}\n`;
}

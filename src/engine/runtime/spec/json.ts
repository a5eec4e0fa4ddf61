import { randomUUID } from 'node:crypto';
import type { OciConfig, OciProcess } from './oci.js';
import { UNLIMITED } from './rlimits.js';

/** RLIM_INFINITY as the runtime's JSON decoder reads it into a uint64. */
const RLIM_INFINITY = '18446744073709551615';

/**
 * `config` as the text of config.json. Use this rather than JSON.stringify: an unlimited
 * rlimit must be written as 2^64-1 exactly, which no JavaScript number is. (Plain
 * JSON.stringify writes -1, and the runtime refuses the file instead of misreading it.)
 */
export function ociConfigJson(config: OciConfig): string {
  return `${exactJson(config, 2)}\n`;
}

/** A process spec (`runc exec --process`) as text, an unlimited rlimit written exactly. */
export function ociProcessJson(process: OciProcess): string {
  return exactJson(process);
}

/**
 * The process of a config.json this module wrote. JSON.parse reads 2^64-1 as the nearest
 * double, which written back is a number the runtime's uint64 refuses: it becomes
 * UNLIMITED again here, so the process can be written once more by `ociProcessJson`.
 */
export function parseOciProcess(configText: string): OciProcess {
  const { process } = JSON.parse(configText) as { process: OciProcess };
  const rlimits = process.rlimits?.map((limit) => ({
    ...limit,
    soft: limit.soft > Number.MAX_SAFE_INTEGER ? UNLIMITED : limit.soft,
    hard: limit.hard > Number.MAX_SAFE_INTEGER ? UNLIMITED : limit.hard,
  }));
  return rlimits ? { ...process, rlimits } : process;
}

/**
 * JSON text of `value` with its process's unlimited rlimits as RLIM_INFINITY's digits: each
 * is a unique token in the object, replaced in the text.
 */
function exactJson(
  value: { rlimits?: OciProcess['rlimits'] } | OciConfig,
  indent?: number,
): string {
  const token = `rlim-infinity-${randomUUID()}`;
  const tokens = (process: { rlimits?: OciProcess['rlimits'] }) => ({
    ...process,
    rlimits: process.rlimits?.map((limit) => ({
      ...limit,
      soft: limit.soft === UNLIMITED ? token : limit.soft,
      hard: limit.hard === UNLIMITED ? token : limit.hard,
    })),
  });
  const object =
    'ociVersion' in value ? { ...value, process: tokens(value.process) } : tokens(value);
  return JSON.stringify(object, null, indent).replaceAll(JSON.stringify(token), RLIM_INFINITY);
}

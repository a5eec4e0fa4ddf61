import { UsageError } from './args.js';

/** A flag given in seconds (`-t 10`, `--wait-timeout 1.5`) as milliseconds; undefined if absent. */
export function seconds(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(number) || number < 0) {
    throw new UsageError(`${flag} takes a number of seconds, not "${String(value)}"`, {
      hint: `for example ${flag.split(' ').pop()} 10`,
    });
  }
  return Math.round(number * 1000);
}

/** `--since` as Docker takes it: an RFC 3339 time, a Unix time, or a duration ago (`10m`). */
export function sinceTime(value: string, now = Date.now()): Date {
  const relative = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (relative) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[relative[2] as 'ms' | 's' | 'm' | 'h'];
    return new Date(now - Number(relative[1]) * unit);
  }
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new UsageError(`"${value}" is not a time`, {
      hint: 'use 2026-01-02T15:04:05Z, a Unix time, or a duration such as 10m',
    });
  }
  return new Date(time);
}

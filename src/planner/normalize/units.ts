/**
 * Durations and byte sizes, read the way Docker Compose reads them and printed the way
 * `docker compose config` prints them. The model keeps milliseconds and bytes.
 */
import type { Scope } from './scope.js';

// compose-go parses durations with str2duration: Go's time.ParseDuration plus days and weeks.
const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)[a-zµμ]+)+)$/;
const DURATION_PART = /(\d+\.?\d*|\.\d+)([a-zµμ]+)/g;

/** `1m30s` → 90000. Undefined when the text is not a duration. */
export function parseDurationText(text: string): number | undefined {
  if (text === '0') return 0;
  const match = DURATION.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const [, amount, unit] of match[2]!.matchAll(DURATION_PART)) {
    const scale = DURATION_UNITS_MS[unit!];
    if (scale === undefined) return undefined;
    total += Number(amount) * scale;
  }
  return match[1] === '-' ? -total : total;
}

// go-units RAMInBytes: binary multiples, case-insensitive, an optional `i` and `b`.
const SIZE = /^(\d+\.?\d*|\.\d+) ?(?:([kmgtp])(?:b|ib)?|b)?$/i;
const SIZE_SCALE: Record<string, number> = {
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
};

/** `512m` → 536870912. Undefined when the text is not a size. */
export function parseByteSizeText(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const scale = match[2] ? SIZE_SCALE[match[2].toLowerCase()]! : 1;
  return Math.trunc(Number(match[1]) * scale);
}

const DURATION_HINT = 'write a number with a unit, such as 500ms, 10s, 1m30s or 1h';
const SIZE_HINT =
  'write a whole number of bytes or a number with a unit b, k, m, g, t or p, such as 512m';

/**
 * A duration field in milliseconds. A bare number has no unit, which compose-go refuses;
 * it is read as seconds, the unit such numbers meant in older Compose files, with a warning.
 */
export function duration(value: unknown, scope: Scope): number {
  const text = String(value).trim();
  const parsed = parseDurationText(text);
  if (parsed !== undefined) return parsed;
  if (/^\d+(\.\d+)?$/.test(text)) {
    scope.warn(`duration ${text} has no unit and is read as ${text}s; write "${text}s"`);
    return Number(text) * 1000;
  }
  throw scope.invalid(`invalid duration ${JSON.stringify(text)}`, DURATION_HINT);
}

/** A byte-size field in bytes: a number is bytes already, a string may carry a unit. */
export function byteSize(value: unknown, scope: Scope): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  const parsed = typeof value === 'string' ? parseByteSizeText(value.trim()) : undefined;
  if (parsed !== undefined) return parsed;
  throw scope.invalid(`invalid byte size ${JSON.stringify(value)}`, SIZE_HINT);
}

/** A plain number that the file may give as a string (`cpus: '0.5'`). */
export function decimal(value: unknown, scope: Scope): number {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed === 'number' && Number.isFinite(parsed)) return parsed;
  throw scope.invalid(
    `expected a number, got ${JSON.stringify(value)}`,
    'write a number, such as 2 or 0.5',
  );
}

/** File permission bits: a number as written, or an octal string as compose-go reads it (`"0440"`). */
export function fileMode(value: unknown, scope: Scope): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^[0-7]+$/.test(value)) return parseInt(value, 8);
  throw scope.invalid(
    `invalid file mode ${JSON.stringify(value)}`,
    'write octal digits, such as "0440"',
  );
}

/** Milliseconds as Go's time.Duration prints them: `1m30s`, `10s`, `500ms`, `1h0m0s`. */
export function formatDuration(ms: number): string {
  const nanos = Math.round(ms * 1e6);
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  const abs = Math.abs(nanos);
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${fraction(abs, 1e3)}µs`;
  if (abs < 1e9) return `${sign}${fraction(abs, 1e6)}ms`;
  const hours = Math.floor(abs / 3.6e12);
  const minutes = Math.floor((abs % 3.6e12) / 6e10);
  const seconds = `${fraction(abs % 6e10, 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** `value / unit` in decimal, without trailing zeros, from integers to keep it exact. */
function fraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const rest = value % unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

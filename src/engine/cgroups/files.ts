import { readFileSync } from 'node:fs';
import { PermissionError, RuntimeError } from '../../errors.js';

/**
 * Limits at or above this are "no limit": v1 writes unlimited as the largest page-aligned
 * long (9223372036854771712 with 4 KiB pages, less with larger pages), never as `max`.
 */
const UNLIMITED = 2 ** 62;

/**
 * A cgroup file's text, or undefined where the file (or its group) does not exist. A file
 * of a controller the host lacks is passed as undefined and reads as missing.
 */
export function readCgroupFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENODEV: a file of a group that is being removed.
    if (code === 'ENOENT' || code === 'ENODEV') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PermissionError(`cannot read ${file}`, {
        hint: 'cgroup files need root; run tscompose as root',
        cause: err,
      });
    }
    throw new RuntimeError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A file that holds one number; undefined where it is missing. */
export function readNumber(file: string | undefined): number | undefined {
  const text = readCgroupFile(file);
  return text === undefined ? undefined : parseCount(file, text.trim());
}

/** A limit: a number, or `max` (v2) or a huge value (v1) for none. */
export function readLimit(file: string | undefined): number | null | undefined {
  const text = readCgroupFile(file)?.trim();
  if (text === undefined) return undefined;
  if (text === 'max') return null;
  const value = parseCount(file, text);
  return value >= UNLIMITED ? null : value;
}

/** A flat keyed file (`memory.stat`, `cpu.stat`, `memory.events`): one `key value` a line. */
export function readKeyed(file: string | undefined): Map<string, number> {
  const values = new Map<string, number>();
  const text = readCgroupFile(file);
  if (text === undefined) return values;
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** `cgroup.procs`: one pid a line. */
export function readPids(file: string): number[] {
  const text = readCgroupFile(file) ?? '';
  return text
    .split('\n')
    .filter((line) => /^\d+$/.test(line.trim()))
    .map(Number)
    .filter((pid) => pid > 0);
}

function parseCount(file: string | undefined, text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new RuntimeError(`unexpected contents in ${file}: "${text.slice(0, 40)}"`, {
      hint: 'the kernel’s cgroup interface changed, or the file is not a cgroup file',
    });
  }
  return Number(text);
}

import path from 'node:path';
import { InvalidError } from '../errors.js';
import { mergeDocuments } from './merge.js';
import { isMapping } from './tags.js';

export interface IncludeEntry {
  /** Absolute paths: the first is the included project, the rest override it like `-f`. */
  files: string[];
  /** Where the included project's relative paths and `.env` resolve. */
  projectDirectory: string;
  /** Absolute; empty means the `.env` of the project directory, if there is one. */
  envFiles: string[];
  /** Index of the entry, for error paths (`include[2]`). */
  index: number;
}

/** What an included project brings along; its `name` and top-level extensions stay behind. */
const RESOURCE_KINDS = ['services', 'networks', 'volumes', 'secrets', 'configs', 'models'] as const;

/** Reads the `include:` section in its short (`- path.yaml`) and long forms. */
export function includeEntries(value: unknown, baseDir: string): IncludeEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new InvalidError('include must be a list', {
      path: 'include',
      hint: 'write include: [ other/compose.yaml ]',
    });
  }
  return value.map((item, index) => {
    const spec = typeof item === 'string' ? { path: item } : item;
    if (!isMapping(spec) || spec.path === undefined) {
      throw new InvalidError('an include entry needs a path', {
        path: `include[${index}]`,
        hint: 'write - path: other/compose.yaml',
      });
    }
    const files = toList(spec.path).map((file) => path.resolve(baseDir, file));
    const projectDirectory =
      typeof spec.project_directory === 'string'
        ? path.resolve(baseDir, spec.project_directory)
        : path.dirname(files[0]!);
    const envFiles = toList(spec.env_file).map((file) => path.resolve(baseDir, file));
    return { files, projectDirectory, envFiles, index };
  });
}

/**
 * Adds what the included projects define to the including file. Docker Compose accepts
 * the same resource from two includes (the same file included twice with different
 * `.env` values, say): later includes are merged over earlier ones, and the including
 * file over all of them, as an override file would be (Docker Compose 2.24 and later).
 */
export function mergeIncluded(
  own: Record<string, unknown>,
  included: { entry: IncludeEntry; doc: Record<string, unknown> }[],
): Record<string, unknown> {
  let base: Record<string, unknown> = {};
  for (const { doc } of included) base = mergeDocuments(base, pickResources(doc));
  const { include: _include, ...rest } = own;
  return mergeDocuments(base, rest);
}

function pickResources(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of RESOURCE_KINDS) if (isMapping(doc[kind])) out[kind] = doc[kind];
  return out;
}

function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

import path from 'node:path';
import { ConflictError, InvalidError } from '../errors.js';
import { canonicalJson } from './hash.js';
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

/** The resources an included project brings along, and that must not clash between includes. */
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
 * Adds what the included projects define to the including file. Two includes may not
 * define the same resource differently; the including file itself may, and wins, as an
 * override file would (Docker Compose 2.24 and later).
 */
export function mergeIncluded(
  own: Record<string, unknown>,
  included: { entry: IncludeEntry; doc: Record<string, unknown> }[],
): Record<string, unknown> {
  const base: Record<string, Record<string, unknown>> = {};
  const origin = new Map<string, string>();

  for (const { entry, doc } of included) {
    for (const kind of RESOURCE_KINDS) {
      const resources = doc[kind];
      if (!isMapping(resources)) continue;
      const into = (base[kind] ??= {});
      for (const [name, resource] of Object.entries(resources)) {
        const key = `${kind}.${name}`;
        if (name in into && canonicalJson(into[name]) !== canonicalJson(resource)) {
          throw new ConflictError(
            `included files ${origin.get(key)} and ${entry.files[0]} both define ${kind.slice(0, -1)} "${name}", differently`,
            {
              path: `include[${entry.index}]`,
              hint: `rename one, or define "${name}" once in the including file`,
            },
          );
        }
        into[name] = resource;
        origin.set(key, entry.files[0]!);
      }
    }
  }
  const { include: _include, ...rest } = own;
  return mergeDocuments(base, rest);
}

function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

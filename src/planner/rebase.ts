import path from 'node:path';
import { isMapping } from './tags.js';

/**
 * Makes the relative paths of a raw service absolute against `baseDir`. A service that
 * comes from another file (through `extends: file:` or `include`) keeps meaning what its
 * author wrote: its paths are relative to its own file, not to the file that uses it.
 */
export function rebaseService(
  service: Record<string, unknown>,
  baseDir: string,
  homeDir: string,
): Record<string, unknown> {
  const out = { ...service };
  const abs = (value: string): string => absolutePath(value, baseDir, homeDir);

  if (typeof out.build === 'string') out.build = isRemote(out.build) ? out.build : abs(out.build);
  else if (
    isMapping(out.build) &&
    typeof out.build.context === 'string' &&
    !isRemote(out.build.context)
  ) {
    out.build = { ...out.build, context: abs(out.build.context) };
  } else if (isMapping(out.build) && out.build.context === undefined) {
    out.build = { ...out.build, context: baseDir };
  }
  if (out.env_file !== undefined) out.env_file = rebaseEnvFiles(out.env_file, abs);
  if (typeof out.label_file === 'string') out.label_file = abs(out.label_file);
  if (Array.isArray(out.label_file))
    out.label_file = out.label_file.map((f) => (typeof f === 'string' ? abs(f) : f));
  if (Array.isArray(out.volumes)) out.volumes = out.volumes.map((v) => rebaseVolume(v, abs));
  if (isMapping(out.extends) && typeof out.extends.file === 'string') {
    out.extends = { ...out.extends, file: abs(out.extends.file) };
  }
  if (isMapping(out.develop) && Array.isArray(out.develop.watch)) {
    const watch = out.develop.watch.map((rule) =>
      isMapping(rule) && typeof rule.path === 'string' ? { ...rule, path: abs(rule.path) } : rule,
    );
    out.develop = { ...out.develop, watch };
  }
  return out;
}

/** Top-level secrets and configs read from files: `file:` is relative to the declaring file. */
export function rebaseFileObjects(objects: unknown, baseDir: string, homeDir: string): unknown {
  if (!isMapping(objects)) return objects;
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(objects)) {
    out[name] =
      isMapping(spec) && typeof spec.file === 'string'
        ? { ...spec, file: absolutePath(spec.file, baseDir, homeDir) }
        : spec;
  }
  return out;
}

export function absolutePath(value: string, baseDir: string, homeDir: string): string {
  if (value === '~' || value.startsWith('~/')) return path.join(homeDir, value.slice(1));
  return path.resolve(baseDir, value);
}

function rebaseEnvFiles(value: unknown, abs: (p: string) => string): unknown {
  const one = (entry: unknown): unknown => {
    if (typeof entry === 'string') return abs(entry);
    if (isMapping(entry) && typeof entry.path === 'string')
      return { ...entry, path: abs(entry.path) };
    return entry;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

/** Only bind sources written as paths (`./x`, `../x`, `~/x`) move; a bare name is a named volume. */
function rebaseVolume(volume: unknown, abs: (p: string) => string): unknown {
  if (typeof volume === 'string') {
    const [source, ...rest] = volume.split(':');
    if (rest.length === 0 || !source || !isRelativePath(source)) return volume;
    return [abs(source), ...rest].join(':');
  }
  if (isMapping(volume) && volume.type === 'bind' && typeof volume.source === 'string') {
    return { ...volume, source: abs(volume.source) };
  }
  return volume;
}

function isRelativePath(source: string): boolean {
  return source === '.' || source === '..' || /^(\.{1,2}|~)\//.test(source);
}

/** Build contexts may be git or http URLs, which have no directory to resolve against. */
function isRemote(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@');
}

/** An included project resolves its own relative paths before it joins the includer. */
export function rebaseDocument(
  doc: Record<string, unknown>,
  baseDir: string,
  homeDir: string,
): Record<string, unknown> {
  const out = { ...doc };
  if (isMapping(doc.services)) {
    out.services = Object.fromEntries(
      Object.entries(doc.services).map(([name, service]) => [
        name,
        isMapping(service) ? rebaseService(service, baseDir, homeDir) : service,
      ]),
    );
  }
  out.secrets = rebaseFileObjects(doc.secrets, baseDir, homeDir);
  out.configs = rebaseFileObjects(doc.configs, baseDir, homeDir);
  if (out.secrets === undefined) delete out.secrets;
  if (out.configs === undefined) delete out.configs;
  return out;
}

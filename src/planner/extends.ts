import path from 'node:path';
import { InvalidError, NotFoundError } from '../errors.js';
import { mergeService } from './merge.js';
import { rebaseService } from './rebase.js';
import { isMapping } from './tags.js';

export interface ExtendsContext {
  /** Absolute path of the file whose services these are. */
  file: string;
  /** Where `extends.file` resolves: the project directory for `-f` files, else the file's own. */
  baseDir: string;
  /** Another compose file, parsed and interpolated; the loader caches and checks it. */
  loadOther: (file: string) => Record<string, unknown>;
  homeDir: string;
}

interface Reference {
  service: string;
  file?: string;
}

/**
 * Resolves every `extends` of one file: the base service (from this file or another,
 * itself possibly extending) with the extending service merged over it by the same rules
 * as `-f` overrides. A loop of extends is refused with the whole loop named.
 */
export function applyExtends(
  doc: Record<string, unknown>,
  ctx: ExtendsContext,
): Record<string, unknown> {
  if (!isMapping(doc.services)) return doc;
  const resolver = new Resolver(ctx);
  const services: Record<string, unknown> = {};
  for (const name of Object.keys(doc.services)) {
    services[name] = resolver.resolve(name, doc.services, ctx.file, ctx.baseDir, []);
  }
  return { ...doc, services };
}

class Resolver {
  private readonly done = new Map<string, Record<string, unknown>>();

  constructor(private readonly ctx: ExtendsContext) {}

  resolve(
    name: string,
    services: Record<string, unknown>,
    file: string,
    baseDir: string,
    chain: string[],
  ): unknown {
    const service = services[name];
    if (!isMapping(service) || service.extends === undefined) return service;

    const key = `${file}#${name}`;
    const cached = this.done.get(key);
    if (cached) return cached;
    if (chain.includes(key)) throw cycleError([...chain, key], name);

    const ref = reference(name, service.extends);
    const baseFile = ref.file ? path.resolve(baseDir, ref.file) : file;
    const baseFileDir = ref.file ? path.dirname(baseFile) : baseDir;
    const baseServices = ref.file ? this.servicesOf(baseFile, name) : services;
    if (!(ref.service in baseServices)) {
      throw new NotFoundError(
        `service "${name}" extends service "${ref.service}", which is not defined in ${path.basename(baseFile)}`,
        { path: `services.${name}.extends`, hint: 'check the service name under extends' },
      );
    }

    let base = this.resolve(ref.service, baseServices, baseFile, baseFileDir, [...chain, key]);
    if (!isMapping(base)) base = {};
    if (ref.file)
      base = rebaseService(
        base as Record<string, unknown>,
        path.dirname(baseFile),
        this.ctx.homeDir,
      );
    const { extends: _extends, ...own } = service;
    const merged = mergeService(base as Record<string, unknown>, own);
    this.done.set(key, merged);
    return merged;
  }

  private servicesOf(file: string, from: string): Record<string, unknown> {
    const doc = this.ctx.loadOther(file);
    if (!isMapping(doc.services)) {
      throw new InvalidError(`${file} has no services to extend`, {
        path: `services.${from}.extends.file`,
        hint: 'point extends.file at a compose file with a services: section',
      });
    }
    return doc.services;
  }
}

function reference(name: string, value: unknown): Reference {
  if (typeof value === 'string') return { service: value };
  if (isMapping(value)) {
    if (typeof value.service !== 'string' || value.service === '') {
      throw new InvalidError(`extends.${name}.service is required`, {
        path: `services.${name}.extends`,
        hint: 'write extends: { service: NAME } or extends: NAME',
      });
    }
    return typeof value.file === 'string'
      ? { service: value.service, file: value.file }
      : { service: value.service };
  }
  throw new InvalidError('extends must be a service name or a mapping with service and file', {
    path: `services.${name}.extends`,
    hint: 'write extends: { service: NAME, file: other.yaml }',
  });
}

function cycleError(chain: string[], name: string): InvalidError {
  const names = chain.map((key) => key.slice(key.lastIndexOf('#') + 1));
  return new InvalidError(`circular reference in extends: ${names.join(' → ')}`, {
    path: `services.${name}.extends`,
    hint: 'one of these services must stop extending the next',
  });
}

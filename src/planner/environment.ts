import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { parseDotenv } from './dotenv.js';
import type { IncludeEntry } from './include.js';
import type { LoadOptions } from './loader.js';
import { isMapping } from './tags.js';

/**
 * The shell's variables win over the `.env` file, as in Docker Compose. `--env-file`
 * replaces the project's `.env`; a named file that does not exist is an error, a missing
 * default `.env` is not.
 */
export function environmentFor(options: LoadOptions, projectDir: string): Record<string, string> {
  const shell = options.environment;
  const explicit = options.envFiles ?? [];
  const files = explicit.length
    ? explicit.map((file) => path.resolve(options.cwd, file))
    : [path.resolve(options.cwd, projectDir, '.env')];
  const fromFiles: Record<string, string> = {};
  for (const file of files) {
    if (!existsSync(file)) {
      if (explicit.length) {
        throw new NotFoundError(`env file not found: ${file}`, {
          hint: 'check the path given with --env-file',
        });
      }
      continue;
    }
    Object.assign(fromFiles, readEnvFile(file, { ...fromFiles, ...shell }));
  }
  return { ...fromFiles, ...shell };
}

/**
 * An included project reads its own `.env` (or the include's `env_file`), but the
 * including project's variables — the shell and its `.env` — win, as in Docker Compose.
 */
export function includedEnvironment(
  entry: IncludeEntry,
  parent: Record<string, string>,
): Record<string, string> {
  const files = entry.envFiles.length
    ? entry.envFiles
    : [path.join(entry.projectDirectory, '.env')];
  const fromFiles: Record<string, string> = {};
  for (const file of files) {
    if (!existsSync(file)) {
      if (entry.envFiles.length) {
        throw new NotFoundError(`env file not found: ${file}`, {
          path: `include[${entry.index}].env_file`,
          hint: 'check the path, which is relative to the including file',
        });
      }
      continue;
    }
    Object.assign(fromFiles, readEnvFile(file, { ...fromFiles, ...parent }));
  }
  return { ...fromFiles, ...parent };
}

/**
 * `environment: [KEY]` takes KEY's value from the project that declares the service; for
 * an included service that is the included project, so it is resolved before it joins.
 */
export function withResolvedEnvironment(
  doc: Record<string, unknown>,
  environment: Record<string, string>,
): Record<string, unknown> {
  if (!isMapping(doc.services)) return doc;
  const services: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(doc.services)) {
    services[name] = isMapping(service)
      ? { ...service, ...resolvedEnvironmentOf(service.environment, environment) }
      : service;
  }
  return { ...doc, services };
}

function resolvedEnvironmentOf(
  value: unknown,
  environment: Record<string, string>,
): { environment?: unknown } {
  if (Array.isArray(value)) {
    return {
      environment: value.map((entry) =>
        typeof entry === 'string' && !entry.includes('=') && entry in environment
          ? `${entry}=${environment[entry]}`
          : entry,
      ),
    };
  }
  if (isMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = item === null && key in environment ? environment[key] : item;
    }
    return { environment: out };
  }
  return value === undefined ? {} : { environment: value };
}

export function readEnvFile(
  file: string,
  environment: Record<string, string>,
): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  return parseDotenv(readFileSync(file, 'utf8'), {
    file,
    lookup: (name) => environment[name],
  });
}

/**
 * Variables that come from files: `env_file` into `environment`, `label_file` into
 * `labels`. Files are read only through ctx.loadEnvFile.
 */
import type { EnvFile, Service } from '../model.js';
import type { Scope } from './scope.js';
import { asMapping, scalarString, stringList } from './values.js';

/** `env_file: .env`, `[a.env, {path: b.env, required: false}]` with absolute paths. */
export function normalizeEnvFiles(value: unknown, scope: Scope): EnvFile[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry) => {
    if (typeof entry === 'string') return { path: scope.hostPath(entry), required: true };
    const raw = asMapping(entry);
    const file: EnvFile = {
      path: scope.hostPath(scalarString(raw.path)),
      required: raw.required !== false,
    };
    if (raw.format !== undefined) file.format = scalarString(raw.format);
    return file;
  });
}

/**
 * The container's environment as compose-go builds it: the env files in order, then the
 * service's own `environment` over them. A key written with no value takes the value from
 * ctx.environment, and stays null (unset) when there is none, even over an env file's value.
 */
export function settleEnvironment(service: Service, scope: Scope): void {
  const merged: Record<string, string | null> = {};
  for (const [index, file] of (service.env_file ?? []).entries()) {
    Object.assign(merged, readEnvFile(service.name, file, scope.at('env_file', index)));
  }
  const own = resolveFromEnvironment(service.environment, scope.ctx.environment, 'keep');
  service.environment = Object.assign(merged, own);
}

function readEnvFile(service: string, file: EnvFile, scope: Scope): Record<string, string> {
  const variables = scope.ctx.loadEnvFile(file.path);
  if (variables) return variables;
  if (!file.required) return {};
  throw scope.invalid(
    `env file ${file.path} not found: service "${service}" requires it`,
    'create the file, or make it optional with `required: false`',
  );
}

/**
 * Fills null values from the environment. Unresolved keys are kept as null for a container
 * environment and dropped for build args, as compose-go's normalisation does.
 */
export function resolveFromEnvironment(
  mapping: Record<string, string | null>,
  environment: Record<string, string>,
  unresolved: 'keep' | 'drop',
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(mapping)) {
    const resolved = value ?? (Object.hasOwn(environment, key) ? environment[key]! : null);
    if (resolved !== null || unresolved === 'keep') out[key] = resolved;
  }
  return out;
}

/** `label_file` paths made absolute. */
export function normalizeLabelFiles(value: unknown, scope: Scope): string[] {
  return stringList(value).map((file) => scope.hostPath(file));
}

/** Labels from the label files in order, then the service's own `labels` over them. */
export function settleLabels(service: Service, scope: Scope): void {
  if (!service.label_file) return;
  const merged: Record<string, string> = {};
  for (const [index, file] of service.label_file.entries()) {
    const variables = scope.ctx.loadEnvFile(file);
    if (!variables) {
      throw scope
        .at('label_file', index)
        .invalid(`label file ${file} not found`, 'create the file or remove it from label_file');
    }
    Object.assign(merged, variables);
  }
  service.labels = Object.assign(merged, service.labels);
}

import type { Build } from '../model.js';
import { resolveFromEnvironment } from './environment.js';
import { normalizeFileRefs } from './filerefs.js';
import { normalizeUlimits } from './limits.js';
import { normalizeExtraHosts } from './networks.js';
import type { Scope } from './scope.js';
import { byteSize } from './units.js';
import {
  asMapping,
  compact,
  equalsMapping,
  optionalField,
  scalarString,
  stringList,
  stringMapping,
} from './values.js';

// compose-go leaves these as written: builder-specific context types and remote sources.
const REMOTE_PREFIXES = [
  'https://',
  'http://',
  'git://',
  'ssh://',
  'github.com/',
  'git@',
  'service:',
];

/**
 * `build: ./dir` or the long form, with compose-go's defaults: the context is the project
 * directory, the Dockerfile is `Dockerfile`, and an arg with no value comes from the
 * environment or is left out.
 */
export function normalizeBuild(value: unknown, scope: Scope): Build {
  const raw = typeof value === 'string' ? { context: value } : asMapping(value);
  const dockerfile =
    raw.dockerfile ?? (raw.dockerfile_inline === undefined ? 'Dockerfile' : undefined);
  const optional = <T>(key: string, normalize: (value: unknown, scope: Scope) => T) =>
    optionalField(raw, key, scope, normalize);
  if (raw.ssh === null) {
    throw scope
      .at('ssh')
      .invalid('ssh must be a mapping or a list of keys, got null', 'write `ssh: [default]`');
  }

  return compact({
    ...raw,
    context: contextPath(scalarString(raw.context ?? '.'), scope),
    dockerfile: dockerfile === undefined ? undefined : scalarString(dockerfile),
    args: optional('args', (args) =>
      resolveFromEnvironment(equalsMapping(args), scope.ctx.environment, 'drop'),
    ),
    labels: optional('labels', stringMapping),
    cache_from: optional('cache_from', stringList),
    cache_to: optional('cache_to', stringList),
    tags: optional('tags', stringList),
    platforms: optional('platforms', stringList),
    additional_contexts: optional('additional_contexts', additionalContexts),
    ssh: optional('ssh', sshKeys),
    secrets: optional('secrets', normalizeFileRefs),
    extra_hosts: optional('extra_hosts', normalizeExtraHosts),
    shm_size: optional('shm_size', byteSize),
    ulimits: optional('ulimits', normalizeUlimits),
  });
}

function contextPath(context: string, scope: Scope): string {
  const remote =
    context.includes('://') || REMOTE_PREFIXES.some((prefix) => context.startsWith(prefix));
  return remote ? context : scope.hostPath(context);
}

function additionalContexts(value: unknown, scope: Scope): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, context] of Object.entries(stringMapping(value))) {
    out[name] = contextPath(context, scope);
  }
  return out;
}

/** `ssh: [default, id=path]` or `{id: path}`; a path-less key is the agent's `default`. */
function sshKeys(value: unknown, scope: Scope): Record<string, string> {
  const keys = Array.isArray(value) ? equalsMapping(value) : equalsMapping(asMapping(value));
  const out: Record<string, string> = {};
  for (const [id, path] of Object.entries(keys)) {
    if (path === null && id !== 'default') {
      throw scope.invalid(
        `invalid ssh key ${JSON.stringify(id)}: no path`,
        'write ID=PATH, or `default` for the agent',
      );
    }
    out[id] = path === null ? '' : scope.hostPath(path);
  }
  return out;
}

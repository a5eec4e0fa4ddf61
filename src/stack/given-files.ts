import { existsSync } from 'node:fs';
import type { GivenFile } from '../engine/containers/manager.js';
import type { Mount } from '../engine/runtime/types.js';
import { InvalidError, NotFoundError, UnsupportedError } from '../errors.js';
import type { FileObject, Project, Service, ServiceFileRef } from '../planner/model.js';

/**
 * `secrets` and `configs`, as Docker Compose gives them outside Swarm: one from a `file` is
 * that file bound read-only (a secret at /run/secrets/NAME, a config at /NAME, unless
 * `target` says); one from `environment` or `content` is a file written for the container,
 * with `uid`, `gid` and `mode` (0444 by default).
 */
export function givenFiles(
  project: Project,
  service: Service,
): { mounts: Mount[]; files: GivenFile[] } {
  const mounts: Mount[] = [];
  const files: GivenFile[] = [];
  const kinds = [
    { key: 'secrets', refs: service.secrets, defined: project.secrets, dir: '/run/secrets' },
    { key: 'configs', refs: service.configs, defined: project.configs, dir: '' },
  ] as const;
  for (const { key, refs, defined, dir } of kinds) {
    (refs ?? []).forEach((ref, i) => {
      const where = `services.${service.name}.${key}[${i}]`;
      const object = defined[ref.source];
      if (!object) {
        throw new NotFoundError(`${key.slice(0, -1)} "${ref.source}" is not defined`, {
          path: where,
          hint: `define it under the top-level ${key} key`,
        });
      }
      const name = ref.target ?? ref.source;
      const target = name.startsWith('/') ? name : `${dir}/${name}`;
      const content = contentOf(project, object, `${key}.${ref.source}`);
      if (content === undefined) {
        mounts.push({ kind: 'bind', source: object.file!, target, readOnly: true });
      } else {
        files.push({ target, content, ...ownership(ref, where) });
      }
    });
  }
  return { mounts, files };
}

/** What a secret or config holds when given by value; undefined for a `file`. */
function contentOf(project: Project, object: FileObject, where: string): string | undefined {
  if (object.external) {
    throw new UnsupportedError(
      `${where} is external: such secrets and configs live in Docker Swarm`,
      {
        path: `${where}.external`,
        hint: 'give it a file, environment or content instead',
      },
    );
  }
  if (object.file !== undefined) {
    if (!existsSync(object.file)) {
      throw new NotFoundError(`the file ${object.file} of ${where} does not exist`, {
        path: `${where}.file`,
        hint: 'create it, or point file at one that exists',
      });
    }
    return undefined;
  }
  if (object.environment !== undefined) {
    const value = project.environment[object.environment];
    if (value === undefined) {
      throw new InvalidError(`the variable ${object.environment} of ${where} is not set`, {
        path: `${where}.environment`,
        hint: `set it in the shell or in .env: ${object.environment}=…`,
      });
    }
    return value;
  }
  if (object.content !== undefined) return object.content;
  throw new InvalidError(`${where} says neither file, environment nor content`, {
    path: where,
    hint: 'give it one of file, environment or content',
  });
}

function ownership(ref: ServiceFileRef, where: string): Omit<GivenFile, 'target' | 'content'> {
  const id = (value: string | undefined, key: string) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) {
      throw new InvalidError(`${key} "${value}" is not a number`, {
        path: `${where}.${key}`,
        hint: `write the numeric ${key}, e.g. ${key}: "1000"`,
      });
    }
    return Number(value);
  };
  return { uid: id(ref.uid, 'uid'), gid: id(ref.gid, 'gid'), mode: ref.mode };
}

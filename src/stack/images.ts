import { NotFoundError, UnsupportedError } from '../errors.js';
import { ImageRepository } from '../engine/image/repository.js';
import type { Project } from '../planner/model.js';
import type { StackDeps } from './events.js';
import { serviceImage } from './select.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/**
 * The image ID each service runs, pulling what is missing (once per image, however many
 * services share it). `pull_policy` of a service wins over `up --pull`, as in Compose.
 */
export async function resolveImages(
  deps: StackDeps,
  project: Project,
  services: string[],
  policy: PullPolicy = 'missing',
): Promise<Map<string, string>> {
  const images = new ImageRepository(deps.engine.db, deps.engine.store);
  const wanted = new Map<string, string[]>();
  for (const name of services) {
    const ref = serviceImage(project, name);
    wanted.set(ref, [...(wanted.get(ref) ?? []), name]);
  }
  const ids = new Map<string, string>();
  await Promise.all(
    [...wanted].map(async ([ref, names]) => {
      const service = project.services[names[0]!]!;
      const own = service.pull_policy ?? policy;
      const present = find(images, ref);
      const mustPull = own === 'always' || (present === undefined && own !== 'never');
      if (mustPull && service.image && service.pull_policy !== 'build') {
        deps.onEvent({
          kind: 'image',
          image: ref,
          services: names,
          action: 'Pulling',
          done: false,
        });
        await deps.pull(ref, names);
        deps.onEvent({ kind: 'image', image: ref, services: names, action: 'Pulled', done: true });
      }
      const id = find(images, ref);
      if (id === undefined) throw missing(project, names, ref);
      for (const name of names) ids.set(name, id);
    }),
  );
  return ids;
}

function find(images: ImageRepository, ref: string): string | undefined {
  try {
    return images.resolve(ref).id;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function missing(project: Project, names: string[], ref: string) {
  const service = project.services[names[0]!]!;
  if (service.build && !service.image) {
    return new UnsupportedError(
      `service ${names[0]} needs its image built, and tscompose does not build yet`,
      {
        path: `services.${names[0]}.build`,
        hint: `build it elsewhere and load it (tscompose image load -i FILE), tagged ${ref}`,
      },
    );
  }
  return new NotFoundError(`no such image: ${ref} (for ${names.join(', ')})`, {
    path: `services.${names[0]}.image`,
    hint: 'pull it (tscompose pull), load it, or make a base image with tscompose image bootstrap',
  });
}

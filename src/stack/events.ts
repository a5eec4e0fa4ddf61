import type { ContainerManager } from '../engine/containers/manager.js';
import type { Engine } from '../engine/engine.js';

/** What the stack tells whoever shows progress: the CLI prints it, the TUI draws it. */
export type StackEvent =
  | {
      kind: 'container';
      name: string;
      service: string;
      /** Docker Compose's words: Creating, Created, Recreate, Starting, Started, Running… */
      action: string;
      done: boolean;
    }
  | { kind: 'image'; image: string; services: string[]; action: string; done: boolean }
  | { kind: 'volume' | 'network'; name: string; action: string; done: boolean }
  | { kind: 'warning'; message: string };

export interface StackDeps {
  engine: Engine;
  manager: ContainerManager;
  /** Pulls one image into the store; the CLI supplies credentials and progress. */
  pull: (image: string, services: string[]) => Promise<void>;
  /** The host's init binary, for `init: true`; found only when a service asks for it. */
  initPath?: () => string;
  onEvent: (event: StackEvent) => void;
}

/** A reporter for one container's steps: `say('Stopping', false)`, then `say('Stopped', true)`. */
export function narrator(
  deps: Pick<StackDeps, 'onEvent'>,
  container: { name: string; service: string | null },
): (action: string, done: boolean) => void {
  return (action, done) =>
    deps.onEvent({
      kind: 'container',
      name: container.name,
      service: container.service ?? '',
      action,
      done,
    });
}

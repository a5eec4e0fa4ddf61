import { existsSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import { requireRoot } from './root.js';
import { ContainerManager } from '../engine/containers/manager.js';
import type { Engine } from '../engine/engine.js';
import { pullImage } from '../engine/registry/index.js';
import type { ServiceGraph } from '../planner/graph.js';
import { loadProject } from '../planner/loader.js';
import type { Project } from '../planner/model.js';
import type { StackDeps, StackEvent } from '../stack/events.js';
import { loadOptions, type CommandContext } from './context.js';
import { credentialStore, insecureRegistries } from './credentials.js';
import { withEngine } from './engine.js';
import { printWarnings, type Output } from './output.js';

export interface StackSession {
  deps: StackDeps;
  project: Project;
  graph: ServiceGraph;
  engine: Engine;
}

/**
 * Static inits that forward signals and reap zombies, where Debian puts them. Bind-mounted
 * into images that may have no libc, so Debian's dynamically linked `tini` will not do.
 */
const INIT_BINARIES = ['/usr/bin/catatonit', '/usr/bin/tini-static', '/usr/bin/docker-init'];

/**
 * Loads the project and opens the engine for a command that acts on containers. The
 * integrated engine mounts, makes namespaces and writes cgroups: it needs root.
 */
export async function withStack<T>(
  ctx: CommandContext,
  use: (session: StackSession) => Promise<T>,
  options: { services?: string[]; quiet?: boolean } = {},
): Promise<T> {
  requireRoot();
  const { project, graph, warnings } = loadProject(await loadOptions(ctx, options.services));
  printWarnings(ctx.out, warnings);
  return withEngine(ctx, async (engine) => {
    const manager = new ContainerManager(engine, {
      runtime: ctx.environment.TSCOMPOSE_RUNTIME || undefined,
      conmon: ctx.environment.TSCOMPOSE_CONMON || undefined,
    });
    const printer = new ProgressPrinter(ctx.out, Boolean(options.quiet));
    const deps: StackDeps = {
      engine,
      manager,
      pull: async (image) => {
        await pullImage(engine, image, {
          credentials: credentialStore(ctx),
          insecureRegistries: insecureRegistries(ctx),
        });
      },
      initPath: findInit,
      onEvent: (event) => printer.show(event),
    };
    return use({ deps, project, graph, engine });
  });
}

function findInit(): string {
  const found = INIT_BINARIES.find((file) => existsSync(file));
  if (!found) {
    throw new NotFoundError('init: true needs an init binary on the host, and none is installed', {
      hint: 'apt-get install catatonit',
    });
  }
  return found;
}

/**
 * Progress as Docker Compose prints it when stderr is not a terminal: one line per step,
 * ` Container web-1  Started`. Results (IDs, tables) go to stdout elsewhere.
 */
export class ProgressPrinter {
  constructor(
    private readonly out: Output,
    private readonly quiet: boolean,
  ) {}

  show(event: StackEvent): void {
    if (event.kind === 'warning') {
      this.out.stderr.write(`${this.paint('warning:', '33')} ${event.message}\n`);
      return;
    }
    if (this.quiet) return;
    const subject =
      event.kind === 'container'
        ? `Container ${event.name}`
        : event.kind === 'image'
          ? `Image ${event.image}`
          : `${event.kind === 'volume' ? 'Volume' : 'Network'} ${event.name}`;
    const action = event.done ? this.paint(event.action, '32') : event.action;
    this.out.stderr.write(` ${subject}  ${action}\n`);
  }

  private paint(text: string, code: string): string {
    return this.out.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

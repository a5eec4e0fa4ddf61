import { TsComposeError } from '../../errors.js';
import { loadProject } from '../../planner/loader.js';
import { pullImage } from '../../engine/registry/index.js';
import type { Command } from '../context.js';
import { loadOptions } from '../context.js';
import { credentialStore, insecureRegistries } from '../credentials.js';
import { withEngine } from '../engine.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { printError, printWarnings } from '../output.js';
import { TransferDisplay } from '../progress.js';
import { selectServices } from '../../stack/select.js';

export const pullCommand: Command = {
  summary: "Pull the images of the project's services",
  usage: [
    'tscompose pull [OPTIONS] [SERVICE...]',
    '',
    '  --include-deps           also pull what the named services depend on',
    '  --ignore-buildable       skip services that have a build section',
    '  --ignore-pull-failures   report a failed pull and go on with the others',
    '  -q, --quiet              print nothing but errors',
  ].join('\n'),
  options: {
    'include-deps': { type: 'boolean' },
    'ignore-buildable': { type: 'boolean' },
    'ignore-pull-failures': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  run: async (ctx) => {
    const { values, positionals } = ctx.args;
    const { project, graph, warnings } = loadProject(await loadOptions(ctx, positionals));
    printWarnings(ctx.out, warnings);
    const names = selectServices(project, graph, positionals, Boolean(values['include-deps']));
    const quiet = Boolean(values.quiet);
    const display = quiet ? undefined : new TransferDisplay(ctx.out, 'pull');
    const say = (text: string) => display?.note(text);

    // One pull per image, however many services use it; a service whose pull may fail
    // (it can be built instead) must not fail the image for another that needs it.
    const pulls = new Map<string, { services: string[]; buildable: boolean }>();
    for (const name of names) {
      const service = project.services[name]!;
      const skip = skipReason(service, Boolean(values['ignore-buildable']));
      if (skip) {
        say(`${name} Skipped - ${skip}`);
        continue;
      }
      const entry = pulls.get(service.image!) ?? { services: [], buildable: true };
      entry.services.push(name);
      entry.buildable &&= service.build !== undefined;
      pulls.set(service.image!, entry);
    }
    if (pulls.size === 0) return EXIT.ok;

    return withEngine(ctx, async (engine) => {
      const options = {
        credentials: credentialStore(ctx),
        insecureRegistries: insecureRegistries(ctx),
      };
      const failures: { image: string; error: unknown; buildable: boolean }[] = [];
      await Promise.all(
        [...pulls].map(async ([image, { services, buildable }]) => {
          const label = services.join(', ');
          say(`${label} Pulling`);
          try {
            await pullImage(engine, image, {
              ...options,
              ...(display ? { onProgress: display.listen(`${services[0]} `) } : {}),
            });
            say(`${label} Pulled`);
          } catch (error) {
            failures.push({ image, error, buildable });
            say(`${label} ${buildable ? 'Warning' : 'Error'} pull failed`);
          }
        }),
      );
      display?.finish();
      let failed = false;
      for (const { image, error, buildable } of failures) {
        if (buildable || values['ignore-pull-failures']) {
          const why = error instanceof TsComposeError ? error.message : String(error);
          ctx.out.stderr.write(
            `warning: pull of ${image} failed (${why})${buildable ? '; it will be built' : ''}\n`,
          );
        } else {
          printError(ctx.out, error);
          failed = true;
        }
      }
      if (!failed) return EXIT.ok;
      // The first failure decides the exit code, as a single pull's would.
      return exitCodeFor(failures.find((f) => !f.buildable)!.error);
    });
  },
};

function skipReason(
  service: { image?: string; build?: unknown; pull_policy?: string },
  ignoreBuildable: boolean,
): string | undefined {
  if (!service.image) return 'No image to be pulled';
  if (service.build !== undefined && ignoreBuildable) return 'No image to be pulled';
  if (service.pull_policy === 'build') return 'Image is always built';
  if (service.pull_policy === 'never') return 'pull_policy is never';
  return undefined;
}

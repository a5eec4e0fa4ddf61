import { TsComposeError } from '../../errors.js';
import { pushImage } from '../../engine/registry/index.js';
import { loadProject } from '../../planner/loader.js';
import type { Command } from '../context.js';
import { loadOptions } from '../context.js';
import { credentialStore, insecureRegistries } from '../credentials.js';
import { withEngine } from '../engine.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { printError, printWarnings } from '../output.js';
import { TransferDisplay } from '../progress.js';
import { selectServices } from '../../stack/select.js';

export const pushCommand: Command = {
  summary: "Push the images of the project's built services",
  usage: [
    'tscompose push [OPTIONS] [SERVICE...]',
    '',
    'Pushes each service that has both build and image (and its build.tags), as',
    'Docker Compose does; the image must be in the local store.',
    '',
    '  --include-deps           also push what the named services depend on',
    '  --ignore-push-failures   report a failed push and go on with the others',
    '  -q, --quiet              print nothing but errors',
  ].join('\n'),
  options: {
    'include-deps': { type: 'boolean' },
    'ignore-push-failures': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  run: async (ctx) => {
    const { values, positionals } = ctx.args;
    const { project, graph, warnings } = loadProject(await loadOptions(ctx, positionals));
    printWarnings(ctx.out, warnings);
    const names = selectServices(project, graph, positionals, Boolean(values['include-deps']));
    const quiet = Boolean(values.quiet);
    const display = quiet ? undefined : new TransferDisplay(ctx.out, 'push');

    const pushes: { service: string; image: string }[] = [];
    for (const name of names) {
      const service = project.services[name]!;
      if (!service.build || !service.image) {
        display?.note(
          `${name} Skipped - ${service.image ? 'not built by this project' : 'no image name'}`,
        );
        continue;
      }
      for (const image of new Set([service.image, ...(service.build.tags ?? [])])) {
        pushes.push({ service: name, image });
      }
    }
    if (pushes.length === 0) return EXIT.ok;

    return withEngine(ctx, async (engine) => {
      const options = {
        credentials: credentialStore(ctx),
        insecureRegistries: insecureRegistries(ctx),
      };
      let firstError: unknown;
      // One at a time: pushes of tags of the same image then find their blobs already there.
      for (const { service, image } of pushes) {
        display?.note(`${service} Pushing ${image}`);
        try {
          const result = await pushImage(engine, image, undefined, {
            ...options,
            ...(display ? { onProgress: display.listen(`${service} `) } : {}),
          });
          display?.note(`${service} Pushed ${result.ref}@${result.digest}`);
        } catch (error) {
          if (values['ignore-push-failures']) {
            const why = error instanceof TsComposeError ? error.message : String(error);
            ctx.out.stderr.write(`warning: push of ${image} failed: ${why}\n`);
            continue;
          }
          firstError = error;
          break;
        }
      }
      display?.finish();
      if (firstError === undefined) return EXIT.ok;
      printError(ctx.out, firstError);
      return exitCodeFor(firstError);
    });
  },
};

import { stringify } from 'yaml';
import { serviceConfigHash } from '../../planner/hash.js';
import { loadProject } from '../../planner/loader.js';
import type { Project } from '../../planner/model.js';
import { renderProject } from '../../planner/render.js';
import { stringValue, UsageError } from '../args.js';
import { loadOptions, type Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { print, printWarnings } from '../output.js';

export const configCommand: Command = {
  summary: 'Parse, resolve and render the compose files in canonical form',
  usage: [
    'tscompose config [OPTIONS] [SERVICE...]',
    '',
    '  --format yaml|json   output format (default yaml)',
    '  -q, --quiet          only validate; print nothing',
    '  --services           print the service names, one per line',
    '  --volumes            print the volume names, one per line',
    '  --networks           print the network names, one per line',
    '  --profiles           print the profile names, one per line',
    '  --images             print the image of each service, one per line',
    '  --hash SERVICE       print "SERVICE HASH" (the config hash used to decide recreates); "*" for all',
  ].join('\n'),
  options: {
    format: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    services: { type: 'boolean' },
    volumes: { type: 'boolean' },
    networks: { type: 'boolean' },
    profiles: { type: 'boolean' },
    images: { type: 'boolean' },
    hash: { type: 'string' },
  },
  run: async (ctx) => {
    const { values, positionals } = ctx.args;
    const format = stringValue(values.format) ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') {
      throw new UsageError(`config: unknown format "${format}"`, {
        hint: 'use --format yaml or --format json',
      });
    }
    const { project, warnings } = loadProject(await loadOptions(ctx, positionals));
    printWarnings(ctx.out, warnings);
    if (values.quiet) return EXIT.ok;

    const list = listing(project, values);
    if (list) {
      if (list.length > 0) print(ctx.out, list.join('\n'));
      return EXIT.ok;
    }
    const hash = stringValue(values.hash);
    if (hash !== undefined) {
      print(ctx.out, hashes(project, hash).join('\n'));
      return EXIT.ok;
    }
    const rendered = renderProject(selectServices(project, positionals));
    print(
      ctx.out,
      format === 'json' ? JSON.stringify(rendered, null, 2) : stringify(rendered, { lineWidth: 0 }),
    );
    return EXIT.ok;
  },
};

function listing(project: Project, values: Record<string, unknown>): string[] | undefined {
  if (values.services) return Object.keys(project.services).sort();
  if (values.volumes) return Object.keys(project.volumes).sort();
  if (values.networks) return Object.keys(project.networks).sort();
  if (values.profiles) {
    const all = [...Object.values(project.services), ...Object.values(project.disabledServices)];
    return [...new Set(all.flatMap((service) => service.profiles ?? []))].sort();
  }
  if (values.images) {
    return Object.keys(project.services)
      .sort()
      .map((name) => project.services[name]!.image ?? `${project.name}-${name}`);
  }
  return undefined;
}

function hashes(project: Project, wanted: string): string[] {
  const names = wanted === '*' ? Object.keys(project.services).sort() : wanted.split(',');
  return names.map((name) => {
    const service = project.services[name];
    if (!service) {
      throw new UsageError(`no such service: ${name}`, {
        hint: `services: ${Object.keys(project.services).sort().join(', ')}`,
      });
    }
    return `${name} ${serviceConfigHash(service)}`;
  });
}

/** `config web` shows web and what it needs, as Docker Compose does. */
function selectServices(project: Project, names: string[]): Project {
  if (names.length === 0) return project;
  const keep = new Set<string>();
  const visit = (name: string): void => {
    if (keep.has(name)) return;
    keep.add(name);
    for (const dep of Object.keys(project.services[name]?.depends_on ?? {})) visit(dep);
  };
  names.forEach(visit);
  const services = Object.fromEntries(
    Object.entries(project.services).filter(([name]) => keep.has(name)),
  );
  return { ...project, services };
}

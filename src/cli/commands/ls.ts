import { ContainerManager } from '../../engine/containers/manager.js';
import type { ContainerRecord } from '../../engine/containers/records.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { withEngine } from '../engine.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../format.js';
import { print } from '../output.js';
import { requireRoot } from '../root.js';

/** The label Docker Compose puts the project's compose files in, comma-separated. */
const CONFIG_FILES_LABEL = 'com.docker.compose.project.config_files';

export interface ProjectSummary {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

/**
 * `ls`: the projects the engine has containers of. It reads the engine alone, so it
 * works anywhere, with no compose file.
 */
export const lsCommand: Command = {
  summary: 'List running compose projects',
  usage: [
    'tscompose ls [OPTIONS]',
    '',
    '  -a, --all             also projects whose containers are all stopped',
    '  --format table|json   json: one array of {Name, Status, ConfigFiles}, as docker compose',
    '  -q, --quiet           only the project names',
  ].join('\n'),
  options: {
    all: { type: 'boolean', short: 'a' },
    format: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  run: async (ctx) => {
    const { values } = ctx.args;
    const format = stringValue(values.format) ?? 'table';
    if (format !== 'table' && format !== 'json') {
      throw new UsageError(`ls: unknown format "${format}"`, { hint: 'use table or json' });
    }
    requireRoot();
    return withEngine(ctx, async (engine) => {
      const manager = new ContainerManager(engine, {
        runtime: ctx.environment.TSCOMPOSE_RUNTIME || undefined,
        conmon: ctx.environment.TSCOMPOSE_CONMON || undefined,
      });
      const projects = summarizeProjects(manager.list(), Boolean(values.all));
      if (values.quiet) {
        if (projects.length) print(ctx.out, projects.map((p) => p.Name).join('\n'));
      } else if (format === 'json') {
        print(ctx.out, JSON.stringify(projects));
      } else {
        const rows = projects.map((p) => [p.Name, p.Status, p.ConfigFiles]);
        print(ctx.out, table(['NAME', 'STATUS', 'CONFIG FILES'], rows));
      }
      return EXIT.ok;
    });
  },
};

/**
 * One entry per project, by name. Without `all` only running (and paused) containers
 * count, as `docker compose ls` lists them, so a project with none is left out.
 */
export function summarizeProjects(containers: ContainerRecord[], all: boolean): ProjectSummary[] {
  const byProject = new Map<string, ContainerRecord[]>();
  for (const c of containers) {
    if (!all && c.state !== 'running' && c.state !== 'paused') continue;
    byProject.set(c.project, [...(byProject.get(c.project) ?? []), c]);
  }
  return [...byProject.keys()].sort().map((name) => {
    const members = byProject.get(name)!;
    const files = members.flatMap((c) => (c.labels[CONFIG_FILES_LABEL] ?? '').split(','));
    return {
      Name: name,
      Status: combinedStatus(members.map((c) => c.state)),
      ConfigFiles: [...new Set(files.filter(Boolean))].join(','),
    };
  });
}

/** "exited(1), running(2)": each state with its count, states in alphabetical order. */
export function combinedStatus(states: string[]): string {
  const counts = new Map<string, number>();
  for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .map((state) => `${state}(${counts.get(state)})`)
    .join(', ');
}

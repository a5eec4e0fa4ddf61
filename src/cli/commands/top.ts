import { cgroupPids, containerCgroupPath } from '../../engine/cgroups/index.js';
import { containersOf } from '../../stack/lifecycle.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../format.js';
import { print } from '../output.js';
import { PS_HEADER, psRow, readProcess, readPsClock, type ProcessInfo } from '../proc.js';
import { withStack } from '../stack.js';

/**
 * `top`: each running container's processes as `ps -ef` lists them, with host PIDs.
 * The processes are the ones in the container's cgroup, so an exec's are there too.
 */
export const topCommand: Command = {
  summary: 'Display the running processes',
  usage: 'tscompose top [SERVICE...]',
  options: {},
  run: (ctx) =>
    withStack(
      ctx,
      async ({ deps, project }) => {
        const containers = containersOf(deps, project, ctx.args.positionals)
          .filter((c) => c.state === 'running' || c.state === 'paused')
          .sort((a, b) => a.name.localeCompare(b.name));
        const clock = readPsClock();
        const blocks = containers.map((c) => {
          const pids = cgroupPids(deps.manager.cgroups, containerCgroupPath(c.project, c.id));
          const processes = pids
            .map((pid) => readProcess(pid))
            .filter((p): p is ProcessInfo => p !== undefined);
          return `${c.name}\n${table(
            PS_HEADER,
            processes.map((p) => psRow(p, clock)),
          )}\n`;
        });
        if (blocks.length > 0) print(ctx.out, blocks.join('\n'));
        return EXIT.ok;
      },
      { quiet: true },
    ),
};

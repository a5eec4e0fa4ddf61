import type { ContainerRecord } from '../../engine/containers/records.js';
import type { ImageConfig } from '../../engine/image/types.js';
import { commandLine } from '../../engine/runtime/spec/command.js';
import { containersOf } from '../../stack/lifecycle.js';
import { stringList, stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { humanDuration, table } from '../format.js';
import { ensureKeeper } from '../keeper.js';
import { print } from '../output.js';
import { withStack } from '../stack.js';

const STATES = ['created', 'running', 'paused', 'exited', 'restarting', 'removing', 'dead'];

export const psCommand: Command = {
  summary: 'List containers',
  usage: [
    'tscompose ps [OPTIONS] [SERVICE...]',
    '',
    '  -a, --all             also stopped containers (and one-off ones)',
    '  --status STATE        only these states (created, running, paused, exited), repeatable',
    "  --format table|json   json: one object per line, with Docker Compose's field names",
    '  -q, --quiet           only the IDs',
    '  --services            only the service names',
  ].join('\n'),
  options: {
    all: { type: 'boolean', short: 'a' },
    status: { type: 'string', multiple: true },
    format: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    services: { type: 'boolean' },
  },
  run: (ctx) =>
    withStack(ctx, async ({ deps, project, engine }) => {
      const { values, positionals } = ctx.args;
      const format = stringValue(values.format) ?? 'table';
      if (format !== 'table' && format !== 'json') {
        throw new UsageError(`ps: unknown format "${format}"`, { hint: 'use table or json' });
      }
      const statuses = stringList(values.status);
      for (const status of statuses) {
        if (!STATES.includes(status)) {
          throw new UsageError(`ps: unknown status "${status}"`, {
            hint: `use ${STATES.join(', ')}`,
          });
        }
      }
      // A stack that runs without its keeper (killed, or the host restarted it) is adopted.
      if (deps.manager.list(project.name).some((c) => c.state === 'running')) {
        await ensureKeeper(engine.paths, project.name);
      }
      const now = Date.now();
      const containers = containersOf(deps, project, positionals)
        .filter(
          (c) => values.all || statuses.length > 0 || c.state === 'running' || c.state === 'paused',
        )
        .filter((c) => values.all || !c.oneoff)
        .filter((c) => statuses.length === 0 || statuses.includes(c.state))
        .sort((a, b) => a.name.localeCompare(b.name));
      const command = (c: ContainerRecord) =>
        commandOf(c, engine.store.readJson<ImageConfig>(c.imageId));

      if (values.quiet) {
        if (containers.length) print(ctx.out, containers.map((c) => c.id).join('\n'));
      } else if (values.services) {
        const names = [...new Set(containers.map((c) => c.service ?? ''))].filter(Boolean);
        if (names.length) print(ctx.out, names.join('\n'));
      } else if (format === 'json') {
        for (const c of containers) print(ctx.out, JSON.stringify(toJson(c, command(c), now)));
      } else {
        const rows = containers.map((c) => [
          c.name,
          c.imageRef ?? c.imageId.slice(7, 19),
          quote(command(c)),
          c.service ?? '',
          `${humanDuration(now - Date.parse(c.createdAt))} ago`,
          statusOf(c, now),
          portsOf(c),
        ]);
        print(
          ctx.out,
          table(['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'], rows),
        );
      }
      return EXIT.ok;
    }),
};

/** What runs: the service's entrypoint and command over the image's, as the engine runs it. */
function commandOf(c: ContainerRecord, image: ImageConfig): string {
  try {
    return commandLine(c.spec.entrypoint, c.spec.command, image.config ?? {}).join(' ');
  } catch {
    return '';
  }
}

function quote(command: string): string {
  const short = command.length > 20 ? `${command.slice(0, 19)}…` : command;
  return `"${short}"`;
}

/** Docker's STATUS column: "Up 5 seconds (healthy)", "Exited (0) 2 minutes ago". */
export function statusOf(c: ContainerRecord, now: number): string {
  if (c.state === 'created') return 'Created';
  if (c.state === 'exited') {
    const ago = c.finishedAt ? ` ${humanDuration(now - Date.parse(c.finishedAt))} ago` : '';
    return `Exited (${c.exitCode ?? 0})${ago}`;
  }
  const up = `Up ${humanDuration(now - Date.parse(c.startedAt ?? c.createdAt))}`;
  if (c.state === 'paused') return `${up} (Paused)`;
  if (c.health === 'starting') return `${up} (health: starting)`;
  return c.health ? `${up} (${c.health})` : up;
}

/** Docker's PORTS column: `0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp`. */
export function portsOf(c: ContainerRecord): string {
  return c.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.target}/${p.protocol}`).join(', ');
}

function volumesOf(c: ContainerRecord): string[] {
  return c.spec.mounts.flatMap((m) => (m.kind === 'bind' && m.volume ? [m.volume.name] : []));
}

/** The stack networks it is on, by name; else its mode (`host`, `none`), as Docker says. */
function networksOf(c: ContainerRecord): string[] {
  const discovery = c.supervision?.discovery as { networks?: { name: string }[] } | undefined;
  const names = (discovery?.networks ?? []).map((network) => network.name);
  if (names.length > 0) return names;
  return c.spec.network.kind === 'host' || c.spec.network.kind === 'none'
    ? [c.spec.network.kind]
    : [];
}

function toJson(c: ContainerRecord, command: string, now: number) {
  return {
    Command: `"${command}"`,
    CreatedAt: c.createdAt,
    ExitCode: c.exitCode ?? 0,
    Health: c.health ?? '',
    ID: c.id,
    Image: c.imageRef ?? c.imageId,
    Labels: Object.entries(c.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    LocalVolumes: String(volumesOf(c).length),
    Mounts: c.spec.mounts
      .flatMap((m) => (m.kind === 'bind' ? [m.volume?.name ?? m.source] : []))
      .join(','),
    Name: c.name,
    Names: c.name,
    Networks: networksOf(c).join(','),
    Project: c.project,
    Publishers: c.ports.map((p) => ({
      URL: p.hostIp,
      TargetPort: p.target,
      PublishedPort: p.hostPort,
      Protocol: p.protocol,
    })),
    RunningFor: `${humanDuration(now - Date.parse(c.createdAt))} ago`,
    Service: c.service ?? '',
    State: c.state,
    Status: statusOf(c, now),
  };
}

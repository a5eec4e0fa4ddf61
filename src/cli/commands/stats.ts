import os from 'node:os';
import { cpuPercent, type CgroupStats } from '../../engine/cgroups/index.js';
import type { ContainerRecord } from '../../engine/containers/records.js';
import { NotFoundError } from '../../errors.js';
import { containersOf } from '../../stack/lifecycle.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../format.js';
import { print } from '../output.js';
import { withStack } from '../stack.js';
import { binarySize, percent } from '../units-binary.js';
import { interruption, pause } from './events.js';

export interface StatsOptions {
  /** Between the two samples a CPU % needs, and between redraws; 1 s by default. */
  intervalMs?: number;
  /** Ends streaming; SIGINT by default. */
  signal?: AbortSignal;
  now?: () => number;
  /** What a container without a memory limit may use: the host's memory, as Docker says. */
  hostMemory?: number;
}

export interface Sample {
  stats: CgroupStats;
  /** When it was taken, in milliseconds. */
  at: number;
}

/** One container's line, in numbers; the table and JSON forms are made from it. */
export interface StatsEntry {
  id: string;
  name: string;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  pids: number;
}

const INTERVAL_MS = 1000;
const HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'];
/** What a terminal redraw starts with, as docker stats does it: clear, cursor home. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/**
 * `stats`: the running containers' usage from their cgroup files. A CPU % is the CPU time
 * between two samples over the wall time between them, so even `--no-stream` waits one
 * interval before it prints.
 */
export function statsCommandWith(options: StatsOptions = {}): Command {
  return {
    summary: 'Display a live stream of container resource usage statistics',
    usage: [
      'tscompose stats [OPTIONS] [SERVICE...]',
      '',
      '  --no-stream           print one sample and exit',
      "  --format table|json   json: one object per line, with docker stats' field names",
    ].join('\n'),
    options: { 'no-stream': { type: 'boolean' }, format: { type: 'string' } },
    run: (ctx) =>
      withStack(
        ctx,
        async ({ deps, project }) => {
          const format = stringValue(ctx.args.values.format) ?? 'table';
          if (format !== 'table' && format !== 'json') {
            throw new UsageError(`stats: unknown format "${format}"`, {
              hint: 'use table or json',
            });
          }
          const noStream = Boolean(ctx.args.values['no-stream']);
          const now = options.now ?? Date.now;
          const hostMemory = options.hostMemory ?? os.totalmem();
          const running = () =>
            containersOf(deps, project, ctx.args.positionals)
              .filter((c) => c.state === 'running' || c.state === 'paused')
              .sort((a, b) => a.name.localeCompare(b.name));
          // Docker redraws in place on a terminal; into a pipe each sample is a new block.
          const redraw = !noStream && (ctx.out.stdout as { isTTY?: boolean }).isTTY === true;

          const interrupt = interruption(options.signal);
          try {
            let previous = sampleAll(deps.manager, running(), now);
            while (await pause(options.intervalMs ?? INTERVAL_MS, interrupt.signal)) {
              const containers = running();
              const next = sampleAll(deps.manager, containers, now);
              const entries = containers.flatMap((c) => {
                const sample = next.get(c.id);
                return sample ? [statsEntry(c, previous.get(c.id), sample, hostMemory)] : [];
              });
              const block =
                format === 'json' ? entries.map(statsJson).join('\n') : statsTable(entries);
              if (redraw) ctx.out.stdout.write(CLEAR_SCREEN);
              if (block) print(ctx.out, block);
              if (noStream) break;
              previous = next;
            }
          } finally {
            interrupt.release();
          }
          return EXIT.ok;
        },
        { quiet: true },
      ),
  };
}

export const statsCommand = statsCommandWith();

/**
 * A sample of each container; one that stopped since it was listed (its cgroup is gone)
 * is left out rather than shown as zeros.
 */
function sampleAll(
  manager: { stats: (id: string) => CgroupStats },
  containers: ContainerRecord[],
  now: () => number,
): Map<string, Sample> {
  const samples = new Map<string, Sample>();
  for (const container of containers) {
    try {
      samples.set(container.id, { stats: manager.stats(container.id), at: now() });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return samples;
}

/** A container seen for the first time has no earlier sample: its CPU % is 0 until the next. */
export function statsEntry(
  container: { id: string; name: string },
  previous: Sample | undefined,
  next: Sample,
  hostMemory: number,
): StatsEntry {
  const { memory, cpu, pids } = next.stats;
  return {
    id: container.id,
    name: container.name,
    cpuPercent: previous
      ? cpuPercent(
          { usageNanos: previous.stats.cpu.usageNanos, at: previous.at },
          { usageNanos: cpu.usageNanos, at: next.at },
        )
      : 0,
    memUsage: memory.usage,
    // The kernel's "no limit" is a huge number; readers give null for it.
    memLimit: memory.limit === null ? hostMemory : Math.min(memory.limit, hostMemory),
    pids: pids.current,
  };
}

export function statsTable(entries: StatsEntry[]): string {
  return table(
    HEADER,
    entries.map((e) => {
      const fields = statsFields(e);
      return [fields.ID, fields.Name, fields.CPUPerc, fields.MemUsage, fields.MemPerc, fields.PIDs];
    }),
  );
}

/** docker stats --format json's fields (less NetIO and BlockIO, which are not measured). */
export function statsJson(entry: StatsEntry): string {
  return JSON.stringify(statsFields(entry));
}

function statsFields(e: StatsEntry) {
  const id = e.id.slice(0, 12);
  return {
    Container: id,
    ID: id,
    Name: e.name,
    CPUPerc: percent(e.cpuPercent),
    MemUsage: `${binarySize(e.memUsage)} / ${binarySize(e.memLimit)}`,
    MemPerc: percent(e.memLimit > 0 ? (e.memUsage / e.memLimit) * 100 : 0),
    PIDs: String(e.pids),
  };
}

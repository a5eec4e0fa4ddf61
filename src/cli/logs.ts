import type { ContainerManager } from '../engine/containers/manager.js';
import type { ContainerRecord } from '../engine/containers/records.js';
import { followLogs, readLogs, type LogLine } from '../engine/runtime/logs.js';
import type { Output } from './output.js';

export interface LogOptions {
  signal: AbortSignal;
  follow: boolean;
  tail?: number;
  since?: Date;
  timestamps?: boolean;
  prefix?: boolean;
}

/** Docker Compose's colours for the name column, in the order services get them. */
const COLOURS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

/**
 * Container output on stdout, each line behind its container's name in a colour of its
 * own, as `docker compose logs` prints it: in time order across containers, or, with
 * `follow`, each container's lines as they arrive.
 */
export async function followContainers(
  out: Output,
  manager: ContainerManager,
  containers: ContainerRecord[],
  options: LogOptions,
): Promise<void> {
  const width = Math.max(0, ...containers.map((c) => c.name.length));
  const prefixOf = (container: ContainerRecord, index: number) => {
    if (options.prefix === false) return '';
    const name = `${container.name.padEnd(width)}  | `;
    return out.color ? `\u001b[${COLOURS[index % COLOURS.length]}m${name}\u001b[0m` : name;
  };
  const write = (prefix: string, line: LogLine) => {
    const time = options.timestamps ? `${line.time} ` : '';
    out.stdout.write(`${prefix}${time}${line.text}\n`);
  };

  if (options.follow) {
    // Each container's history, then its lines as they arrive.
    await Promise.all(
      containers.map(async (container, index) => {
        const prefix = prefixOf(container, index);
        try {
          for await (const line of followLogs(manager.pathsOf(container.id).log, {
            tail: options.tail,
            since: options.since,
            signal: options.signal,
          })) {
            write(prefix, line);
          }
        } catch (error) {
          if (!options.signal.aborted) throw error;
        }
      }),
    );
    return;
  }
  const history = await Promise.all(
    containers.map(async (container, index) => {
      const lines = await readLogs(manager.pathsOf(container.id).log, {
        tail: options.tail,
        since: options.since,
      });
      return lines.map((line) => ({ line, prefix: prefixOf(container, index) }));
    }),
  );
  const merged = history.flat().sort((a, b) => a.line.time.localeCompare(b.line.time));
  for (const { line, prefix } of merged) write(prefix, line);
}

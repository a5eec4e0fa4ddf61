import { setTimeout as delay } from 'node:timers/promises';
import { eventsAfter, lastEventId, type EngineEvent } from '../../engine/state/events.js';
import { containersOf } from '../../stack/lifecycle.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { print } from '../output.js';
import { withStack } from '../stack.js';

export interface EventsOptions {
  /** How often the event log is read; 200 ms by default. */
  pollMs?: number;
  /** Ends the command; SIGINT by default. */
  signal?: AbortSignal;
  /** Called once the starting point is taken: every event after this is printed. */
  onFollowing?: () => void;
}

const POLL_MS = 200;

/**
 * `events`: the project's event log from now on, until Ctrl+C. Every process that acts on
 * containers appends to the log in the database, so polling it sees the keeper's restarts
 * and another terminal's `down` as well as this process's own.
 */
export function eventsCommandWith(options: EventsOptions = {}): Command {
  return {
    summary: 'Receive real time events from containers',
    usage: [
      'tscompose events [OPTIONS] [SERVICE...]',
      '',
      '  --json                one JSON object per line',
    ].join('\n'),
    options: { json: { type: 'boolean' } },
    run: (ctx) =>
      withStack(
        ctx,
        async ({ deps, project, engine }) => {
          const services = ctx.args.positionals;
          // Only to refuse a service the project does not have, with the usual message.
          containersOf(deps, project, services);
          // Containers' events, as docker compose events shows (networks and volumes have
          // their own in the log, for the engine's commands).
          const wanted = (event: EngineEvent) =>
            event.type === 'container' &&
            (services.length === 0 || services.includes(String(event.data.service ?? '')));
          const format = ctx.args.values.json ? eventJson : eventLine;
          const interrupt = interruption(options.signal);
          try {
            let last = lastEventId(engine.db);
            options.onFollowing?.();
            do {
              for (const event of eventsAfter(engine.db, last, project.name)) {
                last = event.id;
                if (wanted(event)) print(ctx.out, format(event));
              }
            } while (await pause(options.pollMs ?? POLL_MS, interrupt.signal));
          } finally {
            interrupt.release();
          }
          return EXIT.ok;
        },
        { quiet: true },
      ),
  };
}

export const eventsCommand = eventsCommandWith();

/** As Docker Compose prints one: `2026-12-04 03:04:05.123000 container start <id> (name=…)`. */
export function eventLine(event: EngineEvent): string {
  const attributes = Object.entries(attributesOf(event))
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const line = `${localTimestamp(event.time)} ${event.type} ${event.action} ${event.subject}`;
  return attributes ? `${line} (${attributes})` : line;
}

export function eventJson(event: EngineEvent): string {
  return JSON.stringify({
    time: event.time,
    type: event.type,
    action: event.action,
    id: event.subject,
    service: String(event.data.service ?? ''),
    attributes: attributesOf(event),
  });
}

/** Docker's attributes are strings; the log keeps numbers (exit codes) as numbers. */
function attributesOf(event: EngineEvent): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.data)) {
    if (value !== null && value !== undefined) attributes[key] = String(value);
  }
  return attributes;
}

/** Go's `2006-01-02 15:04:05.000000` in local time; the log keeps milliseconds. */
export function localTimestamp(iso: string): string {
  const time = new Date(iso);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}`;
  const clock = `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
  return `${date} ${clock}.${pad(time.getMilliseconds(), 3)}000`;
}

/** Waits `ms`; false, at once, when the signal is aborted. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

/** The given signal, or one that SIGINT aborts; `release` removes the SIGINT handler. */
export function interruption(given?: AbortSignal): { signal: AbortSignal; release: () => void } {
  if (given) return { signal: given, release: () => undefined };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  return { signal: controller.signal, release: () => process.off('SIGINT', stop) };
}

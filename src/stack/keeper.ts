import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRecord } from '../engine/containers/records.js';
import type { ImageConfig } from '../engine/image/types.js';
import { lastEventId } from '../engine/state/events.js';
import type { StackDeps } from './events.js';
import { StackDiscovery } from './discovery.js';
import { StackPorts } from './ports.js';
import { healthPlan, monitorHealth } from './health.js';
import { readSupervision, RESET_AFTER_MS, restartDelay, shouldRestart } from './restart.js';

export interface KeeperOptions {
  signal: AbortSignal;
  /** How often to look for containers started by someone else (`up`, `start`). */
  scanMs?: number;
  /**
   * Leave when the project has no containers left (the detached keeper does): once it has
   * seen some, or after `idleMs` (10 s) of seeing none, since `up` starts it early.
   */
  exitWhenEmpty?: boolean;
  idleMs?: number;
  log?: (line: string) => void;
}

interface Watch {
  controller: AbortController;
  startedAt: number;
}

/**
 * The project's supervisor: healthchecks for running containers, restart policies when
 * one exits. It holds no state a crash would lose: everything is in the database and in
 * conmon's exit files, so a new keeper adopts the stack where the last one left it.
 */
export class Keeper {
  private readonly watches = new Map<string, Watch>();
  private readonly attempts = new Map<string, number>();
  private readonly restarting = new Set<string>();
  private seenEvent = -1;
  private wake?: () => void;
  private readonly reloads: (() => void)[] = [];

  constructor(
    private readonly deps: StackDeps,
    readonly project: string,
  ) {}

  /** Runs until the signal aborts (or, with `exitWhenEmpty`, the project is gone). */
  async run(options: KeeperOptions): Promise<void> {
    const { signal } = options;
    const log = options.log ?? (() => undefined);
    const scanMs = options.scanMs ?? 500;
    const idleUntil = Date.now() + (options.idleMs ?? 10_000);
    let seen = false;
    const discovery = new StackDiscovery(this.deps.engine, this.deps.manager, this.project, log);
    const ports = new StackPorts(this.deps.manager, log);
    log(`keeper for ${this.project} started (pid ${process.pid})`);
    try {
      while (!signal.aborted) {
        const { containers, changed } = this.scan(log);
        if (changed) {
          // A failure here is logged and tried again on the next change, never fatal: the
          // keeper's other duties (health, restarts) must go on.
          await discovery.sync(containers).catch((error) => log(`names: ${String(error)}`));
          await ports.sync(containers).catch((error) => log(`ports: ${String(error)}`));
        }
        for (const done of this.reloads.splice(0)) done();
        seen ||= containers.length > 0;
        const empty = containers.length === 0 && (seen || Date.now() > idleUntil);
        if (options.exitWhenEmpty && empty) {
          log(`no containers left in ${this.project}: leaving`);
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, scanMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
          signal.addEventListener('abort', this.wake, { once: true });
        });
      }
    } finally {
      for (const watch of this.watches.values()) watch.controller.abort();
      this.watches.clear();
      await discovery.close();
      await ports.close();
      for (const done of this.reloads.splice(0)) done();
      log(`keeper for ${this.project} stopped`);
    }
  }

  /**
   * Look again now: the CLI says so after it started or recreated containers, and hears
   * back once their healthchecks, names and restart policies are in hand.
   */
  reload(): Promise<void> {
    this.seenEvent = -1;
    const done = new Promise<void>((resolve) => this.reloads.push(resolve));
    this.wake?.();
    return done;
  }

  /** Starts watching every running container it does not watch yet. */
  private scan(log: (line: string) => void): { containers: ContainerRecord[]; changed: boolean } {
    const { manager, engine } = this.deps;
    const latest = lastEventId(engine.db);
    const containers = manager.list(this.project);
    if (latest === this.seenEvent) return { containers, changed: false };
    this.seenEvent = latest;
    for (const container of containers) {
      if (this.watches.has(container.id) || this.restarting.has(container.id)) continue;
      if (container.state === 'running') this.watch(container, log);
      // One that exited before anyone watched it (or while no keeper ran) is due too.
      else if (shouldRestart(readSupervision(container).restart, container)) {
        void this.exited(container.id, log);
      }
    }
    return { containers, changed: true };
  }

  private watch(container: ContainerRecord, log: (line: string) => void): void {
    const controller = new AbortController();
    this.watches.set(container.id, { controller, startedAt: Date.now() });
    const supervision = readSupervision(container);
    const image = this.deps.engine.store.readJson<ImageConfig>(container.imageId);
    const plan = healthPlan(supervision.healthcheck, image.config?.Healthcheck);
    if (plan) {
      monitorHealth(this.deps.manager, container.id, plan, controller.signal).catch((error) =>
        log(`healthcheck of ${container.name} failed: ${String(error)}`),
      );
    }
    this.deps.manager
      .wait(container.id, controller.signal)
      .then(() => this.exited(container.id, log))
      .catch((error) => {
        if (!controller.signal.aborted) log(`watching ${container.name} failed: ${String(error)}`);
      });
  }

  private async exited(id: string, log: (line: string) => void): Promise<void> {
    const watch = this.watches.get(id);
    watch?.controller.abort();
    this.watches.delete(id);
    const { manager } = this.deps;
    let record = manager.records.find(id);
    if (!record) return;
    record = manager.refresh(id);
    const policy = readSupervision(record).restart;
    log(`${record.name} exited with ${record.exitCode}${record.oomKilled ? ' (OOM)' : ''}`);
    if (!shouldRestart(policy, record)) return;

    const ranFor = watch ? Date.now() - watch.startedAt : 0;
    const attempt = ranFor >= RESET_AFTER_MS ? 0 : (this.attempts.get(id) ?? 0);
    this.attempts.set(id, attempt + 1);
    // Until it runs again, a scan must not take the same exit for a second one.
    this.restarting.add(id);
    try {
      await sleep(restartDelay(attempt));
      const now = manager.records.find(id);
      // The user may have stopped, removed or started it meanwhile: theirs is the last word.
      if (!now || now.stoppedByUser || now.state !== 'exited') return;
      manager.records.update(id, { restartCount: now.restartCount + 1 });
      const started = await manager.start(id);
      log(`${started.name} restarted (${policy.kind}, restart ${now.restartCount + 1})`);
      this.watch(started, log);
    } catch (error) {
      log(`restarting ${record.name} failed: ${String(error)}`);
      this.seenEvent = -1;
    } finally {
      this.restarting.delete(id);
    }
  }
}

import { RuntimeError } from '../errors.js';
import type { ContainerManager } from '../engine/containers/manager.js';
import type { ContainerRecord, Health } from '../engine/containers/records.js';

type Monitor = (signal: AbortSignal, onChange: (health: Health) => void) => Promise<void>;

/**
 * The healthchecks of one `up`, and whoever waits on them: a dependent waits for an
 * event, not a polling loop, and learns at once when its dependency turns unhealthy.
 */
export class HealthBoard {
  private readonly controller = new AbortController();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly watched = new Set<string>();
  private readonly running: Promise<void>[] = [];

  constructor(private readonly manager: ContainerManager) {}

  watch(container: ContainerRecord, monitor: Monitor): void {
    this.watched.add(container.id);
    const done = monitor(this.controller.signal, () => this.notify(container.id)).finally(() =>
      this.notify(container.id),
    );
    this.running.push(done.catch(() => undefined));
  }

  /** Whether the container has a healthcheck running. */
  watches(id: string): boolean {
    return this.watched.has(id);
  }

  /** Resolves once the container is healthy; rejects if it turns unhealthy or stops. */
  async waitHealthy(container: ContainerRecord, service: string): Promise<void> {
    if (!this.watched.has(container.id)) {
      throw new RuntimeError(
        `dependency ${service} has no healthcheck, so it can never be healthy`,
        {
          path: `services.${service}.healthcheck`,
          hint: `give ${service} a healthcheck, or depend on it with condition: service_started`,
        },
      );
    }
    for (;;) {
      const record = this.manager.refresh(container.id);
      if (record.health === 'healthy') return;
      if (record.health === 'unhealthy') {
        throw new RuntimeError(
          `dependency failed to start: container ${record.name} is unhealthy`,
          {
            hint: `tscompose logs ${service} and its healthcheck may tell why`,
          },
        );
      }
      if (record.state !== 'running') {
        throw new RuntimeError(
          `dependency failed to start: container ${record.name} exited (${record.exitCode ?? '?'})`,
          { hint: `tscompose logs ${service} shows why` },
        );
      }
      if (this.controller.signal.aborted) throw new RuntimeError('the healthchecks were stopped');
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(container.id) ?? new Set();
        set.add(resolve);
        this.waiters.set(container.id, set);
      });
    }
  }

  /** Stops every healthcheck; waits for the probes under way to end. */
  async stop(): Promise<void> {
    this.controller.abort();
    for (const id of this.waiters.keys()) this.notify(id);
    await Promise.all(this.running);
  }

  private notify(id: string): void {
    const set = this.waiters.get(id);
    this.waiters.delete(id);
    for (const resolve of set ?? []) resolve();
  }
}

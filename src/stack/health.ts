import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerManager } from '../engine/containers/manager.js';
import type { Health } from '../engine/containers/records.js';
import type { ImageRunConfig } from '../engine/image/types.js';
import type { Healthcheck } from '../planner/model.js';

/** A healthcheck with every default filled in: durations in milliseconds. */
export interface HealthPlan {
  args: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

const DEFAULTS = {
  interval: 30_000,
  timeout: 30_000,
  startPeriod: 0,
  startInterval: 5_000,
  retries: 3,
};

/**
 * The service's healthcheck over the image's (Docker merges them field by field), or
 * undefined when there is none or it is disabled (`disable: true`, `test: [NONE]`).
 */
export function healthPlan(
  service: Healthcheck | undefined,
  image: ImageRunConfig['Healthcheck'] | undefined,
): HealthPlan | undefined {
  if (service?.disable) return undefined;
  const test = service?.test ?? image?.Test;
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  const nanos = (value: number | undefined) => (value ? value / 1e6 : undefined);
  const args =
    test[0] === 'CMD-SHELL'
      ? ['/bin/sh', '-c', test.slice(1).join(' ')]
      : test[0] === 'CMD'
        ? test.slice(1)
        : ['/bin/sh', '-c', test.join(' ')];
  return {
    args,
    interval: service?.interval ?? nanos(image?.Interval) ?? DEFAULTS.interval,
    timeout: service?.timeout ?? nanos(image?.Timeout) ?? DEFAULTS.timeout,
    startPeriod: service?.start_period ?? nanos(image?.StartPeriod) ?? DEFAULTS.startPeriod,
    startInterval: service?.start_interval ?? DEFAULTS.startInterval,
    retries: service?.retries ?? image?.Retries ?? DEFAULTS.retries,
  };
}

/**
 * Docker's state machine: `starting` until the first success; failures during the start
 * period do not count; `retries` failures in a row make it `unhealthy`, one success
 * `healthy` again. Probes run every `interval` (every `start_interval` while starting).
 */
export class HealthState {
  health: Health = 'starting';
  private failures = 0;

  constructor(
    private readonly plan: HealthPlan,
    private readonly startedAt: number,
    initial: Health = 'starting',
  ) {
    this.health = initial;
  }

  record(ok: boolean, at: number): Health {
    if (ok) {
      this.failures = 0;
      this.health = 'healthy';
      return this.health;
    }
    const inStartPeriod = at - this.startedAt < this.plan.startPeriod;
    if (inStartPeriod && this.health === 'starting') return this.health;
    this.failures += 1;
    if (this.failures >= this.plan.retries) this.health = 'unhealthy';
    return this.health;
  }

  /** How long until the next probe. */
  nextDelay(at: number): number {
    const starting = this.health === 'starting' && at - this.startedAt < this.plan.startPeriod;
    return starting ? Math.min(this.plan.startInterval, this.plan.interval) : this.plan.interval;
  }
}

/**
 * Probes one container until `signal` aborts or the container stops, writing each change
 * of health to its record (and so to the event log).
 */
export async function monitorHealth(
  manager: ContainerManager,
  id: string,
  plan: HealthPlan,
  signal: AbortSignal,
  onChange: (health: Health) => void = () => undefined,
): Promise<void> {
  // A keeper that takes over (from `up`, or after a crash) goes on from the last verdict.
  const record = manager.refresh(id);
  const startedAt = record.startedAt ? Date.parse(record.startedAt) : Date.now();
  const state = new HealthState(plan, startedAt, record.health ?? 'starting');
  manager.setHealth(id, state.health);
  onChange(state.health);
  let delay = Math.min(plan.startInterval, plan.interval);
  while (!signal.aborted) {
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      return;
    }
    if (manager.refresh(id).state !== 'running') return;
    let ok = false;
    try {
      const result = await manager.exec(id, plan.args, { timeoutMs: plan.timeout, signal });
      ok = result.exitCode === 0 && !result.timedOut;
    } catch {
      if (signal.aborted || manager.refresh(id).state !== 'running') return;
    }
    const now = Date.now();
    const health = state.record(ok, now);
    manager.setHealth(id, health);
    onChange(health);
    delay = state.nextDelay(now);
  }
}

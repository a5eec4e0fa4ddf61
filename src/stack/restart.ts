import type { ContainerRecord } from '../engine/containers/records.js';
import type { Healthcheck, Service } from '../planner/model.js';

export type RestartPolicy =
  | { kind: 'no' }
  | { kind: 'always' }
  | { kind: 'unless-stopped' }
  | { kind: 'on-failure'; maxRetries?: number };

/** What the keeper needs to supervise a container, stored with it at creation. */
export interface Supervision {
  restart: RestartPolicy;
  healthcheck?: Healthcheck;
}

/** `restart:`, else `deploy.restart_policy` (any → always, on-failure, none → no). */
export function restartPolicy(service: Service): RestartPolicy {
  const text = service.restart;
  if (text !== undefined) {
    if (text === 'always' || text === 'unless-stopped') return { kind: text };
    const failure = /^on-failure(?::(\d+))?$/.exec(text);
    if (failure) {
      return failure[1] === undefined
        ? { kind: 'on-failure' }
        : { kind: 'on-failure', maxRetries: Number(failure[1]) };
    }
    return { kind: 'no' };
  }
  const policy = service.deploy?.restart_policy;
  if (policy?.condition === 'any') return { kind: 'always' };
  if (policy?.condition === 'on-failure') {
    return policy.max_attempts === undefined
      ? { kind: 'on-failure' }
      : { kind: 'on-failure', maxRetries: policy.max_attempts };
  }
  return { kind: 'no' };
}

export function supervisionOf(service: Service): Supervision {
  return { restart: restartPolicy(service), healthcheck: service.healthcheck };
}

export function readSupervision(record: ContainerRecord): Supervision {
  const stored = record.supervision as Partial<Supervision> | null;
  return { restart: stored?.restart ?? { kind: 'no' }, healthcheck: stored?.healthcheck };
}

/**
 * Docker's rule: a container the user stopped stays stopped; `always` and
 * `unless-stopped` restart on any exit, `on-failure` on a non-zero one, up to its count.
 */
export function shouldRestart(policy: RestartPolicy, record: ContainerRecord): boolean {
  if (record.stoppedByUser || record.state !== 'exited') return false;
  if (policy.kind === 'always' || policy.kind === 'unless-stopped') return true;
  if (policy.kind !== 'on-failure' || record.exitCode === 0) return false;
  return policy.maxRetries === undefined || record.restartCount < policy.maxRetries;
}

/** Backoff as Docker's: 100 ms doubling per restart up to a minute; a run of 10 s resets it. */
export function restartDelay(attempt: number): number {
  return Math.min(60_000, 100 * 2 ** Math.max(0, attempt));
}

export const RESET_AFTER_MS = 10_000;

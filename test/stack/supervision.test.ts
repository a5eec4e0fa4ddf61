// Pure logic of supervision: healthcheck plans and state, restart policies and backoff.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerRecord } from '../../src/engine/containers/records.js';
import type { Service } from '../../src/planner/model.js';
import { healthPlan, HealthState } from '../../src/stack/health.js';
import { withRestartDependents } from '../../src/stack/lifecycle.js';
import { restartDelay, restartPolicy, shouldRestart } from '../../src/stack/restart.js';
import type { ServiceGraph } from '../../src/planner/graph.js';

const service = (extra: Partial<Service>): Service => ({ name: 's', environment: {}, ...extra });
const record = (extra: Partial<ContainerRecord>): ContainerRecord =>
  ({
    state: 'exited',
    exitCode: 1,
    restartCount: 0,
    stoppedByUser: false,
    ...extra,
  }) as ContainerRecord;

test('healthcheck: CMD, CMD-SHELL and NONE; the service over the image, field by field', () => {
  assert.equal(healthPlan({ test: ['CMD', 'true'] }, undefined)?.args, ['true']);
  assert.equal(healthPlan({ test: ['CMD-SHELL', 'test -f /x'] }, undefined)?.args, [
    '/bin/sh',
    '-c',
    'test -f /x',
  ]);
  assert.is(healthPlan({ test: ['NONE'] }, { Test: ['CMD', 'true'] }), undefined);
  assert.is(healthPlan({ disable: true }, { Test: ['CMD', 'true'] }), undefined);
  assert.is(healthPlan(undefined, undefined), undefined);
  const merged = healthPlan({ interval: 2000 }, { Test: ['CMD', 'ok'], Timeout: 3e9, Retries: 7 })!;
  assert.equal(merged.args, ['ok']);
  assert.is(merged.interval, 2000);
  assert.is(merged.timeout, 3000, 'the image gives nanoseconds');
  assert.is(merged.retries, 7);
  assert.is(merged.startPeriod, 0);
});

test('health: starting until a success; failures in the start period do not count', () => {
  const plan = healthPlan(
    { test: ['CMD', 'x'], retries: 2, start_period: 1000, interval: 500, start_interval: 100 },
    undefined,
  )!;
  const state = new HealthState(plan, 0);
  assert.is(state.record(false, 100), 'starting');
  assert.is(state.record(false, 900), 'starting');
  assert.is(state.nextDelay(900), 100, 'start_interval while starting');
  assert.is(state.record(false, 1100), 'starting', 'one failure after the period');
  assert.is(state.record(false, 1600), 'unhealthy', 'retries reached');
  assert.is(state.record(true, 2100), 'healthy');
  assert.is(state.nextDelay(2100), 500);
  assert.is(state.record(false, 2600), 'healthy', 'one failure is not enough');
  assert.is(state.record(false, 3100), 'unhealthy');
});

test('restart policies from restart: and deploy.restart_policy', () => {
  assert.equal(restartPolicy(service({})), { kind: 'no' });
  assert.equal(restartPolicy(service({ restart: 'always' })), { kind: 'always' });
  assert.equal(restartPolicy(service({ restart: 'on-failure:3' })), {
    kind: 'on-failure',
    maxRetries: 3,
  });
  assert.equal(restartPolicy(service({ deploy: { restart_policy: { condition: 'any' } } })), {
    kind: 'always',
  });
  assert.equal(
    restartPolicy(
      service({ deploy: { restart_policy: { condition: 'on-failure', max_attempts: 2 } } }),
    ),
    { kind: 'on-failure', maxRetries: 2 },
  );
});

test('shouldRestart: never after a stop by the user; on-failure counts', () => {
  assert.ok(shouldRestart({ kind: 'always' }, record({ exitCode: 0 })));
  assert.not.ok(shouldRestart({ kind: 'always' }, record({ stoppedByUser: true })));
  assert.not.ok(shouldRestart({ kind: 'always' }, record({ state: 'running' })));
  assert.not.ok(shouldRestart({ kind: 'no' }, record({})));
  assert.not.ok(shouldRestart({ kind: 'on-failure' }, record({ exitCode: 0 })));
  assert.ok(shouldRestart({ kind: 'on-failure', maxRetries: 2 }, record({ restartCount: 1 })));
  assert.not.ok(shouldRestart({ kind: 'on-failure', maxRetries: 2 }, record({ restartCount: 2 })));
});

test('backoff doubles from 100 ms to a minute', () => {
  assert.equal([0, 1, 2, 3].map(restartDelay), [100, 200, 400, 800]);
  assert.is(restartDelay(20), 60_000);
});

test('restart NAMES takes along what depends on them with restart: true, transitively', () => {
  const graph: ServiceGraph = {
    nodes: ['api', 'db', 'web', 'worker'],
    edges: [
      { from: 'api', to: 'db', kind: 'service_started', required: true, restart: true },
      { from: 'web', to: 'api', kind: 'service_started', required: true, restart: true },
      { from: 'worker', to: 'db', kind: 'service_started', required: true, restart: false },
    ],
    levels: [['db'], ['api', 'worker'], ['web']],
  };
  assert.equal(withRestartDependents(graph, ['db']), ['db', 'api', 'web']);
  assert.equal(withRestartDependents(graph, ['api']), ['api', 'web']);
  assert.equal(withRestartDependents(graph, []), [], 'all services: nothing to add');
});

test.run();

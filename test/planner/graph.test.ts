import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/planner/../errors.js';
import { buildGraph, stopOrder } from '../../src/planner/graph.js';
import type { Dependency, Service } from '../../src/planner/model.js';

const started: Dependency = { condition: 'service_started', required: true, restart: false };

function service(name: string, extra: Partial<Service> = {}): Service {
  return { name, environment: {}, ...extra };
}

function stack(deps: Record<string, string[]>, extra: Record<string, Partial<Service>> = {}) {
  const services: Record<string, Service> = {};
  for (const [name, needs] of Object.entries(deps)) {
    const depends_on = Object.fromEntries(needs.map((dep) => [dep, started]));
    services[name] = service(name, { ...(needs.length ? { depends_on } : {}), ...extra[name] });
  }
  return services;
}

test('levels put every dependency below its dependents', () => {
  const graph = buildGraph(
    stack({ web: ['api', 'cache'], api: ['db'], cache: ['db'], db: [], docs: [] }),
  );
  assert.equal(graph.levels, [['db', 'docs'], ['api', 'cache'], ['web']]);
  assert.equal(stopOrder(graph), [['web'], ['api', 'cache'], ['db', 'docs']]);
});

test('edges come from depends_on, network_mode, volumes_from, links, ipc and pid', () => {
  const services = stack(
    { app: [], db: [], vpn: [], data: [], cache: [], shm: [], tools: [] },
    {
      app: {
        depends_on: { db: { condition: 'service_healthy', required: false, restart: true } },
        network_mode: 'service:vpn',
        volumes_from: ['data:ro', 'container:other'],
        links: ['cache:redis'],
        ipc: 'service:shm',
        pid: 'service:tools',
      },
    },
  );
  const graph = buildGraph(services);
  assert.equal(
    graph.edges.map((e) => `${e.from}->${e.to}:${e.kind}:${e.required}:${e.restart}`),
    [
      'app->cache:links:true:false',
      'app->data:volumes_from:true:false',
      'app->db:service_healthy:false:true',
      'app->shm:ipc:true:false',
      'app->tools:pid:true:false',
      'app->vpn:network_mode:true:false',
    ],
  );
});

test('one edge per pair: depends_on names the condition over an implied edge', () => {
  const services = stack({ app: ['vpn'], vpn: [] }, { app: { network_mode: 'service:vpn' } });
  const graph = buildGraph(services);
  assert.is(graph.edges.length, 1);
  assert.is(graph.edges[0]!.kind, 'service_started');
});

const cycles: [Record<string, string[]>, string][] = [
  [{ a: ['b'], b: ['c'], c: ['a'] }, 'dependency cycle: a → b → c → a'],
  [{ z: ['y'], y: ['z'], a: [] }, 'dependency cycle: y → z → y'],
  [{ self: ['self'] }, 'dependency cycle: self → self'],
];
for (const [deps, message] of cycles) {
  test(`refuses ${message}`, () => {
    try {
      buildGraph(stack(deps));
      assert.unreachable('a cycle was accepted');
    } catch (error) {
      assert.instance(error, InvalidError);
      assert.is((error as InvalidError).message, message);
      assert.ok((error as InvalidError).path?.startsWith('services.'));
    }
  });
}

test('a long chain does not overflow and stays linear in levels', () => {
  const deps: Record<string, string[]> = {};
  for (let i = 0; i < 2000; i += 1)
    deps[`s${String(i).padStart(4, '0')}`] = i ? [`s${String(i - 1).padStart(4, '0')}`] : [];
  const graph = buildGraph(stack(deps));
  assert.is(graph.levels.length, 2000);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, InvalidError } from '../../src/errors.js';
import { normalizeProject } from '../../src/planner/normalize/project.js';

function normalize(service: Record<string, unknown>) {
  const { project, warnings } = normalizeProject(
    { services: { web: service } },
    {
      projectName: 'demo',
      workingDir: '/srv/demo',
      environment: { HOME: '/home/dev', SET: 'from-shell' },
      loadEnvFile: () => undefined,
      homeDir: '/home/dev',
    },
  );
  return Object.assign(project.services.web!, { warnings });
}

function errorOf(run: () => unknown): string {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, InvalidError);
  return formatError(caught as InvalidError);
}

test('healthcheck: a string test runs in the shell, durations in milliseconds', () => {
  assert.equal(
    normalize({
      healthcheck: {
        test: 'curl -f localhost',
        interval: '1m30s',
        timeout: '10s',
        start_period: '500ms',
        retries: 3,
      },
    }).healthcheck,
    {
      test: ['CMD-SHELL', 'curl -f localhost'],
      interval: 90_000,
      timeout: 10_000,
      start_period: 500,
      retries: 3,
    },
  );
  assert.equal(normalize({ healthcheck: { test: ['CMD', 'true'] } }).healthcheck, {
    test: ['CMD', 'true'],
  });
  assert.equal(normalize({ healthcheck: { disable: true } }).healthcheck, {
    test: ['NONE'],
    disable: true,
  });
});

test('a bad healthcheck duration names the field', () => {
  assert.is(
    errorOf(() => normalize({ healthcheck: { interval: 'soon' } })),
    'services.web.healthcheck.interval: invalid duration "soon"\n' +
      '  hint: write a number with a unit, such as 500ms, 10s, 1m30s or 1h',
  );
});

test('limits: sizes in bytes, cpus as a number, ulimits as soft and hard', () => {
  const service = normalize({
    cpus: '1.5',
    mem_limit: '512m',
    mem_reservation: '1g',
    memswap_limit: -1,
    shm_size: '1024k',
    pids_limit: 100,
    stop_grace_period: '1m',
    ulimits: { nofile: 1024, nproc: { soft: 10, hard: 20 } },
  });
  assert.is(service.cpus, 1.5);
  assert.is(service.mem_limit, 536_870_912);
  assert.is(service.mem_reservation, 1_073_741_824);
  assert.is(service.memswap_limit, -1);
  assert.is(service.shm_size, 1_048_576);
  assert.is(service.pids_limit, 100);
  assert.is(service.stop_grace_period, 60_000);
  assert.equal(service.ulimits, {
    nofile: { soft: 1024, hard: 1024 },
    nproc: { soft: 10, hard: 20 },
  });
});

test('a soft ulimit above the hard one is refused', () => {
  assert.is(
    errorOf(() => normalize({ ulimits: { nofile: { soft: 20, hard: 10 } } })),
    'services.web.ulimits.nofile: soft limit 20 is above hard limit 10\n' +
      '  hint: the soft limit must be at most the hard limit',
  );
});

test('deploy: resources, policies and labels in long form', () => {
  assert.equal(
    normalize({
      deploy: {
        labels: ['a=b'],
        resources: {
          limits: { cpus: '0.5', memory: '50M', pids: 10 },
          reservations: { memory: 1024 },
        },
        restart_policy: { condition: 'on-failure', delay: '5s', window: '2m' },
        update_config: { delay: '10s', monitor: '1m' },
      },
    }).deploy,
    {
      labels: { a: 'b' },
      resources: {
        limits: { cpus: 0.5, memory: 52_428_800, pids: 10 },
        reservations: { memory: 1024 },
      },
      restart_policy: { condition: 'on-failure', delay: 5_000, window: 120_000 },
      update_config: { delay: 10_000, monitor: 60_000 },
    },
  );
});

test('short forms of expose, dns, secrets, configs, devices, extra_hosts, sysctls', () => {
  const service = normalize({
    expose: [3000, '8000-8001/udp'],
    dns: '8.8.8.8',
    secrets: ['token', { source: 'cert', target: '/certs/c.pem', uid: 103, mode: 0o440 }],
    configs: ['app'],
    devices: ['/dev/ttyUSB0', '/dev/sda:/dev/xvda:r'],
    extra_hosts: ['db:10.0.0.2', 'db=10.0.0.3', 'v6=::1', 'many:[::2],10.0.0.4'],
    sysctls: ['net.core.somaxconn=1024'],
    pull_policy: 'if_not_present',
  });
  assert.equal(service.expose, ['3000', '8000-8001/udp']);
  assert.equal(service.dns, ['8.8.8.8']);
  assert.equal(service.secrets, [
    { source: 'token' },
    { source: 'cert', target: '/certs/c.pem', uid: '103', mode: 288 },
  ]);
  assert.equal(service.configs, [{ source: 'app' }]);
  assert.equal(service.devices, [
    { source: '/dev/ttyUSB0', target: '/dev/ttyUSB0', permissions: 'rwm' },
    { source: '/dev/sda', target: '/dev/xvda', permissions: 'r' },
  ]);
  assert.equal(service.extra_hosts, {
    db: ['10.0.0.2', '10.0.0.3'],
    v6: ['::1'],
    many: ['::2', '10.0.0.4'],
  });
  assert.equal(service.sysctls, { 'net.core.somaxconn': '1024' });
  assert.is(service.pull_policy, 'missing');
  assert.equal(normalize({ extra_hosts: { db: '10.0.0.2' } }).extra_hosts, { db: ['10.0.0.2'] });
});

test('an extra host without an address, or with a bad name, is refused', () => {
  assert.is(
    errorOf(() => normalize({ extra_hosts: ['db'] })),
    'services.web.extra_hosts[0]: invalid extra host "db": no IP address\n  hint: write HOST=IP or HOST:IP',
  );
  assert.is(
    errorOf(() => normalize({ extra_hosts: { 'a:b': '10.0.0.1' } })),
    'services.web.extra_hosts["a:b"]: invalid extra host name "a:b"\n  hint: write HOST=IP or HOST:IP',
  );
});

test('develop.watch paths are absolute, one rule per path', () => {
  assert.equal(
    normalize({
      develop: {
        watch: [
          { path: ['./src', './lib'], action: 'sync', target: '/app', ignore: 'node_modules' },
          { path: 'package.json', action: 'rebuild' },
          { path: './conf', action: 'sync+exec', exec: { command: 'kill -HUP 1' } },
        ],
      },
    }).develop,
    {
      watch: [
        { path: '/srv/demo/src', action: 'sync', target: '/app', ignore: ['node_modules'] },
        { path: '/srv/demo/lib', action: 'sync', target: '/app', ignore: ['node_modules'] },
        { path: '/srv/demo/package.json', action: 'rebuild' },
        { path: '/srv/demo/conf', action: 'sync+exec', exec: { command: ['kill', '-HUP', '1'] } },
      ],
    },
  );
});

test('x-* keys of a service become its extensions; other keys are kept as written', () => {
  const service = normalize({ image: 'nginx', 'x-team': { owner: 'me' }, runtime: 'runc' });
  assert.equal(service.extensions, { 'x-team': { owner: 'me' } });
  assert.is(service['x-team'], undefined);
  assert.is(service.runtime, 'runc');
  assert.is(service.name, 'web');
});

test('a null field is an unset one', () => {
  const service = normalize({ image: 'nginx', command: null, ports: null });
  assert.is('command' in service, false);
  assert.is('ports' in service, false);
});

test.run();

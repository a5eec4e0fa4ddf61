import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import type { Project } from '../../src/planner/model.js';
import { normalizeProject } from '../../src/planner/normalize/project.js';
import { renderProject } from '../../src/planner/render.js';

function configOf(yaml: string): Record<string, unknown> {
  const { project } = normalizeProject(YAML.parse(yaml), {
    projectName: 'shop',
    workingDir: '/srv/shop',
    environment: { API_KEY: 'k' },
    loadEnvFile: () => undefined,
    homeDir: '/home/dev',
  });
  return renderProject({ ...project, files: [], profiles: [], disabledServices: {} });
}

test('short forms come out as `docker compose config` prints them', () => {
  const config = configOf(`
services:
  web:
    image: nginx
    ports: ["127.0.0.1:8080:80", "9000"]
    volumes: ["./html:/usr/share/nginx/html:ro", "cache:/cache"]
    environment: [API_KEY, MODE=prod]
    depends_on: [api]
    healthcheck:
      test: curl -f localhost
      interval: 1m30s
      timeout: 500ms
    mem_limit: 512m
    shm_size: 64m
    stop_grace_period: 10s
    ulimits: {nofile: 1024, nproc: {soft: 10, hard: 20}}
    extra_hosts: ["zeta:10.0.0.9", "alpha=10.0.0.1"]
    secrets: [{source: token, mode: 0o440}]
    x-team: web
  api:
    build: ./api
    command: node server.js
    depends_on: {db: {condition: service_healthy, restart: true}}
    networks: [back]
    deploy: {resources: {limits: {cpus: '0.5', memory: 1g}}, restart_policy: {delay: 5s}}
networks:
  back: {}
volumes:
  cache: {}
secrets:
  token: {file: ./token.txt}
x-shared: {a: 1}
`);
  assert.equal(config, {
    name: 'shop',
    services: {
      api: {
        build: { context: '/srv/shop/api', dockerfile: 'Dockerfile' },
        command: ['node', 'server.js'],
        depends_on: { db: { condition: 'service_healthy', required: true, restart: true } },
        deploy: {
          resources: { limits: { cpus: 0.5, memory: '1073741824' } },
          restart_policy: { delay: '5s' },
        },
        networks: { back: null },
      },
      web: {
        depends_on: { api: { condition: 'service_started', required: true } },
        environment: { API_KEY: 'k', MODE: 'prod' },
        extra_hosts: ['alpha=10.0.0.1', 'zeta=10.0.0.9'],
        healthcheck: {
          interval: '1m30s',
          test: ['CMD-SHELL', 'curl -f localhost'],
          timeout: '500ms',
        },
        image: 'nginx',
        mem_limit: '536870912',
        networks: { default: null },
        ports: [
          { host_ip: '127.0.0.1', mode: 'ingress', protocol: 'tcp', published: '8080', target: 80 },
          { mode: 'ingress', protocol: 'tcp', target: 9000 },
        ],
        secrets: [{ mode: '0440', source: 'token' }],
        shm_size: '67108864',
        stop_grace_period: '10s',
        ulimits: { nofile: 1024, nproc: { hard: 20, soft: 10 } },
        volumes: [
          {
            bind: { create_host_path: true },
            read_only: true,
            source: '/srv/shop/html',
            target: '/usr/share/nginx/html',
            type: 'bind',
          },
          { source: 'cache', target: '/cache', type: 'volume', volume: {} },
        ],
        'x-team': 'web',
      },
    },
    networks: { back: { name: 'shop_back' }, default: { name: 'shop_default' } },
    volumes: { cache: { name: 'shop_cache' } },
    secrets: { token: { file: '/srv/shop/token.txt', name: 'shop_token' } },
    'x-shared': { a: 1 },
  });
});

test('keys are sorted at every level, with the top-level sections in compose order', () => {
  const config = configOf(`
x-b: 1
secrets: {s: {file: ./s}}
volumes: {v: {}}
services:
  zed: {image: z, environment: {Z: 1, A: 2}}
  alpha: {image: a}
`);
  assert.equal(Object.keys(config), ['name', 'services', 'networks', 'volumes', 'secrets', 'x-b']);
  assert.equal(Object.keys(config.services as object), ['alpha', 'zed']);
  const zed = (config.services as Record<string, Record<string, unknown>>).zed!;
  assert.equal(Object.keys(zed), ['environment', 'image', 'networks']);
  assert.equal(Object.keys(zed.environment as object), ['A', 'Z']);
});

test('empty fields are left out, except an empty command, which clears the image one', () => {
  const project: Project = {
    name: 'p',
    workingDir: '/p',
    files: [],
    profiles: [],
    disabledServices: {},
    services: {
      one: { name: 'one', environment: {}, command: [], ports: [], labels: {}, tmpfs: [] },
    },
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    extensions: {},
    environment: {},
  };
  assert.equal(renderProject(project), { name: 'p', services: { one: { command: [] } } });
});

test('durations, byte sizes and modes in nested places', () => {
  const project: Project = {
    name: 'p',
    workingDir: '/p',
    files: [],
    profiles: [],
    disabledServices: {},
    services: {
      one: {
        name: 'one',
        environment: { UNSET: null },
        volumes: [{ type: 'tmpfs', target: '/t', tmpfs: { size: 10_000, mode: 1777 } }],
        build: { context: '/p', ssh: { default: '', deploy: '/k' }, shm_size: 1024 },
        deploy: {
          update_config: { monitor: 60_000 },
          resources: { reservations: { memory: 2048 } },
        },
        healthcheck: { start_period: 1_500, start_interval: 3_600_000 },
        configs: [{ source: 'c', mode: 0o644 }],
        blkio_config: { device_read_bps: [{ path: '/dev/sda', rate: 1_048_576 }] },
      },
    },
    networks: {},
    volumes: {},
    secrets: { s: { name: 'p_s', environment: 'S', content: 'hidden' } },
    configs: {},
    extensions: {},
    environment: {},
  };
  const one = (renderProject(project).services as Record<string, Record<string, unknown>>).one!;
  assert.equal(one.environment, { UNSET: null });
  assert.equal(one.volumes, [
    { target: '/t', tmpfs: { mode: 1777, size: '10000' }, type: 'tmpfs' },
  ]);
  assert.equal(one.build, { context: '/p', shm_size: '1024', ssh: ['default', 'deploy=/k'] });
  assert.equal(one.deploy, {
    resources: { reservations: { memory: '2048' } },
    update_config: { monitor: '1m0s' },
  });
  assert.equal(one.healthcheck, { start_interval: '1h0m0s', start_period: '1.5s' });
  assert.equal(one.configs, [{ mode: '0644', source: 'c' }]);
  assert.equal(one.blkio_config, { device_read_bps: [{ path: '/dev/sda', rate: '1048576' }] });
  assert.equal(renderProject(project).secrets, { s: { environment: 'S', name: 'p_s' } });
});

test('rendering is deterministic', () => {
  const yaml = 'services: {b: {image: b, labels: [z=1, a=2]}, a: {image: a}}';
  assert.is(JSON.stringify(configOf(yaml)), JSON.stringify(configOf(yaml)));
});

test.run();

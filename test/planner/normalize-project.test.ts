import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, InvalidError } from '../../src/errors.js';
import { normalizeProject } from '../../src/planner/normalize/project.js';

function normalize(raw: Record<string, unknown>) {
  return normalizeProject(raw, {
    projectName: 'myproj',
    workingDir: '/srv/myproj',
    environment: { TOKEN: 'secret' },
    loadEnvFile: () => undefined,
    homeDir: '/home/dev',
  });
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

const started = { condition: 'service_started', required: true, restart: false };

test('depends_on as a list, and a mapping with its defaults filled in', () => {
  const { services } = normalize({
    services: {
      web: { depends_on: ['db', 'cache'] },
      api: {
        depends_on: {
          db: { condition: 'service_healthy' },
          cache: { required: false, restart: true },
        },
      },
    },
  }).project;
  assert.equal(services.web!.depends_on, { db: started, cache: started });
  assert.equal(services.api!.depends_on, {
    db: { condition: 'service_healthy', required: true, restart: false },
    cache: { condition: 'service_started', required: false, restart: true },
  });
});

test('dependencies implied by links, service namespaces and volumes_from', () => {
  const { services } = normalize({
    services: {
      web: {
        links: ['db:database', 'cache'],
        network_mode: 'service:proxy',
        ipc: 'service:shm',
        pid: 'host',
        volumes_from: ['data:ro', 'container:other'],
        depends_on: { db: { condition: 'service_healthy' } },
      },
    },
  }).project;
  const restarting = { ...started, restart: true };
  assert.equal(services.web!.depends_on, {
    db: { condition: 'service_healthy', required: true, restart: false },
    cache: restarting,
    proxy: restarting,
    shm: restarting,
    data: started,
  });
});

test('a service with no networks joins default, which the project then declares', () => {
  const { project } = normalize({
    services: {
      web: { image: 'nginx' },
      api: { networks: ['back'] },
      tool: { network_mode: 'host' },
      empty: { networks: {} },
    },
    networks: { back: null },
  });
  assert.equal(project.services.web!.networks, { default: null });
  assert.equal(project.services.api!.networks, { back: null });
  assert.is(project.services.tool!.networks, undefined);
  assert.equal(project.services.empty!.networks, { default: null });
  assert.equal(project.networks, {
    back: { name: 'myproj_back' },
    default: { name: 'myproj_default' },
  });
});

test('no default network when no service uses it', () => {
  const { project } = normalize({ services: { web: { networks: { front: { aliases: 'www' } } } } });
  assert.equal(project.services.web!.networks, { front: { aliases: ['www'] } });
  assert.equal(project.networks, {});
});

test('a declared default network keeps its settings and gets the prefixed name', () => {
  const { project } = normalize({
    services: { web: {} },
    networks: { default: { driver: 'bridge' } },
  });
  assert.equal(project.networks, { default: { name: 'myproj_default', driver: 'bridge' } });
});

test('top-level resources are named after the project unless named or external', () => {
  const { project, warnings } = normalize({
    networks: { front: {}, custom: { name: 'shared-net' }, outside: { external: true } },
    volumes: {
      data: null,
      legacy: { external: { name: 'old-volume' } },
      opts: {
        driver: 'local',
        driver_opts: { type: 'none', o: 'bind', device: './data', size: 10 },
      },
    },
    secrets: { token: { environment: 'TOKEN' }, cert: { file: './cert.pem' } },
    configs: { app: { file: '~/app.conf' }, ext: { external: true, name: 'shared-conf' } },
  });
  assert.equal(project.networks, {
    front: { name: 'myproj_front' },
    custom: { name: 'shared-net' },
    outside: { name: 'outside', external: true },
  });
  assert.equal(project.volumes, {
    data: { name: 'myproj_data' },
    legacy: { name: 'old-volume', external: true },
    opts: {
      name: 'myproj_opts',
      driver: 'local',
      driver_opts: { type: 'none', o: 'bind', device: '/srv/myproj/data', size: '10' },
    },
  });
  assert.equal(project.secrets, {
    token: { name: 'myproj_token', environment: 'TOKEN' },
    cert: { name: 'myproj_cert', file: '/srv/myproj/cert.pem' },
  });
  assert.equal(project.configs, {
    app: { name: 'myproj_app', file: '/home/dev/app.conf' },
    ext: { name: 'shared-conf', external: true },
  });
  assert.equal(warnings, [
    {
      message: 'external.name is deprecated: write name: old-volume and external: true',
      path: 'volumes.legacy',
    },
  ]);
});

test('labels of resources as mappings, x-* keys kept', () => {
  const { project } = normalize({ networks: { front: { labels: ['a=1'], 'x-note': 'n' } } });
  assert.equal(project.networks.front, { name: 'myproj_front', labels: { a: '1' }, 'x-note': 'n' });
});

test('a name and a different external.name conflict', () => {
  assert.is(
    errorOf(() => normalize({ volumes: { data: { name: 'mine', external: { name: 'theirs' } } } })),
    'volumes.data: name and external.name conflict; only use name\n  hint: remove external.name',
  );
});

test('the project carries its name, directory, extensions and environment', () => {
  const { project } = normalize({ name: 'ignored', services: {}, 'x-common': { a: 1 } });
  assert.is(project.name, 'myproj');
  assert.is(project.workingDir, '/srv/myproj');
  assert.equal(project.extensions, { 'x-common': { a: 1 } });
  assert.equal(project.environment, { TOKEN: 'secret' });
  assert.equal(project.services, {});
});

test('pre_start hooks run in the service image unless they name one', () => {
  const { services } = normalize({
    services: {
      app: {
        image: 'alpine',
        pre_start: [{ command: 'migrate --all' }, { image: 'busybox', command: ['id'] }],
      },
      built: { build: '.', post_start: [{ command: 'notify', environment: ['A=1'] }] },
    },
  }).project;
  assert.equal(services.app!.pre_start, [
    { command: ['migrate', '--all'], image: 'alpine' },
    { image: 'busybox', command: ['id'] },
  ]);
  assert.equal(services.built!.post_start, [{ command: ['notify'], environment: { A: '1' } }]);
});

test.run();

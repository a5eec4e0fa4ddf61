// A service as the engine's ContainerSpec: names, labels, limits, namespaces, mounts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProject } from '../../src/planner/loader.js';
import { anonymousVolume, checkLocalDriver } from '../../src/stack/mounts.js';
import { translateService, type Peers } from '../../src/stack/translate.js';

const ID = 'a'.repeat(64);
const noPeers: Peers = {
  pidOf: () => undefined,
  pidOfContainer: () => undefined,
  mountsOf: () => undefined,
  mountsOfContainer: () => undefined,
};

function translate(yaml: string, name = 'app', peers = noPeers) {
  const { project } = loadProject({
    cwd: '/srv/demo',
    files: ['-'],
    stdin: yaml,
    projectName: 'demo',
    environment: { HOME: '/root' },
    homeDir: '/root',
  });
  return translateService({
    project,
    service: project.services[name]!,
    number: 2,
    id: ID,
    imageId: 'sha256:' + 'b'.repeat(64),
    peers,
    volumeDir: (volume) => `/vol/${volume}`,
  });
}

test('name, hostname, labels and environment as Docker Compose sets them', () => {
  const { spec, configHash } = translate(
    'services:\n  app:\n    image: busybox\n    environment: { A: "1", B: null }\n    labels: { team: x }\n',
  );
  assert.is(spec.name, 'demo-app-2');
  assert.is(spec.hostname, ID.slice(0, 12));
  assert.equal(spec.env, { A: '1' }, 'a variable without a value stays unset');
  assert.is(spec.labels['com.docker.compose.project'], 'demo');
  assert.is(spec.labels['com.docker.compose.service'], 'app');
  assert.is(spec.labels['com.docker.compose.container-number'], '2');
  assert.is(spec.labels['com.docker.compose.config-hash'], configHash);
  assert.is(spec.labels.team, 'x');
  assert.equal(spec.network, { kind: 'none' });
});

test('limits: the short forms win over deploy.resources', () => {
  const { spec } = translate(
    [
      'services:',
      '  app:',
      '    image: busybox',
      '    mem_limit: 64m',
      '    pids_limit: 20',
      '    deploy:',
      '      resources:',
      '        limits: { cpus: "0.25", memory: 128m, pids: 50 }',
      '        reservations: { memory: 32m }',
      '',
    ].join('\n'),
  );
  assert.equal(spec.resources, {
    memory: 64 * 1024 * 1024,
    memoryReservation: 32 * 1024 * 1024,
    memorySwap: undefined,
    cpus: 0.25,
    cpuShares: undefined,
    cpusetCpus: undefined,
    pids: 20,
    oomScoreAdj: undefined,
  });
});

test('namespaces join a running service; one that does not run is an error naming it', () => {
  const yaml = [
    'services:',
    '  db:',
    '    image: busybox',
    '  app:',
    '    image: busybox',
    '    network_mode: service:db',
    '    ipc: service:db',
    '    pid: host',
    '',
  ].join('\n');
  const peers: Peers = {
    ...noPeers,
    pidOf: (name) => (name === 'db' ? 4242 : undefined),
  };
  const { spec } = translate(yaml, 'app', peers);
  assert.equal(spec.network, { kind: 'path', path: '/proc/4242/ns/net' });
  assert.equal(spec.ipc, { kind: 'container', pid: 4242 });
  assert.equal(spec.pid, { kind: 'host' });
  try {
    translate(yaml, 'app');
    assert.unreachable('db does not run');
  } catch (error) {
    assert.is(
      (error as Error).message,
      'service db is not running, so its namespace cannot be joined',
    );
  }
});

test('mounts: binds, tmpfs, named and anonymous volumes; security options; ulimits', () => {
  const { spec } = translate(
    [
      'services:',
      '  app:',
      '    image: busybox',
      '    volumes: ["./src:/src:ro", "data:/data", "/cache", { type: tmpfs, target: /scratch, tmpfs: { size: 1m } }]',
      '    tmpfs: ["/run:size=64k"]',
      '    security_opt: ["no-new-privileges:true"]',
      '    ulimits: { nofile: { soft: 1024, hard: 2048 } }',
      'volumes:',
      '  data:',
      '',
    ].join('\n'),
  );
  assert.equal(spec.mounts, [
    {
      kind: 'bind',
      source: '/srv/demo/src',
      target: '/src',
      readOnly: true,
      propagation: undefined,
    },
    {
      kind: 'bind',
      source: '/vol/demo_data',
      target: '/data',
      readOnly: undefined,
      volume: { name: 'demo_data', noCopy: undefined },
    },
    {
      kind: 'bind',
      source: `/vol/${anonymousVolume('demo', 'app', '/cache')}`,
      target: '/cache',
      readOnly: undefined,
      volume: { name: anonymousVolume('demo', 'app', '/cache'), noCopy: undefined },
    },
    { kind: 'tmpfs', target: '/scratch', size: 1024 * 1024, mode: undefined },
    { kind: 'tmpfs', target: '/run', size: 64 * 1024 },
  ]);
  assert.ok(spec.noNewPrivileges);
  assert.equal(spec.ulimits, [{ name: 'nofile', soft: 1024, hard: 2048 }]);
  assert.is(anonymousVolume('demo', 'app', '/cache'), anonymousVolume('demo', 'app', '/cache'));
  assert.is.not(anonymousVolume('demo', 'app', '/cache'), anonymousVolume('demo', 'app', '/other'));
});

test('volumes with local driver_opts: a named volume the engine mounts; unknown kinds refused', () => {
  const yaml = [
    'services:',
    '  app:',
    '    image: busybox',
    '    volumes: ["scratch:/t"]',
    'volumes:',
    '  scratch:',
    '    driver_opts: { type: tmpfs, device: tmpfs, o: "size=2m,uid=1000" }',
    '',
  ].join('\n');
  const asked: unknown[] = [];
  const { project } = loadProject({
    cwd: '/srv/demo',
    files: ['-'],
    stdin: yaml,
    projectName: 'demo',
    environment: {},
    homeDir: '/root',
  });
  const { spec } = translateService({
    project,
    service: project.services.app!,
    number: 1,
    id: ID,
    imageId: 'sha256:' + 'b'.repeat(64),
    peers: noPeers,
    volumeDir: (name, options) => {
      asked.push({ name, driverOpts: options.driverOpts });
      return `/vol/${name}`;
    },
  });
  assert.equal(asked, [
    { name: 'demo_scratch', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=2m,uid=1000' } },
  ]);
  assert.equal(spec.mounts, [
    {
      kind: 'bind',
      source: '/vol/demo_scratch',
      target: '/t',
      readOnly: undefined,
      volume: { name: 'demo_scratch', noCopy: undefined },
    },
  ]);
  checkLocalDriver({ type: 'none', o: 'bind', device: '/tmp' }, 'volumes.v');
  assert.throws(
    () => checkLocalDriver({ type: 'none', o: 'bind', device: '/no/such/dir' }, 'volumes.v'),
    /the directory \/no\/such\/dir of the bind volume does not exist/,
  );
  assert.throws(
    () => checkLocalDriver({ type: 'nfs', o: 'addr=10.0.0.1' }, 'volumes.v'),
    /local volumes of type "nfs" are not supported/,
  );
  assert.throws(
    () => checkLocalDriver({ type: 'tmpfs', o: 'size=2mb' }, 'volumes.v'),
    /"size=2mb" is not a tmpfs size/,
  );
  assert.throws(
    () => checkLocalDriver({ type: 'tmpfs', size: '2m' }, 'volumes.v'),
    /the local volume driver has no option "size"/,
  );
});

test('volumes_from: the source’s volumes and binds at the same paths, :ro and :rw over its modes', () => {
  const yaml = [
    'services:',
    '  data:',
    '    image: busybox',
    '  app:',
    '    image: busybox',
    '    volumes_from: ["data:ro", "container:legacy"]',
    '    volumes: ["/srv/own:/shared/b"]',
    '',
  ].join('\n');
  const peers: Peers = {
    ...noPeers,
    mountsOf: (name) =>
      name === 'data'
        ? [
            { kind: 'bind', source: '/vol/db', target: '/var/db', volume: { name: 'db' } },
            { kind: 'bind', source: '/srv/a', target: '/shared/a' },
            { kind: 'tmpfs', target: '/run/private' },
          ]
        : undefined,
    mountsOfContainer: (name) =>
      name === 'legacy'
        ? [
            { kind: 'bind', source: '/srv/logs', target: '/logs', readOnly: true },
            { kind: 'bind', source: '/srv/theirs', target: '/shared/b' },
          ]
        : undefined,
  };
  const { spec } = translate(yaml, 'app', peers);
  assert.equal(spec.mounts, [
    {
      kind: 'bind',
      source: '/srv/own',
      target: '/shared/b',
      readOnly: undefined,
      propagation: undefined,
    },
    {
      kind: 'bind',
      source: '/vol/db',
      target: '/var/db',
      readOnly: true,
      volume: { name: 'db', noCopy: true },
    },
    { kind: 'bind', source: '/srv/a', target: '/shared/a', readOnly: true },
    { kind: 'bind', source: '/srv/logs', target: '/logs', readOnly: true },
  ]);
  assert.throws(
    () => translate(yaml, 'app', { ...peers, mountsOf: () => undefined }),
    /service data has no container to share volumes from/,
  );
});

test('secrets and configs: a file is bound read-only; environment and content are given files', () => {
  const yaml = [
    'services:',
    '  app:',
    '    image: busybox',
    '    secrets: [key, { source: token, target: api-token, uid: "1000", mode: 0400 }]',
    '    configs: [{ source: conf, target: /etc/app.conf }, plain]',
    'secrets:',
    '  key: { file: /etc/hostname }',
    '  token: { environment: TOKEN }',
    'configs:',
    '  conf: { content: "port = $${PORT}" }',
    '  plain: { file: /etc/hostname }',
    '',
  ].join('\n');
  const { project } = loadProject({
    cwd: '/srv/demo',
    files: ['-'],
    stdin: yaml,
    projectName: 'demo',
    environment: { TOKEN: 's3cret' },
    homeDir: '/root',
  });
  const input = {
    project,
    service: project.services.app!,
    number: 1,
    id: ID,
    imageId: 'sha256:' + 'b'.repeat(64),
    peers: noPeers,
  };
  const { spec, files } = translateService(input);
  assert.equal(spec.mounts, [
    { kind: 'bind', source: '/etc/hostname', target: '/run/secrets/key', readOnly: true },
    { kind: 'bind', source: '/etc/hostname', target: '/plain', readOnly: true },
  ]);
  assert.equal(files, [
    { target: '/run/secrets/api-token', content: 's3cret', uid: 1000, gid: undefined, mode: 0o400 },
    {
      target: '/etc/app.conf',
      content: 'port = ${PORT}',
      uid: undefined,
      gid: undefined,
      mode: undefined,
    },
  ]);
  const unset = { ...project, environment: {} };
  assert.throws(
    () => translateService({ ...input, project: unset }),
    /the variable TOKEN of secrets.token is not set/,
  );
});

test.run();

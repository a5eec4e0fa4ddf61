import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, InvalidError } from '../../src/errors.js';
import { normalizeProject } from '../../src/planner/normalize/project.js';

const FILES: Record<string, Record<string, string>> = {
  '/srv/demo/.env.web': { FROM_FILE: 'file', SHARED: 'from-file', EMPTY: '' },
  '/srv/demo/more.env': { SHARED: 'from-more' },
  '/srv/demo/web.labels': { team: 'infra', tier: 'file' },
};

function normalize(service: Record<string, unknown>) {
  const { project, warnings } = normalizeProject(
    { services: { web: service } },
    {
      projectName: 'demo',
      workingDir: '/srv/demo',
      environment: { HOME: '/home/dev', SET: 'from-shell' },
      loadEnvFile: (file) => FILES[file],
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

test('environment as a list: KEY=value, KEY from the environment, KEY unset is null', () => {
  const service = normalize({ environment: ['A=1', 'B=', 'C=x=y', 'SET', 'UNSET'] });
  assert.equal(service.environment, { A: '1', B: '', C: 'x=y', SET: 'from-shell', UNSET: null });
});

test('environment as a mapping: numbers and booleans as strings, null resolved', () => {
  const service = normalize({ environment: { PORT: 8080, DEBUG: true, SET: null, UNSET: null } });
  assert.equal(service.environment, {
    PORT: '8080',
    DEBUG: 'true',
    SET: 'from-shell',
    UNSET: null,
  });
});

test('a service with no environment has an empty one', () => {
  assert.equal(normalize({ image: 'nginx' }).environment, {});
});

test('env files merge in order, under the service environment', () => {
  const service = normalize({
    env_file: [
      '.env.web',
      { path: './more.env', required: true },
      { path: 'absent.env', required: false },
    ],
    environment: { FROM_FILE: null, OWN: 'own' },
  });
  assert.equal(service.env_file, [
    { path: '/srv/demo/.env.web', required: true },
    { path: '/srv/demo/more.env', required: true },
    { path: '/srv/demo/absent.env', required: false },
  ]);
  // FROM_FILE is written with no value and is not in the environment: unset, as in Compose.
  assert.equal(service.environment, {
    FROM_FILE: null,
    SHARED: 'from-more',
    EMPTY: '',
    OWN: 'own',
  });
});

test('env_file as one string', () => {
  assert.equal(normalize({ env_file: '.env.web' }).env_file, [
    { path: '/srv/demo/.env.web', required: true },
  ]);
});

test('a missing required env file names the service, the file and the way out', () => {
  assert.is(
    errorOf(() => normalize({ env_file: ['.env.web', 'missing.env'] })),
    'services.web.env_file[1]: env file /srv/demo/missing.env not found: service "web" requires it\n' +
      '  hint: create the file, or make it optional with `required: false`',
  );
});

test('labels and annotations as lists or mappings, label files under the own labels', () => {
  const service = normalize({
    labels: ['a=1', 'flag'],
    annotations: { 'com.example.n': 42 },
    label_file: './web.labels',
  });
  assert.equal(service.label_file, ['/srv/demo/web.labels']);
  assert.equal(service.labels, { team: 'infra', tier: 'file', a: '1', flag: '' });
  assert.equal(service.annotations, { 'com.example.n': '42' });
  assert.equal(normalize({ labels: { tier: null, n: 1 } }).labels, { tier: '', n: '1' });
});

test('a missing label file is an error', () => {
  assert.is(
    errorOf(() => normalize({ label_file: ['nope.labels'] })),
    'services.web.label_file[0]: label file /srv/demo/nope.labels not found\n' +
      '  hint: create the file or remove it from label_file',
  );
});

test('build as a string is the context, with the default Dockerfile', () => {
  assert.equal(normalize({ build: './app' }).build, {
    context: '/srv/demo/app',
    dockerfile: 'Dockerfile',
  });
  assert.equal(normalize({ build: {} }).build, { context: '/srv/demo', dockerfile: 'Dockerfile' });
});

test('build long form: args resolved or dropped, lists and paths normalised', () => {
  const build = normalize({
    build: {
      context: 'https://github.com/acme/app.git#main',
      dockerfile_inline: 'FROM alpine',
      args: ['A=1', 'SET', 'UNSET'],
      labels: ['x=1'],
      cache_from: 'type=local,src=/tmp/cache',
      additional_contexts: { base: './base', img: 'docker-image://alpine', svc: 'service:db' },
      ssh: ['default', 'key=~/.ssh/id'],
      secrets: ['token'],
      extra_hosts: ['db:10.0.0.2'],
      shm_size: '64m',
      ulimits: { nofile: 1024 },
    },
  }).build;
  assert.equal(build, {
    context: 'https://github.com/acme/app.git#main',
    dockerfile_inline: 'FROM alpine',
    args: { A: '1', SET: 'from-shell' },
    labels: { x: '1' },
    cache_from: ['type=local,src=/tmp/cache'],
    additional_contexts: {
      base: '/srv/demo/base',
      img: 'docker-image://alpine',
      svc: 'service:db',
    },
    ssh: { default: '', key: '/home/dev/.ssh/id' },
    secrets: [{ source: 'token' }],
    extra_hosts: { db: ['10.0.0.2'] },
    shm_size: 67_108_864,
    ulimits: { nofile: { soft: 1024, hard: 1024 } },
  });
});

test('an ssh key with no path other than default is refused', () => {
  assert.is(
    errorOf(() => normalize({ build: { ssh: ['mykey'] } })),
    'services.web.build.ssh: invalid ssh key "mykey": no path\n  hint: write ID=PATH, or `default` for the agent',
  );
});

test('a null ssh is refused, as compose-go does', () => {
  assert.is(
    errorOf(() => normalize({ build: { context: '.', ssh: null } })),
    'services.web.build.ssh: ssh must be a mapping or a list of keys, got null\n' +
      '  hint: write `ssh: [default]`',
  );
});

test('command and entrypoint strings are split like a shell', () => {
  const service = normalize({
    command: `sh -c "echo 'hello world' && exit 1" --flag=a\\ b`,
    entrypoint: ['/entry.sh', 3],
  });
  assert.equal(service.command, ['sh', '-c', "echo 'hello world' && exit 1", '--flag=a b']);
  assert.equal(service.entrypoint, ['/entry.sh', '3']);
  assert.equal(normalize({ command: '' }).command, []);
  assert.equal(normalize({ command: [] }).command, []);
});

test('an unquoted shell operator ends the command, as in Compose, with a warning', () => {
  const service = normalize({ command: 'npm run build && npm start' });
  assert.equal(service.command, ['npm', 'run', 'build']);
  assert.equal(service.warnings, [
    {
      message:
        '"&& npm start" is not run: the command ends at the shell operator, as in Docker Compose; ' +
        'write ["sh", "-c", "…"] to run it through a shell',
      path: 'services.web.command',
    },
  ]);
});

const SPLITS: [string, string[]][] = [
  ['bundle exec thin -p 3000', ['bundle', 'exec', 'thin', '-p', '3000']],
  ['echo \'a  b\' "c\\"d" e\\ f', ['echo', 'a  b', 'c"d', 'e f']],
  ["printf ''", ['printf', '']],
  ['echo $(date +%s) `id -u`', ['echo', '$(date +%s)', '`id -u`']],
  ['  spaced\tout\n', ['spaced', 'out']],
  ['run 2>/dev/null', ['run']],
];

for (const [line, words] of SPLITS) {
  test(`command ${JSON.stringify(line)} splits into ${JSON.stringify(words)}`, () => {
    assert.equal(normalize({ command: line }).command, words);
  });
}

test('an unbalanced quote is an error', () => {
  assert.is(
    errorOf(() => normalize({ entrypoint: 'echo "oops' })),
    'services.web.entrypoint: cannot split "echo \\"oops" into words: it has an unclosed "\n' +
      '  hint: balance the quotes, or write the command as a list',
  );
});

test.run();

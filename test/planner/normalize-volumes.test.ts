import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, InvalidError } from '../../src/errors.js';
import type { ServiceVolume } from '../../src/planner/model.js';
import { normalizeProject } from '../../src/planner/normalize/project.js';

function volumes(list: unknown[]): ServiceVolume[] | undefined {
  return normalize({ image: 'nginx', volumes: list }).volumes as ServiceVolume[] | undefined;
}

function normalize(service: Record<string, unknown>) {
  const { project, warnings } = normalizeProject(
    { services: { web: service } },
    {
      projectName: 'demo',
      workingDir: '/srv/demo',
      environment: {},
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

const bind = (
  source: string,
  target: string,
  extra: Partial<ServiceVolume> = {},
): ServiceVolume => ({
  type: 'bind',
  source,
  target,
  bind: { create_host_path: true },
  ...extra,
});

const SHORT_FORMS: [string, ServiceVolume][] = [
  ['./src:/app:ro', bind('/srv/demo/src', '/app', { read_only: true })],
  ['.:/code', bind('/srv/demo', '/code')],
  ['../shared:/shared', bind('/srv/shared', '/shared')],
  ['/opt/data:/var/lib/data', bind('/opt/data', '/var/lib/data')],
  ['~/configs:/etc/configs', bind('/home/dev/configs', '/etc/configs')],
  ['data:/var/lib/data', { type: 'volume', source: 'data', target: '/var/lib/data', volume: {} }],
  ['/var/lib/anonymous', { type: 'volume', target: '/var/lib/anonymous', volume: {} }],
  [
    'data:/cache:nocopy',
    { type: 'volume', source: 'data', target: '/cache', volume: { nocopy: true } },
  ],
  ['data:/data:rw', { type: 'volume', source: 'data', target: '/data', volume: {} }],
  [
    './src:/app:z',
    bind('/srv/demo/src', '/app', { bind: { create_host_path: true, selinux: 'z' } }),
  ],
  [
    './src:/app:ro,Z,rprivate',
    bind('/srv/demo/src', '/app', {
      read_only: true,
      bind: { create_host_path: true, selinux: 'Z', propagation: 'rprivate' },
    }),
  ],
  ['./src:/app/:cached', bind('/srv/demo/src', '/app')],
  ['./a/../b:/x/./y', bind('/srv/demo/b', '/x/y')],
];

for (const [spec, expected] of SHORT_FORMS) {
  test(`volume ${JSON.stringify(spec)}`, () => {
    assert.equal(volumes([spec]), [expected]);
  });
}

test('long syntax: relative bind sources are made absolute, nothing is added', () => {
  assert.equal(
    volumes([
      { type: 'bind', source: './opt', target: '/opt/cached', consistency: 'cached' },
      { type: 'volume', source: 'data', target: '/data', volume: { nocopy: true, subpath: 'sub' } },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: '64m', mode: 1777 } },
      {
        type: 'bind',
        source: '~/x',
        target: '/x',
        read_only: true,
        bind: { create_host_path: false },
      },
    ]),
    [
      { type: 'bind', source: '/srv/demo/opt', target: '/opt/cached', consistency: 'cached' },
      { type: 'volume', source: 'data', target: '/data', volume: { nocopy: true, subpath: 'sub' } },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 67_108_864, mode: 1777 } },
      {
        type: 'bind',
        source: '/home/dev/x',
        target: '/x',
        read_only: true,
        bind: { create_host_path: false },
      },
    ],
  );
});

test('nocopy on a bind mount is ignored with a warning', () => {
  const service = normalize({ volumes: ['./src:/app:nocopy'] });
  assert.equal(service.volumes, [bind('/srv/demo/src', '/app')]);
  assert.equal(service.warnings, [
    {
      message: 'nocopy applies to named volumes; it is ignored on a bind mount',
      path: 'services.web.volumes[0]',
    },
  ]);
});

const SPEC_HINT =
  '  hint: write SOURCE:TARGET[:OPTIONS] or a lone container path, or use the long syntax';

test('an unknown option is refused with the list of options', () => {
  assert.is(
    errorOf(() => volumes(['./src:/app:ro,bogus'])),
    'services.web.volumes[0]: invalid volume "./src:/app:ro,bogus": unknown option "bogus"\n' +
      '  hint: use ro, rw, z, Z, nocopy or a propagation mode (rprivate, private, rshared, shared, rslave, slave)',
  );
});

test('malformed specs are refused', () => {
  assert.is(
    errorOf(() => volumes(['a:b:ro:x'])),
    `services.web.volumes[0]: invalid volume "a:b:ro:x": too many colons\n${SPEC_HINT}`,
  );
  assert.is(
    errorOf(() => volumes(['/a', ':/b'])),
    `services.web.volumes[1]: invalid volume ":/b": empty section between colons\n${SPEC_HINT}`,
  );
});

test('a long-syntax bind mount needs a source', () => {
  assert.is(
    errorOf(() => volumes([{ type: 'bind', target: '/app' }])),
    'services.web.volumes[0]: invalid mount config for type "bind": field Source must not be empty\n' +
      '  hint: set source to the host path to mount',
  );
});

test('a tmpfs size must be a whole number of bytes', () => {
  assert.is(
    errorOf(() => volumes([{ type: 'tmpfs', target: '/app', tmpfs: { size: 0.0001 } }])).split(
      '\n',
    )[0],
    'services.web.volumes[0].tmpfs.size: invalid byte size 0.0001',
  );
});

test('tmpfs as a string or a list', () => {
  assert.equal(normalize({ tmpfs: '/run' }).tmpfs, ['/run']);
  assert.equal(normalize({ tmpfs: ['/run', '/tmp:size=64m'] }).tmpfs, ['/run', '/tmp:size=64m']);
});

test.run();

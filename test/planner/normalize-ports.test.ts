import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, InvalidError } from '../../src/errors.js';
import type { Port } from '../../src/planner/model.js';
import { normalizeProject } from '../../src/planner/normalize/project.js';

function ports(list: unknown[]): Port[] | undefined {
  const raw = { services: { web: { image: 'nginx', ports: list } } };
  const { project } = normalizeProject(raw, {
    projectName: 'demo',
    workingDir: '/srv/demo',
    environment: {},
    loadEnvFile: () => undefined,
    homeDir: '/home/dev',
  });
  return project.services.web!.ports;
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

const tcp = (target: number, extra: Partial<Port> = {}): Port => ({
  mode: 'ingress',
  target,
  protocol: 'tcp',
  ...extra,
});

const SHORT_FORMS: [unknown, Port[]][] = [
  [80, [tcp(80)]],
  ['80', [tcp(80)]],
  ['8080:80', [tcp(80, { published: '8080' })]],
  [
    '127.0.0.1:8080:80/udp',
    [{ mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'udp' }],
  ],
  ['53:53/UDP', [{ mode: 'ingress', target: 53, published: '53', protocol: 'udp' }]],
  ['[::1]:80:80', [tcp(80, { host_ip: '::1', published: '80' })]],
  ['127.0.0.1::80', [tcp(80, { host_ip: '127.0.0.1' })]],
  [
    '8000-8002:9000-9002',
    [
      tcp(9000, { published: '8000' }),
      tcp(9001, { published: '8001' }),
      tcp(9002, { published: '8002' }),
    ],
  ],
  ['3001-3003', [tcp(3001), tcp(3002), tcp(3003)]],
  ['8000-8010:80', [tcp(80, { published: '8000-8010' })]],
  ['9090/sctp', [{ mode: 'ingress', target: 9090, protocol: 'sctp' }]],
];

for (const [spec, expected] of SHORT_FORMS) {
  test(`port ${JSON.stringify(spec)}`, () => {
    assert.equal(ports([spec]), expected);
  });
}

test('long syntax gets the defaults and a string published port', () => {
  assert.equal(ports([{ target: 80, published: 8080 }]), [tcp(80, { published: '8080' })]);
  assert.equal(
    ports([
      {
        name: 'web',
        target: 80,
        published: '8000-8010',
        host_ip: '::1',
        mode: 'host',
        app_protocol: 'http',
      },
    ]),
    [
      {
        name: 'web',
        mode: 'host',
        host_ip: '::1',
        target: 80,
        published: '8000-8010',
        protocol: 'tcp',
        app_protocol: 'http',
      },
    ],
  );
});

test('short and long entries keep their order', () => {
  assert.equal(ports(['81', { target: 82, protocol: 'udp' }, 83]), [
    tcp(81),
    { mode: 'ingress', target: 82, protocol: 'udp' },
    tcp(83),
  ]);
});

const HINT =
  '  hint: write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], such as "127.0.0.1:8080:80/udp", or the long syntax with target and published';

const ERRORS: [string, string][] = [
  ['80:80:80:80', 'invalid port "80:80:80:80": "80:80" is not an IP address'],
  ['80/xyz', 'invalid port "80/xyz": unknown protocol "xyz", expected tcp, udp or sctp'],
  ['http', 'invalid port "http": "http" is not a port or a range of ports'],
  ['70000', 'invalid port "70000": "70000" is not a port or a range of ports'],
  ['x:80', 'invalid port "x:80": "x" is not a port or a range of ports'],
  ['8080:', 'invalid port "8080:": no container port'],
  ['90-80', 'invalid port "90-80": "90-80" is not a port or a range of ports'],
  [
    '8000-8002:80-81',
    'invalid port "8000-8002:80-81": the host ports 8000-8002 and the container ports 80-81 differ in number',
  ],
];

for (const [spec, message] of ERRORS) {
  test(`port ${JSON.stringify(spec)} is refused`, () => {
    assert.is(
      errorOf(() => ports(['80', spec])),
      `services.web.ports[1]: ${message}\n${HINT}`,
    );
  });
}

test('a long-syntax port with a bad target names the field', () => {
  assert.is(
    errorOf(() => ports([{ target: '80-81' }])),
    'services.web.ports[0].target: invalid container port "80-81"\n  hint: target is one port, such as 80',
  );
});

test.run();

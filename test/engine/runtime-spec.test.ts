// The config.json of one container against what `docker run` gives runc: the whole default
// config, then the command, the environment, the init and the written JSON.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ImageRunConfig } from '../../src/engine/image/types.js';
import type { ContainerSpec } from '../../src/engine/runtime/types.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
} from '../../src/engine/runtime/spec/capabilities.js';
import {
  buildOciSpec,
  ociConfigJson,
  type OciSpecInput,
} from '../../src/engine/runtime/spec/index.js';
import { InvalidError } from '../../src/errors.js';

const ROOTFS = fileURLToPath(new URL('./fixtures/runtime-spec/debian', import.meta.url));
const ID = 'c0ffee'.repeat(10) + 'abcd';

function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id: ID,
    name: 'shop-web-1',
    project: 'shop',
    image: `sha256:${'1'.repeat(64)}`,
    entrypoint: null,
    command: null,
    env: {},
    network: { kind: 'path', path: '/run/netns/shop-web-1' },
    ipc: { kind: 'private' },
    pid: { kind: 'private' },
    mounts: [],
    resources: {},
    labels: {},
    ...overrides,
  };
}

function build(overrides: Partial<ContainerSpec> = {}, image: ImageRunConfig = { Cmd: ['sh'] }) {
  const input: OciSpecInput = {
    spec: spec(overrides),
    image,
    rootfs: ROOTFS,
    cgroupsPath: '/tscompose/shop/web-1',
    host: {
      hostname: 'buildhost',
      unifiedCgroup: false,
      capabilities: ALL_CAPABILITIES,
      devices: () => [{ type: 'c', path: '/dev/kvm', major: 10, minor: 232, fileMode: 0o660 }],
    },
  };
  return buildOciSpec(input);
}

function invalid(run: () => unknown, message: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, InvalidError);
    assert.match((error as Error).message, message);
    assert.ok((error as InvalidError).hint, 'every error carries a hint');
    return;
  }
  assert.unreachable(`expected an InvalidError matching ${message}`);
}

test('a container with nothing set gets Docker’s whole default config', () => {
  const { config, args, user } = build();
  assert.equal(args, ['sh']);
  assert.equal(user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.equal(config, {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [0] },
      args: ['sh'],
      env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'HOSTNAME=c0ffeec0ffee',
        'HOME=/root',
      ],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
      },
      oomScoreAdj: 0,
    },
    root: { path: ROOTFS },
    hostname: 'c0ffeec0ffee',
    mounts: [
      {
        destination: '/proc',
        type: 'proc',
        source: 'proc',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/sys',
        type: 'sysfs',
        source: 'sysfs',
        options: ['nosuid', 'noexec', 'nodev', 'ro'],
      },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['ro', 'nosuid', 'noexec', 'nodev'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'],
      },
    ],
    linux: {
      namespaces: [
        { type: 'mount' },
        { type: 'network', path: '/run/netns/shop-web-1' },
        { type: 'uts' },
        { type: 'pid' },
        { type: 'ipc' },
      ],
      devices: [],
      cgroupsPath: '/tscompose/shop/web-1',
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
          { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
        ],
      },
      sysctl: {
        'net.ipv4.ping_group_range': '0 2147483647',
        'net.ipv4.ip_unprivileged_port_start': '0',
      },
      maskedPaths: [
        '/proc/asound',
        '/proc/acpi',
        '/proc/interrupts',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/sys/firmware',
        '/sys/devices/virtual/powercap',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  });
});

test('the image’s Entrypoint and Cmd run when the service sets neither', () => {
  const image = { Entrypoint: ['docker-entrypoint.sh'], Cmd: ['postgres'] };
  assert.equal(build({}, image).args, ['docker-entrypoint.sh', 'postgres']);
});

test('a command replaces the image’s Cmd and keeps its Entrypoint', () => {
  const image = { Entrypoint: ['docker-entrypoint.sh'], Cmd: ['postgres'] };
  const { args } = build({ command: ['postgres', '-c', 'fsync=off'] }, image);
  assert.equal(args, ['docker-entrypoint.sh', 'postgres', '-c', 'fsync=off']);
});

test('an entrypoint drops the image’s Cmd unless a command is given too', () => {
  const image = { Entrypoint: ['/init'], Cmd: ['serve'] };
  assert.equal(build({ entrypoint: ['/bin/sh', '-c'] }, image).args, ['/bin/sh', '-c']);
  const both = build({ entrypoint: ['/bin/sh', '-c'], command: ['echo hi'] }, image);
  assert.equal(both.args, ['/bin/sh', '-c', 'echo hi']);
});

test('an empty entrypoint drops only the image’s Entrypoint', () => {
  const image = { Entrypoint: ['/init'], Cmd: ['serve', '--port', '80'] };
  assert.equal(build({ entrypoint: [] }, image).args, ['serve', '--port', '80']);
});

test('an entrypoint of [""] is none at all, as Docker resets it', () => {
  const image = { Entrypoint: ['/init'], Cmd: ['serve'] };
  assert.equal(build({ entrypoint: [''], command: ['ls'] }, image).args, ['ls']);
  invalid(() => build({ entrypoint: [''] }, image), /^no command specified$/);
});

test('nothing to run is an InvalidError that says to set command: or entrypoint:', () => {
  try {
    build({}, {});
    assert.unreachable('an image without Cmd and a service without command must fail');
  } catch (error) {
    assert.instance(error, InvalidError);
    assert.is((error as InvalidError).message, 'no command specified');
    assert.match((error as InvalidError).hint ?? '', /command: or entrypoint:/);
  }
});

test('the environment is Docker’s: PATH and HOSTNAME first, the service’s, then the image’s', () => {
  const image = { Cmd: ['sh'], Env: ['PATH=/opt/bin:/bin', 'LANG=C.UTF-8', 'MODE=image'] };
  const { config } = build({ env: { MODE: 'service', DEBUG: '1' } }, image);
  assert.equal(config.process.env, [
    'PATH=/opt/bin:/bin',
    'HOSTNAME=c0ffeec0ffee',
    'MODE=service',
    'DEBUG=1',
    'LANG=C.UTF-8',
    'HOME=/root',
  ]);
});

test('the service’s PATH and HOME win over the defaults, and a tty adds TERM', () => {
  const { config } = build({ env: { PATH: '/x', HOME: '/data' }, tty: true });
  assert.equal(config.process.env, [
    'PATH=/x',
    'HOSTNAME=c0ffeec0ffee',
    'TERM=xterm',
    'HOME=/data',
  ]);
  assert.is(config.process.terminal, true);
});

test('an environment name with "=" in it is refused', () => {
  invalid(() => build({ env: { 'A=B': 'c' } }), /invalid environment variable name "A=B"/);
});

test('the hostname is the service’s, or the short ID, or the host’s on the host network', () => {
  assert.is(build({ hostname: 'web' }).config.hostname, 'web');
  assert.is(build({ hostname: 'web' }).config.process.env[1], 'HOSTNAME=web');
  assert.is(build().config.hostname, ID.slice(0, 12));
  assert.is(build({ network: { kind: 'host' } }).config.hostname, 'buildhost');
});

test('the domain name goes in as the kernel.domainname sysctl (no field in spec 1.0.2)', () => {
  const { config } = build({ hostname: 'web', domainname: 'example.org' });
  assert.is(config.linux.sysctl?.['kernel.domainname'], 'example.org');
  assert.not.ok('domainname' in config);
});

test('the working directory is the service’s, else the image’s, else /', () => {
  assert.is(build({}, { Cmd: ['sh'], WorkingDir: '/app/' }).config.process.cwd, '/app');
  assert.is(
    build({ workingDir: '/srv' }, { Cmd: ['sh'], WorkingDir: '/app' }).config.process.cwd,
    '/srv',
  );
  invalid(() => build({ workingDir: 'srv' }), /working directory "srv" is not an absolute path/);
});

test('an init runs as PID 1 in front of the command, bind-mounted read-only', () => {
  const { config, args } = build({
    init: { path: '/usr/bin/docker-init' },
    command: ['node', 'app.js'],
  });
  assert.equal(args, ['node', 'app.js']);
  assert.equal(config.process.args, ['/sbin/docker-init', '--', 'node', 'app.js']);
  assert.equal(
    config.mounts.find((m) => m.destination === '/sbin/docker-init'),
    {
      destination: '/sbin/docker-init',
      type: 'bind',
      source: '/usr/bin/docker-init',
      options: ['bind', 'ro'],
    },
  );
});

test('no init in a PID namespace that already has one', () => {
  const { config } = build({
    init: { path: '/usr/bin/docker-init' },
    pid: { kind: 'container', pid: 42 },
  });
  assert.equal(config.process.args, ['sh']);
  assert.not.ok(config.mounts.some((m) => m.destination === '/sbin/docker-init'));
});

test('labels become annotations; the image’s StopSignal is passed on', () => {
  const result = build(
    { labels: { 'com.docker.compose.service': 'web' } },
    { Cmd: ['sh'], StopSignal: 'SIGQUIT' },
  );
  assert.equal(result.config.annotations, { 'com.docker.compose.service': 'web' });
  assert.is(result.stopSignal, 'SIGQUIT');
  assert.is(build().stopSignal, undefined);
  assert.is(build().config.annotations, undefined);
});

test('ulimits become rlimits, and only those', () => {
  const { config } = build({
    ulimits: [
      { name: 'nofile', soft: 20000, hard: 40000 },
      { name: 'memlock', soft: -1, hard: -1 },
    ],
  });
  assert.equal(config.process.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 40000 },
    { type: 'RLIMIT_MEMLOCK', soft: -1, hard: -1 },
  ]);
  assert.is(build().config.process.rlimits, undefined);
});

test('a bad ulimit is refused with its name', () => {
  invalid(
    () => build({ ulimits: [{ name: 'files', soft: 1, hard: 1 }] }),
    /unknown ulimit "files"/,
  );
  invalid(
    () => build({ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }),
    /soft limit of nofile \(10\) is more than its hard limit \(5\)/,
  );
});

test('config.json writes an unlimited rlimit as RLIM_INFINITY, exactly', () => {
  const { config } = build({
    ulimits: [{ name: 'memlock', soft: -1, hard: -1 }],
    labels: { x: '-1' },
  });
  const text = ociConfigJson(config);
  assert.match(text, /"soft": 18446744073709551615,\n\s*"hard": 18446744073709551615/);
  assert.not.match(text, /rlim-infinity/);
  const parsed = JSON.parse(text) as typeof config;
  assert.is(parsed.annotations?.x, '-1');
  assert.equal(parsed.mounts, config.mounts);
});

test('no-new-privileges and oom_score_adj go into the process', () => {
  const { config } = build({ noNewPrivileges: true, resources: { oomScoreAdj: -500 } });
  assert.is(config.process.noNewPrivileges, true);
  assert.is(config.process.oomScoreAdj, -500);
  assert.is(build().config.process.noNewPrivileges, undefined);
  invalid(() => build({ resources: { oomScoreAdj: 1001 } }), /invalid oom_score_adj 1001/);
});

test('a read-only root is marked in root.readonly', () => {
  assert.equal(build({ readOnly: true }).config.root, { path: ROOTFS, readonly: true });
});

test.run();

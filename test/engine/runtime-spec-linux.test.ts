// The `linux` section and the mounts: namespaces, capabilities, privileged, devices, cgroup
// limits, sysctls, and the service's mounts laid over Docker's defaults.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec } from '../../src/engine/runtime/types.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
} from '../../src/engine/runtime/spec/capabilities.js';
import { hostDevices, type HostFacts } from '../../src/engine/runtime/spec/host.js';
import { buildOciSpec } from '../../src/engine/runtime/spec/index.js';
import { InvalidError, UnsupportedError } from '../../src/errors.js';

const ROOTFS = fileURLToPath(new URL('./fixtures/runtime-spec/debian', import.meta.url));
const KVM = {
  type: 'c' as const,
  path: '/dev/kvm',
  major: 10,
  minor: 232,
  fileMode: 0o660,
  uid: 0,
  gid: 0,
};

function build(overrides: Partial<ContainerSpec> = {}, host: Partial<HostFacts> = {}) {
  return buildOciSpec({
    spec: {
      id: 'a'.repeat(64),
      name: 'shop-web-1',
      project: 'shop',
      image: `sha256:${'1'.repeat(64)}`,
      entrypoint: null,
      command: ['sh'],
      env: {},
      network: { kind: 'path', path: '/run/netns/shop-web-1' },
      ipc: { kind: 'private' },
      pid: { kind: 'private' },
      mounts: [],
      resources: {},
      labels: {},
      ...overrides,
    },
    image: {},
    rootfs: ROOTFS,
    cgroupsPath: 'tscompose-shop:web:1',
    host: {
      hostname: 'h',
      unifiedCgroup: false,
      capabilities: ALL_CAPABILITIES,
      devices: () => [KVM],
      ...host,
    },
  }).config;
}

const mount = (config: ReturnType<typeof build>, destination: string) =>
  config.mounts.find((m) => m.destination === destination);

function refused(
  run: () => unknown,
  kind: typeof InvalidError | typeof UnsupportedError,
  message: RegExp,
) {
  try {
    run();
  } catch (error) {
    assert.instance(error, kind);
    assert.match((error as Error).message, message);
    assert.ok((error as InvalidError).hint);
    return;
  }
  assert.unreachable(`expected ${kind.name} matching ${message}`);
}

test('cgroupsPath is written as given', () => {
  assert.is(build().linux.cgroupsPath, 'tscompose-shop:web:1');
});

test('host namespaces have no entry; another container’s are joined through /proc', () => {
  const config = build({
    network: { kind: 'host' },
    ipc: { kind: 'container', pid: 4711 },
    pid: { kind: 'host' },
  });
  assert.equal(config.linux.namespaces, [
    { type: 'mount' },
    { type: 'uts' },
    { type: 'ipc', path: '/proc/4711/ns/ipc' },
  ]);
  const joined = build({ pid: { kind: 'container', pid: 99 }, ipc: { kind: 'host' } });
  assert.ok(
    joined.linux.namespaces.some((ns) => ns.type === 'pid' && ns.path === '/proc/99/ns/pid'),
  );
  assert.not.ok(joined.linux.namespaces.some((ns) => ns.type === 'ipc'));
});

test('network none is a new, empty network namespace', () => {
  assert.equal(build({ network: { kind: 'none' } }).linux.namespaces[1], { type: 'network' });
});

test('a pure cgroup v2 host adds a cgroup namespace, as Docker’s default there', () => {
  const namespaces = build({}, { unifiedCgroup: true }).linux.namespaces.map((ns) => ns.type);
  assert.equal(namespaces, ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
});

test('the host network gets none of the default network sysctls', () => {
  assert.is(build({ network: { kind: 'host' } }).linux.sysctl, undefined);
});

test('cap_add and cap_drop take names with or without CAP_, in any case', () => {
  const caps = build({ capAdd: ['net_admin', 'CAP_SYS_PTRACE'], capDrop: ['MKNOD', 'cap_net_raw'] })
    .process.capabilities?.bounding;
  const expected = DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD' && c !== 'CAP_NET_RAW');
  assert.equal(caps, [...expected, 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE']);
});

test('cap_add ALL is every capability less those dropped; cap_drop ALL keeps only those added', () => {
  const all = build({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }).process.capabilities?.bounding;
  assert.equal(
    all,
    ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN'),
  );
  const none = build({ capDrop: ['all'], capAdd: ['NET_BIND_SERVICE'] }).process.capabilities;
  assert.equal(none, {
    bounding: ['CAP_NET_BIND_SERVICE'],
    effective: ['CAP_NET_BIND_SERVICE'],
    permitted: ['CAP_NET_BIND_SERVICE'],
  });
});

test('adding a default capability does not list it twice', () => {
  assert.equal(build({ capAdd: ['CHOWN'] }).process.capabilities?.bounding, [
    ...DEFAULT_CAPABILITIES,
  ]);
});

test('an unknown capability is an InvalidError; one the host lacks is unsupported', () => {
  refused(() => build({ capAdd: ['NET_MAGIC'] }), InvalidError, /unknown capability: "NET_MAGIC"/);
  const withoutBpf = ALL_CAPABILITIES.filter((c) => c !== 'CAP_BPF');
  refused(
    () => build({ capAdd: ['BPF'] }, { capabilities: withoutBpf }),
    UnsupportedError,
    /CAP_BPF is not available/,
  );
});

test('privileged: every capability the host has, no masked paths, rw /sys, all devices', () => {
  const host = ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');
  const config = build({ privileged: true, capDrop: ['NET_RAW'] }, { capabilities: host });
  assert.equal(config.process.capabilities?.bounding, host);
  assert.is(config.linux.maskedPaths, undefined);
  assert.is(config.linux.readonlyPaths, undefined);
  assert.equal(mount(config, '/sys')?.options, ['nosuid', 'noexec', 'nodev']);
  assert.equal(mount(config, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev']);
  assert.equal(config.linux.devices, [KVM]);
  assert.equal(config.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
});

test('the host’s devices are read from /dev, /dev/null among them', () => {
  const devices = hostDevices('/dev');
  const nul = devices.find((d) => d.path === '/dev/null');
  assert.equal(nul && { type: nul.type, major: nul.major, minor: nul.minor }, {
    type: 'c',
    major: 1,
    minor: 3,
  });
  assert.not.ok(devices.some((d) => d.path.startsWith('/dev/pts/') || d.path === '/dev/console'));
});

test('memory: limit, reservation, and swap twice the limit unless given', () => {
  const mib = 1024 * 1024;
  const limited = build({ resources: { memory: 512 * mib, memoryReservation: 256 * mib } });
  assert.equal(limited.linux.resources?.memory, {
    limit: 512 * mib,
    reservation: 256 * mib,
    swap: 1024 * mib,
  });
  assert.equal(
    build({ resources: { memory: 512 * mib, memorySwap: 768 * mib } }).linux.resources?.memory,
    {
      limit: 512 * mib,
      swap: 768 * mib,
    },
  );
  assert.equal(
    build({ resources: { memory: 512 * mib, memorySwap: -1 } }).linux.resources?.memory,
    {
      limit: 512 * mib,
    },
  );
  assert.is(build().linux.resources?.memory, undefined);
});

test('memory limits Docker refuses are refused', () => {
  const mib = 1024 * 1024;
  refused(() => build({ resources: { memory: mib } }), InvalidError, /below the minimum of 6 MiB/);
  refused(
    () => build({ resources: { memory: 64 * mib, memorySwap: 32 * mib } }),
    InvalidError,
    /less than mem_limit/,
  );
  refused(() => build({ resources: { memorySwap: 32 * mib } }), InvalidError, /without mem_limit/);
});

test('cpus is a quota over a 100 ms period; shares and cpuset as given', () => {
  const config = build({ resources: { cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1,3' } });
  assert.equal(config.linux.resources?.cpu, {
    shares: 512,
    quota: 150000,
    period: 100000,
    cpus: '0-1,3',
  });
  assert.equal(build({ resources: { cpus: 0.5 } }).linux.resources?.cpu, {
    quota: 50000,
    period: 100000,
  });
  refused(() => build({ resources: { cpus: 0.001 } }), InvalidError, /invalid cpus 0.001/);
  refused(() => build({ resources: { cpusetCpus: 'all' } }), InvalidError, /invalid cpuset "all"/);
});

test('a pids limit of 0 or less is unlimited (-1)', () => {
  assert.equal(build({ resources: { pids: 200 } }).linux.resources?.pids, { limit: 200 });
  assert.equal(build({ resources: { pids: 0 } }).linux.resources?.pids, { limit: -1 });
  assert.equal(build({ resources: { pids: -1 } }).linux.resources?.pids, { limit: -1 });
  assert.is(build().linux.resources?.pids, undefined);
});

test('the service’s sysctls win over the defaults', () => {
  const config = build({
    sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1000' },
  });
  assert.equal(config.linux.sysctl, {
    'net.ipv4.ping_group_range': '0 2147483647',
    'net.ipv4.ip_unprivileged_port_start': '1024',
    'kernel.shmmax': '1000',
  });
});

test('a sysctl outside the container’s namespaces is refused, as runc would', () => {
  refused(
    () => build({ network: { kind: 'host' }, sysctls: { 'net.core.somaxconn': '1024' } }),
    InvalidError,
    /net.core.somaxconn is not allowed with network_mode: host/,
  );
  refused(
    () => build({ ipc: { kind: 'host' }, sysctls: { 'fs.mqueue.msg_max': '20' } }),
    InvalidError,
    /ipc: host/,
  );
  refused(
    () => build({ sysctls: { 'vm.swappiness': '10' } }),
    InvalidError,
    /vm.swappiness is not namespaced/,
  );
  refused(
    () => build({ sysctls: { 'kernel.hostname': 'x' } }),
    InvalidError,
    /kernel.hostname is not allowed/,
  );
});

test('shm_size sizes /dev/shm', () => {
  assert.equal(mount(build({ shmSize: 256 * 1024 * 1024 }), '/dev/shm')?.options, [
    'nosuid',
    'noexec',
    'nodev',
    'mode=1777',
    'size=268435456',
  ]);
  refused(() => build({ shmSize: 0 }), InvalidError, /invalid shm_size 0/);
});

test('bind and tmpfs mounts come after the defaults, shallowest first, as Docker writes them', () => {
  const config = build({
    mounts: [
      { kind: 'bind', source: '/srv/app/static', target: '/app/public/static', readOnly: true },
      { kind: 'bind', source: '/srv/app', target: '/app/' },
      { kind: 'tmpfs', target: '/run', size: 64 * 1024 * 1024, mode: 0o1777 },
      { kind: 'tmpfs', target: '/cache', size: 1000, readOnly: true },
      { kind: 'bind', source: '/srv/data', target: '/data', propagation: 'rslave' },
    ],
  });
  assert.equal(config.mounts.slice(7), [
    { destination: '/app', type: 'bind', source: '/srv/app', options: ['rbind', 'rprivate'] },
    {
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'mode=1777', 'size=64m'],
    },
    {
      destination: '/cache',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'ro', 'size=1000'],
    },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rslave'] },
    {
      destination: '/app/public/static',
      type: 'bind',
      source: '/srv/app/static',
      options: ['rbind', 'ro', 'rprivate'],
    },
  ]);
  assert.is(config.linux.rootfsPropagation, 'rslave');
});

test('a shared bind mount makes the root propagate shared', () => {
  const config = build({
    mounts: [{ kind: 'bind', source: '/mnt', target: '/mnt', propagation: 'rshared' }],
  });
  assert.is(config.linux.rootfsPropagation, 'shared');
  assert.is(build().linux.rootfsPropagation, undefined);
});

test('a mount on a default’s target replaces it; one on /dev replaces all of /dev', () => {
  const shm = build({ mounts: [{ kind: 'tmpfs', target: '/dev/shm', size: 1024 }] });
  assert.equal(
    shm.mounts.filter((m) => m.destination === '/dev/shm').map((m) => m.source),
    ['tmpfs'],
  );
  const dev = build({ mounts: [{ kind: 'bind', source: '/dev', target: '/dev' }] });
  assert.equal(
    dev.mounts.map((m) => m.destination),
    ['/proc', '/sys', '/sys/fs/cgroup', '/dev'],
  );
});

test('the /etc files are bind-mounted, read-only on a read-only root, unless the service mounts one', () => {
  const etcFiles = {
    hosts: '/run/c/hosts',
    resolvConf: '/run/c/resolv.conf',
    hostname: '/run/c/hostname',
  };
  const config = build({
    etcFiles,
    readOnly: true,
    mounts: [{ kind: 'bind', source: '/srv/hosts', target: '/etc/hosts', readOnly: true }],
  });
  assert.equal(config.mounts.slice(7), [
    {
      destination: '/etc/hosts',
      type: 'bind',
      source: '/srv/hosts',
      options: ['rbind', 'ro', 'rprivate'],
    },
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: '/run/c/resolv.conf',
      options: ['rbind', 'ro', 'rprivate'],
    },
    {
      destination: '/etc/hostname',
      type: 'bind',
      source: '/run/c/hostname',
      options: ['rbind', 'ro', 'rprivate'],
    },
  ]);
  assert.equal(mount(build({ etcFiles }), '/etc/hosts')?.options, ['rbind', 'rprivate']);
});

test('a read-only root leaves /dev, /proc and the service’s mounts writable', () => {
  const config = build({ readOnly: true, init: { path: '/usr/bin/docker-init' } });
  assert.equal(mount(config, '/dev/shm')?.options?.includes('ro'), false);
  assert.equal(mount(config, '/dev/mqueue')?.options?.includes('ro'), false);
  assert.equal(mount(config, '/proc')?.options?.includes('ro'), false);
  assert.equal(mount(config, '/sys')?.options, ['nosuid', 'noexec', 'nodev', 'ro']);
  assert.equal(mount(config, '/sbin/docker-init')?.options, ['bind', 'ro']);
});

test('ipc: host shares the host’s /dev/shm', () => {
  const config = build({ ipc: { kind: 'host' } });
  assert.equal(
    config.mounts.filter((m) => m.destination === '/dev/shm'),
    [{ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] }],
  );
});

test('mounts the runtime cannot make are refused before it runs', () => {
  refused(
    () => build({ mounts: [{ kind: 'bind', source: 'data', target: '/data' }] }),
    InvalidError,
    /not absolute: data/,
  );
  refused(
    () => build({ mounts: [{ kind: 'tmpfs', target: 'tmp' }] }),
    InvalidError,
    /mount target tmp is not an absolute/,
  );
  refused(
    () => build({ mounts: [{ kind: 'tmpfs', target: '/' }] }),
    InvalidError,
    /cannot target \//,
  );
  refused(
    () =>
      build({
        mounts: [
          { kind: 'tmpfs', target: '/data' },
          { kind: 'bind', source: '/srv', target: '/data/' },
        ],
      }),
    InvalidError,
    /two mounts on \/data/,
  );
});

test.run();

// Network keys up cannot honour are refused with the key, before anything is made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NetworkManager } from '../../src/engine/network/index.js';
import { loadProject } from '../../src/planner/loader.js';
import { ensureNetwork, ignoredDriverOpts } from '../../src/stack/networks.js';

/** A manager that fails the test if it is asked for anything. */
const untouched = new Proxy(
  {},
  {
    get: (_, name) => {
      throw new Error(`the network manager was used: ${String(name)}`);
    },
  },
) as NetworkManager;

function project(yaml: string) {
  return loadProject({
    cwd: '/srv/demo',
    files: ['-'],
    stdin: yaml,
    projectName: 'demo',
    environment: {},
    homeDir: '/root',
  }).project;
}

test('enable_ipv4: false is refused, naming the key', async () => {
  const p = project(
    'services:\n  app:\n    image: busybox\n    networks: [v6only]\nnetworks:\n  v6only:\n    enable_ipv4: false\n    enable_ipv6: true\n',
  );
  const error = await ensureNetwork(untouched, p, 'v6only', 'services.app.networks.v6only').then(
    () => undefined,
    (caught: unknown) => caught as Error & { path?: string },
  );
  assert.ok(error, 'refused');
  assert.match(error!.message, 'network v6only turns IPv4 off');
  assert.is(error!.path, 'networks.v6only.enable_ipv4');
});

test('an IPv6 subnet without enable_ipv6 is refused, naming the ipam entry', async () => {
  const p = project(
    'services:\n  app:\n    image: busybox\n    networks: [plain]\nnetworks:\n  plain:\n    ipam:\n      config: [{ subnet: "fd00:1:2::/64" }]\n',
  );
  const error = await ensureNetwork(untouched, p, 'plain', 'services.app.networks.plain').then(
    () => undefined,
    (caught: unknown) => caught as Error & { path?: string },
  );
  assert.ok(error, 'refused');
  assert.match(error!.message, 'IPv6 subnet fd00:1:2::/64 is given');
  assert.is(error!.path, 'networks.plain.ipam.config[0]');
});

test('driver_opts up does not apply are named; the bridge name and MTU are applied', () => {
  const p = project(
    [
      'services:',
      '  app:',
      '    image: busybox',
      '    networks: [tuned, plain]',
      'networks:',
      '  tuned:',
      '    driver_opts:',
      '      com.docker.network.bridge.name: br-tuned',
      '      com.docker.network.driver.mtu: "1400"',
      '      com.docker.network.bridge.enable_icc: "false"',
      '  plain:',
      '    driver_opts: { com.docker.network.driver.mtu: "1400" }',
      '',
    ].join('\n'),
  );
  assert.is(
    ignoredDriverOpts(p, 'tuned'),
    'networks.tuned.driver_opts: com.docker.network.bridge.enable_icc is not applied (tscompose applies com.docker.network.bridge.name and com.docker.network.driver.mtu)',
  );
  assert.is(ignoredDriverOpts(p, 'plain'), undefined);
});

test.run();

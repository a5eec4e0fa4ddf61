import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import {
  familiarName,
  formatReference,
  parseReference,
  registryHost,
} from '../../src/engine/image/reference.js';
import { hostPlatform, parsePlatform } from '../../src/engine/image/platform.js';

const cases: [string, string, string][] = [
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['team/app', 'docker.io/team/app:latest', 'team/app:latest'],
  ['index.docker.io/library/node:20', 'docker.io/library/node:20', 'node:20'],
  ['127.0.0.1:5000/app:dev', '127.0.0.1:5000/app:dev', '127.0.0.1:5000/app:dev'],
  ['localhost/x/y:1', 'localhost/x/y:1', 'localhost/x/y:1'],
  ['ghcr.io/org/tool', 'ghcr.io/org/tool:latest', 'ghcr.io/org/tool:latest'],
  [
    `busybox@sha256:${'a'.repeat(64)}`,
    `docker.io/library/busybox@sha256:${'a'.repeat(64)}`,
    `busybox@sha256:${'a'.repeat(64)}`,
  ],
  [
    `busybox:1@sha256:${'b'.repeat(64)}`,
    `docker.io/library/busybox:1@sha256:${'b'.repeat(64)}`,
    `busybox:1@sha256:${'b'.repeat(64)}`,
  ],
];

for (const [input, full, familiar] of cases) {
  test(`${input} is ${full}`, () => {
    const ref = parseReference(input);
    assert.is(formatReference(ref), full);
    assert.is(familiarName(ref), familiar);
  });
}

for (const bad of ['Busybox', 'busybox:', 'a//b', 'busybox@sha256:zz', 'x:y:z', '']) {
  test(`refuses "${bad}"`, () => {
    assert.throws(
      () => parseReference(bad),
      (e: unknown) =>
        e instanceof InvalidError && /invalid image reference/.test((e as Error).message),
    );
  });
}

test('Docker Hub answers its API on another host', () => {
  assert.is(registryHost('docker.io'), 'registry-1.docker.io');
  assert.is(registryHost('127.0.0.1:5000'), '127.0.0.1:5000');
});

test('platforms in OCI terms', () => {
  assert.equal(hostPlatform('x64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(hostPlatform('arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.throws(() => parsePlatform('linux'), /invalid platform/);
});

test.run();

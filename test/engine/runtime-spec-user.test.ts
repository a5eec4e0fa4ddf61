// Who a container runs as: names and ids resolved in the image's /etc/passwd and /etc/group
// as runc's libcontainer/user resolves them for Docker, without leaving the root file system.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec } from '../../src/engine/runtime/types.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
} from '../../src/engine/runtime/spec/capabilities.js';
import { buildOciSpec } from '../../src/engine/runtime/spec/index.js';
import { InvalidError, NotFoundError } from '../../src/errors.js';

const DEBIAN = fileURLToPath(new URL('./fixtures/runtime-spec/debian', import.meta.url));

function build(user: Partial<ContainerSpec>, rootfs = DEBIAN, imageUser?: string) {
  return buildOciSpec({
    spec: {
      id: 'f'.repeat(64),
      name: 'shop-web-1',
      project: 'shop',
      image: `sha256:${'1'.repeat(64)}`,
      entrypoint: null,
      command: ['sh'],
      env: {},
      network: { kind: 'none' },
      ipc: { kind: 'private' },
      pid: { kind: 'private' },
      mounts: [],
      resources: {},
      labels: {},
      ...user,
    },
    image: imageUser === undefined ? {} : { User: imageUser },
    rootfs,
    cgroupsPath: '/tscompose/shop/web-1',
    host: {
      hostname: 'h',
      unifiedCgroup: false,
      capabilities: ALL_CAPABILITIES,
      devices: () => [],
    },
  });
}

const home = (result: ReturnType<typeof build>) =>
  result.config.process.env.find((entry) => entry.startsWith('HOME='));

let work: string;
test.before.each(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tscompose-runtime-spec-'));
});
test.after.each(() => {
  rmSync(work, { recursive: true, force: true });
});

function notFound(run: () => unknown, message: string): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, NotFoundError);
    assert.is((error as Error).message, message);
    assert.ok((error as NotFoundError).hint);
    return;
  }
  assert.unreachable(`expected NotFoundError: ${message}`);
}

test('root by default, with root’s home', () => {
  const result = build({});
  assert.equal(result.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.is(home(result), 'HOME=/root');
});

test('a name gets its uid, gid, supplementary groups and home from the image', () => {
  const result = build({ user: 'app' });
  assert.equal(result.user, { uid: 1000, gid: 1000, additionalGids: [1000, 33, 50] });
  assert.equal(result.config.process.user, result.user);
  assert.is(home(result), 'HOME=/home/app');
});

test('the image’s User is the default, and the service’s wins over it', () => {
  assert.is(build({}, DEBIAN, 'www-data').user.uid, 33);
  assert.is(build({ user: 'app' }, DEBIAN, 'www-data').user.uid, 1000);
});

test('a uid that passwd lists is that user, with its groups', () => {
  assert.equal(build({ user: '1000' }).user, {
    uid: 1000,
    gid: 1000,
    additionalGids: [1000, 33, 50],
  });
});

test('a uid that passwd does not list runs with gid 0 and HOME=/', () => {
  const result = build({ user: '4242' });
  assert.equal(result.user, { uid: 4242, gid: 0, additionalGids: [0] });
  assert.is(home(result), 'HOME=/');
});

test('an explicit group sets the gid and drops the supplementary groups', () => {
  assert.equal(build({ user: 'app:staff' }).user, { uid: 1000, gid: 50, additionalGids: [50] });
  assert.equal(build({ user: '4242:4343' }).user, { uid: 4242, gid: 4343, additionalGids: [4343] });
  assert.equal(build({ user: 'app:33' }).user, { uid: 1000, gid: 33, additionalGids: [33] });
});

test('group_add appends groups by name or gid, also gids the image does not list', () => {
  const result = build({ user: 'www-data', groupAdd: ['docker', '5', '7777', 'staff'] });
  assert.equal(result.user, { uid: 33, gid: 33, additionalGids: [33, 999, 5, 7777, 50] });
});

test('a user the image does not have is a NotFoundError naming it and the file', () => {
  notFound(
    () => build({ user: 'ghost' }),
    "unable to find user ghost: no matching entries in the image's /etc/passwd",
  );
});

test('a group the image does not have is a NotFoundError, in user: and in group_add', () => {
  notFound(
    () => build({ user: 'app:wheel' }),
    "unable to find group wheel: no matching entries in the image's /etc/group",
  );
  notFound(
    () => build({ groupAdd: ['audio'] }),
    "unable to find group audio: no matching entries in the image's /etc/group",
  );
});

test('an id out of range is refused', () => {
  assert.throws(
    () => build({ user: '-1' }),
    (error: unknown) => error instanceof InvalidError,
  );
  assert.throws(
    () => build({ user: `0:${2 ** 31}` }),
    (error: unknown) => error instanceof InvalidError,
  );
});

test('without /etc/passwd numeric ids work and names do not', () => {
  mkdirSync(path.join(work, 'etc'));
  assert.equal(build({ user: '1000:1000' }, work).user, {
    uid: 1000,
    gid: 1000,
    additionalGids: [1000],
  });
  assert.equal(build({}, work).user, { uid: 0, gid: 0, additionalGids: [0] });
  try {
    build({ user: 'app' }, work);
    assert.unreachable('a name without /etc/passwd must fail');
  } catch (error) {
    assert.instance(error, NotFoundError);
    assert.match((error as NotFoundError).hint ?? '', /has no \/etc\/passwd/);
  }
});

test('an absolute symlink to /etc/passwd is resolved inside the root file system', () => {
  mkdirSync(path.join(work, 'etc'));
  mkdirSync(path.join(work, 'usr/lib'), { recursive: true });
  writeFileSync(
    path.join(work, 'usr/lib/passwd'),
    'root:x:0:0::/root:/bin/sh\nsvc:x:7:7::/srv:/bin/sh\n',
  );
  symlinkSync('/usr/lib/passwd', path.join(work, 'etc/passwd'));
  assert.equal(build({ user: 'svc' }, work).user, { uid: 7, gid: 7, additionalGids: [7] });
});

test('a symlink that climbs out of the root file system never reads the host’s file', () => {
  // Followed on the host, this link is the host's /etc/passwd (which has root). Inside the
  // root file system `..` stops at its top, so it lands on <rootfs>/etc/passwd-inside.
  mkdirSync(path.join(work, 'etc'));
  symlinkSync('../../../../../../../../etc/passwd-inside', path.join(work, 'etc/passwd'));
  writeFileSync(path.join(work, 'etc/passwd-inside'), 'inside:x:5:5::/in:/bin/sh\n');
  assert.is(build({ user: 'inside' }, work).user.uid, 5);
  notFound(
    () => build({ user: 'root' }, work),
    "unable to find user root: no matching entries in the image's /etc/passwd",
  );
  // Pointed at the host's /etc/passwd itself, it is a link to itself inside: a loop, refused.
  rmSync(path.join(work, 'etc/passwd'));
  symlinkSync('../../../../../../../../etc/passwd', path.join(work, 'etc/passwd'));
  assert.throws(
    () => build({ user: 'root' }, work),
    (error: unknown) =>
      error instanceof InvalidError && /too many levels of symbolic links/.test(error.message),
  );
});

test('a user other than root gets the capabilities only in its bounding set, as Docker', () => {
  const { capabilities } = build({ user: 'app' }).config.process;
  assert.equal(capabilities, { bounding: [...DEFAULT_CAPABILITIES] });
});

test.run();

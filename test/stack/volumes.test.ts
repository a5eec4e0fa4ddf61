// `volume ls|inspect|rm|prune` over the volumes a stack made; driver_opts; volumes_from; an
// image's VOLUME paths.
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);

whenMet(test, containersRequirement, () => {
  test('ls and inspect show the volumes; rm is refused while in use; prune -a takes the rest', async () => {
    const t = await stack(
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    volumes: ["data:/data", "/scratch"]',
        'volumes:',
        '  data:',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const names = (await t.ok(['volume', 'ls', '-q'])).trim().split('\n').sort();
    assert.is(names.length, 2);
    assert.ok(names.includes(`${t.project}_data`), names.join(' '));
    assert.match(await t.ok(['volume', 'ls']), /^DRIVER\s+VOLUME NAME\nlocal\s+/);
    const [inspect] = JSON.parse(await t.ok(['volume', 'inspect', `${t.project}_data`]));
    assert.is(inspect.Driver, 'local');
    assert.match(inspect.Mountpoint, /\/volumes\/t[0-9a-f]+_data\/_data$/);
    assert.is(inspect.Labels['com.docker.compose.project'], t.project);

    const busy = await t.cli(['volume', 'rm', `${t.project}_data`]);
    assert.is(busy.code, 5);
    assert.match(busy.stderr, `volume ${t.project}_data is in use by ${t.project}-db-1`);
    const missing = await t.cli(['volume', 'inspect', 'nope']);
    assert.is(missing.code, 4);

    await t.ok(['down', '-t', '0']);
    const pruned = await t.ok(['volume', 'prune', '-a']);
    assert.match(pruned, `${t.project}_data`);
    assert.is(await t.ok(['volume', 'ls', '-q']), '');
  });
});

whenMet(test, containersRequirement, () => {
  test('local driver_opts: a bind of a host directory, and a sized tmpfs the services share', async () => {
    const t = await stack('services: {}\n');
    const hostdir = path.join(t.dir, 'hostdata');
    mkdirSync(hostdir);
    t.compose(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    volumes: ["shared:/shared", "scratch:/scratch"]',
        '  peer:',
        '    image: busybox',
        '    command: ["sleep", "1001"]',
        '    volumes: ["scratch:/scratch"]',
        'volumes:',
        '  shared:',
        `    driver_opts: { type: none, o: bind, device: ${hostdir} }`,
        '  scratch:',
        '    driver_opts: { type: tmpfs, device: tmpfs, o: size=1m }',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const sh = (service: string, script: string) =>
      t.ok(['exec', '-T', service, 'sh', '-c', script]).then((out) => out.trim());
    await sh('app', 'echo hi > /shared/file; echo in-memory > /scratch/note');
    assert.is(readFileSync(path.join(hostdir, 'file'), 'utf8'), 'hi\n');
    assert.match(await sh('app', 'df -k /scratch | tail -1'), /^tmpfs\s+1024\s/);
    assert.is(await sh('peer', 'cat /scratch/note'), 'in-memory', 'one tmpfs for both');
    const [scratch] = JSON.parse(await t.ok(['volume', 'inspect', `${t.project}_scratch`]));
    assert.equal(scratch.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });

    // Once no container uses it, the tmpfs and what was in it are gone, as with Docker.
    await t.ok(['down', '-t', '0']);
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), scratch.Mountpoint);
    await t.ok(['up', '-d']);
    assert.is(await sh('peer', 'ls /scratch'), '');
    assert.is(await sh('app', 'cat /shared/file'), 'hi', 'the bind volume keeps its directory');
  });
});

whenMet(test, containersRequirement, () => {
  test('volumes_from shares the named, anonymous and bind mounts of another service', async () => {
    const t = await stack('services: {}\n');
    const hostdir = path.join(t.dir, 'site');
    mkdirSync(hostdir);
    t.compose(
      [
        'services:',
        '  data:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo named > /db/file; echo anon > /cache/file; exec sleep 1000"]',
        `    volumes: ["db:/db", "/cache", "${hostdir}:/site"]`,
        '  reader:',
        '    image: busybox',
        '    command: ["sleep", "1001"]',
        '    volumes_from: ["data:ro"]',
        '  writer:',
        '    image: busybox',
        '    command: ["sleep", "1002"]',
        '    volumes_from: [data]',
        'volumes:',
        '  db:',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);
    assert.not.match(up.stderr, 'volumes_from', 'no warning that it is not applied');
    const sh = (service: string, script: string) =>
      t.ok(['exec', '-T', service, 'sh', '-c', script]).then((out) => out.trim());
    await sh('writer', 'echo from-writer > /site/page');
    assert.is(readFileSync(path.join(hostdir, 'page'), 'utf8'), 'from-writer\n');
    assert.is(
      await sh('reader', 'cat /db/file /cache/file /site/page'),
      'named\nanon\nfrom-writer',
    );
    assert.match(
      await sh('reader', 'touch /db/x 2>&1; echo $?'),
      /Read-only file system[\s\S]*1$/,
      ':ro makes the shared volume read-only',
    );
    await sh('writer', 'echo again > /cache/file');
    assert.is(await sh('data', 'cat /cache/file'), 'again', 'the same anonymous volume');
  });
});

whenMet(test, containersRequirement, () => {
  test("an image's VOLUME gets an anonymous volume with the image's data, kept across a recreate", async () => {
    const t = await stack('services: {}\n');
    const rootfs = path.join(t.dir, 'rootfs');
    mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    mkdirSync(path.join(rootfs, 'data'));
    copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    for (const applet of ['sh', 'cat', 'sleep'])
      symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    writeFileSync(path.join(rootfs, 'data', 'seed'), 'from the image\n');
    await t.ok(['image', 'import', '--change', 'VOLUME /data/', rootfs, 'seeded:1']);
    const compose = (marker: string) =>
      t.compose(
        [
          'services:',
          '  app:',
          '    image: seeded:1',
          `    environment: { MARKER: ${marker} }`,
          '    command: ["/bin/sh", "-c", "echo run $$MARKER >> /data/seed; exec sleep 1000"]',
          '',
        ].join('\n'),
      );
    compose('one');
    await t.ok(['up', '-d']);
    const volumes = (await t.ok(['volume', 'ls', '-q'])).trim().split('\n');
    assert.equal(volumes.length, 1, volumes.join(' '));
    assert.match(volumes[0]!, new RegExp(`^${t.project}_app_anon_[0-9a-f]{12}$`));
    const cat = () => t.ok(['exec', '-T', 'app', 'cat', '/data/seed']);
    assert.is(await cat(), 'from the image\nrun one\n');
    compose('two');
    await t.ok(['up', '-d']);
    assert.is(await cat(), 'from the image\nrun one\nrun two\n', 'the recreated one has it');
  });
});

whenMet(test, containersRequirement, () => {
  test('volume create makes the volume an external: true one needs; down -v keeps it', async () => {
    const t = await stack(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo kept > /shared/file; exec sleep 1000"]',
        '    volumes: ["shared:/shared"]',
        'volumes:',
        '  shared:',
        '    external: true',
        '    name: made-by-hand',
        '',
      ].join('\n'),
    );
    const missing = await t.cli(['up', '-d']);
    assert.is(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, 'external volume "made-by-hand" not found');
    assert.is(await t.ok(['volume', 'create', '-l', 'team=web', 'made-by-hand']), 'made-by-hand\n');
    const bad = await t.cli(['volume', 'create', '-o', 'size=1m', 'other']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, 'the local driver has no option "size"');
    await t.ok(['up', '-d']);
    await t.ok(['down', '-v', '-t', '0']);
    const [volume] = JSON.parse(await t.ok(['volume', 'inspect', 'made-by-hand']));
    assert.equal(volume.Labels, { team: 'web' });
    assert.is(readFileSync(path.join(volume.Mountpoint, 'file'), 'utf8'), 'kept\n');
    await t.ok(['volume', 'rm', 'made-by-hand']);
  });
});

test.run();

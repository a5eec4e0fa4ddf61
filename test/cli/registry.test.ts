// `login`, `logout`, `image push|pull` and the project's `pull` and `push`, run as a user
// would, against a real docker-registry on 127.0.0.1 behind htpasswd auth.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReference } from '../../src/engine/image/reference.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { runCli } from '../helpers/cli.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage, startRegistry, type Registry } from '../helpers/registry.js';
import { allOf, commandRuns, whenMet } from '../helpers/requirements.js';

const USER = 'alice';
const PASSWORD = 'correct horse';
const root = path.resolve(import.meta.dirname, '../..');
const requirement = allOf(
  commandRuns('docker-registry', ['--version'], 'these tests run a real registry'),
  commandRuns('htpasswd', ['-nbB', 'a', 'b'], 'the registry checks passwords with htpasswd files'),
);

let registry: Registry;
let source: TestEngine;
let target: TestEngine;
let dir: string;

test.before(async () => {
  if (requirement.met) {
    registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
  }
});
test.after(async () => {
  await registry?.stop();
});
test.before.each(() => {
  source = testEngine();
  target = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-cli-registry-'));
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function envFor(engine: TestEngine): Record<string, string> {
  return {
    TSCOMPOSE_ROOT: engine.engine.options.root,
    TSCOMPOSE_RUN_ROOT: engine.engine.options.runRoot,
    DOCKER_CONFIG: path.join(dir, 'docker'),
  };
}

function configFile(): string {
  return path.join(dir, 'docker', 'config.json');
}

/** The built command in a child process, for what needs standard input. */
function runBin(args: string[], input: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [path.join(root, 'bin/tscompose.js'), ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

whenMet(test, requirement, () => {
  test('a wrong password is refused with exit 7, and nothing is stored', async () => {
    const result = await runCli(['login', '-u', USER, '-p', 'wrong', registry.domain], {
      env: envFor(source),
    });
    assert.is(result.code, 7, result.stderr);
    assert.match(result.stderr, /error: .*(password|credentials|unauthorized)/i);
    assert.not.ok(existsSync(configFile()), 'no config file written');
  });

  test('login from standard input, push, pull into an empty store, logout', async () => {
    const login = runBin(
      ['login', '-u', USER, '--password-stdin', registry.domain],
      `${PASSWORD}\n`,
      envFor(source),
    );
    assert.is(login.status, 0, login.stderr);
    assert.is(login.stdout, 'Login Succeeded\n');
    const stored = JSON.parse(readFileSync(configFile(), 'utf8'));
    assert.is(
      Buffer.from(stored.auths[registry.domain].auth, 'base64').toString(),
      `${USER}:${PASSWORD}`,
      'stored as the Docker CLI stores it',
    );

    const ref = `${registry.domain}/team/app:1`;
    const built = await buildImage(source.engine, ref, { layers: 3 });
    const push = await runCli(['image', 'push', ref], { env: envFor(source) });
    assert.is(push.code, 0, push.stderr);
    assert.is(push.stdout, `${ref}: digest: ${built.manifestDigest} size: ${built.manifestSize}\n`);
    assert.is(push.stderr.match(/: Pushed$/gm)?.length, 3, push.stderr);

    const pull = await runCli(['image', 'pull', ref], { env: envFor(target) });
    assert.is(pull.code, 0, pull.stderr);
    assert.is(pull.stdout, `${ref}\n`);
    assert.match(pull.stderr, `Status: Downloaded newer image for ${ref}`);
    assert.is(pull.stderr.match(/: Pull complete$/gm)?.length, 3, pull.stderr);
    const again = await runCli(['image', 'pull', ref], { env: envFor(target) });
    assert.match(again.stderr, `Status: Image is up to date for ${ref}`);
    const image = new ImageRepository(target.engine.db, target.engine.store).resolve(ref);
    assert.is(image.manifestDigest, built.manifestDigest);

    const logout = await runCli(['logout', registry.domain], { env: envFor(source) });
    assert.is(logout.stdout, `Removing login credentials for ${registry.domain}\n`);
    const after = JSON.parse(readFileSync(configFile(), 'utf8'));
    assert.not.ok(after.auths?.[registry.domain], 'the entry is gone');
    const denied = await runCli(['image', 'pull', `${registry.domain}/team/app:1`], {
      env: envFor(source),
    });
    assert.is(denied.code, 7, 'without credentials the registry refuses');
  });

  test('the project: push what it builds, pull what it uses', async () => {
    assert.is(
      (
        await runCli(['login', '-u', USER, '-p', PASSWORD, registry.domain], {
          env: envFor(source),
        })
      ).code,
      0,
    );
    const app = `${registry.domain}/team/api:dev`;
    const extra = `${registry.domain}/team/api:latest`;
    await buildImage(source.engine, app, { layers: 2 });
    const sourceImages = new ImageRepository(source.engine.db, source.engine.store);
    sourceImages.tag(parseReference(extra), sourceImages.resolve(app).id);
    const db = `${registry.domain}/library/db:15`;
    await buildImage(source.engine, db, { layers: 1 });
    assert.is((await runCli(['image', 'push', db], { env: envFor(source) })).code, 0);

    const project = path.join(dir, 'project');
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'compose.yaml'),
      [
        'services:',
        '  api:',
        `    image: ${app}`,
        '    build:',
        '      context: .',
        `      tags: ["${extra}"]`,
        '    depends_on: [db]',
        '  db:',
        `    image: ${db}`,
        '  local:',
        '    build: .',
        '',
      ].join('\n'),
    );
    const push = await runCli(['push'], { cwd: project, env: envFor(source) });
    assert.is(push.code, 0, push.stderr);
    assert.match(push.stderr, /db Skipped - not built by this project/);
    assert.match(push.stderr, /local Skipped - no image name/);
    assert.match(push.stderr, `api Pushed ${app}@`);
    assert.match(push.stderr, `api Pushed ${extra}@`);

    const pull = await runCli(['pull', 'api', '--include-deps'], {
      cwd: project,
      env: envFor(target),
    });
    assert.is(pull.code, 0, pull.stderr);
    const images = new ImageRepository(target.engine.db, target.engine.store);
    assert.ok(images.resolve(app) && images.resolve(db), 'both images arrived');

    const missing = await runCli(['pull', 'nope'], { cwd: project, env: envFor(target) });
    assert.is(missing.code, 4);
    assert.match(missing.stderr, /no such service: nope/);
  });

  test('a pull that fails names the image; a buildable service only warns', async () => {
    const project = path.join(dir, 'broken');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'compose.yaml'),
      [
        'services:',
        '  gone:',
        `    image: ${registry.domain}/team/gone:1`,
        '  built:',
        `    image: ${registry.domain}/team/notyet:1`,
        '    build: .',
        '',
      ].join('\n'),
    );
    assert.is(
      (
        await runCli(['login', '-u', USER, '-p', PASSWORD, registry.domain], {
          env: envFor(target),
        })
      ).code,
      0,
    );
    const built = await runCli(['pull', 'built'], { cwd: project, env: envFor(target) });
    assert.is(built.code, 0, built.stderr);
    assert.match(built.stderr, /warning: pull of .*notyet:1 failed .*; it will be built/);
    const gone = await runCli(['pull'], { cwd: project, env: envFor(target) });
    assert.is(gone.code, 4, gone.stderr);
    assert.match(gone.stderr, /error: .*team\/gone:1/);
    const ignored = await runCli(['pull', '--ignore-pull-failures'], {
      cwd: project,
      env: envFor(target),
    });
    assert.is(ignored.code, 0, ignored.stderr);
  });
});

test.run();

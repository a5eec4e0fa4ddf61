// A real docker-registry behind htpasswd (basic) and behind token auth (a token service
// signing JWTs the registry verifies): login checks the password before storing it, a
// wrong one is a PermissionError that says so, and bearer tokens are cached per scope.
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PermissionError } from '../../src/errors.js';
import { CredentialStore } from '../../src/engine/registry/credentials.js';
import { login, logout } from '../../src/engine/registry/login.js';
import { pullImage } from '../../src/engine/registry/pull.js';
import { pushImage } from '../../src/engine/registry/push.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import {
  buildImage,
  startRegistry,
  type Registry,
  type TokenRequest,
} from '../helpers/registry.js';
import { allOf, commandRuns, whenMet } from '../helpers/requirements.js';

const USER = 'alice';
const PASSWORD = 'correct horse';

interface Context {
  registry?: Registry & { tokenRequests: TokenRequest[] };
  source?: TestEngine;
  target?: TestEngine;
  dir?: string;
  credentials?: CredentialStore;
}

function authSuite(name: string, kind: 'htpasswd' | 'token', tool: string, toolArgs: string[]) {
  const test = suite<Context>(name);
  const requirement = allOf(
    commandRuns('docker-registry', ['--version'], 'these tests run a real registry'),
    commandRuns(tool, toolArgs, `the ${kind} registry needs it`),
  );
  test.before(async (context) => {
    if (requirement.met)
      context.registry = await startRegistry({ kind, username: USER, password: PASSWORD });
  });
  test.after(async (context) => {
    await context.registry?.stop();
  });
  test.before.each((context) => {
    context.source = testEngine();
    context.target = testEngine();
    context.dir = mkdtempSync(path.join(tmpdir(), 'tscompose-docker-config-'));
    context.credentials = new CredentialStore(path.join(context.dir, 'config.json'));
  });
  test.after.each((context) => {
    context.source?.dispose();
    context.target?.dispose();
    if (context.dir) rmSync(context.dir, { recursive: true, force: true });
  });
  whenMet(test, requirement, () => register(test, kind));
  return test;
}

function register(test: ReturnType<typeof suite<Context>>, kind: 'htpasswd' | 'token') {
  test('a wrong password is a PermissionError and nothing is stored', async (c) => {
    const error = await login(c.registry!.domain, USER, 'wrong', {
      credentials: c.credentials!,
    }).catch((e: unknown) => e);
    assert.instance(error, PermissionError);
    assert.is((error as Error).message, `wrong username or password for ${c.registry!.domain}`);
    assert.not.ok(existsSync(c.credentials!.configFile));
  });

  test('without credentials a push is refused with a hint to log in', async (c) => {
    await buildImage(c.source!.engine, 'app:1');
    const error = await pushImage(
      c.source!.engine,
      'app:1',
      `${c.registry!.domain}/team/app:1`,
    ).catch((e: unknown) => e);
    assert.instance(error, PermissionError);
    assert.match((error as PermissionError).hint ?? '', `tscompose login ${c.registry!.domain}`);
  });

  test('login stores the password the Docker way; push and pull use it', async (c) => {
    const { domain } = c.registry!;
    const stored = await login(domain, USER, PASSWORD, { credentials: c.credentials! });
    assert.equal(stored, { registry: domain, key: domain });
    const file = c.credentials!.configFile;
    assert.is(statSync(file).mode & 0o777, 0o600);
    const config = JSON.parse(readFileSync(file, 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    assert.is(Buffer.from(config.auths[domain]!.auth, 'base64').toString(), `${USER}:${PASSWORD}`);

    const built = await buildImage(c.source!.engine, 'app:1', { layers: 3 });
    const name = `${domain}/team/app:1`;
    c.registry!.tokenRequests.length = 0;
    await pushImage(c.source!.engine, 'app:1', name, { credentials: c.credentials });
    const pushTokens = c.registry!.tokenRequests.length;
    await pullImage(c.target!.engine, name, { credentials: c.credentials });
    for (const digest of [built.manifestDigest, built.configDigest, ...built.layerDigests]) {
      assert.equal(c.target!.engine.store.read(digest), c.source!.engine.store.read(digest));
    }
    if (kind === 'token') {
      // One token per scope, shared by the parallel blob requests.
      assert.equal(
        c.registry!.tokenRequests.slice(0, pushTokens).map((r) => r.scope.join(' ')),
        ['repository:team/app:pull,push'],
      );
      assert.equal(c.registry!.tokenRequests.slice(pushTokens), [
        { scope: ['repository:team/app:pull'], authorized: true },
      ]);
    }

    assert.ok(await logout(domain, { credentials: c.credentials! }));
    assert.not.ok(await logout(domain, { credentials: c.credentials! }));
    const error = await pullImage(c.target!.engine, name, { credentials: c.credentials }).catch(
      (e: unknown) => e,
    );
    assert.instance(error, PermissionError);
  });
}

const basic = authSuite('htpasswd', 'htpasswd', 'htpasswd', ['-nbB', 'u', 'p']);
const token = authSuite('token', 'token', 'openssl', ['version']);
basic.run();
token.run();

// The registry client's pure parts, and its token cache against a loopback token service
// with a clock the test moves: challenges, Retry-After, which hosts may be plain HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PermissionError, RuntimeError, UnsupportedError } from '../../src/errors.js';
import { Authenticator } from '../../src/engine/registry/auth.js';
import { parseRetryAfter, retryDelay } from '../../src/engine/registry/backoff.js';
import { parseChallenges } from '../../src/engine/registry/challenge.js';
import type { Clock } from '../../src/engine/registry/clock.js';
import type { Credentials } from '../../src/engine/registry/credentials.js';
import {
  allowsPlainHttp,
  normaliseRegistry,
  registryBaseUrl,
} from '../../src/engine/registry/hosts.js';

test('WWW-Authenticate: bearer parameters, quoting, several challenges', () => {
  assert.equal(
    parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/busybox:pull',
        },
      },
    ],
  );
  assert.equal(
    parseChallenges(
      'Basic realm="a \\"quoted\\" realm", Bearer realm=https://x/t, error=invalid_token',
    ),
    [
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'invalid_token' } },
    ],
  );
  assert.equal(parseChallenges('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  assert.equal(parseChallenges(null), []);
});

test('Retry-After in seconds or as a date; backoff without it; a long wait gives up', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.is(parseRetryAfter('7', now), 7000);
  assert.is(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.is(parseRetryAfter('soon', now), undefined);
  assert.equal(
    [1, 2, 3, 10].map((n) => retryDelay(null, n, now, 'x')),
    [500, 1000, 2000, 8000],
  );
  assert.throws(
    () => retryDelay('3600', 1, now, 'blob x'),
    (e: unknown) => e instanceof RuntimeError && /wait 3600 s/.test(e.message),
  );
});

test('plain HTTP only on loopback or for registries listed as insecure', () => {
  assert.ok(allowsPlainHttp('127.0.0.1:5000'));
  assert.ok(allowsPlainHttp('127.8.9.1'));
  assert.ok(allowsPlainHttp('localhost:5000'));
  assert.ok(allowsPlainHttp('[::1]:5000'));
  assert.not.ok(allowsPlainHttp('registry.example:5000'));
  assert.not.ok(allowsPlainHttp('128.0.0.1:5000'));
  assert.ok(allowsPlainHttp('registry.example:5000', ['registry.example:5000']));
  assert.ok(allowsPlainHttp('registry.example:5000', ['registry.example']));
  assert.ok(allowsPlainHttp('10.1.2.3:5000', ['10.0.0.0/8']));
  assert.not.ok(allowsPlainHttp('11.1.2.3:5000', ['10.0.0.0/8']));
  assert.is(registryBaseUrl('docker.io').href, 'https://registry-1.docker.io/');
  assert.is(registryBaseUrl('127.0.0.1:5000').href, 'http://127.0.0.1:5000/');
  assert.is(normaliseRegistry('https://index.docker.io/v1/'), 'docker.io');
  assert.is(normaliseRegistry('Registry.Example:5000/'), 'registry.example:5000');
});

interface TokenCall {
  method: string;
  query: Record<string, string[]>;
  body: string;
  authorization?: string;
}

/** A loopback token service that answers 401 to the password "wrong". */
async function tokenService(expiresIn?: number) {
  const calls: TokenCall[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req
      .on('data', (c) => (body += c))
      .on('end', () => {
        const url = new URL(req.url!, 'http://x');
        const query: Record<string, string[]> = {};
        for (const key of new Set(url.searchParams.keys()))
          query[key] = url.searchParams.getAll(key);
        calls.push({ method: req.method!, query, body, authorization: req.headers.authorization });
        if (req.headers.authorization === `Basic ${Buffer.from('u:wrong').toString('base64')}`) {
          res.writeHead(401).end();
          return;
        }
        res.end(
          JSON.stringify({
            token: `t${calls.length}`,
            ...(expiresIn ? { expires_in: expiresIn } : {}),
          }),
        );
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return { calls, realm, close: () => new Promise((resolve) => server.close(resolve)) };
}

function authenticator(realm: string, clock: Clock, creds?: Credentials) {
  const auth = new Authenticator(
    { registry: 'reg.example', insecure: [], clock, userAgent: 'test' },
    () => Promise.resolve(creds),
  );
  assert.ok(auth.learn(`Bearer realm="${realm}",service="reg"`));
  return auth;
}

test('bearer tokens are cached per scope until they expire', async () => {
  const service = await tokenService(120);
  try {
    let now = 1_000_000;
    const clock: Clock = { now: () => now, sleep: async () => undefined };
    const auth = authenticator(service.realm, clock, { username: 'u', password: 'p' });
    const pull = ['repository:a:pull'];
    const parallel = await Promise.all([auth.authorization(pull), auth.authorization(pull)]);
    assert.equal(parallel, ['Bearer t1', 'Bearer t1']);
    assert.is(await auth.authorization(['repository:b:pull']), 'Bearer t2');
    now += 100_000;
    assert.is(await auth.authorization(pull), 'Bearer t1');
    now += 20_000;
    assert.is(await auth.authorization(pull), 'Bearer t3');
    assert.equal(service.calls[0], {
      method: 'GET',
      query: { service: ['reg'], scope: ['repository:a:pull'], account: ['u'] },
      body: '',
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    });
    assert.is(service.calls.length, 3);
  } finally {
    await service.close();
  }
});

test('an identity token is exchanged with the OAuth2 refresh-token POST', async () => {
  const service = await tokenService();
  try {
    const clock: Clock = { now: () => 0, sleep: async () => undefined };
    const auth = authenticator(service.realm, clock, { identitytoken: 'refresh' });
    assert.is(await auth.authorization(['repository:a:pull', 'repository:b:pull']), 'Bearer t1');
    assert.is(service.calls[0]!.method, 'POST');
    assert.equal(Object.fromEntries(new URLSearchParams(service.calls[0]!.body)), {
      grant_type: 'refresh_token',
      refresh_token: 'refresh',
      client_id: 'tscompose',
      service: 'reg',
      scope: 'repository:a:pull repository:b:pull',
    });
    assert.is(service.calls[0]!.authorization, undefined);
  } finally {
    await service.close();
  }
});

test('a refused password at the token service is a PermissionError; plain-HTTP realms elsewhere are refused', async () => {
  const service = await tokenService();
  try {
    const clock: Clock = { now: () => 0, sleep: async () => undefined };
    const wrong = authenticator(service.realm, clock, { username: 'u', password: 'wrong' });
    const error = await wrong.authorization(['repository:a:pull']).catch((e: unknown) => e);
    assert.instance(error, PermissionError);
    assert.is((error as Error).message, 'wrong username or password for reg.example');
    const remote = authenticator('http://auth.example/token', clock, {
      username: 'u',
      password: 'p',
    });
    const plain = await remote.authorization([]).catch((e: unknown) => e);
    assert.instance(plain, UnsupportedError);
    assert.match((plain as Error).message, 'plain HTTP');
  } finally {
    await service.close();
  }
});

test.run();

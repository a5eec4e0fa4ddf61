// Docker's config.json, read and written as the Docker CLI does: `auths` with base64
// user:password, identity tokens, and credential helpers over their JSON protocol (a fake
// docker-credential-fake here, backed by a file).
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError, RuntimeError } from '../../src/errors.js';
import {
  CredentialStore,
  credentialKey,
  dockerConfigFile,
} from '../../src/engine/registry/credentials.js';

let dir = '';
let file = '';
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-credentials-'));
  file = path.join(dir, 'config.json');
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const basic = (pair: string) => Buffer.from(pair).toString('base64');
const readConfig = () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** A credential helper speaking docker-credential-helpers' protocol, logging each call. */
function fakeHelper(): CredentialStore {
  const script = path.join(dir, 'docker-credential-fake');
  writeFileSync(
    script,
    `#!${process.execPath}
const fs = require('fs');
const store = ${JSON.stringify(path.join(dir, 'helper-store.json'))};
const log = ${JSON.stringify(path.join(dir, 'helper-log'))};
let data = {};
try { data = JSON.parse(fs.readFileSync(store, 'utf8')); } catch {}
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', () => {
  const action = process.argv[2];
  fs.appendFileSync(log, action + ' ' + input.trim() + '\\n');
  const missing = () => { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); };
  if (action === 'store') { const c = JSON.parse(input); data[c.ServerURL] = c; }
  if (action === 'get') { const c = data[input.trim()]; if (!c) missing(); process.stdout.write(JSON.stringify(c)); }
  if (action === 'erase') { if (!data[input.trim()]) missing(); delete data[input.trim()]; }
  fs.writeFileSync(store, JSON.stringify(data));
});
`,
  );
  chmodSync(script, 0o755);
  return new CredentialStore(file, {
    helperCommand: (name) => path.join(dir, `docker-credential-${name}`),
  });
}

const helperLog = () => readFileSync(path.join(dir, 'helper-log'), 'utf8').trim().split('\n');

test('a missing config file means no credentials', async () => {
  const store = new CredentialStore(file);
  assert.is(await store.get('127.0.0.1:5000'), undefined);
  assert.is(await store.erase('127.0.0.1:5000'), false);
  assert.not.ok(existsSync(file));
});

test('auths are found under any of the spellings Docker has used for a key', async () => {
  writeFileSync(
    file,
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: basic('hub:secret:with:colons') },
        'http://registry.example:5000/v2/': { auth: basic('ex:pw') },
        'token.example': { identitytoken: 'refresh-me' },
        'plain.example': { username: 'u', password: 'p' },
      },
    }),
  );
  const store = new CredentialStore(file);
  assert.equal(await store.get('docker.io'), { username: 'hub', password: 'secret:with:colons' });
  assert.equal(await store.get('registry.example:5000'), { username: 'ex', password: 'pw' });
  assert.equal(await store.get('token.example'), { identitytoken: 'refresh-me' });
  assert.equal(await store.get('plain.example'), { username: 'u', password: 'p' });
  assert.is(await store.get('other.example'), undefined);
});

test('store writes base64 user:password, owner-only, and keeps the keys it does not know', async () => {
  writeFileSync(
    file,
    JSON.stringify({
      psFormat: 'table {{.ID}}',
      auths: { 'https://localhost:5000/v1/': { auth: basic('old:old') } },
    }),
  );
  const store = new CredentialStore(file);
  await store.store('localhost:5000', { username: 'new', password: 'pw' });
  await store.store('docker.io', { username: 'hub', password: 'hubpw' });
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.equal(readConfig(), {
    psFormat: 'table {{.ID}}',
    auths: {
      'localhost:5000': { auth: basic('new:pw') },
      'https://index.docker.io/v1/': { auth: basic('hub:hubpw') },
    },
  });
  assert.match(readFileSync(file, 'utf8'), '\n\t"auths"');
  assert.ok(await store.erase('localhost:5000'));
  assert.equal(Object.keys(readConfig().auths as object), ['https://index.docker.io/v1/']);
});

test('a config file that is not JSON is an InvalidError naming the file', async () => {
  writeFileSync(file, '{"auths": ');
  const error = await new CredentialStore(file).get('docker.io').catch((e: unknown) => e);
  assert.instance(error, InvalidError);
  assert.is((error as InvalidError).file, file);
});

test('credsStore keeps the secret in the helper and an empty entry in the file', async () => {
  writeFileSync(file, JSON.stringify({ credsStore: 'fake' }));
  const store = fakeHelper();
  await store.store('127.0.0.1:5000', { username: 'alice', password: 's3cret' });
  assert.equal(readConfig(), { credsStore: 'fake', auths: { '127.0.0.1:5000': {} } });
  assert.not.match(readFileSync(file, 'utf8'), 's3cret');
  assert.equal(await store.get('127.0.0.1:5000'), { username: 'alice', password: 's3cret' });
  await store.store('docker.io', { identitytoken: 'tok' });
  assert.equal(await store.get('docker.io'), { identitytoken: 'tok' });
  assert.is(await store.get('nowhere.example'), undefined);
  assert.ok(await store.erase('127.0.0.1:5000'));
  assert.is(await store.get('127.0.0.1:5000'), undefined);
  assert.equal(helperLog(), [
    'store {"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"s3cret"}',
    'get 127.0.0.1:5000',
    'store {"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"tok"}',
    'get https://index.docker.io/v1/',
    'get nowhere.example',
    'erase 127.0.0.1:5000',
    'get 127.0.0.1:5000',
  ]);
});

test('credHelpers choose a helper per registry; the others use auths', async () => {
  writeFileSync(
    file,
    JSON.stringify({
      credHelpers: { 'ghcr.example': 'fake' },
      auths: { 'other.example': { auth: basic('o:p') } },
    }),
  );
  const store = fakeHelper();
  await store.store('ghcr.example', { username: 'g', password: 'h' });
  assert.equal(await store.get('ghcr.example'), { username: 'g', password: 'h' });
  assert.equal(await store.get('other.example'), { username: 'o', password: 'p' });
  assert.equal(
    helperLog().map((line) => line.split(' ')[0]),
    ['store', 'get'],
  );
});

test('a helper that is not installed is a RuntimeError naming it', async () => {
  writeFileSync(file, JSON.stringify({ credsStore: 'desktop' }));
  const store = new CredentialStore(file, {
    helperCommand: (name) => path.join(dir, `docker-credential-${name}`),
  });
  const error = await store.get('docker.io').catch((e: unknown) => e);
  assert.instance(error, RuntimeError);
  assert.match((error as Error).message, 'docker-credential-desktop is not installed');
  assert.match((error as RuntimeError).hint ?? '', 'credsStore');
});

test('keys and the config path follow the Docker CLI', () => {
  assert.is(credentialKey('docker.io'), 'https://index.docker.io/v1/');
  assert.is(credentialKey('https://registry-1.docker.io/'), 'https://index.docker.io/v1/');
  assert.is(credentialKey('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.is(dockerConfigFile({ HOME: '/home/a' }), '/home/a/.docker/config.json');
  assert.is(dockerConfigFile({ DOCKER_CONFIG: '/etc/d', HOME: '/home/a' }), '/etc/d/config.json');
});

test.run();

// `tscompose config` and `graph` through main(): what lands on stdout and stderr, and the
// exit code, as a user or a script sees them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';

let dir = '';
let cwd = '';
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-cli-'));
  cwd = process.cwd();
  process.chdir(dir);
});
test.after.each(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

async function run(...argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr, color: false, cwd: dir });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const STACK =
  'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n    depends_on: [db]\n  db:\n    image: postgres\n    profiles: [data]\n';

test('config prints the normalised project as YAML with the name on top', async () => {
  writeFileSync(
    'compose.yaml',
    'name: shop\nservices:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n',
  );
  const { code, stdout, stderr } = await run('config');
  assert.is(code, 0, stderr);
  assert.ok(stdout.startsWith('name: shop\n'));
  const doc = parse(stdout);
  assert.equal(doc.services.web.ports, [
    { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
  ]);
  assert.equal(doc.networks, { default: { name: 'shop_default' } });
});

test('--format json, --services, --profiles, --images', async () => {
  writeFileSync('compose.yaml', STACK);
  writeFileSync('.env', 'COMPOSE_PROFILES=data\n');
  const json = await run('config', '--format', 'json');
  assert.equal(Object.keys(JSON.parse(json.stdout).services), ['db', 'web']);
  assert.is((await run('config', '--services')).stdout, 'db\nweb\n');
  assert.is((await run('config', '--profiles')).stdout, 'data\n');
  assert.is((await run('config', '--images')).stdout, 'postgres\nnginx\n');
});

test('a disabled dependency exits 3 and names the profile to enable', async () => {
  writeFileSync('compose.yaml', STACK);
  const { code, stdout, stderr } = await run('config');
  assert.is(code, 3);
  assert.is(stdout, '');
  assert.match(
    stderr,
    /^error: compose\.yaml:5:5: services\.web\.depends_on\.db: service "web" depends on service "db", which is disabled by profiles\n  hint: enable one of its profiles: --profile data/,
  );
  assert.is((await run('--profile', 'data', 'config', '-q')).code, 0);
});

test('errors never show a stack trace; exit codes differ by kind', async () => {
  writeFileSync('compose.yaml', 'services:\n  web:\n    image: [nginx]\n');
  const invalid = await run('config');
  assert.is(invalid.code, 3);
  assert.not.match(invalid.stderr, /\n\s+at /);
  assert.match(invalid.stderr, /compose\.yaml:3:\d+: services\.web\.image: /);

  assert.is((await run('-f', 'missing.yaml', 'config')).code, 4);
  assert.is((await run('config', '--format', 'xml')).code, 2);
  assert.is((await run('frobnicate')).code, 2);
  assert.is((await run('config', '--no-such-flag')).code, 2);
});

test('warnings go to stderr with the place, results to stdout', async () => {
  writeFileSync('compose.yaml', 'services:\n  web:\n    image: "nginx:${TAG}"\n');
  const { code, stdout, stderr } = await run('config', '--services');
  assert.is(code, 0);
  assert.is(stdout, 'web\n');
  assert.is(
    stderr,
    'warning: compose.yaml:3:5: services.web.image: The "TAG" variable is not set. Defaulting to a blank string.\n',
  );
});

test('--hash prints a stable hash per service that changes with the service', async () => {
  writeFileSync('compose.yaml', 'services:\n  a: {image: x}\n  b: {image: y}\n');
  const first = (await run('config', '--hash', '*')).stdout;
  assert.match(first, /^a [0-9a-f]{64}\nb [0-9a-f]{64}\n$/);
  assert.is((await run('config', '--hash', '*')).stdout, first);
  writeFileSync(
    'compose.yaml',
    'services:\n  a: {image: x}\n  b: {image: y, environment: {X: "1"}}\n',
  );
  const second = (await run('config', '--hash', 'a,b')).stdout.split('\n');
  assert.is(second[0], first.split('\n')[0], 'a did not change');
  assert.is.not(second[1], first.split('\n')[1], 'b did');
  assert.is((await run('config', '--hash', 'zzz')).code, 2);
});

test('graph draws boxes, and --format json gives the levels', async () => {
  writeFileSync(
    'compose.yaml',
    'services:\n  web: {image: x, depends_on: {db: {condition: service_healthy}}}\n  db: {image: y}\n',
  );
  const text = await run('graph');
  assert.is(text.code, 0);
  assert.match(text.stdout, /│ web │/);
  assert.match(text.stdout, /healthy/);
  const json = JSON.parse((await run('graph', '--format', 'json')).stdout);
  assert.equal(json.levels, [['db'], ['web']]);
});

test('--version and help', async () => {
  assert.match((await run('--version')).stdout, /^tscompose version /);
  const help = await run('--help');
  assert.is(help.code, 0);
  assert.match(help.stdout, /config/);
});

test.run();

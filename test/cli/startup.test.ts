// Start-up stays light: `--version` and `config` must not load blessed, the database,
// the engine or ajv's compiler (the validator is compiled ahead of time). A loader hook
// in a child process lists every module the real, built command loads.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/tscompose.js');
const sample = path.join(root, 'samples/webapp');

const hook = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    process.stderr.write('LOADED ' + result.url + '\\\\n');
    return result;
  }\`));
`;

function loadedModules(args: string[]): { urls: string[]; status: number | null; stdout: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, bin, ...args],
    { cwd: sample, encoding: 'utf8' },
  );
  const urls = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => line.slice('LOADED '.length));
  return { urls, status: result.status, stdout: result.stdout };
}

const FORBIDDEN = [
  /node_modules\/blessed\//,
  /better-sqlite3/,
  /\/dist\/engine\//,
  /\/dist\/tui\//,
  /ajv\/dist\/(ajv|core|compile)/,
];

test('the CLI is built', () => {
  assert.ok(existsSync(path.join(root, 'dist/cli/main.js')), 'run npm run build first');
});

for (const args of [['--version'], ['config', '-q'], ['config']]) {
  test(`tscompose ${args.join(' ')} loads nothing heavy`, () => {
    const { urls, status } = loadedModules(args);
    assert.is(status, 0);
    assert.ok(urls.length > 3, 'the hook saw the modules load');
    for (const url of urls) {
      for (const pattern of FORBIDDEN)
        assert.not.match(url, pattern, `${args.join(' ')} loaded ${url}`);
    }
  });
}

test('--version loads neither the planner nor yaml', () => {
  const { urls, stdout } = loadedModules(['--version']);
  assert.match(stdout, /^tscompose version \d+\.\d+\.\d+\n$/);
  assert.not.ok(
    urls.some((url) => /\/planner\/|node_modules\/yaml\//.test(url)),
    urls.join('\n'),
  );
});

test.run();

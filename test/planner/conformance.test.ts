// The reference implementation's own loader cases (../shared/conformance/compose-go-inline),
// run end to end through loadProject: every file it loads must load here, every file it
// refuses must be refused here with one of our errors (never a crash, never a hang).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, TsComposeError } from '../../src/errors.js';
import { loadProject } from '../../src/planner/loader.js';

const conformance = path.resolve(import.meta.dirname, '../../../shared/conformance');
const inline = path.join(conformance, 'compose-go-inline');
// The Go tests ran in compose-go's loader/ folder, where their ./testdata paths resolve.
const goLoaderDir = path.join(conformance, 'compose-go-testdata/loader');

interface Case {
  file?: string;
  dir?: string;
  files_in_order?: string[];
  test: string;
  helper: string;
  expect: 'ok' | 'error' | 'unknown';
  error_contains?: string;
}

const index = JSON.parse(readFileSync(path.join(inline, 'index.json'), 'utf8')) as {
  cases: Case[];
  multi_and_table_cases: Case[];
};

/**
 * Cases that cannot be run as written, each with its reason. Anything not listed runs.
 * Multi-file cases whose files are not `-f` files but targets that the Go test wrote to
 * other paths at run time are listed here: their layout lives only in Go code.
 */
const NOT_RUNNABLE: Record<string, string> = {
  TestLoadWithRemoteResources: 'remote (git/OCI) resources are not supported',
  TestLoadWithMissingResources: 'remote (git/OCI) resources are not supported',
  TestLoadWithNestedResources: 'remote (git/OCI) resources are not supported',
  TestLoadWithResourcesCycle: 'remote (git/OCI) resources are not supported',
  TestLoadExtendsSameFile: 'its files are written to sub/compose.yaml by the Go test',
  TestLoadExtendsMultipleFiles: 'its files are written to a/ and b/ by the Go test',
  TestLoadWithIncludeEnv: 'its files are written to module/ by the Go test',
  TestNestedIncludeAndExtends: 'its files are written to nested folders by the Go test',
};

/** compose-go's loadYAML and load helpers skip the consistency checks (index.json says so). */
const SKIPS_CONSISTENCY = new Set(['loadYAML', 'loadYAMLWithEnv', 'load', 'loadWithEnv']);

/** The conformance README: these are alias bombs, to be refused, never expanded. */
const ALIAS_BOMBS = new Set(['TestAliasBombPrevented', 'TestAliasNodePreservation']);

function run(c: Case): { error?: unknown } {
  const files = c.file
    ? [path.join(inline, c.file)]
    : (c.files_in_order ?? []).map((f) => path.join(inline, c.dir!, f));
  try {
    loadProject({
      cwd: goLoaderDir,
      files,
      projectDirectory: goLoaderDir,
      environment: {},
      homeDir: '/home/conformance',
      skipChecks: SKIPS_CONSISTENCY.has(c.helper) && c.expect !== 'error',
    });
    return {};
  } catch (error) {
    return { error };
  }
}

const all = [...index.cases, ...index.multi_and_table_cases];

test('the conformance data is there', () => {
  assert.ok(existsSync(inline), `missing ${inline}`);
  assert.ok(all.length > 250, `only ${all.length} cases`);
});

for (const c of all) {
  const name = `${c.test} ${c.file ?? c.dir}`;
  if (NOT_RUNNABLE[c.test]) continue;
  if (c.expect === 'ok') {
    test(`loads: ${name}`, () => {
      const { error } = run(c);
      if (error) assert.unreachable(error instanceof TsComposeError ? formatError(error) : String(error));
    });
  } else if (c.expect === 'error' || ALIAS_BOMBS.has(c.test)) {
    test(`refuses: ${name}`, () => {
      const { error } = run(c);
      assert.ok(error, 'loaded, but the reference implementation refuses it');
      assert.instance(error, TsComposeError, `not one of our errors: ${String(error)}`);
    });
  } else {
    // The expectation lives in Go code: loading or refusing are both fine, crashing is not.
    test(`loads or refuses cleanly: ${name}`, () => {
      const { error } = run(c);
      if (error) assert.instance(error, TsComposeError, `not one of our errors: ${String(error)}`);
    });
  }
}

test.run();

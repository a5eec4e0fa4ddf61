// The reference implementation's own loader cases (../shared/conformance/compose-go-inline),
// run end to end through loadProject: every file it loads must load here, every file it
// refuses must be refused here with one of our errors (never a crash, never a hang).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  env?: Record<string, string>;
}

const index = JSON.parse(readFileSync(path.join(inline, 'index.json'), 'utf8')) as {
  cases: Case[];
  multi_and_table_cases: Case[];
};

/** Cases that cannot be run as written, each with its reason. Anything not listed runs. */
const NOT_RUNNABLE: Record<string, string> = {
  TestLoadWithRemoteResources: 'remote (git/OCI) resources are not supported',
  TestLoadWithMissingResources: 'remote (git/OCI) resources are not supported',
  TestLoadWithNestedResources: 'remote (git/OCI) resources are not supported',
  TestLoadWithResourcesCycle: 'remote (git/OCI) resources are not supported',
  TestLoadWithIncludeEnv: 'the Go test writes a custom.env whose content is not in the data',
  TestInterpolateInt:
    'the file also uses $thebool, which the data does not set; compose-go refuses an empty boolean',
  TestLoadWithInterpolationCastFull:
    'the variables the file uses ($theint, $thebool…) are set by the Go test and not in the data',
  TestLoadEmptyContent_MissingProject:
    'the Go test loads with no working directory, so no name can come from it; the CLI always has one',
};

/**
 * Multi-file cases where only the last file is given with -f: the Go test wrote the others
 * to these paths (read off its source), and the main file refers to them there.
 */
const LAYOUTS: Record<string, string[]> = {
  TestLoadExtendsSameFile: ['sub/compose.yaml', 'compose.yaml'],
  TestLoadExtendsMultipleFiles: ['a/compose.yaml', 'b/compose.yaml', 'compose.yaml'],
  TestLoadExtendsListenerMultipleFiles: ['sub/compose.yaml', 'compose.yaml'],
  TestOverrideMiddle: ['base.yaml', 'override.yaml', 'compose.yaml'],
  TestNestedIncludeAndExtends: ['compose.yaml', 'dir/included.yaml', 'dir/extended.yaml'],
};

/** Lays a case out in a temporary directory; returns the file to load and that directory. */
function layOut(c: Case, names: string[]): { main: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tscompose-conformance-'));
  names.forEach((name, i) => {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    cpSync(path.join(inline, c.dir!, c.files_in_order![i]!), path.join(dir, name));
  });
  return { main: path.join(dir, 'compose.yaml'), dir };
}

/** compose-go's loadYAML and load helpers skip the consistency checks (index.json says so). */
const SKIPS_CONSISTENCY = new Set(['loadYAML', 'loadYAMLWithEnv', 'load', 'loadWithEnv']);

/** The conformance README: these are alias bombs, to be refused, never expanded. */
const ALIAS_BOMBS = new Set(['TestAliasBombPrevented', 'TestAliasNodePreservation']);

function run(c: Case): { error?: unknown } {
  const layout = LAYOUTS[c.test] ? layOut(c, LAYOUTS[c.test]!) : undefined;
  const files = layout
    ? [layout.main]
    : c.file
      ? [path.join(inline, c.file)]
      : (c.files_in_order ?? []).map((f) => path.join(inline, c.dir!, f));
  const projectDirectory = layout?.dir ?? goLoaderDir;
  try {
    loadProject({
      cwd: projectDirectory,
      files,
      projectDirectory,
      environment: c.env ?? {},
      homeDir: '/home/conformance',
      skipChecks: SKIPS_CONSISTENCY.has(c.helper) && c.expect !== 'error',
    });
    return {};
  } catch (error) {
    return { error };
  } finally {
    if (layout) rmSync(layout.dir, { recursive: true, force: true });
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
      if (error)
        assert.unreachable(error instanceof TsComposeError ? formatError(error) : String(error));
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

/**
 * The fixture corpus under test/fixtures: one folder per behaviour, holding compose files,
 * an optional `args.json` (the flags of the run) and what `tscompose config` must produce
 * (`expected.yaml`), the one-line error it must stop with (`expected-error.txt`), and
 * optionally the warnings it must print (`expected-warnings.txt`). Absolute paths in those
 * files are written `${FIXTURE}`, the fixture's own folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatError, TsComposeError } from '../../src/errors.js';
import { loadProject, type LoadResult } from '../../src/planner/loader.js';
import type { Warning } from '../../src/planner/warnings.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures', import.meta.url));

/** Never the tester's own home: `~` in a fixture must not depend on who runs the tests. */
export const HOME_DIR = '/home/tester';

/** The flags of a fixture's run, as `tscompose config` would get them. */
export interface FixtureArgs {
  files?: string[];
  profiles?: string[];
  /** The whole shell environment of the run: nothing leaks in from the test's own. */
  env?: Record<string, string>;
  projectName?: string;
}

export interface Fixture {
  name: string;
  dir: string;
  args: FixtureArgs;
}

export function listFixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR)
    .filter((name) => statSync(path.join(FIXTURES_DIR, name)).isDirectory())
    .sort()
    .map((name) => fixture(name));
}

export function fixture(name: string): Fixture {
  const dir = path.join(FIXTURES_DIR, name);
  const argsFile = path.join(dir, 'args.json');
  const args = existsSync(argsFile)
    ? (JSON.parse(readFileSync(argsFile, 'utf8')) as FixtureArgs)
    : {};
  return { name, dir, args };
}

/** An expectation file with `${FIXTURE}` replaced, or undefined when the fixture has none. */
export function readExpectation(fixture: Fixture, file: string): string | undefined {
  const full = path.join(fixture.dir, file);
  if (!existsSync(full)) return undefined;
  return readFileSync(full, 'utf8').replaceAll('${FIXTURE}', fixture.dir);
}

export function loadFixture(fixture: Fixture): LoadResult {
  return loadProject({
    cwd: fixture.dir,
    files: fixture.args.files,
    profiles: fixture.args.profiles,
    projectName: fixture.args.projectName,
    environment: { ...fixture.args.env },
    homeDir: HOME_DIR,
  });
}

/** Loads a fixture that must load; a planner error fails with its whole one-line text. */
export function loadGoodFixture(fixture: Fixture): LoadResult {
  try {
    return loadFixture(fixture);
  } catch (error) {
    if (error instanceof TsComposeError) throw new Error(formatError(error), { cause: error });
    throw error;
  }
}

/** The error a fixture's load stops with, or undefined when it loads. */
export function fixtureError(fixture: Fixture): unknown {
  try {
    loadFixture(fixture);
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A warning on one line, in the shape `tscompose` prints it (and `formatError` prints errors). */
export function formatWarning(warning: Warning): string {
  const where = [warning.file, warning.line, warning.line ? warning.column : undefined]
    .filter((part) => part !== undefined)
    .join(':');
  const yamlPath = typeof warning.path === 'string' ? warning.path : undefined;
  return [where, yamlPath, warning.message].filter(Boolean).join(': ');
}

export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

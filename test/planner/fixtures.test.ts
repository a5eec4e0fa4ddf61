/**
 * Every folder of test/fixtures through the planner, as `tscompose config` runs it:
 * loadProject, renderProject, then the YAML the command prints, read back and compared
 * structurally with expected.yaml (which was checked against what `docker compose config`
 * prints). A fixture of bad input must stop with the exact one-line error of
 * expected-error.txt: file, line, column, YAML path and message.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { formatError, TsComposeError } from '../../src/errors.js';
import { renderProject } from '../../src/planner/render.js';
import {
  fixtureError,
  formatWarning,
  lines,
  listFixtures,
  loadGoodFixture,
  readExpectation,
  type Fixture,
} from '../helpers/fixtures.js';

const fixtures = listFixtures();

/** What `tscompose config` prints, read back: the comparison sees what a user sees. */
function configOutput(fixture: Fixture): { config: unknown; warnings: string[] } {
  const { project, warnings } = loadGoodFixture(fixture);
  const printed = YAML.stringify(renderProject(project), { lineWidth: 0 });
  return { config: YAML.parse(printed), warnings: warnings.map(formatWarning) };
}

test('the corpus holds stacks that load and inputs that must be refused', () => {
  const refused = fixtures.filter((item) => readExpectation(item, 'expected-error.txt'));
  const loaded = fixtures.filter((item) => readExpectation(item, 'expected.yaml'));
  assert.ok(loaded.length >= 8, `only ${loaded.length} fixtures with expected.yaml`);
  assert.ok(refused.length >= 4, `only ${refused.length} fixtures with expected-error.txt`);
});

for (const fixture of fixtures) {
  const expectedError = readExpectation(fixture, 'expected-error.txt');
  const expectedConfig = readExpectation(fixture, 'expected.yaml');

  if (expectedError !== undefined) {
    test(`${fixture.name}: refused with one message naming file, line and path`, () => {
      const error = fixtureError(fixture);
      assert.instance(error, TsComposeError, `expected a planner error, got ${String(error)}`);
      const [firstLine] = formatError(error as TsComposeError).split('\n');
      assert.is(firstLine, expectedError.trim());
    });
    continue;
  }

  test(`${fixture.name}: renders as docker compose config does`, () => {
    assert.ok(expectedConfig, `${fixture.name} has neither expected.yaml nor expected-error.txt`);
    const { config, warnings } = configOutput(fixture);
    assert.equal(config, YAML.parse(expectedConfig));

    const expectedWarnings = readExpectation(fixture, 'expected-warnings.txt');
    if (expectedWarnings !== undefined) assert.equal(warnings, lines(expectedWarnings));
  });
}

test.run();

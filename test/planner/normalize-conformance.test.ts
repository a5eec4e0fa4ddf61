/**
 * compose-go's normalisation cases (shared/conformance/compose-go-normalize): each input is
 * normalised and rendered, then compared with compose-go's expected model, structurally.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { normalizeProject } from '../../src/planner/normalize/project.js';
import { renderProject } from '../../src/planner/render.js';

const CASES = fileURLToPath(
  new URL('../../../shared/conformance/compose-go-normalize/', import.meta.url),
);
const WORKING_DIR = '/work/myProject';

const caseNames = existsSync(CASES)
  ? readdirSync(CASES).filter((name) => existsSync(path.join(CASES, name, 'input.yaml')))
  : [];

test('the conformance set is present, with its nine cases', () => {
  assert.ok(existsSync(CASES), `missing ${CASES}`);
  assert.is(caseNames.length, 9);
});

for (const name of caseNames) {
  test(`compose-go normalize: ${name}`, () => {
    const read = (file: string) => readFileSync(path.join(CASES, name, file), 'utf8');
    const input = YAML.parse(read('input.yaml')) as Record<string, unknown>;
    const environment = JSON.parse(read('env.json')) as Record<string, string>;
    const { project } = normalizeProject(input, {
      projectName: String(input.name),
      workingDir: WORKING_DIR,
      environment,
      loadEnvFile: () => undefined,
      homeDir: '/home/tester',
    });
    const rendered = renderProject({ ...project, files: [], profiles: [], disabledServices: {} });

    assert.equal(canonical(rendered), canonical(YAML.parse(read('expected.yaml'))));
  });
}

type Plain = Record<string, unknown>;

/**
 * compose-go's expected models come out of its `normalize` step alone, run on raw maps, so
 * a few fields keep the form they had in the input where `config` prints the long form.
 * Both sides go through the same rewriting; nothing here depends on a case's name:
 * - a top-level section that is absent is an empty one (`config` always prints `services`);
 * - `environment` as a list (`- FOO`, `- BAR=bar`) is the mapping it stands for;
 * - a `depends_on` entry is `required` unless it says otherwise, and `restart: false` is
 *   no `restart` at all (compose-go fills these in its `transform` step, which these
 *   cases skip, and omits a false `restart` when it prints);
 * - a relative `build.context` is resolved against the working directory (compose-go
 *   resolves paths in a later step than normalisation).
 */
function canonical(document: Plain): Plain {
  const out: Plain = { services: {}, ...document };
  for (const section of ['networks', 'volumes', 'secrets', 'configs']) {
    if (out[section] && Object.keys(out[section] as Plain).length === 0) delete out[section];
  }
  const services = out.services as Record<string, Plain>;
  out.services = Object.fromEntries(
    Object.entries(services).map(([name, service]) => [name, canonicalService(service)]),
  );
  return out;
}

function canonicalService(service: Plain): Plain {
  const out = { ...service };
  if (Array.isArray(out.environment)) {
    out.environment = Object.fromEntries(
      (out.environment as string[]).map((entry) => {
        const cut = entry.indexOf('=');
        return cut < 0 ? [entry, null] : [entry.slice(0, cut), entry.slice(cut + 1)];
      }),
    );
  }
  if (out.depends_on) {
    out.depends_on = Object.fromEntries(
      Object.entries(out.depends_on as Record<string, Plain>).map(([name, dependency]) => {
        const { restart, ...rest } = dependency;
        return [name, { required: true, ...rest, ...(restart === true ? { restart } : {}) }];
      }),
    );
  }
  const build = out.build as Plain | undefined;
  if (build && typeof build.context === 'string') {
    out.build = { ...build, context: path.resolve(WORKING_DIR, build.context) };
  }
  return out;
}

test.run();

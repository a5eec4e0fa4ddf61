/**
 * compose-go's full example (shared/conformance/compose-go-full-example): one file using
 * nearly every key, and compose-go's model of it. That model is taken before compose-go's
 * normalisation, so this test compares field by field what both have, and allows only the
 * additions normalisation makes (see `canonical` and `NORMALISATION_ONLY`).
 *
 * Compared: every field of services `foo` and `bar` (build, ports, volumes, environment
 * with env files, labels with label files, healthcheck, deploy with resources and
 * policies, ulimits, extra_hosts, command, entrypoint, secrets, configs, devices, networks,
 * depends_on, `x-*` extensions…), every top-level network, volume, secret and config, and
 * the top-level extensions.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { normalizeProject } from '../../src/planner/normalize/project.js';
import { renderProject } from '../../src/planner/render.js';

type Plain = Record<string, unknown>;

const FOLDER = fileURLToPath(
  new URL('../../../shared/conformance/compose-go-full-example/', import.meta.url),
);
const WORKING_DIR = FOLDER.replace(/\/$/, '');
const HOME_DIR = '/home/tester';
const PROJECT = 'full_example_project_name';

test('the full example is present', () => {
  assert.ok(existsSync(path.join(FOLDER, 'full-example.yml')), `missing ${FOLDER}`);
});

const load = () => {
  const environment = JSON.parse(read('env.json').replaceAll('__HOME_DIR__', HOME_DIR)) as Record<
    string,
    string
  >;
  // compose-go's loader defines COMPOSE_PROJECT_NAME for interpolation; this file uses it.
  const variables = { ...environment, COMPOSE_PROJECT_NAME: PROJECT };
  // go-yaml reads `mode: 0440` as octal, as YAML 1.1 does; the project's own parser is tested elsewhere.
  const raw = interpolate(
    YAML.parse(read('full-example.yml'), { version: '1.1' }),
    variables,
  ) as Plain;
  const { project, warnings } = normalizeProject(raw, {
    projectName: PROJECT,
    workingDir: WORKING_DIR,
    environment,
    loadEnvFile: readDotEnv,
    homeDir: HOME_DIR,
  });
  const rendered = renderProject({ ...project, files: [], profiles: [], disabledServices: {} });
  // `config` leaves env_file out once its variables are in `environment`; compose-go's model
  // (the expectation here) still has it, and so does ours: compare the model's.
  for (const [name, service] of Object.entries(project.services)) {
    if (!service.env_file) continue;
    const services = rendered.services as Record<string, Plain>;
    services[name]!.env_file = service.env_file.map(({ path, required }) => ({ path, required }));
  }
  const expectedText = read('expected.yaml')
    .replaceAll('__WORKING_DIR__', WORKING_DIR)
    .replaceAll('__HOME_DIR__', HOME_DIR);
  return { rendered, warnings, expected: YAML.parse(expectedText) as Plain };
};

test('services: every field compose-go has, in the same long form', () => {
  const { rendered, expected } = load();
  const ours = rendered.services as Record<string, Plain>;
  const theirs = expected.services as Record<string, Plain>;
  assert.equal(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (const [name, service] of Object.entries(theirs)) {
    compareFields(`services.${name}`, ours[name]!, service);
  }
});

for (const section of ['networks', 'volumes', 'secrets', 'configs']) {
  test(`top-level ${section}: same entries, names as normalisation derives them`, () => {
    const { rendered, expected } = load();
    const ours = (rendered[section] ?? {}) as Record<string, Plain>;
    const theirs = (expected[section] ?? {}) as Record<string, Plain>;
    for (const [key, resource] of Object.entries(theirs)) {
      assert.ok(ours[key], `${section}.${key} is missing`);
      assert.equal(
        withoutDerivedName(key, ours[key]!),
        withoutDerivedName(key, resource),
        `${section}.${key}`,
      );
    }
    const extra = Object.keys(ours).filter((key) => !(key in theirs));
    assert.equal(extra, section === 'networks' ? ['default'] : []);
  });
}

test('top-level extensions are kept', () => {
  const { rendered, expected } = load();
  for (const key of ['x-bar', 'x-foo', 'x-nested']) assert.equal(rendered[key], expected[key]);
});

test('only the deprecated external.name forms are warned about', () => {
  const { warnings } = load();
  assert.equal(
    warnings.map((warning) => warning.path),
    [
      'networks.other-external-network',
      'volumes.other-external-volume',
      'secrets.secret2',
      'configs.config2',
    ],
  );
});

/**
 * Fields normalisation adds that compose-go's un-normalised model cannot have: the
 * implicit default network of a service with neither `networks` nor `network_mode`.
 */
const NORMALISATION_ONLY: Plain = { networks: { default: null } };

function compareFields(where: string, ours: Plain, theirs: Plain): void {
  for (const [key, value] of Object.entries(theirs)) {
    assert.equal(canonical(ours[key]), canonical(value), `${where}.${key}`);
  }
  for (const key of Object.keys(ours).filter((key) => !(key in theirs))) {
    assert.equal(
      ours[key],
      NORMALISATION_ONLY[key],
      `${where}.${key} is not in compose-go's model`,
    );
  }
}

/**
 * compose-go, at the commit of this golden file, left out two defaults that Docker Compose
 * v2's `config` prints: `create_host_path: true` on a short-syntax bind mount and
 * `required: true` on an env file (it marshalled both as opt-out booleans). Both sides drop
 * them before comparing.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const out: Plain = {};
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'create_host_path' || key === 'required') && item === true) continue;
    out[key] = canonical(item);
  }
  return out;
}

/** The model compared is un-normalised: it has a resource's `name` only where the file set one. */
function withoutDerivedName(key: string, resource: Plain): Plain {
  const { name, ...rest } = resource;
  const derived = rest.external === true ? key : `${PROJECT}_${key}`;
  return name === undefined || name === derived ? rest : { name, ...rest };
}

function read(file: string): string {
  return readFileSync(path.join(FOLDER, file), 'utf8');
}

/** Test-only `${VAR}` / `${VAR:-default}` over strings; the planner's interpolation is tested elsewhere. */
function interpolate(value: unknown, variables: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{(\w+)(?::-([^}]*))?\}/g,
      (_, name: string, fallback?: string) => variables[name] || (fallback ?? ''),
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, variables));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, interpolate(item, variables)]),
  );
}

/** Test-only reader for the example's env and label files: `KEY=value` lines and comments. */
function readDotEnv(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pairs = lines.filter((line) => line.includes('=') && !line.trimStart().startsWith('#'));
  return Object.fromEntries(
    pairs.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

test.run();

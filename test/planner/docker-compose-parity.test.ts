/**
 * Parity with Docker Compose: the fixtures that Debian's docker-compose 1.29 can read go
 * through `tscompose config` and `docker-compose config`, and each service must mean the
 * same to both: image, ports, environment, volumes, depends_on conditions, healthcheck,
 * command and entrypoint (test/helpers/compose-projection.ts undoes the differences of
 * form between the two versions of Compose, and only those).
 *
 * docker-compose 1.29 refuses the top-level `name:` key, so it reads a copy of each
 * fixture without it and gets the name with `-p`. It refuses more than that in the other
 * fixtures, which are therefore not compared here:
 * - include-subproject-own-env: `include`;
 * - override-files-reset-override: the `!reset` and `!override` tags;
 * - profiles-debug-tools-one-off-jobs: `required` and `restart` under depends_on, `host_ip`
 *   in a long-syntax port;
 * - interpolation-defaults-required: `${VAR:+alt}` and `${VAR+alt}`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { renderProject } from '../../src/planner/render.js';
import { serviceMeanings } from '../helpers/compose-projection.js';
import { fixture, loadGoodFixture, type Fixture } from '../helpers/fixtures.js';
import { commandRuns, whenMet } from '../helpers/requirements.js';

type Plain = Record<string, unknown>;

const COMPARED = [
  'anchors-merge-keys',
  'extends-common-file',
  'override-auto-discovered',
  'port-clash-is-a-warning',
  'ports-ipv6-ranges-mixed-syntax',
  'queue-workers-replicas-env-file',
  'web-db-cache-healthchecks',
];

const dockerCompose = commandRuns(
  'docker-compose',
  ['version', '--short'],
  'the parity test compares `tscompose config` with `docker-compose config`; scripts/test.sh installs it',
);

/** What `tscompose config` prints, read back, and the files it read, in order. */
function tscomposeConfig(item: Fixture): { config: Plain; files: string[]; name: string } {
  const { project } = loadGoodFixture(item);
  const printed = YAML.stringify(renderProject(project), { lineWidth: 0 });
  return { config: YAML.parse(printed) as Plain, files: project.files, name: project.name };
}

/** `docker-compose config` on a copy of the fixture, its paths written back as the fixture's. */
function dockerComposeConfig(item: Fixture, files: string[], projectName: string): Plain {
  const copy = mkdtempSync(path.join(tmpdir(), 'tscompose-parity-'));
  try {
    cpSync(item.dir, copy, { recursive: true });
    const copies = files.map((file) => path.join(copy, path.relative(item.dir, file)));
    copies.forEach(dropProjectName);

    const args = [...copies.flatMap((file) => ['-f', file]), '-p', projectName, 'config'];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: copy, ...item.args.env };
    const result = spawnSync('docker-compose', args, { cwd: copy, env, encoding: 'utf8' });
    assert.is(result.status, 0, `docker-compose config failed: ${result.stderr}`);
    return YAML.parse(result.stdout.split(copy).join(item.dir)) as Plain;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Edited as a YAML document, so that comments, anchors and merge keys stay as written. */
function dropProjectName(file: string): void {
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'));
  if (!doc.has('name')) return;
  doc.delete('name');
  writeFileSync(file, doc.toString());
}

whenMet(test, dockerCompose, () => {
  for (const name of COMPARED) {
    test(`${name}: every service means the same to tscompose and docker-compose`, () => {
      const item = fixture(name);
      const ours = tscomposeConfig(item);
      const theirs = dockerComposeConfig(item, ours.files, ours.name);

      const expected = serviceMeanings(theirs);
      const actual = serviceMeanings(ours.config);
      assert.equal(Object.keys(actual).sort(), Object.keys(expected).sort(), 'the services');
      for (const service of Object.keys(expected)) {
        assert.equal(actual[service], expected[service], `services.${service}`);
      }
    });
  }
});

test.run();

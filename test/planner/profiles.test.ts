import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import type { Service } from '../../src/planner/model.js';
import { applyProfiles } from '../../src/planner/profiles.js';

function svc(name: string, profiles: string[] = [], deps: Record<string, boolean> = {}): Service {
  const depends_on = Object.fromEntries(
    Object.entries(deps).map(([dep, required]) => [
      dep,
      { condition: 'service_started' as const, required, restart: false },
    ]),
  );
  return {
    name,
    environment: {},
    ...(profiles.length ? { profiles } : {}),
    ...(Object.keys(deps).length ? { depends_on } : {}),
  };
}

const services: Record<string, Service> = {
  web: svc('web', [], { db: true }),
  db: svc('db'),
  debug: svc('debug', ['debug'], { web: true }),
  seed: svc('seed', ['tools'], { db: true, mailer: false }),
  mailer: svc('mailer', ['mail']),
};

const names = (r: Record<string, Service>) => Object.keys(r).sort();

test('services without profiles are always on; others only when a profile is enabled', () => {
  assert.equal(names(applyProfiles(services, { profiles: [], services: [] }).enabled), [
    'db',
    'web',
  ]);
  assert.equal(names(applyProfiles(services, { profiles: ['debug'], services: [] }).enabled), [
    'db',
    'debug',
    'web',
  ]);
  assert.equal(names(applyProfiles(services, { profiles: ['*'], services: [] }).enabled), [
    'db',
    'debug',
    'mailer',
    'seed',
    'web',
  ]);
});

test('a service named on the command line is enabled with its dependencies', () => {
  const { enabled, disabled } = applyProfiles(services, { profiles: [], services: ['seed'] });
  assert.equal(names(enabled), ['db', 'seed', 'web']);
  assert.equal(names(disabled), ['debug', 'mailer']);
});

test('an optional dependency on a disabled service is kept, not an error', () => {
  const { enabled, disabled } = applyProfiles(services, { profiles: ['tools'], services: [] });
  assert.equal(Object.keys(enabled.seed!.depends_on!).sort(), ['db', 'mailer']);
  assert.ok(disabled.mailer, 'mailer itself stays disabled');
});

test('depending on a disabled service says which profile to enable', () => {
  const broken = { ...services, web: svc('web', [], { db: true, mailer: true }) };
  try {
    applyProfiles(broken, { profiles: [], services: [] });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, InvalidError);
    const e = error as InvalidError;
    assert.is(
      e.message,
      'service "web" depends on service "mailer", which is disabled by profiles',
    );
    assert.is(e.path, 'services.web.depends_on.mailer');
    assert.match(e.hint ?? '', /--profile mail/);
  }
});

test('naming an unknown service is an error that lists the services', () => {
  try {
    applyProfiles(services, { profiles: [], services: ['nope'] });
    assert.unreachable();
  } catch (error) {
    assert.is((error as InvalidError).kind, 'not-found');
    assert.is((error as InvalidError).message, 'no such service: nope');
    assert.match((error as InvalidError).hint ?? '', /db, debug, mailer, seed, web/);
  }
});

test.run();

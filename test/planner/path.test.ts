import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPath } from '../../src/planner/path.js';

test('formats keys and indexes as the user wrote them', () => {
  assert.is(formatPath(['services', 'web', 'ports', 1]), 'services.web.ports[1]');
  assert.is(formatPath(['services', 'api.v2', 'image']), 'services["api.v2"].image');
  assert.is(formatPath([]), '');
});

test.run();

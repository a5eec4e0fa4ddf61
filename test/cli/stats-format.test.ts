// What the observing commands print: docker stats' binary sizes and fields, Docker
// Compose's event lines and its `ls` status column.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventJson, eventLine, localTimestamp } from '../../src/cli/commands/events.js';
import { combinedStatus, summarizeProjects } from '../../src/cli/commands/ls.js';
import { statsEntry, statsJson, statsTable, type Sample } from '../../src/cli/commands/stats.js';
import { binarySize, percent } from '../../src/cli/units-binary.js';
import type { ContainerRecord } from '../../src/engine/containers/records.js';
import type { EngineEvent } from '../../src/engine/state/events.js';

const MiB = 1024 * 1024;

test('binarySize: four significant digits in binary units, as go-units writes them', () => {
  assert.is(binarySize(0), '0B');
  assert.is(binarySize(1023), '1023B');
  assert.is(binarySize(1024), '1KiB');
  assert.is(binarySize(1536), '1.5KiB');
  assert.is(binarySize(1_253_376), '1.195MiB');
  assert.is(binarySize(64 * MiB), '64MiB');
  assert.is(binarySize(7.5 * 1024 * MiB), '7.5GiB');
  // Rounding to four digits may reach 1024 of the smaller unit, as %.4g does.
  assert.is(binarySize(MiB - 1), '1024KiB');
});

test('percent has two decimals', () => {
  assert.is(percent(0.5), '0.50%');
  assert.is(percent(0), '0.00%');
  assert.is(percent(123.456), '123.46%');
  assert.is(percent(Number.NaN), '0.00%');
});

function sample(usageNanos: number, at: number, limit: number | null = 64 * MiB): Sample {
  return {
    at,
    stats: {
      memory: { usage: 1_253_376, limit, cache: 0 },
      cpu: { usageNanos },
      pids: { current: 3, limit: null },
      oomKills: 0,
    },
  };
}

const container = { id: 'a1b2c3d4e5f6a7b8c9d0', name: 'proj-web-1' };

test('statsEntry: CPU time over wall time between two samples', () => {
  const entry = statsEntry(container, sample(1e9, 1000), sample(1.5e9, 2000), 8192 * MiB);
  assert.is(entry.cpuPercent, 50);
  assert.is(entry.memLimit, 64 * MiB);
  assert.is(entry.pids, 3);
});

test('statsEntry: no earlier sample is 0%; no limit is the host memory', () => {
  const entry = statsEntry(container, undefined, sample(1e9, 1000, null), 8192 * MiB);
  assert.is(entry.cpuPercent, 0);
  assert.is(entry.memLimit, 8192 * MiB);
});

test("statsJson: docker stats' field names and forms", () => {
  const entry = statsEntry(container, sample(0, 0), sample(5e6, 1000), 8192 * MiB);
  assert.is(
    statsJson(entry),
    JSON.stringify({
      Container: 'a1b2c3d4e5f6',
      ID: 'a1b2c3d4e5f6',
      Name: 'proj-web-1',
      CPUPerc: '0.50%',
      MemUsage: '1.195MiB / 64MiB',
      MemPerc: '1.87%',
      PIDs: '3',
    }),
  );
});

test('statsTable: the columns of docker stats that are measured', () => {
  const entry = statsEntry(container, sample(0, 0), sample(5e6, 1000), 8192 * MiB);
  assert.is(
    statsTable([entry]),
    [
      'CONTAINER ID   NAME         CPU %   MEM USAGE / LIMIT   MEM %   PIDS',
      'a1b2c3d4e5f6   proj-web-1   0.50%   1.195MiB / 64MiB    1.87%   3',
    ].join('\n'),
  );
  assert.is(statsTable([]), 'CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   PIDS');
});

const event: EngineEvent = {
  id: 7,
  time: new Date(2026, 11, 4, 3, 4, 5, 123).toISOString(),
  type: 'container',
  action: 'die',
  subject: 'a1b2c3',
  project: 'proj',
  data: { name: 'proj-web-1', service: 'web', exitCode: 137 },
};

test("eventLine: Docker Compose's line, in local time with microseconds", () => {
  assert.is(localTimestamp(event.time), '2026-12-04 03:04:05.123000');
  assert.is(
    eventLine(event),
    '2026-12-04 03:04:05.123000 container die a1b2c3 (name=proj-web-1, service=web, exitCode=137)',
  );
  assert.is(eventLine({ ...event, data: {} }), '2026-12-04 03:04:05.123000 container die a1b2c3');
});

test('eventJson: one object, attributes as strings', () => {
  assert.equal(JSON.parse(eventJson(event)), {
    time: event.time,
    type: 'container',
    action: 'die',
    id: 'a1b2c3',
    service: 'web',
    attributes: { name: 'proj-web-1', service: 'web', exitCode: '137' },
  });
});

test('combinedStatus counts states in alphabetical order', () => {
  assert.is(combinedStatus(['running', 'exited', 'running']), 'exited(1), running(2)');
  assert.is(combinedStatus([]), '');
});

test('summarizeProjects: running projects only, unless all', () => {
  const record = (project: string, state: ContainerRecord['state'], files: string) =>
    ({
      project,
      state,
      labels: { 'com.docker.compose.project.config_files': files },
    }) as unknown as ContainerRecord;
  const containers = [
    record('b', 'running', '/b/compose.yaml'),
    record('b', 'exited', '/b/compose.yaml,/b/compose.override.yaml'),
    record('a', 'exited', '/a/compose.yaml'),
  ];
  assert.equal(summarizeProjects(containers, false), [
    { Name: 'b', Status: 'running(1)', ConfigFiles: '/b/compose.yaml' },
  ]);
  assert.equal(summarizeProjects(containers, true), [
    { Name: 'a', Status: 'exited(1)', ConfigFiles: '/a/compose.yaml' },
    {
      Name: 'b',
      Status: 'exited(1), running(1)',
      ConfigFiles: '/b/compose.yaml,/b/compose.override.yaml',
    },
  ]);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TsComposeError } from '../../src/errors.js';
import { renderAscii } from '../../src/cli/graph/ascii.js';
import { renderDot } from '../../src/cli/graph/dot.js';
import { renderJson } from '../../src/cli/graph/json.js';
import { renderMermaid } from '../../src/cli/graph/mermaid.js';
import type { EdgeKind, GraphEdge, ServiceGraph } from '../../src/cli/graph/types.js';

function edge(from: string, to: string, kind: EdgeKind, required = true): GraphEdge {
  return { from, to, kind, required, restart: false };
}

function graphOf(edges: GraphEdge[], levels: string[][], extra: string[] = []): ServiceGraph {
  const nodes = [...new Set([...extra, ...edges.flatMap((e) => [e.from, e.to])])].sort();
  return { nodes, edges, levels };
}

const chain = graphOf([edge('web', 'db', 'service_healthy')], [['db'], ['web']]);

const diamond = graphOf(
  [
    edge('web', 'api', 'service_started'),
    edge('web', 'cache', 'service_started'),
    edge('api', 'db', 'service_healthy'),
    edge('cache', 'db', 'service_healthy'),
  ],
  [['db'], ['api', 'cache'], ['web']],
);

const optional = graphOf(
  [
    edge('worker', 'queue', 'service_completed_successfully', false),
    edge('worker', 'db', 'network_mode'),
  ],
  [['db', 'queue'], ['worker']],
);

/** A random DAG: an edge only ever points from a higher number to a lower one. */
function randomDag(size: number, seed: number): ServiceGraph {
  const kinds: EdgeKind[] = [
    'service_started',
    'service_healthy',
    'service_completed_successfully',
    'network_mode',
    'volumes_from',
    'links',
    'ipc',
    'pid',
  ];
  let state = seed;
  const random = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const names = Array.from({ length: size }, (_, i) => `svc-${i}`);
  const edges: GraphEdge[] = [];
  names.forEach((from, i) => {
    names.slice(0, i).forEach((to) => {
      if (random() < 0.06)
        edges.push(edge(from, to, kinds[Math.floor(random() * 8)]!, random() > 0.2));
    });
  });
  return graphOf(edges, [], names);
}

interface Rect {
  name: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Every `┌─┐ │ name │ └─┘` in a drawing; lines never close such a shape around a name. */
function boxesIn(drawing: string): Rect[] {
  const rows = drawing.split('\n');
  const at = (row: number, column: number): string => rows[row]?.[column] ?? ' ';
  const boxes: Rect[] = [];
  rows.forEach((line, top) => {
    for (let left = line.indexOf('┌'); left >= 0; left = line.indexOf('┌', left + 1)) {
      const right = line.indexOf('┐', left);
      if (right < 0 || !/^─+$/.test(line.slice(left + 1, right))) continue;
      const middle = rows[top + 1]?.slice(left, right + 1) ?? '';
      const name = /^│ (\S+) *│$/.exec(middle)?.[1];
      if (!name || at(top + 2, left) !== '└' || at(top + 2, right) !== '┘') continue;
      boxes.push({ name, left, top, right, bottom: top + 2 });
    }
  });
  return boxes;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.left <= b.right && b.left <= a.right && a.top <= b.bottom && b.top <= a.bottom;
}

function labelsIn(drawing: string): string[] {
  const words = drawing.match(/\b(started|healthy|completed|network|volumes|links|ipc|pid)\b\??/g);
  return (words ?? []).sort();
}

function expectedLabels(graph: ServiceGraph): string[] {
  const short = (kind: EdgeKind): string =>
    ({
      service_started: 'started',
      service_healthy: 'healthy',
      service_completed_successfully: 'completed',
      network_mode: 'network',
      volumes_from: 'volumes',
      links: 'links',
      ipc: 'ipc',
      pid: 'pid',
    })[kind];
  return graph.edges.map((e) => short(e.kind) + (e.required ? '' : '?')).sort();
}

function assertLegible(graph: ServiceGraph, drawing: string): void {
  const boxes = boxesIn(drawing);
  assert.equal(boxes.map((box) => box.name).sort(), [...graph.nodes].sort());
  boxes.forEach((a, i) =>
    boxes
      .slice(i + 1)
      .forEach((b) => assert.not.ok(overlaps(a, b), `${a.name} overlaps ${b.name}`)),
  );
  assert.equal(labelsIn(drawing), expectedLabels(graph));
  assert.is((drawing.match(/▼/g) ?? []).length >= new Set(graph.edges.map((e) => e.to)).size, true);
}

test('ascii: a chain of two, dependent on top, arrow down to the dependency', () => {
  assert.fixture(
    renderAscii(chain),
    [
      '┌─────┐',
      '│ web │',
      '└──┬──┘',
      '   │',
      'healthy',
      '   ▼',
      '┌─────┐',
      '│ db  │',
      '└─────┘',
      '',
    ].join('\n'),
  );
});

test('ascii: a diamond forks from web and joins into db', () => {
  assert.fixture(
    renderAscii(diamond),
    [
      '      ┌─────┐',
      '      │ web │',
      '      └──┬──┘',
      '   ┌─────┴─────┐',
      'started     started',
      '   ▼           ▼',
      '┌─────┐    ┌───────┐',
      '│ api │    │ cache │',
      '└──┬──┘    └───┬───┘',
      '   │           │',
      'healthy     healthy',
      '   └─────┬─────┘',
      '         ▼',
      '      ┌─────┐',
      '      │ db  │',
      '      └─────┘',
      '',
    ].join('\n'),
  );
});

test('ascii: optional dependencies end in ? and run dashed', () => {
  const drawing = renderAscii(optional);
  assertLegible(optional, drawing);
  assert.match(drawing, 'completed?');
  assert.match(drawing, /[┆╌]/);
});

test('ascii: a single service is one box', () => {
  assert.fixture(renderAscii(graphOf([], [['web']], ['web'])), '┌─────┐\n│ web │\n└─────┘\n');
});

test('ascii: an empty graph draws nothing', () => {
  assert.is(renderAscii({ nodes: [], edges: [], levels: [] }), '');
});

test('ascii: chains, diamonds and services without edges stay legible', () => {
  const long = graphOf(
    [
      edge('web', 'api', 'service_started'),
      edge('api', 'db', 'service_healthy'),
      edge('db', 'init', 'service_completed_successfully'),
      edge('web', 'db', 'links', false),
    ],
    [],
    ['metrics', 'logs'],
  );
  for (const graph of [chain, diamond, optional, long]) assertLegible(graph, renderAscii(graph));
});

test('ascii: a fan-out of twelve keeps every label and box apart', () => {
  const kinds: EdgeKind[] = ['service_started', 'service_healthy', 'links', 'volumes_from'];
  const fan = graphOf(
    Array.from({ length: 12 }, (_, i) => edge('gateway', `svc${i}`, kinds[i % 4]!, i % 5 !== 3)),
    [],
  );
  const drawing = renderAscii(fan);
  assertLegible(fan, drawing);
  const [gateway, ...services] = boxesIn(drawing);
  assert.is(gateway!.name, 'gateway');
  assert.ok(services.every((box) => box.top > gateway!.bottom));
});

test('ascii: fifty services in a random DAG draw without overlaps', () => {
  const graph = randomDag(50, 7);
  const drawing = renderAscii(graph);
  assertLegible(graph, drawing);
});

test('ascii: the same graph in any order draws the same', () => {
  const graph = randomDag(20, 3);
  const shuffled: ServiceGraph = {
    ...graph,
    nodes: [...graph.nodes].reverse(),
    edges: [...graph.edges].reverse(),
  };
  assert.is(renderAscii(shuffled), renderAscii(graph));
  assert.is(renderAscii(graph), renderAscii(graph));
});

test('ascii: a width too small packs tighter and never cuts', () => {
  const fan = graphOf(
    Array.from({ length: 12 }, (_, i) => edge('gateway', `svc${i}`, 'service_healthy')),
    [],
  );
  const widest = (drawing: string): number =>
    Math.max(...drawing.split('\n').map((line) => line.length));
  const roomy = renderAscii(fan);
  const packed = renderAscii(fan, { width: 80 });
  assert.ok(widest(packed) < widest(roomy));
  assert.ok(widest(packed) > 80);
  assertLegible(fan, packed);
  assert.is(renderAscii(fan, { width: 500 }), roomy);
});

test('ascii: colour only on request: names bold, healthy green, optional dim', () => {
  assert.not.match(renderAscii(diamond), '\x1b[');
  const colored = renderAscii(diamond, { color: true });
  assert.match(colored, '\x1b[1mweb\x1b[0m');
  assert.match(colored, '\x1b[32mhealthy\x1b[0m');
  assert.match(renderAscii(optional, { color: true }), '\x1b[2mcompleted?\x1b[0m');
});

test('ascii: two edges between the same services share one line', () => {
  const graph = graphOf(
    [edge('web', 'db', 'network_mode'), edge('web', 'db', 'service_healthy')],
    [['db'], ['web']],
  );
  assert.match(renderAscii(graph), 'network, healthy');
});

test('ascii: a cycle is refused with an invalid-input error', () => {
  const cycle = graphOf([edge('a', 'b', 'links'), edge('b', 'a', 'links')], []);
  try {
    renderAscii(cycle);
    assert.unreachable('a cycle was drawn');
  } catch (error) {
    assert.instance(error, TsComposeError);
    assert.is((error as TsComposeError).kind, 'invalid');
  }
});

test('dot: quoted nodes, condition labels, dashed optional edges', () => {
  assert.fixture(
    renderDot(optional),
    [
      'digraph services {',
      '  rankdir=TB;',
      '  node [shape=box];',
      '  "db";',
      '  "queue";',
      '  "worker";',
      '  "worker" -> "db" [label="network"];',
      '  "worker" -> "queue" [label="completed", style=dashed];',
      '}',
      '',
    ].join('\n'),
  );
});

test('dot: quotes in a name are escaped', () => {
  assert.match(renderDot(graphOf([], [], ['a"b'])), '  "a\\"b";');
});

test('mermaid: a flowchart with safe ids and labelled edges', () => {
  const graph = graphOf(
    [edge('web-1', 'db.main', 'service_healthy'), edge('web-1', 'end', 'pid', false)],
    [],
  );
  assert.fixture(
    renderMermaid(graph),
    [
      'flowchart TD',
      '  svc_db_main["db.main"]',
      '  svc_end["end"]',
      '  svc_web_1["web-1"]',
      '  svc_web_1 -->|healthy| svc_db_main',
      '  svc_web_1 -.->|pid| svc_end',
      '',
    ].join('\n'),
  );
});

test('mermaid: names that clean up to the same id stay apart', () => {
  const drawing = renderMermaid(graphOf([edge('a.b', 'a_b', 'links')], []));
  assert.match(drawing, '  svc_a_b["a.b"]\n  svc_a_b_2["a_b"]\n  svc_a_b -->|links| svc_a_b_2\n');
});

test('json: stable keys, compose spelling of conditions, sorted', () => {
  const graph: ServiceGraph = {
    nodes: ['web', 'db'],
    edges: [{ from: 'web', to: 'db', kind: 'service_healthy', required: true, restart: true }],
    levels: [['db'], ['web']],
  };
  assert.fixture(
    renderJson(graph),
    [
      '{',
      '  "services": [',
      '    "db",',
      '    "web"',
      '  ],',
      '  "edges": [',
      '    {',
      '      "from": "web",',
      '      "to": "db",',
      '      "condition": "service_healthy",',
      '      "required": true,',
      '      "restart": true',
      '    }',
      '  ],',
      '  "levels": [',
      '    [',
      '      "db"',
      '    ],',
      '    [',
      '      "web"',
      '    ]',
      '  ]',
      '}',
      '',
    ].join('\n'),
  );
});

test.run();

import { loadProject } from '../../planner/loader.js';
import { stringValue, UsageError } from '../args.js';
import { loadOptions, type Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderAscii } from '../graph/ascii.js';
import { renderDot } from '../graph/dot.js';
import { renderJson } from '../graph/json.js';
import { renderMermaid } from '../graph/mermaid.js';
import { print, printWarnings } from '../output.js';

const RENDERERS = {
  text: null,
  dot: renderDot,
  mermaid: renderMermaid,
  json: renderJson,
} as const;

export const graphCommand: Command = {
  summary: 'Draw the dependency graph of the services',
  usage: [
    'tscompose graph [OPTIONS] [SERVICE...]',
    '',
    '  --format text|dot|mermaid|json   output format (default text: boxes and arrows)',
  ].join('\n'),
  options: {
    format: { type: 'string' },
  },
  run: async (ctx) => {
    const format = stringValue(ctx.args.values.format) ?? 'text';
    if (!(format in RENDERERS)) {
      throw new UsageError(`graph: unknown format "${format}"`, {
        hint: `use one of: ${Object.keys(RENDERERS).join(', ')}`,
      });
    }
    const { graph, warnings } = loadProject(await loadOptions(ctx, ctx.args.positionals));
    printWarnings(ctx.out, warnings);
    const render = RENDERERS[format as keyof typeof RENDERERS];
    const stdout = ctx.out.stdout as NodeJS.WriteStream;
    const text = render
      ? render(graph)
      : renderAscii(graph, {
          color: Boolean(stdout.isTTY) && !ctx.environment.NO_COLOR,
          width: stdout.columns,
        });
    print(ctx.out, text);
    return EXIT.ok;
  },
};

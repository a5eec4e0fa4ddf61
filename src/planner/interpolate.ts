import { InvalidError } from '../errors.js';
import { formatPath, type YamlPath } from './path.js';
import { OverrideTag, ResetTag, isMapping } from './tags.js';

export type Lookup = (name: string) => string | undefined;

export interface InterpolateOptions {
  lookup: Lookup;
}

export interface InterpolateResult {
  value: unknown;
  /** Each variable that was used but not set, with the first place it was used. */
  unset: Map<string, YamlPath>;
}

interface Walk {
  lookup: Lookup;
  unset: Map<string, YamlPath>;
}

/**
 * Substitutes `$VAR` and `${VAR…}` in every string scalar of a parsed compose tree.
 * Mapping keys are left as written, as Compose does. The input is not modified.
 */
export function interpolate(
  tree: unknown,
  options: InterpolateOptions,
  path: YamlPath = [],
): InterpolateResult {
  const walk: Walk = { lookup: options.lookup, unset: new Map() };
  const value = interpolateNode(tree, path, walk);
  return { value, unset: walk.unset };
}

function interpolateNode(node: unknown, path: YamlPath, walk: Walk): unknown {
  if (typeof node === 'string') return interpolateString(node, path, walk);
  if (node instanceof ResetTag) return new ResetTag(interpolateNode(node.value, path, walk));
  if (node instanceof OverrideTag) return new OverrideTag(interpolateNode(node.value, path, walk));
  if (Array.isArray(node)) {
    return node.map((item, index) => interpolateNode(item, [...path, index], walk));
  }
  if (isMapping(node)) {
    // fromEntries defines own properties, so a key such as `__proto__` stays a plain key.
    return Object.fromEntries(
      Object.entries(node).map(([key, item]) => [key, interpolateNode(item, [...path, key], walk)]),
    );
  }
  return node;
}

function interpolateString(text: string, path: YamlPath, walk: Walk): string {
  const { value, unset } = substitute(text, walk.lookup, path);
  for (const name of unset) {
    if (!walk.unset.has(name)) walk.unset.set(name, path);
  }
  return value;
}

/**
 * Substitutes variables in one string with compose-go's syntax. An unset variable
 * becomes an empty string and is reported in `unset`; a default, an alternative or a
 * required check counts as handling it, so those are not reported.
 */
export function substitute(
  template: string,
  lookup: Lookup,
  path?: YamlPath,
): { value: string; unset: string[] } {
  if (!template.includes('$')) return { value: template, unset: [] };

  const parts = new TemplateParser(template, path).parse();
  const evaluation: Evaluation = { lookup, path, unset: new Set() };
  const value = evaluate(parts, evaluation);
  return { value, unset: [...evaluation.unset] };
}

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';

interface Reference {
  name: string;
  operator?: Operator;
  argument: Part[];
}

type Part = string | Reference;

const NAME = /[_a-z][_a-z0-9]*/iy;
const OPERATOR = /:?[-?+]/y;

/**
 * Reads a template into literal text and references. Every argument is parsed, even one
 * that will not be used, so a syntax error is reported whatever the environment holds.
 */
class TemplateParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly path: YamlPath | undefined,
  ) {}

  parse(): Part[] {
    return this.parts(false);
  }

  /** Reads up to the end of the text, or in an argument up to the `}` that closes it. */
  private parts(inArgument: boolean): Part[] {
    const parts: Part[] = [];
    let literal = '';
    while (this.pos < this.text.length) {
      const char = this.text.charAt(this.pos);
      if (inArgument && char === '}') break;

      const reference = char === '$' ? this.reference() : undefined;
      if (reference === undefined) {
        literal += this.literal(char);
        continue;
      }
      if (literal) parts.push(literal);
      parts.push(reference);
      literal = '';
    }
    if (literal) parts.push(literal);
    return parts;
  }

  /** `$$` is an escaped `$`; a `$` that starts nothing stays as written, as in compose-go. */
  private literal(char: string): string {
    const escaped = char === '$' && this.text.charAt(this.pos + 1) === '$';
    this.pos += escaped ? 2 : 1;
    return char;
  }

  private reference(): Reference | undefined {
    if (this.text.charAt(this.pos + 1) === '{') return this.braced();

    const name = this.match(NAME, this.pos + 1);
    if (name === undefined) return undefined;
    this.pos += 1 + name.length;
    return { name, argument: [] };
  }

  private braced(): Reference {
    this.pos += 2;
    const name = this.match(NAME, this.pos);
    if (name === undefined) throw invalidFormat(this.text, this.path);
    this.pos += name.length;

    if (this.text.charAt(this.pos) === '}') {
      this.pos += 1;
      return { name, argument: [] };
    }

    const operator = this.match(OPERATOR, this.pos) as Operator | undefined;
    if (operator === undefined) throw invalidFormat(this.text, this.path);
    this.pos += operator.length;

    const argument = this.parts(true);
    if (this.text.charAt(this.pos) !== '}') throw invalidFormat(this.text, this.path);
    this.pos += 1;
    return { name, operator, argument };
  }

  private match(pattern: RegExp, at: number): string | undefined {
    pattern.lastIndex = at;
    return pattern.exec(this.text)?.[0];
  }
}

interface Evaluation {
  lookup: Lookup;
  path: YamlPath | undefined;
  unset: Set<string>;
}

function evaluate(parts: Part[], evaluation: Evaluation): string {
  return parts
    .map((part) => (typeof part === 'string' ? part : resolve(part, evaluation)))
    .join('');
}

/** An argument is evaluated only when it is used, as a shell does. */
function resolve(reference: Reference, evaluation: Evaluation): string {
  const value = evaluation.lookup(reference.name);
  const argument = () => evaluate(reference.argument, evaluation);

  switch (reference.operator) {
    case undefined:
      if (value === undefined) evaluation.unset.add(reference.name);
      return value ?? '';
    case ':-':
      return value === undefined || value === '' ? argument() : value;
    case '-':
      return value === undefined ? argument() : value;
    case ':+':
      return value === undefined || value === '' ? '' : argument();
    case '+':
      return value === undefined ? '' : argument();
    case ':?':
      if (value === undefined || value === '') throw missingRequired(reference, evaluation);
      return value;
    case '?':
      if (value === undefined) throw missingRequired(reference, evaluation);
      return value;
  }
}

function missingRequired(reference: Reference, evaluation: Evaluation): InvalidError {
  const reason = evaluate(reference.argument, evaluation);
  const message = `required variable ${reference.name} is missing a value`;
  return new InvalidError(reason ? `${message}: ${reason}` : message, {
    path: evaluation.path && formatPath(evaluation.path),
    hint: `set ${reference.name} in the environment, in the project's .env file or in a file given with --env-file`,
  });
}

function invalidFormat(text: string, path: YamlPath | undefined): InvalidError {
  // The path is printed before the message already (see formatError), so not repeated here.
  const where = path && formatPath(path);
  return new InvalidError(`invalid interpolation format: ${JSON.stringify(text)}`, {
    path: where,
    hint: 'you may need to escape any $ with another $',
  });
}

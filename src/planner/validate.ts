/**
 * The schema step of the planner: castTypes turns strings that interpolation produced into
 * the numbers and booleans the schema expects there, then validateDocument checks the
 * document against schema/compose.schema.json, compiled ahead of time by
 * scripts/build-schema.mjs, and reports the single most specific failure.
 */
import YAML from 'yaml';
import { InvalidError } from '../errors.js';
import {
  castTree,
  validate,
  type CastNode,
  type SchemaError,
  type SchemaNode,
} from './generated/compose-validator.js';
import { formatPath, type YamlPath } from './path.js';
import { OverrideTag, ResetTag, isMapping, stripTags } from './tags.js';

/** Throws an InvalidError for the most specific way `tree` breaks the compose schema. */
export function validateDocument(tree: unknown, file: string): void {
  const document = stripTags(tree);
  if (validate(document)) return;

  const failure = explain(deepestErrors(validate.errors ?? []), document);
  throw new InvalidError(failure.message, {
    file,
    path: formatPath(failure.path) || undefined,
    hint: failure.hint,
  });
}

/**
 * Converts strings to numbers and booleans where the schema expects only those, as
 * compose-go does after interpolation. Booleans take YAML 1.1's words in any case (`yes`,
 * `off`). A string that does not convert is left for validateDocument to refuse.
 */
export function castTypes(tree: unknown): unknown {
  return castValue(tree, castTree);
}

function castValue(value: unknown, node: CastNode | undefined): unknown {
  if (node === undefined) return value;
  if (value instanceof ResetTag) return new ResetTag(castValue(value.value, node));
  if (value instanceof OverrideTag) return new OverrideTag(castValue(value.value, node));
  if (typeof value === 'string') return node.cast ? castString(value, node.cast) : value;
  if (Array.isArray(value)) return value.map((item) => castValue(item, node.item));
  if (!isMapping(value)) return value;

  const child = (key: string) =>
    node.keys && Object.hasOwn(node.keys, key) ? node.keys[key] : node.any;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, castValue(item, child(key))]),
  );
}

const BOOLEAN_WORDS = new Map([
  ...['true', 'yes', 'y', 'on'].map((word) => [word, true] as const),
  ...['false', 'no', 'n', 'off'].map((word) => [word, false] as const),
]);
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function castString(value: string, cast: NonNullable<CastNode['cast']>): unknown {
  if (cast === 'boolean') return BOOLEAN_WORDS.get(value.toLowerCase()) ?? value;
  const pattern = cast === 'integer' ? INTEGER : NUMBER;
  return pattern.test(value) ? Number(value) : value;
}

interface Failure {
  path: YamlPath;
  message: string;
  hint: string;
}

/**
 * The failures at the deepest point of the document. A branch of a `oneOf` that matched
 * the value's shape fails deeper than the branches that did not, so depth picks the form
 * the user meant, as Docker Compose does.
 */
function deepestErrors(errors: SchemaError[]): SchemaError[] {
  const depth = (error: SchemaError) => error.instancePath.split('/').length;
  const deepest = Math.max(...errors.map(depth));
  return errors.filter((error) => depth(error) === deepest);
}

function explain(errors: SchemaError[], document: unknown): Failure {
  const path = toYamlPath(errors[0]?.instancePath ?? '', document);

  // A key that is unknown or missing says more than a type: that branch matched the shape.
  const keyError = errors.find(
    (e) => e.keyword === 'additionalProperties' || e.keyword === 'required',
  );
  if (keyError?.keyword === 'additionalProperties') return unknownKeys(path, keyError, errors);
  if (keyError) return missingKeys(path, keyError, errors);
  return wrongValue(path, errors);
}

function unknownKeys(path: YamlPath, error: SchemaError, errors: SchemaError[]): Failure {
  const names = namesFrom(errors, error, 'additionalProperty');
  return {
    path,
    message: `additional properties ${quoteAll(names)} not allowed`,
    hint: unknownKeysHint(names, error.parentSchema, path.length === 0 ? error.data : undefined),
  };
}

const NAME_RULES: Record<string, string> = {
  '^[a-zA-Z0-9._-]+$': "names may only contain letters, digits, '.', '_' and '-'",
  '^[a-z]+$': 'ulimit names are lowercase, like nofile',
};

function unknownKeysHint(names: string[], node: SchemaNode, root: unknown): string {
  const known = Object.keys(node.properties ?? {});
  const guesses = names.flatMap((name) => {
    const guess = closest(name, known);
    return guess ? [{ name, guess }] : [];
  });
  if (names.length === 1 && guesses[0]) return `did you mean '${guesses[0].guess}'?`;
  if (guesses.length > 0) {
    return `did you mean ${joinWith(
      guesses.map((g) => `'${g.guess}' for '${g.name}'`),
      'and',
    )}?`;
  }

  const value = isMapping(root) ? root[names[0] ?? ''] : undefined;
  if (isMapping(value) && ('image' in value || 'build' in value)) {
    return "services go under the top-level 'services' key (version 1 files are not supported)";
  }
  const namePattern = Object.keys(node.patternProperties ?? {}).find((p) => p !== '^x-');
  if (namePattern) return NAME_RULES[namePattern] ?? `names must match ${namePattern}`;
  if (!node.patternProperties?.['^x-']) return `accepted keys: ${known.join(', ')}`;
  return names.length === 1
    ? `remove it, or name it 'x-${names[0]}' to keep it as an extension`
    : "remove them, or start their names with 'x-' to keep them as extensions";
}

function missingKeys(path: YamlPath, error: SchemaError, errors: SchemaError[]): Failure {
  const names = namesFrom(errors, error, 'missingProperty');
  const node = error.parentSchema;
  const choices = node.properties?.[names[0] ?? '']?.enum;
  const hints = [
    choices ? `'${names[0]}' is one of ${quoteAll(choices)}` : `add ${quoteAll(names)}`,
    node.examples ? `for example: ${render(node.examples[0])}` : '',
  ];
  return {
    path,
    message: `missing ${names.length === 1 ? 'property' : 'properties'} ${quoteAll(names)}`,
    hint: clauses(...hints),
  };
}

/** The same kind of key error from the same mapping, reported once. */
function namesFrom(errors: SchemaError[], error: SchemaError, param: keyof SchemaError['params']) {
  const same = errors.filter(
    (e) => e.keyword === error.keyword && e.parentSchema === error.parentSchema,
  );
  return [...new Set(same.map((e) => String(e.params[param])))];
}

const VALUE_KEYWORDS = new Set(['enum', 'minimum', 'maximum', 'pattern', 'uniqueItems']);

function wrongValue(path: YamlPath, errors: SchemaError[]): Failure {
  const data = errors[0]?.data;
  const examples = outermost(errors, (node) => node.examples !== undefined)?.examples;
  const example = examples ? `for example: ${examples.map(render).join(' or ')}` : '';

  const titled = outermost(errors, (node) => node.title !== undefined);
  if (titled) {
    return {
      path,
      message: `must be ${titled.title}`,
      hint: clauses(`got ${shown(data)}`, example),
    };
  }

  const specific = errors.find((e) => VALUE_KEYWORDS.has(e.keyword));
  if (specific) return { path, ...describeKeyword(specific) };

  const typeErrors = errors.filter((e) => e.keyword === 'type');
  const [first] = typeErrors;
  if (first === undefined) {
    return { path, message: 'matches more than one accepted form', hint: example };
  }
  // Docker Compose names the first form in the message; the hint lists them all.
  const types = typeErrors.flatMap((e) => [e.params.type ?? []].flat());
  return {
    path,
    message: `must be ${typeList([first.params.type ?? []].flat())}`,
    hint: typeHint(data, types, example),
  };
}

/** The widest schema node at this point: ajv reports a `oneOf` after its branches. */
function outermost(errors: SchemaError[], test: (node: SchemaNode) => boolean) {
  return errors.map((e) => e.parentSchema).findLast(test);
}

function describeKeyword(error: SchemaError): { message: string; hint: string } {
  const { keyword, params, data, parentSchema } = error;
  switch (keyword) {
    case 'enum': {
      const allowed = params.allowedValues ?? [];
      const suggestion = typeof data === 'string' ? closest(data, allowed) : undefined;
      return {
        message:
          allowed.length === 1
            ? `must be ${quoteAll(allowed)}`
            : `must be one of ${quoteAll(allowed)}`,
        hint: suggestion ? `did you mean '${suggestion}'?` : `got ${shown(data)}`,
      };
    }
    case 'minimum':
    case 'maximum':
      return {
        message: `must be ${keyword === 'minimum' ? 'greater' : 'less'} than or equal to ${params.limit}`,
        hint: rangeHint(parentSchema, data),
      };
    case 'uniqueItems': {
      const [first, second] = [params.i ?? 0, params.j ?? 0].sort((a, b) => a - b);
      return {
        message: `must not contain duplicates: items [${first}] and [${second}] are the same`,
        hint: `remove [${second}]`,
      };
    }
    default:
      return {
        message: `must match ${params.pattern ?? `the schema's ${keyword} rule`}`,
        hint: `got ${shown(data)}`,
      };
  }
}

function rangeHint(node: SchemaNode, data: unknown): string {
  const { minimum, maximum } = node;
  const range =
    minimum !== undefined && maximum !== undefined ? `from ${minimum} to ${maximum}` : '';
  return clauses(`got ${shown(data)}`, range && `accepted values go ${range}`);
}

function typeHint(data: unknown, types: string[], example: string): string {
  if (types[0] === 'string' && (typeof data === 'number' || typeof data === 'boolean')) {
    return `quote the value to make it a string: "${String(data)}"`;
  }
  const forms = [...new Set(visibleTypes(types))].map((type) => typeList([type]));
  const got = typeof data === 'number' ? render(data) : typeList([typeOf(data)]);
  return clauses(`write ${joinOr(forms)}, not ${got}`, example);
}

const TYPE_NAMES: Record<string, string> = { object: 'mapping', array: 'list' };

/** `a boolean, null, number or string`: Docker Compose's wording for a type list. */
function typeList(types: string[]): string {
  const names = visibleTypes(types)
    .map((type) => TYPE_NAMES[type] ?? type)
    .sort();
  const first = names[0] ?? '';
  const article = first === 'null' ? '' : /^[aeiou]/.test(first) ? 'an ' : 'a ';
  return article + joinOr(names);
}

/** A mapping that may be null is just `a mapping`, as Docker Compose says: null is an empty one. */
function visibleTypes(types: string[]): string[] {
  return types.includes('object') ? types.filter((type) => type !== 'null') : types;
}

function typeOf(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'array';
  return isMapping(data) ? 'object' : typeof data;
}

function toYamlPath(pointer: string, document: unknown): YamlPath {
  const path: (string | number)[] = [];
  let node = document;
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(node) ? Number(key) : undefined;
    path.push(index ?? key);
    node =
      index !== undefined ? (node as unknown[])[index] : isMapping(node) ? node[key] : undefined;
  }
  return path;
}

/**
 * The candidate a typo most likely meant: at most two edits away (a swap of neighbours
 * counts as one), and never more than half the word, where guesses turn into noise.
 */
function closest(word: string, candidates: readonly unknown[]): string | undefined {
  const limit = Math.min(2, Math.floor(word.length / 2));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      }
      (rows[i] as number[])[j] = distance;
    }
  }
  return at(a.length, b.length);
}

/** A value as the user would write it in YAML, on one line. */
function render(value: unknown): string {
  if (value === undefined) return 'nothing';
  return YAML.stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

/** A value the user wrote, quoted when it is text so that `got "no"` reads unambiguously. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : render(value);
}

function quoteAll(values: readonly unknown[]): string {
  return values.map((value) => `'${String(value)}'`).join(', ');
}

function joinOr(words: string[]): string {
  return joinWith(words, 'or');
}

function joinWith(words: string[], conjunction: string): string {
  if (words.length < 2) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)}`;
}

function clauses(...parts: string[]): string {
  return parts.filter(Boolean).join('; ');
}

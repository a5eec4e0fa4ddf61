import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parse,
  parseAllDocuments,
  type Alias,
  type Scalar,
  type ScalarTag,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';
import { InvalidError } from '../errors.js';
import { formatPath, type YamlPath } from './path.js';
import { OverrideTag, ResetTag } from './tags.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  /** One tree per YAML document in the file; Docker Compose merges them in order. */
  documents: unknown[];
  /** Where each node was written, by its path in the user's words (`services.web.ports[1]`). */
  positions: Map<string, Position>;
}

/**
 * Values reached through aliases may not outnumber the nodes written in the file by more
 * than this factor (and a floor below which nothing is refused). An alias bomb — nested
 * anchors each repeated a few times — grows exponentially and trips it long before it
 * exhausts memory; ordinary `<<: *defaults` reuse stays far below it.
 */
const ALIAS_EXPANSION_FACTOR = 20;
const ALIAS_EXPANSION_FLOOR = 10_000;

const MERGE_KEY = '<<';

/**
 * `0440` as Docker Compose's YAML reader takes it: an octal number (Go's yaml.v3 parses
 * integers with base 0), where YAML 1.2's core schema would read decimal 440. It matters
 * for file modes (`mode: 0440`), and makes `0123` in an environment value 83 there too.
 */
const LEGACY_OCTAL: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?0[0-7]+$/,
  resolve: (text) => parseInt(text, 8),
};

/**
 * Parses a compose file into plain trees, keeping the position of every node and the
 * `!reset` / `!override` tags. Anchors, aliases and `<<` merge keys are resolved here so
 * that no later step sees YAML constructs.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    uniqueKeys: false,
    prettyErrors: false,
    strict: false,
    customTags: (tags) => [LEGACY_OCTAL, ...tags],
  });
  const list = Array.isArray(docs) ? docs : [];
  const builder = new TreeBuilder(file, lineCounter, countNodes(list));

  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = lineCounter.linePos(error.pos[0]);
      throw new InvalidError(cleanYamlMessage(error.message), {
        file,
        line: pos.line,
        column: pos.col,
        hint: 'check the indentation and quoting around this line',
      });
    }
  }

  const documents = list
    .filter((doc) => doc.contents !== null)
    .map((doc) => {
      builder.doc = doc;
      return builder.build(doc.contents as Node, []);
    });
  return { documents, positions: builder.positions };
}

class TreeBuilder {
  readonly positions = new Map<string, Position>();
  private expanded = 0;
  private readonly expansionLimit: number;
  /** Anchored nodes being built right now, to refuse an alias that points into its own ancestor. */
  private readonly building = new Map<Node, YamlPath>();
  doc: Document | undefined;

  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
    sourceNodes: number,
  ) {
    this.expansionLimit = Math.max(ALIAS_EXPANSION_FLOOR, sourceNodes * ALIAS_EXPANSION_FACTOR);
  }

  build(node: Node, path: YamlPath, viaAlias = false): unknown {
    if (!viaAlias) this.record(node, path);
    else this.countExpansion(path);

    if (isAlias(node)) return this.buildAlias(node, path);
    const value = this.buildNode(node, path, viaAlias);
    if (node.tag === '!reset') return new ResetTag(value);
    if (node.tag === '!override') return new OverrideTag(value);
    return value;
  }

  private buildNode(node: Node, path: YamlPath, viaAlias: boolean): unknown {
    if (isScalar(node)) return isMergeTag(node.tag) ? resolveTaggedScalar(node) : node.value;
    const anchored = Boolean(node.anchor);
    if (anchored) this.building.set(node, path);
    try {
      if (isSeq(node)) {
        return node.items.map((item, i) => this.build(item as Node, [...path, i], viaAlias));
      }
      if (isMap(node)) return this.buildMap(node, path, viaAlias);
      return null;
    } finally {
      if (anchored) this.building.delete(node);
    }
  }

  private buildAlias(alias: Alias, path: YamlPath): unknown {
    const target = this.resolveAlias(alias, path);
    const ancestor = this.building.get(target);
    if (ancestor) {
      throw this.error(
        path,
        `cycle detected: node at path ${formatPath(path)} references node at path ${formatPath(ancestor)}`,
        'an anchor cannot be used inside its own definition',
        alias,
      );
    }
    return this.build(target, path, true);
  }

  private buildMap(node: YAMLMap, path: YamlPath, viaAlias: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seenAt = new Map<string, number>();
    const merged: Record<string, unknown>[] = [];

    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? keyNode.value : keyNode;
      const valueNode = pair.value as Node | null;

      if (key === MERGE_KEY && isScalar(keyNode) && keyNode.type === 'PLAIN') {
        merged.push(...this.mergeSources(valueNode, path, viaAlias));
        continue;
      }
      if (typeof key !== 'string') {
        const where = path.length === 0 ? 'at top level' : `in ${formatPath(path)}`;
        throw this.error(
          path,
          `non-string key ${where}: ${describeKey(key)}`,
          'quote the key to make it a string',
          keyNode,
        );
      }
      const line = keyNode ? this.lineOf(keyNode) : 0;
      const previous = seenAt.get(key);
      if (previous !== undefined) {
        throw this.error(
          [...path, key],
          `mapping key "${key}" already defined at line ${previous}`,
          'remove one of the two entries',
          keyNode,
        );
      }
      seenAt.set(key, line);
      if (keyNode && !viaAlias) this.record(keyNode, [...path, key]);
      out[key] = valueNode === null ? null : this.build(valueNode, [...path, key], viaAlias);
    }

    if (merged.length === 0) return out;
    // Explicit keys win over merged ones; earlier merge sources win over later ones (YAML merge spec).
    const result: Record<string, unknown> = {};
    for (const source of merged) {
      for (const [key, value] of Object.entries(source)) if (!(key in result)) result[key] = value;
    }
    return Object.assign(result, out);
  }

  /** `<<:` takes a mapping, or a sequence of mappings, written inline or through aliases. */
  private mergeSources(
    node: Node | null,
    path: YamlPath,
    viaAlias: boolean,
  ): Record<string, unknown>[] {
    const value = node === null ? null : this.build(node, path, viaAlias);
    const sources = Array.isArray(value) ? value : [value];
    for (const source of sources) {
      if (!isPlainMapping(source)) {
        throw this.error(
          path,
          'map merge requires map or sequence of maps as the value',
          '`<<:` takes an alias of a mapping, such as `<<: *defaults`',
          node,
        );
      }
    }
    return sources as Record<string, unknown>[];
  }

  private resolveAlias(alias: Alias, path: YamlPath): Node {
    const target = this.doc ? alias.resolve(this.doc) : undefined;
    if (!target) {
      throw this.error(path, `unknown anchor "${alias.source}"`, 'define `&name` before `*name`');
    }
    return target;
  }

  private countExpansion(path: YamlPath): void {
    this.expanded += 1;
    if (this.expanded > this.expansionLimit) {
      throw this.error(
        path,
        'excessive aliasing: anchors expand to far more values than the file contains',
        'this looks like an alias bomb; reuse fewer nested anchors',
      );
    }
  }

  private record(node: Node, path: YamlPath): void {
    if (!node.range) return;
    const key = formatPath(path);
    if (key === '' || this.positions.has(key)) return;
    const pos = this.lines.linePos(node.range[0]);
    this.positions.set(key, { line: pos.line, column: pos.col });
  }

  /** Values expanded from an alias have no position of their own: use the closest ancestor's. */
  private nearestPosition(path: YamlPath): Position | undefined {
    for (let end = path.length; end > 0; end -= 1) {
      const found = this.positions.get(formatPath(path.slice(0, end)));
      if (found) return found;
    }
    return undefined;
  }

  private lineOf(node: Node): number {
    return node.range ? this.lines.linePos(node.range[0]).line : 0;
  }

  private error(path: YamlPath, message: string, hint: string, node?: Node | null): InvalidError {
    const at = node?.range ? this.lines.linePos(node.range[0]) : undefined;
    const known = this.nearestPosition(path);
    return new InvalidError(message, {
      file: this.file,
      line: at?.line ?? known?.line,
      column: at?.col ?? known?.column,
      path: path.length > 0 ? formatPath(path) : undefined,
      hint,
    });
  }
}

function countNodes(docs: Document[]): number {
  let count = 0;
  const visit = (node: Node | null): void => {
    if (!node) return;
    count += 1;
    if (isSeq(node)) for (const item of node.items) visit(item as Node);
    if (isMap(node)) for (const pair of node.items) visit(pair.value as Node | null);
  };
  for (const doc of docs) visit(doc.contents as Node | null);
  return count;
}

function isMergeTag(tag: string | undefined): boolean {
  return tag === '!reset' || tag === '!override';
}

/**
 * A custom tag stops the yaml package from resolving a scalar's type, so `!override 8080`
 * would stay a string; resolve plain scalars as if untagged.
 */
function resolveTaggedScalar(node: Scalar): unknown {
  if (node.type !== 'PLAIN' || typeof node.source !== 'string') return node.value;
  const value: unknown = parse(node.source);
  return typeof value === 'object' && value !== null ? node.value : value;
}

function isPlainMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeKey(key: unknown): string {
  if (key === null || key === undefined) return 'null';
  if (typeof key === 'object') return 'a collection';
  return String(key);
}

/** The yaml package's messages carry a code frame and a trailing position; we print our own. */
function cleanYamlMessage(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

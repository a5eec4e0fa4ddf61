import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidError, NotFoundError, TsComposeError } from '../errors.js';
import { chooseProjectName, discoverFiles, normalizeProjectName, STDIN_FILE } from './discover.js';
import { applyExtends } from './extends.js';
import { buildGraph, type ServiceGraph } from './graph.js';
import { includeEntries, mergeIncluded, type IncludeEntry } from './include.js';
import { interpolate } from './interpolate.js';
import { mergeDocuments } from './merge.js';
import type { Project } from './model.js';
import { normalizeProject } from './normalize/project.js';
import { PositionIndex } from './positions.js';
import { applyProfiles } from './profiles.js';
import { rebaseDocument } from './rebase.js';
import {
  environmentFor,
  includedEnvironment,
  readEnvFile,
  withResolvedEnvironment,
} from './environment.js';
import { checkProject, findClashes } from './semantics.js';
import { isMapping, stripTags } from './tags.js';
import { unsupportedKeyWarnings } from './unsupported.js';
import { withoutUnusedResources } from './unused.js';
import { castTypes, validateDocument } from './validate.js';
import type { Warning } from './warnings.js';

export interface LoadOptions {
  cwd: string;
  /** `-f`, in order; `-` reads `stdin`. */
  files?: string[];
  /** The text of standard input, when a file is `-`: the CLI reads it, the planner doesn't. */
  stdin?: string;
  projectDirectory?: string;
  /** `-p`. */
  projectName?: string;
  /** `--env-file`, relative to cwd; replaces the project's `.env`. */
  envFiles?: string[];
  /** `--profile`; `COMPOSE_PROFILES` is read from the environment and added. */
  profiles?: string[];
  /** Services named on the command line. */
  services?: string[];
  /** The shell's environment. It wins over `.env`, as in Docker Compose. */
  environment: Record<string, string>;
  homeDir: string;
  /**
   * Skip the checks across the project (step 9) and the graph: for `config --no-consistency`
   * and for loading files that are only fragments of a project.
   */
  skipChecks?: boolean;
}

export interface LoadResult {
  project: Project;
  graph: ServiceGraph;
  warnings: Warning[];
}

/**
 * The planner's steps, in the order of docs/planner.md. Every error leaves with the file,
 * line and path of what caused it, when it has one.
 */
export function loadProject(options: LoadOptions): LoadResult {
  const positions = new PositionIndex();
  const warnings: Warning[] = [];
  try {
    return load(options, positions, warnings);
  } catch (error) {
    if (error instanceof TsComposeError) positions.locate(error);
    throw error;
  }
}

function load(options: LoadOptions, positions: PositionIndex, warnings: Warning[]): LoadResult {
  // 1. Files, project directory and the variables interpolation sees.
  const early = environmentFor(options, options.projectDirectory ?? '.');
  const discovered = discoverFiles({
    cwd: options.cwd,
    files: options.files ?? [],
    projectDirectory: options.projectDirectory,
    environment: early,
  });
  warnings.push(...discovered.warnings.map((message) => ({ message })));
  const workingDir = discovered.projectDirectory;
  const environment = environmentFor(options, workingDir);

  // 2–5. Parse, interpolate, validate, include and extend each file, then merge them in order.
  const reader = new FileLoader(options, positions, warnings, workingDir);
  const docs = discovered.files.map((file) => reader.load(file, environment, workingDir, []));
  const merged = stripTags(docs.reduce((acc, doc) => mergeDocuments(acc, doc), {})) as Record<
    string,
    unknown
  >;

  validateMerged(merged);

  const { name } = chooseProjectName({
    flag: options.projectName,
    environment: environment.COMPOSE_PROJECT_NAME,
    file: merged.name,
    directory: workingDir,
  });
  warnings.push(...unsupportedKeyWarnings(merged));

  // 7. Short forms to long forms.
  const normalized = normalizeProject(merged, {
    projectName: name,
    workingDir,
    environment,
    homeDir: options.homeDir,
    loadEnvFile: (file) => readEnvFile(file, environment),
  });
  warnings.push(...normalized.warnings);

  // 6. Profiles, on normalised services so that dependencies are in their long form.
  const profiles = profileList(options.profiles ?? [], environment.COMPOSE_PROFILES);
  const { enabled, disabled } = applyProfiles(normalized.project.services, {
    profiles,
    services: options.services ?? [],
  });
  const declared: Project = {
    ...normalized.project,
    services: enabled,
    disabledServices: disabled,
    files: discovered.files,
    profiles,
  };

  // Only what enabled services use is part of the project (Docker Compose drops the rest).
  const project: Project = { ...declared, ...withoutUnusedResources(enabled, declared) };

  // 8–9. Checks across the project, then the graph (which refuses cycles).
  if (options.skipChecks) {
    return {
      project,
      graph: { nodes: [], edges: [], levels: [] },
      warnings: positions.placeAll(warnings),
    };
  }
  checkProject(declared);
  for (const clash of findClashes(project.services)) {
    warnings.push({ message: `${clash.message}: up will refuse this`, path: clash.path });
  }
  const graph = buildGraph(project.services);
  return { project, graph, warnings: positions.placeAll(warnings) };
}

/** Reads, interpolates, validates and expands one compose file, and the files it pulls in. */
class FileLoader {
  private readonly unset = new Set<string>();
  /** Literal top-level `name:` values seen so far, before interpolation. */
  private readonly literalNames: string[] = [];
  /** Files loaded for `extends: file:`, once each however many services extend from them. */
  private readonly others = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly options: LoadOptions,
    private readonly positions: PositionIndex,
    private readonly warnings: Warning[],
    private readonly workingDir: string,
  ) {}

  /**
   * `${COMPOSE_PROJECT_NAME}` may be used in the files that also set the name. Docker
   * Compose resolves it from `-p`, then a literal top-level `name:`, then the directory
   * (the variable itself is found in the environment before this is asked).
   */
  private projectName(): string {
    return (
      this.options.projectName ??
      this.literalNames.at(-1) ??
      (normalizeProjectName(path.basename(this.workingDir)) || 'default')
    );
  }

  load(
    file: string,
    environment: Record<string, string>,
    baseDir: string,
    chain: string[],
  ): Record<string, unknown> {
    if (chain.includes(file)) {
      throw new InvalidError(`circular reference: ${[...chain, file].map(shortName).join(' → ')}`, {
        file: chain.at(-1),
        hint: 'a compose file cannot include or extend itself, directly or through others',
      });
    }
    const parsed = this.parse(file);
    const lookup = (variable: string): string | undefined =>
      environment[variable] ??
      (variable === 'COMPOSE_PROJECT_NAME' ? this.projectName() : undefined);
    const { value, unset } = interpolate(parsed, { lookup });
    this.noteUnset(file, unset);

    let doc = castTypes(value) as Record<string, unknown>;
    doc = this.applyIncludes(doc, baseDir, environment, [...chain, file]);
    return applyExtends(doc, {
      file: file === STDIN_FILE ? path.join(baseDir, STDIN_FILE) : file,
      baseDir,
      homeDir: this.options.homeDir,
      loadOther: (other) => this.loadOther(other, environment, [...chain, file]),
    });
  }

  private loadOther(
    file: string,
    environment: Record<string, string>,
    chain: string[],
  ): Record<string, unknown> {
    const cached = this.others.get(file);
    if (cached) return cached;
    const doc = this.load(file, environment, path.dirname(file), chain);
    this.others.set(file, doc);
    return doc;
  }

  private parse(file: string): Record<string, unknown> {
    const text = this.read(file);
    const parsed = this.positions.parse(text, file);
    // Later documents of one file override earlier ones. The first is kept as it is: merging
    // it into nothing would apply its !reset/!override tags too early, before extends.
    let doc: Record<string, unknown> | undefined;
    for (const next of parsed) {
      if (next === null || next === undefined) continue;
      if (!isMapping(next)) {
        throw new InvalidError('Top-level object must be a mapping', {
          file,
          hint: 'a compose file starts with keys such as services:, networks:, volumes:',
        });
      }
      if (typeof next.name === 'string' && !next.name.includes('$'))
        this.literalNames.push(next.name);
      const current = withEmptyServices(next);
      doc = doc ? mergeDocuments(doc, current) : current;
    }
    return doc ?? {};
  }

  private read(file: string): string {
    if (file === STDIN_FILE) {
      if (this.options.stdin === undefined) {
        throw new InvalidError('-f - reads the compose file from standard input, which is empty');
      }
      return this.options.stdin;
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (cause) {
      throw new NotFoundError(`cannot read compose file ${file}`, {
        file,
        cause,
        hint: 'check that the file exists and is readable',
      });
    }
  }

  private applyIncludes(
    doc: Record<string, unknown>,
    baseDir: string,
    environment: Record<string, string>,
    chain: string[],
  ): Record<string, unknown> {
    const entries = includeEntries(doc.include, baseDir);
    if (entries.length === 0) return doc;
    const included = entries.map((entry) => ({
      entry,
      doc: this.loadIncluded(entry, environment, chain),
    }));
    return mergeIncluded(doc, included);
  }

  private loadIncluded(
    entry: IncludeEntry,
    parentEnvironment: Record<string, string>,
    chain: string[],
  ): Record<string, unknown> {
    const environment = includedEnvironment(entry, parentEnvironment);
    const docs = entry.files.map((file) => {
      if (!existsSync(file)) {
        throw new NotFoundError(`included file not found: ${file}`, {
          path: `include[${entry.index}]`,
          hint: 'check the path, which is relative to the including file',
        });
      }
      return this.load(file, environment, entry.projectDirectory, chain);
    });
    const merged = docs.reduce((acc, doc) => mergeDocuments(acc, doc), {});
    const rebased = rebaseDocument(merged, entry.projectDirectory, this.options.homeDir);
    return withResolvedEnvironment(rebased, environment);
  }

  private noteUnset(file: string, unset: Map<string, readonly (string | number)[]>): void {
    for (const [variable, where] of unset) {
      if (this.unset.has(variable)) continue;
      this.unset.add(variable);
      this.warnings.push({
        message: `The "${variable}" variable is not set. Defaulting to a blank string.`,
        file,
        path: where,
      });
    }
  }
}

/** `services: {tools: }` declares a service with nothing set; Docker Compose accepts it. */
function withEmptyServices(doc: Record<string, unknown>): Record<string, unknown> {
  if (!isMapping(doc.services)) return doc;
  const services = Object.fromEntries(
    Object.entries(doc.services).map(([name, service]) => [name, service ?? {}]),
  );
  return { ...doc, services };
}

/**
 * The schema applies to the merged project, as in Docker Compose: an override file may
 * hold only part of a long form (`depends_on: {db: {restart: true}}`). The position
 * index then names the file that wrote the failing path, so the file is left open here.
 */
function validateMerged(doc: Record<string, unknown>): void {
  try {
    validateDocument(doc, '');
  } catch (error) {
    if (error instanceof TsComposeError) error.file = undefined;
    throw error;
  }
}

function profileList(flags: string[], variable: string | undefined): string[] {
  const fromVariable = (variable ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return [...new Set([...flags, ...fromVariable])];
}

function shortName(file: string): string {
  return path.basename(file);
}

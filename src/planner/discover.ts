import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidError, NotFoundError } from '../errors.js';

/** The names Docker Compose looks for, in its order of preference. */
export const DEFAULT_FILE_NAMES = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
];

/** Stands for standard input in `-f -`; the CLI reads it and passes the text in. */
export const STDIN_FILE = '-';

export interface DiscoverInput {
  cwd: string;
  /** `-f`, in order; relative to cwd. */
  files: string[];
  projectDirectory?: string;
  /** Shell environment merged with the project's `.env`: `COMPOSE_FILE` may come from either. */
  environment: Record<string, string>;
}

export interface Discovered {
  /** Absolute paths, or `-` for standard input. */
  files: string[];
  projectDirectory: string;
  warnings: string[];
}

/**
 * Which compose files make up the project and where it lives: `-f` first, then
 * `COMPOSE_FILE`, then the default names in the working directory or the nearest
 * parent that has one, with the matching `.override` file.
 */
export function discoverFiles(input: DiscoverInput): Discovered {
  const explicit = input.files.length > 0 ? input.files : composeFileVariable(input.environment);
  if (explicit.length > 0) {
    const files = explicit.map((file) => resolveExplicit(input.cwd, file));
    const first = files.find((file) => file !== STDIN_FILE);
    const projectDirectory = resolveProjectDirectory(
      input,
      first ? path.dirname(first) : input.cwd,
    );
    return { files, projectDirectory, warnings: [] };
  }

  const start = input.projectDirectory
    ? path.resolve(input.cwd, input.projectDirectory)
    : input.cwd;
  const found = findDefaultFiles(start);
  if (!found) {
    throw new NotFoundError(`no compose file found in ${start} or any parent directory`, {
      hint: `create ${DEFAULT_FILE_NAMES[0]}, or name one with -f FILE`,
    });
  }
  const projectDirectory = resolveProjectDirectory(input, path.dirname(found.files[0]!));
  return { ...found, projectDirectory };
}

function composeFileVariable(environment: Record<string, string>): string[] {
  const value = environment.COMPOSE_FILE;
  if (!value) return [];
  const separator = environment.COMPOSE_PATH_SEPARATOR || path.delimiter;
  return value.split(separator).filter(Boolean);
}

function resolveExplicit(cwd: string, file: string): string {
  if (file === STDIN_FILE) return file;
  const absolute = path.resolve(cwd, file);
  if (!existsSync(absolute)) {
    throw new NotFoundError(`compose file not found: ${file}`, {
      file: absolute,
      hint: 'check the path given with -f or COMPOSE_FILE',
    });
  }
  if (statSync(absolute).isDirectory()) {
    throw new InvalidError(`${file} is a directory, not a compose file`, {
      file: absolute,
      hint: `to use the project in that directory, pass --project-directory ${file}`,
    });
  }
  return absolute;
}

function resolveProjectDirectory(input: DiscoverInput, fallback: string): string {
  if (!input.projectDirectory) return fallback;
  const dir = path.resolve(input.cwd, input.projectDirectory);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new NotFoundError(`project directory not found: ${input.projectDirectory}`, {
      hint: 'check --project-directory',
    });
  }
  return dir;
}

function findDefaultFiles(start: string): { files: string[]; warnings: string[] } | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const present = DEFAULT_FILE_NAMES.filter((name) => existsSync(path.join(dir, name)));
    if (present.length > 0) {
      const chosen = path.join(dir, present[0]!);
      const warnings =
        present.length > 1
          ? [`found several compose files in ${dir} (${present.join(', ')}): using ${present[0]}`]
          : [];
      const override = overrideFor(chosen);
      return { files: override ? [chosen, override] : [chosen], warnings };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** `compose.yaml` pairs with `compose.override.yaml` or `compose.override.yml`. */
function overrideFor(file: string): string | undefined {
  const dir = path.dirname(file);
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  return ['yaml', 'yml']
    .map((ext) => path.join(dir, `${stem}.override.${ext}`))
    .find((candidate) => existsSync(candidate));
}

/**
 * Docker Compose's rule: lower case, only `[a-z0-9_-]`, no leading `_` or `-`. A name
 * given with `-p` or `COMPOSE_PROJECT_NAME` must already be valid; one derived from a
 * directory is made valid.
 */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function isValidProjectName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name);
}

export type ProjectNameSource = 'flag' | 'environment' | 'file' | 'directory';

export function chooseProjectName(candidates: {
  flag?: string;
  environment?: string;
  file?: unknown;
  directory: string;
}): { name: string; source: ProjectNameSource } {
  const explicit: [ProjectNameSource, string | undefined][] = [
    ['flag', candidates.flag],
    ['environment', candidates.environment],
  ];
  for (const [source, value] of explicit) {
    if (value === undefined || value === '') continue;
    if (!isValidProjectName(value)) throw invalidName(value, source);
    return { name: value, source };
  }
  if (candidates.file !== undefined && candidates.file !== null && candidates.file !== '') {
    if (typeof candidates.file !== 'string') {
      throw new InvalidError('name must be a string', {
        path: 'name',
        hint: 'quote the project name',
      });
    }
    if (!isValidProjectName(candidates.file)) throw invalidName(candidates.file, 'file');
    return { name: candidates.file, source: 'file' };
  }
  const name = normalizeProjectName(path.basename(candidates.directory));
  if (!name) {
    throw new InvalidError('project name must not be empty', {
      hint: `the directory name "${path.basename(candidates.directory)}" has no usable characters: set one with -p NAME or a top-level name:`,
    });
  }
  return { name, source: 'directory' };
}

function invalidName(value: string, source: ProjectNameSource): InvalidError {
  const where = { flag: '-p', environment: 'COMPOSE_PROJECT_NAME', file: 'name:', directory: '' }[
    source
  ];
  return new InvalidError(
    `invalid project name "${value}" (from ${where}): it must contain only lower-case letters, digits, dashes and underscores, and start with a letter or digit`,
    { hint: `for example: ${normalizeProjectName(value) || 'myproject'}` },
  );
}

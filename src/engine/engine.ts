import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PermissionError } from '../errors.js';
import { openDatabase, type Db } from './state/db.js';
import { ContentStore } from './store/content.js';

export interface EngineOptions {
  /** State that survives reboots: `TSCOMPOSE_ROOT`, default /var/lib/tscompose. */
  root: string;
  /** Runtime files (sockets, pids): default /run/tscompose. */
  runRoot: string;
  /** Where networks without an `ipam` subnet take theirs: CIDRs split into /24s. */
  subnetPool?: string[];
  /** …and IPv6 networks (`enable_ipv6`) theirs: CIDRs split into /64s. */
  subnetPool6?: string[];
}

export const DEFAULT_ROOT = '/var/lib/tscompose';
export const DEFAULT_RUN_ROOT = '/run/tscompose';

/** Where each kind of engine state lives under the root. */
export function enginePaths(options: EngineOptions) {
  return {
    database: path.join(options.root, 'state.db'),
    store: path.join(options.root, 'store'),
    snapshots: path.join(options.root, 'snapshots'),
    containers: path.join(options.root, 'containers'),
    volumes: path.join(options.root, 'volumes'),
    tmp: path.join(options.root, 'tmp'),
    run: options.runRoot,
  };
}

export type EnginePaths = ReturnType<typeof enginePaths>;

/** The engine's state, opened once per process and shared by every part of it. */
export class Engine {
  private constructor(
    readonly options: EngineOptions,
    readonly paths: EnginePaths,
    readonly db: Db,
    readonly store: ContentStore,
  ) {}

  static open(options: EngineOptions): Engine {
    const paths = enginePaths(options);
    try {
      for (const dir of [options.root, paths.snapshots, paths.tmp])
        mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new PermissionError(`cannot create the engine's state in ${options.root}`, {
        cause,
        hint: 'the integrated engine needs root (or set TSCOMPOSE_ROOT to a directory you own)',
      });
    }
    const store = new ContentStore(paths.store);
    store.init();
    return new Engine(options, paths, openDatabase(paths.database), store);
  }

  close(): void {
    this.db.close();
  }
}

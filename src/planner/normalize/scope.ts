import path from 'node:path';
import { InvalidError } from '../../errors.js';
import type { PlannerWarning } from '../model.js';
import { formatPath, type YamlPath } from '../path.js';

/** What normalisation may know about the world: it reads nothing but what is passed here. */
export interface NormalizeContext {
  projectName: string;
  /** Absolute; relative paths in the document resolve against it. */
  workingDir: string;
  /** Shell environment and `.env`: values for `environment: [FOO]` and for build args with no value. */
  environment: Record<string, string>;
  /** Undefined when the file does not exist. Injected by the loader. */
  loadEnvFile: (absPath: string) => Record<string, string> | undefined;
  /** For `~/` in host paths. */
  homeDir: string;
}

/**
 * Where the normaliser is in the document. Every error and warning carries this path, in
 * the user's words (`services.web.ports[1]`).
 */
export class Scope {
  constructor(
    readonly ctx: NormalizeContext,
    readonly path: YamlPath = [],
    private readonly warnings: PlannerWarning[] = [],
  ) {}

  at(...segments: (string | number)[]): Scope {
    return new Scope(this.ctx, [...this.path, ...segments], this.warnings);
  }

  invalid(message: string, hint?: string): InvalidError {
    return new InvalidError(message, { path: formatPath(this.path), hint });
  }

  warn(message: string): void {
    this.warnings.push({ message, path: formatPath(this.path) });
  }

  collectedWarnings(): PlannerWarning[] {
    return [...this.warnings];
  }

  /**
   * A host path made absolute: `~` and `~/…` are the home directory (as compose-go's
   * ExpandUser; `~user` is left alone), anything relative hangs off the working directory.
   */
  hostPath(value: string): string {
    const expanded =
      value === '~' || value.startsWith('~/') ? this.ctx.homeDir + value.slice(1) : value;
    return path.resolve(this.ctx.workingDir, expanded);
  }
}

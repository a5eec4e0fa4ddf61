import { ConflictError, NotFoundError, RuntimeError } from '../../errors.js';
import type { RuntimeBinary } from './choose.js';
import { invoke, isUnknownContainer, runtimeMessage, type Invocation } from './invoke.js';
import { execProbe, type ExecProcess, type ExecResult, type ExecOptions } from './runc-exec.js';
import { parseSignal } from './signals.js';

export interface ContainerState {
  id: string;
  /** The init process's host pid; 0 once it has stopped. */
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export type { ExecOptions, ExecProcess, ExecResult } from './runc-exec.js';

/**
 * The OCI runtime's command line (runc, or crun: the same verbs and flags), for containers
 * already created under conmon. `root` is the runtime's state directory (`--root`): each
 * engine keeps its own, so that its containers are not mixed with anyone else's.
 */
export class OciRuntime {
  constructor(
    readonly binary: RuntimeBinary,
    readonly root: string,
  ) {}

  /** What the runtime knows of a container; undefined when it has no state for the ID. */
  async state(id: string): Promise<ContainerState | undefined> {
    const result = await this.run(['state', id]);
    if (result.code !== 0) {
      const message = runtimeMessage(result.stderr);
      if (isUnknownContainer(message)) return undefined;
      throw this.failure('state', id, message);
    }
    const state = JSON.parse(result.stdout) as ContainerState;
    return { id: state.id, pid: state.pid, status: state.status, bundle: state.bundle };
  }

  /** Starts a created container: its process runs the program from config.json. */
  async start(id: string): Promise<void> {
    await this.check('start', id, await this.run(['start', id]));
  }

  /**
   * Sends a signal to the container's init process, or with `all` to every process in its
   * cgroup. A container that is already stopped, or gone, is not an error: the point of a
   * kill is that it stops.
   */
  async kill(id: string, signal: string, options: { all?: boolean } = {}): Promise<void> {
    const { number } = parseSignal(signal);
    const args = ['kill', ...(options.all ? ['--all'] : []), id, String(number)];
    const result = await this.run(args);
    if (result.code === 0) return;
    const state = await this.state(id);
    if (state === undefined || state.status === 'stopped') return;
    throw this.failure('kill', id, runtimeMessage(result.stderr));
  }

  /** Removes the runtime's state (and cgroup) of a container; an unknown ID is not an error. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    const result = await this.run(['delete', ...(options.force ? ['--force'] : []), id]);
    if (result.code === 0 || isUnknownContainer(runtimeMessage(result.stderr))) return;
    throw this.failure('delete', id, runtimeMessage(result.stderr));
  }

  /** Freezes every process of the container (the freezer cgroup). */
  async pause(id: string): Promise<void> {
    await this.check('pause', id, await this.run(['pause', id]));
  }

  async resume(id: string): Promise<void> {
    await this.check('resume', id, await this.run(['resume', id]));
  }

  /** The host pids of the container's processes. */
  async ps(id: string): Promise<number[]> {
    const result = await this.run(['ps', '--format', 'json', id]);
    await this.check('ps', id, result);
    return (JSON.parse(result.stdout) as number[] | null) ?? [];
  }

  /**
   * Runs a process in a running container and captures its output (the last 64 KiB of
   * each stream): for healthchecks and `exec` without a terminal. What is not given comes
   * from the container's own process (env, cwd, user, capabilities), as Docker does. On
   * timeout the process (its host pid, from --pid-file) is killed and `timedOut` is set.
   */
  async exec(id: string, process: ExecProcess, options: ExecOptions = {}): Promise<ExecResult> {
    const state = await this.state(id);
    if (state === undefined) {
      throw new NotFoundError(`container ${id} is not known to ${this.binary.name}`, {
        hint: 'it was removed, or never created; create and start it again',
      });
    }
    if (state.status !== 'running') {
      throw new ConflictError(`cannot exec in container ${id}: it is ${state.status}`, {
        hint: state.status === 'paused' ? 'unpause it first' : 'start it first',
      });
    }
    return execProbe(this.binary, this.root, state, process, options);
  }

  /**
   * The command line of an interactive exec (`tscompose exec`), for the caller to spawn
   * with inherited stdio: the runtime then stays in front and gives the process the
   * terminal. The process file is a JSON process spec the caller wrote.
   */
  execArgv(
    id: string,
    processFile: string,
    options: { tty: boolean; detach?: boolean },
  ): { command: string; args: string[] } {
    const flags = [...(options.tty ? ['--tty'] : []), ...(options.detach ? ['--detach'] : [])];
    return {
      command: this.binary.path,
      args: ['--root', this.root, 'exec', ...flags, '--process', processFile, id],
    };
  }

  private run(args: string[]): Promise<Invocation> {
    return invoke(this.binary, ['--root', this.root, ...args]);
  }

  private async check(verb: string, id: string, result: Invocation): Promise<void> {
    if (result.code === 0) return;
    const message = runtimeMessage(result.stderr);
    if (isUnknownContainer(message)) {
      throw new NotFoundError(`container ${id} is not known to ${this.binary.name}`, {
        hint: `${this.binary.name} ${verb} needs a created container; create it first`,
      });
    }
    throw this.failure(verb, id, message);
  }

  private failure(verb: string, id: string, message: string): RuntimeError {
    return new RuntimeError(`${this.binary.name} ${verb} ${id} failed: ${message}`, {
      hint: `its state is under ${this.root}`,
    });
  }
}

import { RuntimeError, type ErrorDetails } from '../../errors.js';
import { runtimeMessage } from './invoke.js';

/**
 * A container the runtime could not create or start. `exitCode` follows the shell, as
 * Docker does: 127 when the command is not in the image, 126 when it cannot be executed.
 */
export class ContainerCreateError extends RuntimeError {
  /** The runtime's own words, for logs and for tests. */
  readonly runtimeMessage: string;
  readonly exitCode: number | undefined;

  constructor(
    message: string,
    details: ErrorDetails & { runtimeMessage: string; exitCode?: number },
  ) {
    super(message, details);
    this.runtimeMessage = details.runtimeMessage;
    this.exitCode = details.exitCode;
  }
}

/**
 * The error for what conmon reported on its sync pipe, from the runtime's stderr. runc
 * words a missing command `exec: "foo": executable file not found in $PATH`, or for a path
 * `exec: "/x": stat /x: no such file or directory`; crun says `executable file \`foo\` not
 * found in $PATH` or `open executable: No such file or directory`.
 */
export function createError(id: string, stderr: string): ContainerCreateError {
  const said = runtimeMessage(stderr);
  const command =
    /exec: "((?:[^"\\]|\\.)*)"/.exec(said)?.[1] ?? /executable file `([^`]*)`/.exec(said)?.[1];
  const named = command === undefined ? 'the command' : `the command "${command}"`;
  if (/executable file.*not found|no such file or directory/i.test(said) && isExecStep(said)) {
    return new ContainerCreateError(`${named} was not found in the image`, {
      runtimeMessage: said,
      exitCode: 127,
      hint: 'check the entrypoint and command, and that the image has the program in its PATH',
    });
  }
  if (/permission denied/i.test(said) && isExecStep(said)) {
    return new ContainerCreateError(`${named} cannot be executed in the image`, {
      runtimeMessage: said,
      exitCode: 126,
      hint: 'the file is not executable (or its interpreter is missing): check its mode',
    });
  }
  const rlimit = /error setting rlimit type (\d+): operation not permitted/i.exec(said);
  if (rlimit) {
    const name = RLIMIT_NAMES[Number(rlimit[1])] ?? `resource ${rlimit[1]}`;
    return new ContainerCreateError(`the ulimit ${name} is above what this host lets be set`, {
      runtimeMessage: said,
      hint: `raising a hard limit needs CAP_SYS_RESOURCE, which this host does not give: keep ulimits.${name} within the host's hard limit (ulimit -H -a)`,
    });
  }
  return new ContainerCreateError(`container ${id} could not be created: ${said}`, {
    runtimeMessage: said,
    hint: 'the runtime refused the bundle: check its config.json and root file system',
  });
}

/** Linux's RLIMIT_* numbers, as compose names the limits. */
const RLIMIT_NAMES = [
  'cpu',
  'fsize',
  'data',
  'stack',
  'core',
  'rss',
  'nproc',
  'nofile',
  'memlock',
  'as',
  'locks',
  'sigpending',
  'msgqueue',
  'nice',
  'rtprio',
  'rttime',
];

/** Whether the failure is the runtime executing the process, not e.g. a mount. */
function isExecStep(message: string): boolean {
  return /exec: "|executable file|open executable/i.test(message);
}
